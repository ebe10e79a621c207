package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordNotificationsJS runs before the inbox's scripts: every desktop
// notification the page shows is kept in window.__sbNotes (title, body and
// the Notification itself), on top of being shown for real.
const recordNotificationsJS = `(() => {
  const Real = window.Notification;
  window.__sbNotes = [];
  if (typeof Real !== "function") return;
  class Recorded extends Real {
    constructor(title, opts) {
      super(title, opts);
      window.__sbNotes.push({title: String(title), body: String((opts && opts.body) || ""), n: this});
    }
  }
  window.Notification = Recorded;
})();`

// inboxAs opens the inbox signed in with token (stored as the login form
// would), recording notifications, with notification permission granted
// to the page's origin when grant is set.
func inboxAs(t *testing.T, br *browser, s *server, name, token string, grant bool) *tab {
	t.Helper()
	tb := br.newTab(name)
	tb.do("record notifications", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordNotificationsJS})
		return err
	}))
	if grant {
		tb.do("grant notifications", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission:       &cdpbrowser.PermissionDescriptor{Name: "notifications"},
				Setting:          cdpbrowser.PermissionSettingGranted,
				Origin:           s.base,
				BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
			})
			return err
		}))
	}
	tb.navigate(s.base + "/inbox")
	evalJS[bool](tb, fmt.Sprintf(`(localStorage.setItem("switchboard.inbox.token", %s), true)`, jsq(token)))
	tb.navigate(s.base + "/inbox")
	tb.waitJS("the inbox, signed in", visible(tid("me-name"))+` && `+tid("me-name")+`.textContent.trim() !== ""`, describe(`document.body`))
	return tb
}

// ringState is what the ringer shows: the audio element's state, the
// notifications, the title and the favicon.
const ringStateJS = `(() => { const a = document.querySelector('[data-testid=ring-audio]');
  return {plays: Number(a.dataset.plays), ringing: a.dataset.ringing === "true", paused: a.paused,
    notes: window.__sbNotes.map(n => n.title + " | " + n.body), title: document.title,
    favicon: document.getElementById("favicon").href}; })()`

type ringState struct {
	Plays          int
	Ringing        bool
	Paused         bool
	Notes          []string
	Title, Favicon string
}

func ringingNow(tb *tab) ringState {
	tb.t.Helper()
	return evalJS[ringState](tb, ringStateJS)
}

const audioJS = `document.querySelector('[data-testid=ring-audio]')`

