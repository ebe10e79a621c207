package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordFetchJS runs before the page's own scripts: it keeps the body of
// every request the page makes with fetch, in window.__sbSent.
const recordFetchJS = `(() => {
  const real = window.fetch;
  window.__sbSent = [];
  window.fetch = function (url, opts) {
    window.__sbSent.push(String(url) + " " + ((opts && opts.body) || ""));
    return real.apply(this, arguments);
  };
})();`

// TestBrowserWidgetKeepsSecretsOut runs the real widget in a browser on a
// page whose address carries secrets (item 9): ?reset_token=…
// #access_token=… reach no agent, only the channel's page_url_query_keys
// and a #/route do; the widget keeps a visitor_secret apart from the
// visitor id (item 8).
func TestBrowserWidgetKeepsSecretsOut(t *testing.T) {
	findChromium(t)
	s := startServerWith(t, backend{name: "embedded"}, t.TempDir(), `channels:
  - {id: web, type: widget, page_url_query_keys: [utm_source]}
`)
	br := startBrowser(t)
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	demo := s.base + "/widget/demo"
	host := `document.querySelector('#switchboard-widget')`

	visitor := br.newTab("visitor")
	visitor.do("record the widget's requests", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordFetchJS})
		return err
	}))
	visitor.navigate(demo + "?reset_token=RT-s3cr3t&utm_source=news#access_token=AT-s3cr3t&token_type=bearer")
	visitor.waitJS("the widget's session", host+`?.getAttribute('data-sb-ready') === '1'`, describe(host))
	vid := evalJS[string](visitor, `localStorage.getItem("switchboard.web.visitor_id") || ""`)
	secret := evalJS[string](visitor, `localStorage.getItem("switchboard.web.visitor_secret") || ""`)
	if vid == "" || secret == "" || secret == vid {
		t.Fatalf("localStorage visitor_id %q, visitor_secret %q: want both, apart", vid, secret)
	}

	// pageOf is the page the gateway stored for this visitor.
	pageOf := func() string {
		for _, c := range list(s.must(200, "GET", "/v1/conversations?status=all", admin, nil), "conversations") {
			if str(c, "customer", "channel_user_id") == vid {
				return str(c, "page_url")
			}
		}
		return ""
	}
	wantPage := func(what, want string) {
		t.Helper()
		var got string
		eventually(t, what, func() bool { got = pageOf(); return got == want })
		if strings.Contains(got, "s3cr3t") {
			t.Fatalf("%s: stored %q", what, got)
		}
	}
	wantPage("the landing page with its allowed key", demo+"?utm_source=news")

	// A single-page app's navigation: the route stays, its secrets do not.
	evalJS[bool](visitor, `(history.pushState(null, "", "/widget/demo?code=C-s3cr3t&utm_source=ads#/docs?id_token=IT-s3cr3t"), true)`)
	wantPage("the route after pushState", demo+"?utm_source=ads#/docs")
	evalJS[bool](visitor, `(location.hash = "#access_token=AT2-s3cr3t", true)`)
	wantPage("a fragment that is no route", demo+"?utm_source=ads")

	// What the widget itself sent: never a secret (the gateway strips
	// them too, so the stored pages alone would not show it).
	sent := evalJS[[]string](visitor, `window.__sbSent`)
	var pages int
	for _, req := range sent {
		if strings.Contains(req, "s3cr3t") {
			t.Errorf("the widget sent a secret of the address: %s", req)
		}
		if strings.Contains(req, `"page_url"`) {
			pages++
		}
	}
	if pages < 3 || !strings.Contains(sent[0], "/v1/widget/sessions") || !strings.Contains(sent[0], `"page_url":"`+demo+`"`) {
		t.Errorf("requests the widget made: %q; want the session with the bare page first, then the pages", sent)
	}
}
