package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
)

// until reads the stream's events up to the first one of typ for which
// match holds, and returns every event read (that one last).
func (st *stream) until(typ string, match func(sseEvent) bool) []sseEvent {
	st.t.Helper()
	deadline := time.After(10 * time.Second)
	var seen []sseEvent
	for {
		select {
		case ev, ok := <-st.events:
			if !ok {
				st.t.Fatalf("stream ended waiting for %s", typ)
			}
			seen = append(seen, ev)
			if ev.typ == typ && match(ev) {
				return seen
			}
		case <-deadline:
			st.t.Fatalf("no matching %s event within 10 s; saw %d others", typ, len(seen))
		}
	}
}

// noteWord is in every note of the workspace test, and nowhere else.
const noteWord = "zebra42"

// TestAgentWorkspaceEndToEnd walks the agent's workspace over HTTP on a
// gateway with a widget, a Telegram and a WhatsApp channel (fake Bot and
// Graph APIs): private notes never reaching a visitor route, stream or
// provider; typing both ways and the providers' indicators; unread counts
// cleared across tabs; "Seen" both ways; the queue for offline agents
// with its preview; an agent's own name.
func TestAgentWorkspaceEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			const waToken, waSecret = "EAA-ws-token", "ws-app-secret"
			fake := telegramtest.New(t)
			graph, gsrv := newFakeGraph(t, waToken)
			s := startServerWith(t, b, t.TempDir(), fmt.Sprintf(`channels:
  - {id: web, type: widget}
  - {id: tg, type: telegram, bot_token: %q, secret_token: %q, api_url: %q}
  - {id: wa, type: whatsapp, phone_number_id: "1122334455", access_token: %q, app_secret: %q, verify_token: "v", graph_url: %q}
`, fake.Token, tgSecret, fake.URL(), waToken, waSecret, gsrv.URL+"/v21.0"))
			w := newWorkspace(t, s)
			t.Run("notes", func(t *testing.T) { w.notes(t) })
			t.Run("notes never reach a provider", func(t *testing.T) { w.providerNotes(t, fake, graph, waToken, waSecret) })
			t.Run("typing", func(t *testing.T) { w.typing(t) })
			t.Run("unread and seen", func(t *testing.T) { w.unread(t) })
			t.Run("queue, preview and rows", func(t *testing.T) { w.queue(t) })
			t.Run("names", func(t *testing.T) { w.names(t) })
		})
	}
}

// workspace is the state the steps share: Alice handles Dana's widget
// conversation; Bob is online too.
type workspace struct {
	s                  *server
	admin, alice, bob  string
	aliceID, bobID     string
	vtok, convID       string
	visitorID, secret  string
	aliceTab, visitorS *stream
	tgConv, waConv     string
}

func newWorkspace(t *testing.T, s *server) *workspace {
	t.Helper()
	w := &workspace{s: s}
	w.admin = str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	w.alice, w.bob = agentOnline(t, s, w.admin, "Alice"), agentOnline(t, s, w.admin, "Bob")
	w.aliceID, w.bobID = str(s.must(200, "GET", "/v1/me", w.alice, nil), "id"), str(s.must(200, "GET", "/v1/me", w.bob, nil), "id")
	sess := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Dana"})
	w.vtok, w.visitorID, w.secret = str(sess, "token"), str(sess, "visitor_id"), str(sess, "visitor_secret")
	w.aliceTab = follow(t, s, "/v1/events", w.alice, "")
	w.visitorS = follow(t, s, "/v1/widget/events", w.vtok, "")
	reqID := str(s.must(202, "POST", "/v1/widget/handoff", w.vtok, map[string]any{"text": "I need a person"}), "request", "id")
	eventually(t, "the request offered to Alice", func() bool {
		r := s.call("GET", "/v1/requests/"+reqID, w.alice, nil) // 403 until it is routed
		return r.status == 200 && r.body["offered_to_me"] == true
	})
	w.convID = str(s.must(200, "POST", "/v1/requests/"+reqID+"/accept", w.alice, nil), "conversation", "id")
	return w
}

