package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBrowser is the README flow in real browsers: a visitor in the demo
// page's widget and an agent in the inbox, each in their own browser
// context, from "Talk to a person" to finding the conversation in history.
// Customer-written markup must show as text in both, and no script it
// carries may run. It runs on every backend: the pages are the same, but
// the live events reach them through the embedded bus or through Redis.
func TestBrowser(t *testing.T) {
	findChromium(t)
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b, t.TempDir())
			br := startBrowser(t)
			browserFlow(t, s, br, *readmeScreenshots && b.name == "embedded")
		})
	}
}

const (
	xssText       = `<img src=x onerror=alert(1)> my order is late`
	agentName     = "Sarah Lee"
	agentEmail    = "sarah@example.com"
	agentPassword = "sarah-password-1"
)

// visible is a JavaScript predicate: the element exists and is rendered.
func visible(elemExpr string) string {
	return fmt.Sprintf(`((el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden")(%s)`, elemExpr)
}

// describe is a JavaScript expression that prints an element (for failures).
func describe(elemExpr string) string {
	return fmt.Sprintf(`((el) => el ? el.outerHTML.slice(0, 1500) : "element not found")(%s)`, elemExpr)
}

// widgetMessages lists the widget's messages as {author, id, text, imgs}.
const widgetMessagesJS = `[...document.querySelector('#switchboard-widget').shadowRoot.querySelectorAll('[data-sb=message]')]
  .map(m => ({author: m.dataset.author, id: m.dataset.id || "", text: m.textContent, imgs: m.querySelectorAll('img').length}))`

// chatMessagesJS lists the inbox chat view's messages.
const chatMessagesJS = `[...document.querySelectorAll('[data-testid=chat] [data-testid=message]')]
  .map(m => ({author: m.dataset.author, id: m.dataset.id || "", text: m.textContent, delivery: m.dataset.delivery || "",
    imgs: m.querySelectorAll('img').length}))`

type pageMessage struct {
	Author, ID, Text, Delivery string
	Imgs                       int
}