// TestBrowserRinging is item 1 of the agent's workspace: a request offered
// to agent A rings A's inbox (sound, desktop notification, count in title
// and favicon) and not B's when B's tier was not offered it; clicking the
// notification focuses the request; the ring stops at once when the
// request is accepted, by A here or by B on another device, and when A
// goes offline. Mute persists.
func TestBrowserRinging(t *testing.T) {
	findChromium(t)
	s := startServerWith(t, backend{name: "embedded"}, t.TempDir(), `routing:
  rules:
    - name: billing
      match: {keywords: [invoice]}
      mode: broadcast
      tiers:
        - {roles: [billing], for: 1h}
        - {roles: [support]}
`)
	br := startBrowser(t)
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	anaTok := agentToken(t, s, admin, "Ana", "billing")
	benTok := agentToken(t, s, admin, "Ben", "support")

	a := inboxAs(t, br, s, "ana", anaTok, true)
	b := inboxAs(t, br, s, "ben", benTok, true)

	// Sound is locked until a click; the hint says so, and goes on the
	// first click anywhere. Permission was granted: no button asks for it.
	for _, tb := range []*tab{a, b} {
		tb.waitJS("the sound hint", visible(tid("sound-hint")), describe(tid("sound-hint")))
		if evalJS[bool](tb, visible(tid("notify-enable"))) {
			t.Errorf("%s: the page offers to enable notifications that are granted", tb.name)
		}
		tb.click("the live indicator (any click)", `document.getElementById("live")`)
		tb.waitJS("the sound to unlock", `!(`+visible(tid("sound-hint"))+`)`, describe(tid("sound-hint")))
		if st := ringingNow(tb); st.Plays != 0 || st.Ringing {
			t.Errorf("%s rings with nothing offered: %+v", tb.name, st)
		}
	}

	// --- An invoice request is offered to billing only: Ana's rings.
	_, invoice := openRequest(t, s, "my invoice is wrong")
	a.waitJS("Ana's ring to play", audioJS+`.dataset.plays >= 1 && `+audioJS+`.dataset.ringing === "true"`, ringStateJS+` && JSON.stringify(`+ringStateJS+`)`)
	a.waitJS("Ana's notification", `window.__sbNotes.length === 1`, `JSON.stringify(`+ringStateJS+`)`)
	st := ringingNow(a)
	if want := "Request from Fox Mulder | Website widget: my invoice is wrong"; len(st.Notes) != 1 || st.Notes[0] != want {
		t.Errorf("Ana's notifications %q, want [%q]", st.Notes, want)
	}
	if !strings.HasPrefix(st.Title, "(1) ") || !strings.HasPrefix(st.Favicon, "data:image/png") {
		t.Errorf("Ana's title %q and favicon %.40q: want the count in both", st.Title, st.Favicon)
	}
	a.shot("ringing")

	// Clicking the notification brings the request forward.
	evalJS[bool](a, `(window.__sbNotes[0].n.dispatchEvent(new Event("click")), true)`)
	a.waitJS("the request to have the focus", fmt.Sprintf(`document.activeElement && document.activeElement.closest('[data-testid=request]')?.dataset.id === %s`, jsq(invoice)),
		`document.activeElement ? document.activeElement.outerHTML.slice(0, 300) : "nothing focused"`)

	// Ben was not offered it: his page does not ring (it had the whole
	// time Ana's took; its stream is live).
	b.waitJS("Ben's live stream", `document.getElementById("live").dataset.state === "live"`, `document.getElementById("live").dataset.state`)
	if st := ringingNow(b); st.Plays != 0 || st.Ringing || len(st.Notes) != 0 || strings.HasPrefix(st.Title, "(") {
		t.Errorf("Ben's inbox rings for a request offered to billing only: %+v", st)
	}

	// Ana accepts: her ring stops at once.
	a.click("Accept", requestByID(invoice)+`.querySelector('[data-testid=request-accept]')`)
	a.waitJS("Ana's ring to stop", audioJS+`.dataset.ringing === "false" && `+audioJS+`.paused`, `JSON.stringify(`+ringStateJS+`)`)
	if st := ringingNow(a); strings.HasPrefix(st.Title, "(") || !strings.HasSuffix(st.Favicon, "/favicon.ico") {
		t.Errorf("after the accept, title %q and favicon %.60q still count", st.Title, st.Favicon)
	}

	// --- A request for everyone rings both; Ben accepts it on another
	// device (the API), and Ana's ring stops.
	_, order := openRequest(t, s, "where is my parcel")
	anaPlays := ringingNow(a).Plays
	for _, tb := range []*tab{a, b} {
		tb.waitJS(tb.name+"'s ring for the parcel", fmt.Sprintf(`%s.dataset.ringing === "true" && window.__sbNotes.some(n => n.body.includes("parcel"))`, audioJS),
			`JSON.stringify(`+ringStateJS+`)`)
	}
	a.waitJS("Ana's second ring to play", fmt.Sprintf(`%s.dataset.plays > %d`, audioJS, anaPlays), `JSON.stringify(`+ringStateJS+`)`)
	s.must(200, "POST", "/v1/requests/"+order+"/accept", benTok, nil)
	for _, tb := range []*tab{a, b} {
		tb.waitJS(tb.name+"'s ring to stop after Ben's accept", audioJS+`.dataset.ringing === "false" && `+audioJS+`.paused`, `JSON.stringify(`+ringStateJS+`)`)
	}

	// --- Ana goes offline while a request rings: it stops at once.
	_, third := openRequest(t, s, "one more question")
	a.waitJS("Ana's ring for the third", audioJS+`.dataset.ringing === "true"`, `JSON.stringify(`+ringStateJS+`)`)
	a.click("the status toggle", tid("status-toggle"))
	a.waitJS("Ana offline", tid("status-toggle")+`.getAttribute("aria-pressed") === "false"`, describe(tid("status-toggle")))
	a.waitJS("Ana's ring to stop offline", audioJS+`.dataset.ringing === "false" && `+audioJS+`.paused`, `JSON.stringify(`+ringStateJS+`)`)
	_ = third

	// --- Mute persists across a reload.
	a.click("the sound toggle", tid("sound-toggle"))
	a.waitJS("muted", tid("sound-toggle")+`.dataset.muted === "true"`, describe(tid("sound-toggle")))
	a.navigate(s.base + "/inbox")
	a.waitJS("still muted after a reload", tid("sound-toggle")+`.dataset.muted === "true" && `+tid("sound-toggle")+`.getAttribute("aria-pressed") === "false"`,
		describe(tid("sound-toggle")))
	a.close()
	b.close()
}
