package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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
  window.__sbAsked = 0;
  if (typeof Real !== "function") return;
  class Recorded extends Real {
    constructor(title, opts) {
      super(title, opts);
      window.__sbNotes.push({title: String(title), body: String((opts && opts.body) || ""), n: this});
    }
  }
  Recorded.requestPermission = function (...args) {
    window.__sbAsked++;
    return Real.requestPermission(...args);
  };
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

// convRow is the inbox's row of one conversation in "My conversations".
func convRow(id string) string {
	return fmt.Sprintf(`document.querySelector('[data-testid=conversation][data-id=%s]')`, jsq(id))
}

// unreadOf is the unread count a row shows ("" when none).
func unreadOf(id string) string {
	return fmt.Sprintf(`((r) => { const u = r && r.querySelector('.unread'); return u && !u.hidden ? u.textContent.trim() : ""; })(%s)`, convRow(id))
}

// TestBrowserWorkspace is items 2–5 of the agent's workspace in real
// pages: a visitor in the widget and an agent in the inbox. Typing shows
// both ways; a private note shows to the agent and never reaches the
// widget; the visitor sees "Seen" and the agent sees the reply read;
// unread counts show in the list and clear in every tab when one opens
// the conversation; the agent sets the name customers read.
func TestBrowserWorkspace(t *testing.T) {
	findChromium(t)
	s := startServer(t, backend{name: "embedded"}, t.TempDir())
	br := startBrowser(t)
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	tok := agentToken(t, s, admin, "Sarah", "support")
	host := `document.querySelector('#switchboard-widget')`
	input := sb("[data-sb=input]")
	widgetTyping := sb("[data-sb=typing]")
	widgetState := widgetMessagesJS + `.map(m => m.author + ": " + m.text).join(" | ") + " typing=" + ` + widgetTyping + `.textContent + " seen=" + !` + sb("[data-sb=seen]") + `.hidden`

	a := inboxAs(t, br, s, "sarah", tok, false)
	// Permission is never asked on load, only on the button's click.
	a.waitJS("the notifications button", visible(tid("notify-enable")), describe(tid("notify-enable")))
	if n := evalJS[int](a, `window.__sbAsked`); n != 0 {
		t.Errorf("the page asked for notification permission %d times on load", n)
	}
	a.click("Enable notifications", tid("notify-enable"))
	a.waitJS("the permission asked on the click", `window.__sbAsked === 1`, `window.__sbAsked`)

	// --- A visitor asks for a person; Sarah accepts in the page.
	v := br.newTab("visitor")
	v.navigate(s.base + "/widget/demo")
	v.waitJS("the widget's session", host+`?.getAttribute('data-sb-ready') === '1'`, describe(host))
	v.click("the chat bubble", sb("[data-sb=launcher]"))
	v.typeInto("the widget input", input, "I was charged twice\r")
	v.waitJS("the message stored", widgetMessagesJS+`.some(m => m.author === "customer" && m.id)`, widgetState)
	v.click("Talk to a person", sb("[data-sb=handoff]"))
	reqEl := requestJS("charged twice")
	a.waitJS("the request", reqEl, describe(tid("requests")))
	a.click("Accept", reqEl+`.querySelector('[data-testid=request-accept]')`)
	a.waitJS("the chat", visible(tid("chat"))+` && `+tid("chat-input")+` && !`+tid("chat-input")+`.disabled`, describe(tid("chat")))
	convID := evalJS[string](a, tid("chat")+`.dataset.id`)
	v.waitJS("the visitor to be chatting", host+`.getAttribute('data-sb-status') === 'active'`, describe(sb("[data-sb=status]")))

	// --- The visitor types: Sarah sees it in the chat and in the list.
	v.typeInto("the widget input", input, "Also the")
	a.waitJS(`"… is typing…" in the chat`, visible(tid("chat-typing"))+` && /is typing…$/.test(`+tid("chat-typing")+`.textContent)`, describe(tid("chat-typing")))
	a.waitJS(`"… is typing…" in the list`, convRow(convID)+`.querySelector('[data-testid=conversation-last]').dataset.typing === "true"`, describe(convRow(convID)))
	v.typeInto("the widget input", input, " delivery was late\r")
	a.waitJS("the message, and the typing gone", `!(`+visible(tid("chat-typing"))+`) && `+chatMessagesJS+`.some(m => m.text.includes("delivery was late"))`,
		describe(tid("chat-typing")))

	// Sarah has the chat open: the visitor sees "Seen" under that message.
	v.waitJS(`"Seen"`, visible(sb("[data-sb=seen]"))+` && `+sb("[data-sb=seen]")+`.closest('.row').textContent.includes("delivery was late")`, widgetState)

	// --- Sarah types: the visitor sees "Sarah is typing…".
	a.typeInto("the reply box", tid("chat-input"), "Let me check")
	v.waitJS(`"Sarah is typing…"`, visible(widgetTyping)+` && `+widgetTyping+`.textContent === "Sarah is typing…"`, widgetState)
	a.press(keyEnter)
	v.waitJS("the reply, and the typing gone", widgetMessagesJS+`.some(m => m.author === "agent" && m.text.includes("Let me check")) && !(`+visible(widgetTyping)+`)`, widgetState)
	// The widget showed the reply: Sarah sees it read.
	a.waitJS("the reply read", chatMessagesJS+`.some(m => m.author === "agent" && m.text.includes("Let me check") && m.delivery === "read")`,
		chatMessagesJS+`.map(m => m.author + "/" + m.delivery + ": " + m.text).join(" | ")`)

	// --- A private note: shown to Sarah, in its own style; never in the widget.
	const noteText = "internal: refund approved by Tom"
	a.click("the note toggle", tid("chat-note-toggle"))
	a.waitJS("note mode", tid("chat-note-toggle")+`.getAttribute("aria-pressed") === "true"`, describe(tid("chat-note-toggle")))
	a.typeInto("the note box", tid("chat-input"), noteText+"\r")
	a.waitJS("the note in the thread", chatMessagesJS+`.some(m => m.author === "note" && m.text.includes(`+jsq(noteText)+`))`,
		chatMessagesJS+`.map(m => m.author + ": " + m.text).join(" | ")`)
	if bg := evalJS[string](a, `getComputedStyle([...document.querySelectorAll('[data-testid=message][data-author=note] .bubble')][0]).backgroundColor`); bg == evalJS[string](a, `getComputedStyle(document.querySelector('[data-testid=message][data-author=agent] .bubble')).backgroundColor`) {
		t.Errorf("a note looks like a reply (background %s)", bg)
	}
	a.click("the note toggle", tid("chat-note-toggle"))
	a.typeInto("the reply box", tid("chat-input"), "Your refund is on its way\r")
	v.waitJS("the reply after the note", widgetMessagesJS+`.some(m => m.text.includes("refund is on its way"))`, widgetState)
	if evalJS[bool](v, host+`.shadowRoot.textContent.includes("refund approved")`) {
		t.Errorf("the widget shows the private note: %s", evalJS[string](v, widgetState))
	}
	a.shot("note")

	// --- Unread counts: with the chat open nowhere, the row counts the
	// visitor's messages; opening it in another tab clears every tab.
	list1 := a // a reload opens no chat
	list1.navigate(s.base + "/inbox")
	list1.waitJS("the conversation row", convRow(convID), describe(tid("conversations")))
	v.typeInto("the widget input", input, "Hello?\r")
	v.typeInto("the widget input", input, "Are you still there?\r")
	list1.waitJS("2 unread", unreadOf(convID)+` === "2"`, describe(convRow(convID)))
	list1.waitJS("the last message in the row", convRow(convID)+`.querySelector('[data-testid=conversation-last]').textContent.includes("still there")`, describe(convRow(convID)))
	var unread float64 = -1
	for _, c := range list(s.must(200, "GET", "/v1/conversations", tok, nil), "conversations") {
		if str(c, "id") == convID {
			unread, _ = c["unread_count"].(float64)
		}
	}
	if unread != 2 {
		t.Errorf("the server counts %v unread, want 2", unread)
	}
	other := br.newTab("sarah other tab", sameStorageAs(a))
	other.navigate(s.base + "/inbox")
	other.click("the conversation", convRow(convID)+`.querySelector('button')`)
	other.waitJS("the chat open", tid("chat")+`.dataset.id === `+jsq(convID), describe(tid("chat")))
	list1.waitJS("the count cleared in the first tab", unreadOf(convID)+` === ""`, describe(convRow(convID)))

	// --- Sarah sets her name; customers read it.
	list1.click("my name", tid("me-name"))
	list1.fill("the name field", tid("me-name-input"), "Sarah Lee")
	list1.click("Save", tid("me-name-save"))
	list1.waitJS("the new name in the header", tid("me-name")+`.textContent === "Sarah Lee"`, describe(tid("me-form")))
	other.typeInto("the reply box", tid("chat-input"), "One moment")
	v.waitJS(`"Sarah Lee is typing…"`, widgetTyping+`.textContent === "Sarah Lee is typing…"`, widgetState)
	list1.close()
	other.close()
	v.close()
}