// requestJS finds the inbox request whose initial message contains text.
func requestJS(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('[data-testid=request]')].find(r =>
  (r.querySelector('[data-testid=request-message]')?.textContent || "").includes(%s))`, jsq(text))
}

// requestByID is the inbox request element with that id.
func requestByID(id string) string {
	return fmt.Sprintf(`document.querySelector('[data-testid=request][data-id=%s]')`, jsq(id))
}

// requestFieldsJS reads what the request panel shows about one request.
func requestFieldsJS(elemExpr string) string {
	return fmt.Sprintf(`((r) => { const q = (id) => r.querySelector('[data-testid="' + id + '"]');
  const txt = (id) => q(id) ? q(id).textContent.trim() : null;
  const page = q('request-page');
  return {id: r.dataset.id || "", name: txt('request-name'), message: txt('request-message'), channel: txt('request-channel'),
    wait: txt('request-wait'), level: q('request-wait')?.dataset.level || "", badge: txt('request-badge'),
    page: page ? page.textContent + " " + [...page.querySelectorAll('a')].map(a => a.href).join(" ") : null,
    imgs: r.querySelectorAll('img').length, bold: r.querySelectorAll('b').length,
    accept: !!q('request-accept'), decline: !!q('request-decline')}; })(%s)`, elemExpr)
}

type requestView struct {
	ID, Name, Message, Channel, Wait, Level, Badge string
	Page                                           *string
	Imgs, Bold                                     int
	Accept, Decline                                bool
}

var waitClockRE = regexp.MustCompile(`^\d+:\d\d$`)

func browserFlow(t *testing.T, s *server, br *browser, readme bool) {
	demoURL := s.base + "/widget/demo"

	// An agent, created by the admin over the API.
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	agentID := str(s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{
		"email": agentEmail, "name": agentName, "password": agentPassword, "roles": []string{"support"}, "max_chats": 5}), "id")

	// --- The agent logs in to the inbox and goes online.
	agent := br.newTab("agent")
	agent.navigate(s.base + "/inbox")
	agent.waitJS("the login form", visible(tid("login-form")), describe(`document.body`))
	agent.typeInto("the e-mail field", tid("login-email"), agentEmail)
	agent.typeInto("the password field", tid("login-password"), "wrong-password")
	agent.click("the login button", tid("login-submit"))
	agent.waitJS("the login error", visible(tid("login-error"))+` && `+tid("login-error")+`.textContent.trim() !== ""`, describe(tid("login-form")))
	agent.fill("the password field", tid("login-password"), agentPassword)
	agent.press(keyEnter)
	agent.waitJS("the agent's name in the header", visible(tid("me-name"))+` && `+tid("me-name")+`.textContent.includes(`+jsq(agentName)+`)`,
		describe(tid("login-error")))
	if tok := evalJS[string](agent, `localStorage.getItem("switchboard.inbox.token") || ""`); tok == "" {
		t.Error(`the inbox keeps no token in localStorage["switchboard.inbox.token"]`)
	}
	if evalJS[bool](agent, visible(tid("tab-admin"))) {
		t.Error("a non-admin agent sees the admin tab")
	}
	if evalJS[string](agent, tid("status-toggle")+`.getAttribute("aria-pressed")`) != "true" {
		agent.click("the status toggle", tid("status-toggle"))
	}
	agent.waitJS("the toggle to show online", tid("status-toggle")+`.getAttribute("aria-pressed") === "true"`, describe(tid("status-toggle")))
	eventually(t, "the server to see the agent online", func() bool {
		for _, a := range list(s.must(200, "GET", "/v1/admin/agents", admin, nil), "agents") {
			if str(a, "id") == agentID {
				return a["online"] == true
			}
		}
		return false
	})
	agent.waitJS("the empty request panel", visible(tid("requests-empty")), describe(tid("requests")))

	// --- A visitor on the demo page: the widget holds against its CSS.
	visitor := br.newTab("visitor")
	visitor.navigate(demoURL)
	visitor.waitJS("the widget's session", `document.querySelector('#switchboard-widget')?.getAttribute('data-sb-ready') === '1'`,
		describe(`document.querySelector('#switchboard-widget')`))
	checkWidgetIsolation(t, visitor)
	visitor.shot("demo-page")

	launcher := sb("[data-sb=launcher]")
	panel := sb("[data-sb=panel]")
	input := sb("[data-sb=input]")
	status := sb("[data-sb=status]")
	host := `document.querySelector('#switchboard-widget')`
	visitor.click("the chat bubble", launcher)
	visitor.waitJS("the panel to open", visible(panel)+` && `+launcher+`.getAttribute('aria-expanded') === 'true'`, describe(launcher))
	a11y := evalJS[map[string]string](visitor, fmt.Sprintf(`({role: %[1]s.getAttribute('role') || "", label: %[1]s.getAttribute('aria-label') || "",
  logRole: %[2]s.getAttribute('role') || "", live: %[2]s.getAttribute('aria-live') || "", greeting: %[3]s?.textContent.trim() || ""})`,
		panel, sb("[data-sb=messages]"), sb("[data-sb=greeting]")))
	for k, want := range map[string]string{"role": "dialog", "logRole": "log", "live": "polite"} {
		if a11y[k] != want {
			t.Errorf("widget %s = %q, want %q", k, a11y[k], want)
		}
	}
	if a11y["label"] == "" || a11y["greeting"] == "" {
		t.Errorf("widget panel aria-label %q, greeting %q: want both", a11y["label"], a11y["greeting"])
	}
	visitor.waitJS("the greeting", visible(sb("[data-sb=greeting]")), describe(panel))
	// Escape closes the panel; the bubble opens it again.
	visitor.waitJS("the input to have the focus", `document.querySelector('#switchboard-widget').shadowRoot.activeElement === `+input, "")
	visitor.press(keyEscape)
	visitor.waitJS("Escape to close the panel", `!(`+visible(panel)+`) && `+launcher+`.getAttribute('aria-expanded') === 'false'`, describe(panel))
	visitor.click("the chat bubble", launcher)
	visitor.waitJS("the panel to open again", visible(panel), describe(panel))

	// The visitor browses to the help page (a hash route of the demo); the
	// widget reports the page it is on.
	visitor.click("the Help & docs link", `document.querySelector('nav a[href="#/docs"]')`)
	visitor.waitJS("the help page", `location.hash === "#/docs"`, `location.href`)

	// --- The visitor writes markup; the bot answers.
	visitor.typeInto("the widget input", input, xssText+"\r")
	visitor.waitJS("the visitor's message", fmt.Sprintf(`%s.some(m => m.author === "customer" && m.text.includes(%s) && m.id)`, widgetMessagesJS, jsq(xssText)),
		widgetMessagesJS+`.map(m => m.author + ": " + m.text).join(" | ")`)
	visitor.waitJS("the bot's answer", widgetMessagesJS+`.some(m => m.author === "bot")`, widgetMessagesJS+`.map(m => m.author + ": " + m.text).join(" | ")`)
	checkNoMarkup(t, "widget", pollJS[[]pageMessage](visitor, "the messages", widgetMessagesJS, ""), xssText)
	visitor.shot("bot-answer")

	// --- "Talk to a person": the visitor sees the queue position and ETA.
	visitor.click("Talk to a person", sb("[data-sb=handoff]"))
	// The position comes at once, the ETA with the next read of the thread.
	visitor.waitJS("the queue position and ETA", host+`.getAttribute('data-sb-status') === 'waiting' && /\b1\b/.test(`+status+`.textContent)
  && /\d+\s*(min|minute|h|hour)|less than a minute/i.test(`+status+`.textContent)`,
		describe(status)+` + " status=" + `+host+`.getAttribute('data-sb-status')`)
	if evalJS[bool](visitor, visible(sb("[data-sb=handoff]"))+` && !`+sb("[data-sb=handoff]")+`.disabled`) {
		t.Error(`"Talk to a person" is still offered while waiting`)
	}
	visitor.shot("waiting")

	// --- The request reaches the agent with its context.
	reqEl := requestJS("my order is late")
	agent.waitJS("the visitor's request in the panel", reqEl, describe(tid("requests")))
	req := pollJS[requestView](agent, "the request's fields", requestFieldsJS(reqEl), "")
	pageShown := ""
	if req.Page != nil {
		pageShown = *req.Page
	}
	checks := []struct{ what, got, want string }{
		{"name", req.Name, "Anonymous Visitor"},
		{"channel", req.Channel, "widget"},
		{"badge", req.Badge, "New"},
		{"wait level", req.Level, "normal"},
	}
	for _, c := range checks {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("request %s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if !strings.Contains(req.Message, xssText) || req.Imgs != 0 {
		t.Errorf("request message = %q with %d <img>, want the literal text %q", req.Message, req.Imgs, xssText)
	}
	if !strings.Contains(pageShown, demoURL+"#/docs") {
		t.Errorf("request page = %q, want the page the visitor is on, %s#/docs", pageShown, demoURL)
	}
	if !waitClockRE.MatchString(req.Wait) || !req.Accept || !req.Decline {
		t.Errorf("request wait %q (want m:ss), accept %v, decline %v", req.Wait, req.Accept, req.Decline)
	}
	agent.waitJS("the wait timer to tick", fmt.Sprintf(`%s.querySelector('[data-testid=request-wait]').textContent.trim() !== %s`, requestByID(req.ID), jsq(req.Wait)), "")
	agentTok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": agentEmail, "password": agentPassword}), "token")
	if reqs := list(s.must(200, "GET", "/v1/requests", agentTok, nil), "requests"); len(reqs) != 1 || str(reqs[0], "id") != req.ID {
		t.Errorf("panel shows request %q; the API lists %v", req.ID, reqs)
	}

	// A customer named with markup shows the markup as text.
	bold := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "<b>x</b>", "page_url": "https://shop.example/b"})
	btok := str(bold, "token")
	s.must(202, "POST", "/v1/widget/messages", btok, map[string]any{"text": "question from the bold visitor"})
	s.must(202, "POST", "/v1/widget/handoff", btok, nil)
	boldEl := requestJS("question from the bold visitor")
	agent.waitJS("the second request", boldEl, describe(tid("requests")))
	if bv := pollJS[requestView](agent, "the second request's fields", requestFieldsJS(boldEl), ""); bv.Name != "<b>x</b>" || bv.Bold != 0 {
		t.Errorf("request name shows %q with %d <b> elements, want the literal text <b>x</b>", bv.Name, bv.Bold)
	}
	agent.shot("requests")
	// That customer is served and resolved over the API (history needs a
	// named customer to find); the request leaves the panel live.
	boldReq := pollJS[string](agent, "the second request's id", boldEl+`.dataset.id`, "")
	boldConv := str(s.must(200, "POST", "/v1/requests/"+boldReq+"/accept", agentTok, nil), "conversation", "id")
	s.must(200, "POST", "/v1/conversations/"+boldConv+"/resolve", agentTok, nil)
	agent.waitJS("the request accepted elsewhere to leave the panel", `!`+requestByID(boldReq), describe(tid("requests")))

	// --- Wait colours follow the page clock: 3 minutes on is amber, 6 red.
	for _, c := range []struct {
		shift  time.Duration
		level  string
		prefix string
	}{{3 * time.Minute, "amber", "3:"}, {6 * time.Minute, "red", "6:"}} {
		later := br.newTab(fmt.Sprintf("agent+%v", c.shift), sameStorageAs(agent), clockShift(c.shift))
		later.navigate(s.base + "/inbox")
		wait := requestByID(req.ID) + `.querySelector('[data-testid=request-wait]')`
		later.waitJS(c.level+" wait level", fmt.Sprintf(`%s.dataset.level === %s && %s.textContent.trim().startsWith(%s)`, wait, jsq(c.level), wait, jsq(c.prefix)),
			describe(wait))
		later.shot("wait-" + c.level)
		later.close()
	}
	if lvl := evalJS[string](agent, requestByID(req.ID)+`.querySelector('[data-testid=request-wait]').dataset.level`); lvl != "normal" {
		t.Errorf("the real-time tab's wait level = %q, want normal", lvl)
	}

	// Another customer keeps waiting while the agent chats.
	dana := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Dana Scully", "page_url": "https://shop.example/#/product/3"}), "token")
	s.must(202, "POST", "/v1/widget/messages", dana, map[string]any{"text": "Can I still change the delivery address?"})
	s.must(202, "POST", "/v1/widget/handoff", dana, nil)
	agent.waitJS("Dana's request", requestJS("change the delivery address"), describe(tid("requests")))

	// --- The agent accepts; both sides see it.
	agent.click("Accept", requestByID(req.ID)+`.querySelector('[data-testid=request-accept]')`)
	chat := tid("chat")
	convID := pollJS[string](agent, "the chat view", visible(chat)+` && `+chat+`.dataset.id`, describe(chat))
	agent.waitJS("the customer's name in the chat", tid("chat-customer")+`.textContent.includes("Anonymous Visitor")`, describe(tid("chat-customer")))
	agent.waitJS("the accepted request to leave the panel", `!`+requestByID(req.ID), describe(tid("requests")))
	agent.waitJS("the conversation in the active list", fmt.Sprintf(`document.querySelector('[data-testid=conversations] [data-testid=conversation][data-id=%s]')`, jsq(convID)),
		describe(tid("conversations")))
	if got := str(s.must(200, "GET", "/v1/conversations/"+convID, admin, nil), "conversation", "agent_id"); got != agentID {
		t.Errorf("conversation %s is assigned to %q, want %s", convID, got, agentID)
	}
	visitor.waitJS("the agent joined", host+`.getAttribute('data-sb-status') === 'active' && `+status+`.textContent.includes(`+jsq("Chatting with "+agentName)+`)`,
		describe(status))
	// "joined" is said once, by the system message in the thread, not again
	// by the status line.
	joinedJS := `document.querySelector('#switchboard-widget').shadowRoot.textContent.split(` + jsq(agentName+" joined") + `).length - 1`
	if n := pollJS[float64](visitor, "the joined message", joinedJS+` > 0 && `+joinedJS, widgetMessagesJS); n != 1 {
		t.Errorf("the widget says %q %v times, want once", agentName+" joined", n)
	}
	if evalJS[bool](visitor, visible(sb("[data-sb=handoff]"))+` && !`+sb("[data-sb=handoff]")+`.disabled`) {
		t.Error(`"Talk to a person" is still offered after the agent joined`)
	}
	checkNoMarkup(t, "inbox chat", pollJS[[]pageMessage](agent, "the chat messages", chatMessagesJS+`.length && `+chatMessagesJS, ""), xssText)

	// --- Messages both ways, live; a template through the picker.
	const firstReply = "Thanks for waiting, I'm checking your order now."
	agent.typeInto("the chat input", tid("chat-input"), firstReply)
	agent.click("Send", tid("chat-send"))
	visitor.waitJS("the agent's message in the widget", fmt.Sprintf(`%s.some(m => m.author === "agent" && m.text === %s)`, widgetMessagesJS, jsq(firstReply)),
		widgetMessagesJS+`.map(m => m.author + ": " + m.text).join(" | ")`)

	agent.typeInto("the chat input", tid("chat-input"), "/hi")
	agent.waitJS("the template picker", visible(tid("template-picker"))+` && `+tid("template-picker")+`.querySelector('[data-testid=template-option][data-name=opening]')`,
		describe(tid("template-picker")))
	agent.press(keyEnter)
	agent.waitJS("the template in the input", tid("chat-input")+`.value.includes("looking into this for you") && !(`+visible(tid("template-picker"))+`)`,
		tid("chat-input")+`.value`)
	agent.click("Send", tid("chat-send"))
	const filled = "Hi there, I'm " + agentName + " and I'm looking into this for you."
	visitor.waitJS("the template message in the widget", fmt.Sprintf(`%s.some(m => m.author === "agent" && m.text === %s)`, widgetMessagesJS, jsq(filled)),
		widgetMessagesJS+`.map(m => m.author + ": " + m.text).join(" | ")`)

	const customerReply = "Thank you! It was order 1042."
	visitor.typeInto("the widget input", input, customerReply+"\r")
	agent.waitJS("the visitor's reply in the chat", fmt.Sprintf(`%s.some(m => m.author === "customer" && m.text.includes(%s))`, chatMessagesJS, jsq(customerReply)),
		chatMessagesJS+`.map(m => m.author + ": " + m.text).join(" | ")`)
	eventually(t, "the server to record both agent messages as sent", func() bool {
		sent := 0
		for _, m := range list(s.must(200, "GET", "/v1/conversations/"+convID, admin, nil), "messages") {
			if m["author"] == "agent" && m["delivery"] != "queued" {
				sent++
			}
		}
		return sent == 2
	})
	agentMsgs := chatMessagesJS + `.filter(m => m.author === "agent")`
	// The visitor's open widget shows both, so both end up read.
	agent.waitJS("each agent message marked read, live", agentMsgs+`.length === 2 && `+agentMsgs+`.every(m => m.delivery === "read")`,
		chatMessagesJS+`.map(m => m.author + "/" + m.delivery + ": " + m.text).join(" | ")`)
	// After a reload the agent is still signed in, the conversation opens
	// from the list, and the marks show the server's delivery state.
	agent.navigate(s.base + "/inbox")
	agent.waitJS("the agent still signed in after a reload", tid("me-name")+`.textContent.includes(`+jsq(agentName)+`)`, describe(`document.body`))
	// Dana's request, still waiting, is drawn above the list once the panel
	// has loaded: a click aimed at the list before that lands on her card.
	agent.waitJS("Dana's request after the reload", requestJS("change the delivery address"), describe(tid("requests")))
	agent.click("the conversation in the list", fmt.Sprintf(`document.querySelector('[data-testid=conversations] [data-testid=conversation][data-id=%s]')`, jsq(convID)))
	agent.waitJS("the conversation with its delivery marks", visible(chat)+` && `+chat+`.dataset.id === `+jsq(convID)+` && `+agentMsgs+`.length === 2 && `+
		agentMsgs+`.every(m => m.delivery === "read")`, `"chat " + (`+chat+`?.dataset.id || "none") + " visible " + (`+visible(chat)+`) + ": " + `+
		chatMessagesJS+`.map(m => m.author + "/" + m.delivery + ": " + m.text).join(" | ") + " notice: " + (`+tid("notice")+`?.textContent || "")`)
	visitor.shot("chatting")
	agent.shot("chatting")
	if readme {
		agent.waitJS("the toasts to fade (README image)", `!(`+visible(tid("notice"))+`)`, describe(tid("notice")))
		visitor.click("the Shop link (README image)", `document.querySelector('nav a[href="#/"]')`)
		visitor.waitJS("the shop's home page", `location.hash === "#/"`, `location.href`)
		visitor.writeREADMEShot("widget.png")
		agent.writeREADMEShot("inbox.png")
	}

	// --- The agent resolves; the visitor sees the end.
	agent.click("Resolve", tid("chat-resolve"))
	visitor.waitJS("the ended status", host+`.getAttribute('data-sb-status') === 'resolved' && /ended/i.test(`+status+`.textContent)`, describe(status))
	if got := str(s.must(200, "GET", "/v1/conversations/"+convID, admin, nil), "conversation", "status"); got != "resolved" {
		t.Errorf("conversation status after Resolve = %q", got)
	}
	visitor.shot("ended")

	// --- History: by keyword, not by an unrelated word, by customer name.
	// (Anonymous visitors have no stored name, so the name search is made
	// for the named customer.)
	agent.click("the History tab", tid("tab-history"))
	agent.waitJS("the history form", visible(tid("history-form")), describe(`document.body`))
	resultFor := func(id string) string {
		return fmt.Sprintf(`document.querySelector('[data-testid=history-result][data-id=%s]')`, jsq(id))
	}
	result := resultFor(convID)
	results := tidAll("history-result") + `.map(r => r.dataset.id + ": " + r.textContent.trim().slice(0, 80)).join(" | ")`
	agent.fill("the keyword field", tid("history-q"), "late")
	agent.click("Search", tid("history-submit"))
	agent.waitJS("the conversation found by keyword", result, results)
	agent.fill("the keyword field", tid("history-q"), "zebra")
	agent.click("Search", tid("history-submit"))
	agent.waitJS("no result for an unrelated keyword", `!`+result, results)
	agent.fill("the keyword field", tid("history-q"), "")
	agent.fill("the customer field", tid("history-customer"), "<b>x")
	agent.click("Search", tid("history-submit"))
	agent.waitJS("the named customer's conversation found by name", resultFor(boldConv), results)
	if got := evalJS[map[string]any](agent, fmt.Sprintf(`((r) => ({text: r.textContent, bold: r.querySelectorAll('b').length}))(%s)`, resultFor(boldConv))); !strings.Contains(fmt.Sprint(got["text"]), "<b>x</b>") || got["bold"] != float64(0) {
		t.Errorf("history result for <b>x</b>: %v, want the name as literal text", got)
	}
	agent.shot("history")
	agent.fill("the customer field", tid("history-customer"), "")
	agent.fill("the keyword field", tid("history-q"), "late")
	agent.click("Search", tid("history-submit"))
	agent.click("the history result", result)
	agent.waitJS("the resolved conversation read-only", fmt.Sprintf(`%s && %s.dataset.id === %s && %s.some(m => m.text.includes(%s))
  && (%s.disabled || !(%s))`, visible(chat), chat, jsq(convID), chatMessagesJS, jsq(customerReply), tid("chat-send"), visible(tid("chat-send"))),
		describe(chat))
	checkNoMarkup(t, "inbox history", pollJS[[]pageMessage](agent, "the history messages", chatMessagesJS+`.length && `+chatMessagesJS, ""), xssText)

	// --- The visitor comes back another day (a new tab keeps the visitor id).
	agent.click("the Inbox tab", tid("tab-inbox"))
	back := br.newTab("returning visitor", sameStorageAs(visitor))
	back.navigate(demoURL)
	back.waitJS("the widget's session", host+`?.getAttribute('data-sb-ready') === '1'`, describe(host))
	back.click("the chat bubble", launcher)
	back.typeInto("the widget input", input, "Back again about order 1042\r")
	back.waitJS("the message to be stored", widgetMessagesJS+`.some(m => m.author === "customer" && m.id && m.text.includes("Back again"))`, "")
	back.click("Talk to a person", sb("[data-sb=handoff]"))
	back.waitJS("the waiting status", host+`.getAttribute('data-sb-status') === 'waiting'`, describe(status)+` + " notice: " + `+describe(sb("[data-sb=notice]")))
	var backReq map[string]any
	eventually(t, "the returning visitor's request offered to the agent (API)", func() bool {
		for _, r := range list(s.must(200, "GET", "/v1/requests", agentTok, nil), "requests") {
			if strings.Contains(str(r, "initial_message"), "Back again") && r["offered_to_me"] == true {
				backReq = r
				return true
			}
		}
		return false
	})
	if c, _ := backReq["customer"].(map[string]any); c == nil || c["returning"] != true {
		t.Errorf("API: the returning visitor's request has customer %v, want returning", backReq["customer"])
	}
	backEl := requestJS("Back again about order 1042")
	agent.waitJS("the returning visitor's request in the panel (the API lists "+str(backReq, "id")+")", backEl,
		tidAll("request")+`.map(r => r.dataset.id + ": " + r.textContent.replace(/\s+/g, " ").trim().slice(0, 120)).join(" | ")`)
	if rv := pollJS[requestView](agent, "the returning request's fields", requestFieldsJS(backEl), ""); rv.Badge != "Returning" {
		t.Errorf("returning visitor's badge = %q, want Returning", rv.Badge)
	}
	agent.shot("returning")

	// --- Stats match the API's figures.
	agent.click("the Stats tab", tid("tab-stats"))
	stats := s.must(200, "GET", "/v1/stats", agentTok, nil)
	for _, c := range []struct{ id, key string }{
		{"stat-resolved-total", "resolved_total"}, {"stat-resolved-today", "resolved_today"}, {"stat-active", "active"}} {
		want := fmt.Sprint(stats[c.key])
		agent.waitJS(c.id+" = "+want, visible(tid(c.id))+` && `+tid(c.id)+`.textContent.trim() === `+jsq(want), describe(tid("stats")))
	}
	if stats["resolved_total"] != float64(2) {
		t.Errorf("API stats resolved_total = %v, want 2", stats["resolved_total"])
	}
	agent.shot("stats")

	// --- Logging out forgets the token and shows the login form.
	agent.click("Log out", tid("logout"))
	agent.waitJS("the login form after logging out", visible(tid("login-form"))+` && !localStorage.getItem("switchboard.inbox.token")`, describe(`document.body`))

	for _, tb := range []*tab{agent, visitor, back} {
		tb.checkClean()
	}
}

// checkWidgetIsolation: the demo page's hostile global CSS reaches the
// page but not the widget, and the launcher is labelled and collapsed.
func checkWidgetIsolation(t *testing.T, visitor *tab) {
	t.Helper()
	st := evalJS[map[string]string](visitor, fmt.Sprintf(`(() => {
  const host = document.querySelector('#switchboard-widget'), l = %s, hs = getComputedStyle(host), ls = getComputedStyle(l);
  const r = l.getBoundingClientRect();
  return {pageFont: getComputedStyle(document.querySelector('h1') || document.body).fontFamily,
    font: ls.fontFamily, color: ls.color, transform: ls.textTransform, border: ls.borderTopStyle,
    hostDisplay: hs.display, hostOpacity: hs.opacity, hostTransform: hs.transform,
    size: Math.round(r.width) + "x" + Math.round(r.height), inView: String(r.right <= innerWidth && r.bottom <= innerHeight && r.width > 0),
    label: l.getAttribute('aria-label') || "", expanded: l.getAttribute('aria-expanded') || "",
    panel: String(%s)};
})()`, sb("[data-sb=launcher]"), visible(sb("[data-sb=panel]"))))
	if !strings.Contains(st["pageFont"], "Georgia") {
		t.Fatalf("the demo page's hostile CSS is not in force (page font %q): the isolation checks would prove nothing", st["pageFont"])
	}
	serif := regexp.MustCompile(`(?i)georgia|times|courier`)
	bad := []struct {
		what string
		bad  bool
	}{
		{"launcher font " + st["font"], serif.MatchString(st["font"])},
		{"launcher colour " + st["color"], st["color"] == "rgb(204, 0, 0)"},
		{"launcher text-transform " + st["transform"], st["transform"] == "uppercase"},
		{"launcher border " + st["border"], st["border"] == "dashed"},
		{"host display " + st["hostDisplay"], st["hostDisplay"] == "none"},
		{"host opacity " + st["hostOpacity"], st["hostOpacity"] != "1"},
		{"host transform " + st["hostTransform"], st["hostTransform"] != "none"},
		{"launcher size " + st["size"] + " in view " + st["inView"], st["inView"] != "true" || st["size"] == "0x0"},
		{"launcher aria-label " + st["label"], st["label"] == ""},
		{"launcher aria-expanded " + st["expanded"], st["expanded"] != "false"},
		{"panel visible before a click: " + st["panel"], st["panel"] != "false"},
	}
	for _, b := range bad {
		if b.bad {
			t.Errorf("widget: %s (the page's CSS leaked in or the widget misbehaves)", b.what)
		}
	}
}

// checkNoMarkup: the message carrying markup shows it as text and made no
// element.
func checkNoMarkup(t *testing.T, where string, msgs []pageMessage, text string) {
	t.Helper()
	for _, m := range msgs {
		if m.Imgs != 0 {
			t.Errorf("%s: message %q contains %d <img> elements", where, m.Text, m.Imgs)
		}
		if strings.Contains(m.Text, text) {
			return
		}
	}
	t.Errorf("%s: no message shows the literal text %q; messages: %+v", where, text, msgs)
}
