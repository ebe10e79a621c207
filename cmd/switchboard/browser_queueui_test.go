package main

import (
	"net/url"
	"testing"
)

// TestBrowserQueueUIUnderCSP: the queue monitor still works in a real
// browser under its Content-Security-Policy (its inline scripts run, by
// their hashes, and React draws the page), and no page, not even one of
// the gateway's own, can frame it.
func TestBrowserQueueUIUnderCSP(t *testing.T) {
	b := startBrowser(t)
	s := startServer(t, backend{name: "embedded"}, t.TempDir())
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")

	tab := b.newTab("queues")
	defer tab.close()
	tab.navigate(s.base + "/admin/queues?access_token=" + url.QueryEscape(admin))
	tab.waitJS("the queue UI to draw", `typeof window.FLAG_ROOT_PATH === "string" && document.querySelector("#root") !== null &&
		document.querySelector("#root").children.length > 0`, "the page's inline scripts must run under its CSP")
	tab.shot("queue-ui")
	// The UI's own changes (the browser's fetch sends its Origin) go through.
	evalJS[bool](tab, `(() => { fetch("/admin/queues/api/queues/low:pause", {method: "POST"})
		.then(r => fetch("/admin/queues/api/queues/low:resume", {method: "POST"}).then(r2 => window.__sb = r.status + "," + r2.status)); return true; })()`)
	if got := pollJS[string](tab, "pause and resume from the UI", `window.__sb`, ""); got != "204,204" {
		t.Fatalf("pause and resume from the UI's own page: %s, want 204,204", got)
	}

	tab.navigate(s.base + "/healthz")
	evalJS[bool](tab, `(() => { const f = document.createElement("iframe");
		f.id = "q"; f.src = "/admin/queues"; document.body.appendChild(f); return true; })()`)
	got := pollJS[string](tab, "the frame to settle", `(() => {
		const f = document.getElementById("q");
		try {
			const d = f.contentDocument;
			if (d === null) return "blocked";
			if (d.querySelector("#root") !== null) return "loaded";
			return d.readyState === "complete" && d.location.href !== "about:blank" ? "blocked" : "";
		} catch (e) { return "blocked"; }
	})()`, "")
	if got != "blocked" {
		t.Fatalf("the queue UI loaded in a frame (%s)", got)
	}
}