// TestBrowserNewAgentTrips is item 6: what a new agent tripped over. An
// offline agent and an admin see the waiting customer (Accept once
// online) and can preview the transcript; an admin edits, resets and
// deactivates an agent; on a 390×844 phone the chat header with Resolve
// shows below the top bar after Accept and the toast covers neither it
// nor the tabs; a history result keeps the results to go back to.
func TestBrowserNewAgentTrips(t *testing.T) {
	findChromium(t)
	s := startServer(t, backend{name: "embedded"}, t.TempDir())
	br := startBrowser(t)
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": "olga@example.com", "name": "Olga", "password": "olga-password-1"})
	olgaTok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "olga@example.com", "password": "olga-password-1"}), "token")
	_, reqID := openRequest(t, s, "my parcel is missing")

	// --- Offline, Olga sees the queue; she may accept once online.
	olga := inboxAs(t, br, s, "olga", olgaTok, false)
	card := requestByID(reqID)
	olga.waitJS("the waiting customer in the offline agent's panel", card, describe(tid("requests")))
	olga.waitJS("Accept disabled, and why", card+`.querySelector('[data-testid=request-accept]').disabled && `+
		card+`.querySelector('[data-testid=request-note]').textContent.includes("Go online")`, describe(card))
	if evalJS[bool](olga, visible(tid("requests-empty"))) {
		t.Error(`the offline agent reads "No one is waiting." while a customer waits`)
	}
	olga.click("Preview", card+`.querySelector('[data-testid=request-preview-toggle]')`)
	olga.waitJS("the transcript preview", visible(card+`.querySelector('[data-testid=request-preview]')`)+` && `+
		card+`.querySelector('[data-testid=request-preview]').textContent.includes("my parcel is missing") && `+
		card+`.querySelector('[data-testid=request-preview] li[data-author=bot]')`, describe(card))
	olga.click("the status toggle", tid("status-toggle"))
	olga.waitJS("Accept enabled online", `!`+card+`.querySelector('[data-testid=request-accept]').disabled`, describe(card))

	// --- The admin sees it too, and edits Olga.
	adm := inboxAs(t, br, s, "admin", admin, false)
	adm.waitJS("the request in the admin's panel", requestByID(reqID), describe(tid("requests")))
	adm.click("the Admin tab", tid("tab-admin"))
	olgaRow := `[...document.querySelectorAll('[data-testid=agent-row]')].find(r => r.textContent.includes("olga@example.com"))`
	editForm := olgaRow + `.querySelector('[data-testid=agent-edit-form]')`
	adm.clickUntil("Edit Olga", olgaRow+`.querySelector('[data-testid=agent-edit]')`, editForm, describe(tid("agents")))
	adm.fill("the name", olgaRow+`.querySelector('[data-testid=agent-edit-name]')`, "Olga Kurz")
	adm.fill("the new password", olgaRow+`.querySelector('[data-testid=agent-edit-password]')`, "olga-new-password-2")
	adm.click("Save", olgaRow+`.querySelector('[data-testid=agent-edit-save]')`)
	adm.waitJS("the new name in the list", olgaRow+` && `+olgaRow+`.querySelector('.agent-name').textContent.startsWith("Olga Kurz") && !`+olgaRow+`.querySelector('[data-testid=agent-edit-form]')`,
		describe(olgaRow))
	if r := s.call("POST", "/v1/auth/login", "", map[string]any{"email": "olga@example.com", "password": "olga-new-password-2"}); r.status != 200 {
		t.Errorf("login with the password the admin set: %d", r.status)
	}
	adm.clickUntil("Edit Olga again", olgaRow+`.querySelector('[data-testid=agent-edit]')`, editForm, describe(tid("agents")))
	adm.click("Active", olgaRow+`.querySelector('[data-testid=agent-edit-active]')`)
	adm.click("Save", olgaRow+`.querySelector('[data-testid=agent-edit-save]')`)
	adm.waitJS("Olga deactivated", olgaRow+`.dataset.active === "false"`, describe(olgaRow))
	adm.shot("admin-edit")

	// --- On a phone: Accept, and Resolve stays in sight and clickable.
	peteTok := agentToken(t, s, admin, "Pete", "support")
	_, phoneReq := openRequest(t, s, "question from a phone")
	phone := inboxAs(t, br, s, "pete phone", peteTok, false)
	phone.do("a 390×844 phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(3)))
	phone.waitJS("the phone layout and the request", `innerWidth === 390 && `+requestByID(phoneReq)+` && !`+requestByID(phoneReq)+`.querySelector('[data-testid=request-accept]').disabled`,
		describe(tid("requests")))
	phone.click("Accept", requestByID(phoneReq)+`.querySelector('[data-testid=request-accept]')`)
	// A tap that lands while the panel redraws (the other waiting request's
	// card is re-rendered by its events) hits a card being replaced; tap the
	// new card's Accept again, at most every 3 s, until the chat opens.
	phone.waitJS("the chat", `(() => {
  if (`+visible(tid("chat"))+` && `+tid("chat")+`.dataset.status === "active") return true;
  const card = `+requestByID(phoneReq)+`, b = card && card.querySelector('[data-testid=request-accept]');
  if (b && !b.disabled && Date.now() - (window.__tapped || 0) > 3000) { window.__tapped = Date.now(); b.click(); }
  return false; })()`, describe(tid("chat")))
	phone.waitJS("the chat header below the top bar", `(() => { const bar = document.querySelector('.topbar').getBoundingClientRect();
  const r = `+tid("chat-resolve")+`.getBoundingClientRect(); return r.top >= bar.bottom - 1 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; })()`,
		`JSON.stringify({bar: document.querySelector('.topbar').getBoundingClientRect(), resolve: `+tid("chat-resolve")+`.getBoundingClientRect(), y: scrollY})`)
	phone.shot("phone-after-accept")
	// The toast ("You are now chatting…") is up now; Resolve and the tabs
	// are still what a tap hits (click checks it).
	phone.waitJS("the toast", visible(tid("notice")), describe(tid("notice")))
	for _, el := range []string{tid("tab-history"), tid("chat-resolve")} {
		if hit := evalJS[bool](phone, fmt.Sprintf(`((el) => { const r = el.getBoundingClientRect();
  const h = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return h === el || el.contains(h); })(%s)`, el)); !hit {
			t.Errorf("on the phone, %s is covered", el)
		}
	}
	phone.click("Resolve", tid("chat-resolve"))
	phone.waitJS("resolved", tid("chat")+`.dataset.status === "resolved"`, describe(tid("chat")))

	// --- History: open a result, and come back to the same results.
	phone.do("a desktop again", chromedp.EmulateViewport(1280, 800))
	phone.click("the History tab", tid("tab-history"))
	phone.fill("the keyword field", tid("history-q"), "phone")
	phone.click("Search", tid("history-submit"))
	result := tidAll("history-result")
	phone.waitJS("a result", result+`.length === 1`, describe(`document.getElementById("history-results")`))
	phone.click("the result", result+`[0].querySelector('button')`)
	phone.waitJS("the conversation, read-only", visible(tid("chat"))+` && `+visible(tid("chat-back")), describe(tid("chat")))
	phone.click("Back to results", tid("chat-back"))
	phone.waitJS("the same results", visible(`document.getElementById("view-history")`)+` && `+result+`.length === 1 && `+tid("history-q")+`.value === "phone"`,
		describe(`document.getElementById("view-history")`))
	phone.click("the result again", result+`[0].querySelector('button')`)
	phone.waitJS("the conversation again", visible(tid("chat-back")), describe(tid("chat")))
	evalJS[bool](phone, `(history.back(), true)`)
	phone.waitJS("the browser's Back to the results", visible(`document.getElementById("view-history")`)+` && `+result+`.length === 1`,
		describe(`document.getElementById("view-history")`))
	for _, tb := range []*tab{olga, adm, phone} {
		tb.checkClean()
	}
}