func (w *workspace) messages(t *testing.T, token, convID string) []map[string]any {
	t.Helper()
	return list(w.s.must(200, "GET", "/v1/conversations/"+convID, token, nil), "messages")
}

// hasNote reports whether an answer or event shows a note.
func hasNote(raw string) bool {
	return strings.Contains(raw, noteWord) || strings.Contains(raw, `"author":"note"`)
}

func (w *workspace) notes(t *testing.T) {
	s := w.s
	before := len(w.messages(t, w.alice, w.convID))
	bad := []struct {
		name, token, conv string
		body              any
		status            int
		code              string
	}{
		{"empty", w.alice, w.convID, map[string]any{"text": ""}, 400, "invalid_request"},
		{"blank", w.alice, w.convID, map[string]any{"text": " \n\t "}, 400, "invalid_request"},
		{"too long", w.alice, w.convID, map[string]any{"text": strings.Repeat("n", 4001) + noteWord}, 400, "invalid_request"},
		{"control characters", w.alice, w.convID, map[string]any{"text": "a\x00" + noteWord}, 400, "invalid_request"},
		{"not an object", w.alice, w.convID, `["` + noteWord + `"]`, 400, "invalid_request"},
		{"no body", w.alice, w.convID, nil, 400, "invalid_request"},
		{"not Bob's conversation", w.bob, w.convID, map[string]any{"text": noteWord}, 403, "forbidden"},
		{"unknown conversation", w.alice, "no-such-conversation", map[string]any{"text": noteWord}, 404, "not_found"},
		{"a visitor token", w.vtok, w.convID, map[string]any{"text": noteWord}, 401, "unauthorized"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			s.wantError(tc.status, tc.code, "POST", "/v1/conversations/"+tc.conv+"/notes", tc.token, tc.body)
			if n := len(w.messages(t, w.alice, w.convID)); n != before {
				t.Fatalf("%d messages after a refused note, want %d", n, before)
			}
		})
	}

	note := s.must(201, "POST", "/v1/conversations/"+w.convID+"/notes", w.alice,
		map[string]any{"text": "VIP: refund approved by finance " + noteWord})
	noteID := str(note, "message", "id")
	if str(note, "message", "author") != "note" || str(note, "message", "agent_id") != w.aliceID || note["message"].(map[string]any)["delivery"] != nil {
		t.Fatalf("note %v", note)
	}
	if ev := w.aliceTab.until("message.created", func(e sseEvent) bool { return e.data["id"] == noteID }); len(ev) == 0 {
		t.Fatal("no note on Alice's stream")
	}
	// An admin may add one to Alice's conversation too; Alice hears it.
	adminNote := str(s.must(201, "POST", "/v1/conversations/"+w.convID+"/notes", w.admin,
		map[string]any{"text": "checked by the admin " + noteWord}), "message", "id")
	w.aliceTab.until("message.created", func(e sseEvent) bool { return e.data["id"] == adminNote })

	// Agents read them in the thread and find them in the history.
	notes := 0
	for _, m := range w.messages(t, w.alice, w.convID) {
		if m["author"] == "note" {
			notes++
		}
	}
	if notes != 2 {
		t.Fatalf("%d notes in the thread, want 2", notes)
	}
	for _, tok := range []string{w.alice, w.admin} {
		found := list(s.must(200, "GET", "/v1/conversations?status=all&q="+noteWord, tok, nil), "conversations")
		if len(found) != 1 || str(found[0], "id") != w.convID {
			t.Fatalf("history search for the note's word: %v", found)
		}
	}

	// Every visitor route: no note, no note id.
	first := list(s.must(200, "GET", "/v1/widget/messages", w.vtok, nil), "messages")[0]
	visitor := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"poll", "GET", "/v1/widget/messages", nil, 200},
		{"poll after the first message", "GET", "/v1/widget/messages?after=" + str(first, "id"), nil, 200},
		{"poll after the note", "GET", "/v1/widget/messages?after=" + noteID, nil, 200},
		{"returning session", "POST", "/v1/widget/sessions", map[string]any{"visitor_id": w.visitorID, "visitor_secret": w.secret}, 201},
		{"write", "POST", "/v1/widget/messages", map[string]any{"text": "are you there?"}, 202},
		{"handoff again", "POST", "/v1/widget/handoff", nil, 202},
		{"page", "PUT", "/v1/widget/page", map[string]any{"page_url": "https://shop.example/orders"}, 204},
		{"typing", "PUT", "/v1/widget/typing", map[string]any{"typing": true}, 204},
		{"read up to the note", "POST", "/v1/widget/read", map[string]any{"up_to": noteID}, 400},
	}
	for _, tc := range visitor {
		t.Run("visitor "+tc.name, func(t *testing.T) {
			r := s.call(tc.method, tc.path, w.vtok, tc.body)
			if r.status != tc.status {
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, r.status, tc.status, r.raw)
			}
			if hasNote(r.raw) || strings.Contains(r.raw, noteID) {
				t.Fatalf("%s %s shows a note: %s", tc.method, tc.path, r.raw)
			}
		})
	}

	// The visitor's stream, live and replayed from its first event, up to
	// a message Alice wrote after the notes.
	marker := str(s.must(202, "POST", "/v1/conversations/"+w.convID+"/messages", w.alice,
		map[string]any{"text": "after the notes"}), "message", "id")
	live := w.visitorS.until("message.created", func(e sseEvent) bool { return e.data["id"] == marker })
	replay := follow(t, s, "/v1/widget/events", w.vtok, live[0].id).until("message.created",
		func(e sseEvent) bool { return e.data["id"] == marker })
	for _, evs := range [][]sseEvent{live, replay} {
		for _, e := range evs {
			raw, _ := json.Marshal(e.data)
			if hasNote(string(raw)) || strings.Contains(string(raw), noteID) {
				t.Fatalf("visitor event %s shows a note: %s", e.typ, raw)
			}
		}
	}
}