// TestBrowserRingsOnceMore: a request that turns amber, or red, rings once
// more, and a ring still offered repeats. Each agent's page runs its clock
// ahead, just short of the threshold, so that the turn comes seconds after
// the offer.
func TestBrowserRingsOnceMore(t *testing.T) {
	findChromium(t)
	s := startServer(t, backend{name: "embedded"}, t.TempDir())
	br := startBrowser(t)
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	type agentTab struct {
		tb    *tab
		level string
	}
	var tabs []agentTab
	for _, c := range []struct {
		name, level string
		ahead       time.Duration
	}{
		{"Amber", "amber", 2*time.Minute - 4*time.Second},
		{"Ruby", "red", 5*time.Minute - 4*time.Second},
	} {
		tok := agentToken(t, s, admin, c.name, "support")
		tb := br.newTab(c.name, clockShift(c.ahead))
		tb.navigate(s.base + "/inbox")
		evalJS[bool](tb, fmt.Sprintf(`(localStorage.setItem("switchboard.inbox.token", %s), true)`, jsq(tok)))
		tb.navigate(s.base + "/inbox")
		tb.waitJS("signed in", tid("me-name")+`.textContent.trim() !== ""`, describe(`document.body`))
		tb.click("the page (unlocks the sound)", `document.getElementById("live")`)
		tb.waitJS("the sound unlocked", `!(`+visible(tid("sound-hint"))+`)`, describe(tid("sound-hint")))
		tabs = append(tabs, agentTab{tb, c.level})
	}
	openRequest(t, s, "is anyone there")
	for _, at := range tabs {
		at.tb.waitJS("the ring on the offer", audioJS+`.dataset.plays >= 1`, `JSON.stringify(`+ringStateJS+`)`)
		at.tb.waitJS("one more ring when the wait turns "+at.level, fmt.Sprintf(`%s.dataset.reason === %s`, audioJS, jsq(at.level)),
			audioJS+`.dataset.reason + " " + JSON.stringify(`+ringStateJS+`)`)
	}
	// Still offered, still online: the ring repeats (every 15 s).
	tabs[0].tb.waitJS("the ring to repeat", audioJS+`.dataset.reason === "repeat" && `+audioJS+`.dataset.ringing === "true"`,
		audioJS+`.dataset.reason + " " + JSON.stringify(`+ringStateJS+`)`)
	for _, at := range tabs {
		at.tb.close()
	}
}