// providerNotes: a note in a Telegram and in a WhatsApp conversation is
// sent to nobody, while the agent's next message is.
func (w *workspace) providerNotes(t *testing.T, fake *telegramtest.Fake, graph *fakeGraph, waToken, waSecret string) {
	s := w.s
	if st := tgPost(t, s, tgSecret, tgText(1, 1, "talk to a person")); st != 200 {
		t.Fatalf("telegram handoff: %d", st)
	}
	waBody := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"1122334455"},` +
		`"contacts":[{"profile":{"name":"Walter White"},"wa_id":"4915112345678"}],"messages":[{"from":"4915112345678","id":"wamid.ws1","timestamp":"1700000000","type":"text","text":{"body":"talk to a person"}}]}}]}]}`
	if r := w.waPost(t, waBody, waSecret); r != 200 {
		t.Fatalf("whatsapp handoff: %d", r)
	}
	for _, ch := range []string{"tg", "wa"} {
		var reqID string
		eventually(t, "the "+ch+" request offered to Alice", func() bool {
			for _, r := range list(s.must(200, "GET", "/v1/requests", w.alice, nil), "requests") {
				if str(r, "channel", "id") == ch {
					reqID = str(r, "id")
				}
			}
			return reqID != ""
		})
		conv := str(s.must(200, "POST", "/v1/requests/"+reqID+"/accept", w.alice, nil), "conversation", "id")
		if ch == "tg" {
			w.tgConv = conv
		} else {
			w.waConv = conv
		}
		s.must(201, "POST", "/v1/conversations/"+conv+"/notes", w.alice, map[string]any{"text": "private " + noteWord})
		s.must(202, "POST", "/v1/conversations/"+conv+"/messages", w.alice, map[string]any{"text": "after the note on " + ch})
	}
	tgWaitSent(t, fake, "after the note on tg")
	eventually(t, "the WhatsApp reply sent", func() bool { _, ok := graph.find("after the note on wa"); return ok })
	for _, c := range fake.Calls("sendMessage") {
		if strings.Contains(c.Params.Get("text"), noteWord) {
			t.Fatalf("Telegram sent a note: %v", c.Params)
		}
	}
	if send, ok := graph.find(noteWord); ok {
		t.Fatalf("WhatsApp sent a note: %v", send)
	}

	// The agent's typing reaches both providers: sendChatAction, and the
	// typing indicator with the read mark of the customer's message.
	s.must(204, "PUT", "/v1/conversations/"+w.tgConv+"/typing", w.alice, map[string]any{"typing": true})
	call := fake.Wait(t, "sendChatAction", 10*time.Second)
	if call.Path != "/bot"+fake.Token+"/sendChatAction" || call.Params.Get("chat_id") != "5550123" || call.Params.Get("action") != "typing" {
		t.Fatalf("sendChatAction %s %v", call.Path, call.Params)
	}
	s.must(204, "PUT", "/v1/conversations/"+w.waConv+"/typing", w.alice, map[string]any{"typing": true})
	var typing graphSend
	eventually(t, "the WhatsApp typing indicator", func() bool {
		graph.mu.Lock()
		defer graph.mu.Unlock()
		for _, g := range graph.sends {
			if g.Body["typing_indicator"] != nil {
				typing = g
				return true
			}
		}
		return false
	})
	if typing.Path != "/v21.0/1122334455/messages" || typing.Auth != "Bearer "+waToken || typing.Body["status"] != "read" ||
		typing.Body["message_id"] != "wamid.ws1" || typing.Body["messaging_product"] != "whatsapp" ||
		fmt.Sprint(typing.Body["typing_indicator"]) != "map[type:text]" {
		t.Fatalf("typing indicator %+v", typing)
	}
}

// waPost posts a webhook body signed with the app secret.
func (w *workspace) waPost(t *testing.T, body, secret string) int {
	t.Helper()
	req, err := http.NewRequest("POST", w.s.base+"/webhooks/wa", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(meta.SignatureHeader, meta.Sign([]byte(secret), []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func (w *workspace) typing(t *testing.T) {
	s := w.s
	// The visitor types: Alice hears it; Bob does not.
	bobTab := follow(t, s, "/v1/events", w.bob, "")
	s.must(204, "PUT", "/v1/widget/typing", w.vtok, map[string]any{"typing": true})
	ev := w.aliceTab.until("typing", func(e sseEvent) bool { return e.data["conversation_id"] == w.convID })
	if got := ev[len(ev)-1].data; got["who"] != "customer" || got["typing"] != true || got["customer_name"] != "Dana" {
		t.Fatalf("Alice's typing event %v", got)
	}
	s.must(204, "PUT", "/v1/widget/typing", w.vtok, map[string]any{"typing": false})
	w.aliceTab.until("typing", func(e sseEvent) bool { return e.data["conversation_id"] == w.convID && e.data["typing"] == false })

	// Alice types: the visitor sees her name.
	s.must(204, "PUT", "/v1/conversations/"+w.convID+"/typing", w.alice, map[string]any{"typing": true})
	ev = w.visitorS.until("typing", func(sseEvent) bool { return true })
	if got := ev[len(ev)-1].data; got["who"] != "agent" || got["agent_name"] != "Alice" || got["typing"] != true {
		t.Fatalf("visitor's typing event %v", got)
	}

	bad := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"visitor: no typing", "PUT", "/v1/widget/typing", w.vtok, map[string]any{}, 400, "invalid_request"},
		{"visitor: not a bool", "PUT", "/v1/widget/typing", w.vtok, map[string]any{"typing": "yes"}, 400, "invalid_request"},
		{"visitor: no token", "PUT", "/v1/widget/typing", "", map[string]any{"typing": true}, 401, "unauthorized"},
		{"visitor: an agent token", "PUT", "/v1/widget/typing", w.alice, map[string]any{"typing": true}, 401, "unauthorized"},
		{"agent: not assigned", "PUT", "/v1/conversations/" + w.convID + "/typing", w.bob, map[string]any{"typing": true}, 403, "forbidden"},
		{"agent: unknown conversation", "PUT", "/v1/conversations/nope/typing", w.alice, map[string]any{"typing": true}, 404, "not_found"},
		{"agent: no typing", "PUT", "/v1/conversations/" + w.convID + "/typing", w.alice, map[string]any{"typing": nil}, 400, "invalid_request"},
		{"agent: a visitor token", "PUT", "/v1/conversations/" + w.convID + "/typing", w.vtok, map[string]any{"typing": true}, 401, "unauthorized"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) { s.wantError(tc.status, tc.code, tc.method, tc.path, tc.token, tc.body) })
	}
	// Bob heard no typing of Alice's conversation: the next event on his
	// stream after a marker (his own status) is the marker.
	s.must(200, "PUT", "/v1/me/status", w.bob, map[string]any{"online": true})
	for _, e := range bobTab.until("agent.updated", func(sseEvent) bool { return true }) {
		if e.typ == "typing" {
			t.Fatalf("Bob got a typing event: %v", e.data)
		}
	}
}

// unreadOf is the conversation's unread_count in the agent's list.
func (w *workspace) unreadOf(t *testing.T, token, convID string) (float64, map[string]any) {
	t.Helper()
	for _, c := range list(w.s.must(200, "GET", "/v1/conversations?status=all", token, nil), "conversations") {
		if str(c, "id") == convID {
			n, ok := c["unread_count"].(float64)
			if !ok {
				t.Fatalf("conversation row without unread_count: %v", c)
			}
			return n, c
		}
	}
	t.Fatalf("conversation %s not in the list", convID)
	return 0, nil
}

func (w *workspace) unread(t *testing.T) {
	s := w.s
	s.must(200, "GET", "/v1/conversations/"+w.convID, w.alice, nil) // read so far
	if n, _ := w.unreadOf(t, w.alice, w.convID); n != 0 {
		t.Fatalf("unread after opening: %v", n)
	}
	tab2 := follow(t, s, "/v1/events", w.alice, "")
	for _, text := range []string{"one more thing", "my order is 4711"} {
		s.must(202, "POST", "/v1/widget/messages", w.vtok, map[string]any{"text": text})
	}
	n, row := w.unreadOf(t, w.alice, w.convID)
	if n != 2 || str(row, "last_message", "text") != "my order is 4711" || str(row, "last_message", "author") != "customer" {
		t.Fatalf("row after two customer messages: unread %v, last %v", n, row["last_message"])
	}
	// An admin opening it, or Bob marking it, clears nothing.
	s.must(200, "GET", "/v1/conversations/"+w.convID, w.admin, nil)
	s.wantError(403, "forbidden", "POST", "/v1/conversations/"+w.convID+"/read", w.bob, nil)
	if n, _ := w.unreadOf(t, w.alice, w.convID); n != 2 {
		t.Fatalf("unread after the admin looked: %v", n)
	}

	// Alice opens it (one tab): every tab hears, the visitor sees "Seen".
	s.must(200, "GET", "/v1/conversations/"+w.convID, w.alice, nil)
	read := tab2.until("conversation.read", func(e sseEvent) bool { return e.data["conversation_id"] == w.convID })
	upTo := str(read[len(read)-1].data, "up_to")
	if read[len(read)-1].data["unread_count"] != float64(0) || upTo == "" {
		t.Fatalf("conversation.read %v", read[len(read)-1].data)
	}
	if n, _ := w.unreadOf(t, w.alice, w.convID); n != 0 {
		t.Fatalf("unread after opening: %v", n)
	}
	seen := w.visitorS.until("read", func(e sseEvent) bool { return e.data["up_to"] == upTo })
	if got := seen[len(seen)-1].data; got["who"] != "agent" || got["conversation_id"] != w.convID {
		t.Fatalf("visitor's read event %v", got)
	}
	if poll := s.must(200, "GET", "/v1/widget/messages", w.vtok, nil); poll["seen_up_to"] != upTo || poll["seen_at"] == nil {
		t.Fatalf("poll's seen_up_to %v, want %s", poll["seen_up_to"], upTo)
	}

	// A tab showing it marks it read as messages arrive.
	s.must(202, "POST", "/v1/widget/messages", w.vtok, map[string]any{"text": "thanks"})
	if n, _ := w.unreadOf(t, w.alice, w.convID); n != 1 {
		t.Fatalf("unread after one more: %v", n)
	}
	if c := s.must(200, "POST", "/v1/conversations/"+w.convID+"/read", w.alice, nil); c["unread_count"] != float64(0) {
		t.Fatalf("POST read answered %v", c)
	}
	s.wantError(404, "not_found", "POST", "/v1/conversations/nope/read", w.alice, nil)

	// The widget displayed Alice's reply: it turns read for Alice.
	reply := str(s.must(202, "POST", "/v1/conversations/"+w.convID+"/messages", w.alice, map[string]any{"text": "On its way."}), "message", "id")
	w.aliceTab.until("message.updated", func(e sseEvent) bool { return e.data["id"] == reply && e.data["delivery"] == "sent" })
	s.must(204, "POST", "/v1/widget/read", w.vtok, map[string]any{"up_to": reply})
	w.aliceTab.until("message.updated", func(e sseEvent) bool { return e.data["id"] == reply && e.data["delivery"] == "read" })
	other := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Mallory"})
	otherMsg := str(s.must(202, "POST", "/v1/widget/messages", str(other, "token"), map[string]any{"text": "hi"}), "message", "id")
	for name, body := range map[string]any{
		"no up_to": map[string]any{}, "unknown": map[string]any{"up_to": "01a00000-0000-7000-8000-000000000000"},
		"another visitor's": map[string]any{"up_to": otherMsg}, "not text": map[string]any{"up_to": 7},
	} {
		t.Run("read: "+name, func(t *testing.T) { s.wantError(400, "invalid_request", "POST", "/v1/widget/read", w.vtok, body) })
	}
}

func (w *workspace) queue(t *testing.T) {
	s := w.s
	s.must(201, "POST", "/v1/admin/agents", w.admin, map[string]any{"email": "carol@example.com", "name": "Carol", "password": "secret-pass"})
	carol := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "carol@example.com", "password": "secret-pass"}), "token")
	v := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{}), "token")
	s.must(202, "POST", "/v1/widget/messages", v, map[string]any{"text": "do you ship to Norway?"})
	reqID := str(s.must(202, "POST", "/v1/widget/handoff", v, map[string]any{"text": "a person please"}), "request", "id")

	// Offline, Carol sees the queue, and the transcript so far.
	var card map[string]any
	for _, r := range list(s.must(200, "GET", "/v1/requests", carol, nil), "requests") {
		if str(r, "id") == reqID {
			card = r
		}
	}
	if card == nil || card["offered_to_me"] != false {
		t.Fatalf("offline Carol's panel: %v", card)
	}
	if tag := str(card, "customer", "visitor_tag"); len(tag) != 4 || str(card, "customer", "name") != "Anonymous Visitor" {
		t.Fatalf("anonymous customer %v", card["customer"])
	}
	var texts []string
	for _, m := range list(s.must(200, "GET", "/v1/requests/"+reqID+"/messages", carol, nil), "messages") {
		texts = append(texts, str(m, "author")+": "+str(m, "text"))
	}
	if !strings.Contains(strings.Join(texts, "\n"), "customer: do you ship to Norway?") {
		t.Fatalf("preview %q", texts)
	}
	s.wantError(409, "agent_offline", "POST", "/v1/requests/"+reqID+"/accept", carol, nil)
	s.wantError(404, "not_found", "GET", "/v1/requests/nope/messages", carol, nil)
	s.wantError(401, "unauthorized", "GET", "/v1/requests/"+reqID+"/messages", v, nil)

	// Online and offered nothing (the request was routed before), she
	// sees her own panel again.
	s.must(200, "PUT", "/v1/me/status", carol, map[string]any{"online": true})
	eventually(t, "the request offered to Carol once online", func() bool {
		r := s.call("GET", "/v1/requests/"+reqID, carol, nil) // 403 between the status change and the re-offer
		return r.status == 200 && r.body["offered_to_me"] == true
	})
	s.must(200, "POST", "/v1/requests/"+reqID+"/accept", carol, nil)

	// The rows of the waiting and active conversations carry the newest
	// message and the visitor's tag.
	_, row := w.unreadOf(t, w.admin, w.convID)
	if str(row, "last_message", "text") == "" || len(str(row, "customer", "visitor_tag")) != 4 {
		t.Fatalf("row %v", row)
	}
}

func (w *workspace) names(t *testing.T) {
	s := w.s
	for name, body := range map[string]any{
		"empty": map[string]any{"name": ""}, "blank": map[string]any{"name": "   "}, "missing": map[string]any{},
		"control": map[string]any{"name": "Al\x1bice"}, "too long": map[string]any{"name": strings.Repeat("a", 101)},
		"not text": map[string]any{"name": 5},
	} {
		t.Run("me: "+name, func(t *testing.T) { s.wantError(400, "invalid_request", "PATCH", "/v1/me", w.alice, body) })
	}
	if me := s.must(200, "GET", "/v1/me", w.alice, nil); me["name"] != "Alice" {
		t.Fatalf("name after refused changes: %v", me["name"])
	}
	if me := s.must(200, "PATCH", "/v1/me", w.alice, map[string]any{"name": "Alice Liddell"}); me["name"] != "Alice Liddell" {
		t.Fatalf("PATCH /v1/me: %v", me)
	}
	w.aliceTab.until("agent.updated", func(e sseEvent) bool { return e.data["name"] == "Alice Liddell" })
	if poll := s.must(200, "GET", "/v1/widget/messages", w.vtok, nil); poll["agent_name"] != "Alice Liddell" {
		t.Fatalf("the visitor reads %v", poll["agent_name"])
	}
	s.wantError(401, "unauthorized", "PATCH", "/v1/me", w.vtok, map[string]any{"name": "Eve"})

	// An admin edits, resets and deactivates Bob.
	if a := s.must(200, "PATCH", "/v1/admin/agents/"+w.bobID, w.admin, map[string]any{"name": "Robert"}); a["name"] != "Robert" {
		t.Fatalf("admin rename: %v", a)
	}
	s.wantError(403, "forbidden", "PATCH", "/v1/admin/agents/"+w.aliceID, w.bob, map[string]any{"name": "Mallory"})
	s.must(200, "PATCH", "/v1/admin/agents/"+w.bobID, w.admin, map[string]any{"password": "a-new-secret-9"})
	s.wantError(401, "unauthorized", "GET", "/v1/me", w.bob, nil)
	bob := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "bob@example.com", "password": "a-new-secret-9"}), "token")
	if a := s.must(200, "PATCH", "/v1/admin/agents/"+w.bobID, w.admin, map[string]any{"active": false}); a["active"] != false {
		t.Fatalf("deactivate: %v", a)
	}
	s.wantError(401, "unauthorized", "GET", "/v1/me", bob, nil)
	s.wantError(401, "unauthorized", "POST", "/v1/auth/login", "", map[string]any{"email": "bob@example.com", "password": "a-new-secret-9"})
}

// TestWorkspaceFlood: one visitor's typing and read reports stop at their
// default limits (limits.widget.typing_per_visitor, reads_per_visitor)
// with 429 and Retry-After, as the other widget routes do.
func TestWorkspaceFlood(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServerConf(t, b, t.TempDir(), behindIngress, "")
			h := send(t, s.base, "POST", "/v1/widget/sessions", "", map[string]any{}, from("198.51.100.7"))
			tok := str(h.body, "token")
			msg := send(t, s.base, "POST", "/v1/widget/messages", tok, map[string]any{"text": "hello"}, from("198.51.100.7"))
			upTo := str(msg.body, "message", "id")
			floods := []struct {
				name, method, path string
				body               any
			}{
				{"typing", "PUT", "/v1/widget/typing", map[string]any{"typing": true}},
				{"reads", "POST", "/v1/widget/read", map[string]any{"up_to": upTo}},
			}
			for _, f := range floods {
				t.Run(f.name, func(t *testing.T) {
					start := time.Now()
					c := tally(t, 100, func(int) hit { return send(t, s.base, f.method, f.path, tok, f.body, from("198.51.100.7")) })
					if most := 60 + refilled(time.Since(start), 60, time.Minute); c[204] < 60 || c[204] > most || c[429] != 100-c[204] {
						t.Errorf("100 %s of one visitor: %v; want 60 taken (%d at most), the rest 429", f.name, c, most)
					}
					if r := send(t, s.base, f.method, f.path, tok, f.body, from("198.51.100.7")); r.status != 429 || r.retryAfter == "" || r.code != "rate_limited" {
						t.Errorf("after the flood: %d %s, Retry-After %q", r.status, r.code, r.retryAfter)
					}
				})
			}
		})
	}
}
