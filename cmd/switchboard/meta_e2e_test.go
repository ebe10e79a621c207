package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/meta"
)

// fakeGraph is a Graph API stand-in: it records every send and answers
// with sequential message ids.
type fakeGraph struct {
	t     *testing.T
	token string
	mu    sync.Mutex
	sends []graphSend
}

type graphSend struct {
	Method, Path, Auth string
	Body               map[string]any
	ID                 string
}

func newFakeGraph(t *testing.T, token string) (*fakeGraph, *httptest.Server) {
	f := &fakeGraph{t: t, token: token}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if r.Method == http.MethodGet { // a profile look-up: no name given
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":%q}`, strings.TrimPrefix(r.URL.Path, "/"))
			return
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("fake graph: body is not JSON: %q", raw)
		}
		f.mu.Lock()
		id := fmt.Sprintf("wamid.out%d", len(f.sends)+1)
		f.sends = append(f.sends, graphSend{r.Method, r.URL.Path, r.Header.Get("Authorization"), body, id})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		// The answers of WhatsApp's /messages and of the Send API in one.
		to := fmt.Sprint(body["to"])
		json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp",
			"contacts": []any{map[string]any{"input": to, "wa_id": to}}, "messages": []any{map[string]any{"id": id}}, "message_id": id})
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

// find returns the first send whose text contains sub.
func (f *fakeGraph) find(sub string) (graphSend, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sends {
		if txt, _ := s.Body["text"].(map[string]any); txt != nil && strings.Contains(fmt.Sprint(txt["body"]), sub) {
			return s, true
		}
	}
	return graphSend{}, false
}

// TestWhatsAppEndToEnd: a signed WhatsApp webhook → the bot's reply goes
// out through the (fake) Graph API → "talk to a person" → a request in
// the panel with channel and name → accept → the agent's reply reaches the
// Graph API with the right JSON → status callbacks move its delivery to
// delivered, then read, and a late "delivered" leaves it read.
func TestWhatsAppEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			const token, secret, verify = "EAA-e2e-token", "e2e-app-secret", "e2e-verify"
			graph, gsrv := newFakeGraph(t, token)
			s := startServerWith(t, b, t.TempDir(), fmt.Sprintf(`channels:
  - {id: web, type: widget}
  - {id: wa, type: whatsapp, phone_number_id: "1122334455", access_token: %q, app_secret: %q, verify_token: %q, graph_url: %q}
`, token, secret, verify, gsrv.URL+"/v21.0"))
			walkWhatsApp(t, s, graph, token, secret, verify)
		})
	}
}

func walkWhatsApp(t *testing.T, s *server, graph *fakeGraph, token, secret, verify string) {
	post := func(body string, sig string) response {
		t.Helper()
		req, err := http.NewRequest("POST", s.base+"/webhooks/wa", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set(meta.SignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return response{status: resp.StatusCode, raw: string(raw)}
	}
	signed := func(body string) response {
		t.Helper()
		return post(body, meta.Sign([]byte(secret), []byte(body)))
	}
	envelope := func(value string) string {
		return `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"1122334455"},` + value + `}}]}]}`
	}
	inbound := func(wamid, text string) string {
		return envelope(fmt.Sprintf(`"contacts":[{"profile":{"name":"Walter White"},"wa_id":"4915112345678"}],"messages":[{"from":"4915112345678","id":%q,"timestamp":"1700000000","type":"text","text":{"body":%q}}]`, wamid, text))
	}
	statusBody := func(id, st string) string {
		return envelope(fmt.Sprintf(`"statuses":[{"id":%q,"status":%q,"timestamp":"1700000100","recipient_id":"4915112345678"}]`, id, st))
	}

	// Meta's verification handshake.
	hs := s.call("GET", "/webhooks/wa?hub.mode=subscribe&hub.verify_token="+verify+"&hub.challenge=31337", "", nil)
	if hs.status != 200 || hs.raw != "31337" || !strings.HasPrefix(hs.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("handshake: %d %q %q", hs.status, hs.raw, hs.header.Get("Content-Type"))
	}
	if hs := s.call("GET", "/webhooks/wa?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", "", nil); hs.status != 403 {
		t.Fatalf("handshake with a wrong token: %d", hs.status)
	}

	// Bad bodies are refused and store nothing.
	first := inbound("wamid.in1", "Hello, where is my parcel?")
	if r := post(first, ""); r.status != 401 {
		t.Fatalf("unsigned: %d %s", r.status, r.raw)
	}
	if r := post(first, meta.Sign([]byte("wrong"), []byte(first))); r.status != 401 {
		t.Fatalf("wrongly signed: %d %s", r.status, r.raw)
	}
	if r := signed(`{"object":`); r.status != 400 {
		t.Fatalf("malformed JSON: %d %s", r.status, r.raw)
	}
	if r := s.call("POST", "/webhooks/nope", "", first); r.status != 404 {
		t.Fatalf("unknown channel: %d %s", r.status, r.raw)
	}

	// The customer writes; the bot answers on WhatsApp, from the default
	// knowledge base.
	if r := signed(first); r.status != 200 {
		t.Fatalf("webhook: %d %s", r.status, r.raw)
	}
	eventually(t, "the bot's reply at the Graph API", func() bool {
		_, ok := graph.find(orderAnswer)
		return ok
	})
	if r := signed(first); r.status != 200 { // Meta redelivers
		t.Fatalf("redelivery: %d %s", r.status, r.raw)
	}

	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": "jesse@example.com", "name": "Jesse", "password": "secret-pass"})
	agent := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "jesse@example.com", "password": "secret-pass"}), "token")
	s.must(200, "PUT", "/v1/me/status", agent, map[string]any{"online": true})

	// Handoff.
	if r := signed(inbound("wamid.in2", "talk to a person")); r.status != 200 {
		t.Fatalf("handoff webhook: %d %s", r.status, r.raw)
	}
	var req map[string]any
	eventually(t, "the request in the agent's panel", func() bool {
		rs := list(s.must(200, "GET", "/v1/requests", agent, nil), "requests")
		if len(rs) == 1 && rs[0]["offered_to_me"] == true {
			req = rs[0]
			return true
		}
		return false
	})
	got := map[string]string{"channel.id": str(req, "channel", "id"), "channel.type": str(req, "channel", "type"),
		"customer.name": str(req, "customer", "name"), "customer.channel_user_id": str(req, "customer", "channel_user_id"),
		"initial_message": str(req, "initial_message")}
	want := map[string]string{"channel.id": "wa", "channel.type": "whatsapp", "customer.name": "Walter White",
		"customer.channel_user_id": "4915112345678", "initial_message": "Hello, where is my parcel?"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("request %s = %q, want %q", k, got[k], w)
		}
	}

	// Accept and reply.
	acc := s.must(200, "POST", "/v1/requests/"+str(req, "id")+"/accept", agent, nil)
	convID := str(acc, "conversation", "id")
	// The redelivered first message was not stored twice.
	n := 0
	for _, m := range list(s.must(200, "GET", "/v1/conversations/"+convID, agent, nil), "messages") {
		if m["author"] == "customer" && strings.Contains(str(m, "text"), "parcel") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("first customer message stored %d times, want once", n)
	}
	msg := s.must(202, "POST", "/v1/conversations/"+convID+"/messages", agent, map[string]any{"text": "Hi Walter, I'm on it."})
	msgID := str(msg, "message", "id")
	var send graphSend
	eventually(t, "the agent's reply at the Graph API", func() bool {
		var ok bool
		send, ok = graph.find("I'm on it")
		return ok
	})
	wantBody := `{"messaging_product":"whatsapp","recipient_type":"individual","text":{"body":"Hi Walter, I'm on it."},"to":"4915112345678","type":"text"}`
	if gb, _ := json.Marshal(send.Body); send.Method != "POST" || send.Path != "/v21.0/1122334455/messages" ||
		send.Auth != "Bearer "+token || string(gb) != wantBody {
		t.Fatalf("agent reply sent as %s %s auth %q body %s; want POST /v21.0/1122334455/messages, the token, %s", send.Method, send.Path, send.Auth, gb, wantBody)
	}
	delivery := func() string {
		for _, m := range list(s.must(200, "GET", "/v1/conversations/"+convID, agent, nil), "messages") {
			if str(m, "id") == msgID {
				return str(m, "delivery")
			}
		}
		return ""
	}
	eventually(t, "delivery sent", func() bool { return delivery() == "sent" })

	// Status callbacks: delivered, read, then a late delivered.
	for _, step := range []struct{ status, want string }{{"delivered", "delivered"}, {"read", "read"}, {"delivered", "read"}} {
		if r := signed(statusBody(send.ID, step.status)); r.status != 200 {
			t.Fatalf("status %s: %d %s", step.status, r.status, r.raw)
		}
		if d := delivery(); d != step.want {
			t.Fatalf("after status %s: delivery %q, want %q", step.status, d, step.want)
		}
	}
}

// fakeSendAPI is a Graph API stand-in for Messenger and Instagram: the
// User Profile API answers names per path prefix, the Send API records
// every message and answers sequential mids.
type fakeSendAPI struct {
	mu    sync.Mutex
	sends []graphSend
}

func newFakeSendAPI(t *testing.T) (*fakeSendAPI, *httptest.Server) {
	f := &fakeSendAPI{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == "GET" { // User Profile API
			switch {
			case strings.HasPrefix(r.URL.Path, "/fb/") && r.URL.Query().Get("fields") == "first_name,last_name":
				io.WriteString(w, `{"first_name":"Peter","last_name":"Chang"}`)
			case strings.HasPrefix(r.URL.Path, "/ig/") && r.URL.Query().Get("fields") == "name,username":
				io.WriteString(w, `{"username":"joao.silva"}`)
			default:
				w.WriteHeader(400)
				io.WriteString(w, `{"error":{"message":"unknown","code":100}}`)
			}
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("fake send API: body is not JSON: %q", raw)
		}
		f.mu.Lock()
		id := fmt.Sprintf("m_out%d", len(f.sends)+1)
		f.sends = append(f.sends, graphSend{r.Method, r.URL.Path, r.Header.Get("Authorization"), body, id})
		f.mu.Unlock()
		fmt.Fprintf(w, `{"recipient_id":"x","message_id":%q}`, id)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeSendAPI) find(path, sub string) (graphSend, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sends {
		if msg, _ := s.Body["message"].(map[string]any); s.Path == path && msg != nil && strings.Contains(fmt.Sprint(msg["text"]), sub) {
			return s, true
		}
	}
	return graphSend{}, false
}

// TestMessengerInstagramEndToEnd: signed Messenger and Instagram webhooks
// through the real binary → names from the User Profile API → the bot's
// replies on the Send API with each channel's token and RESPONSE →
// handoff → requests in the panel with channel and name → a delivery and
// a read watermark (Messenger) and a read by mid (Instagram) move the bot
// replies' delivery to read. Instagram refuses Messenger's app secret.
func TestMessengerInstagramEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			api, srv := newFakeSendAPI(t)
			s := startServerWith(t, b, t.TempDir(), fmt.Sprintf(`channels:
  - {id: web, type: widget}
  - {id: fb, type: messenger, page_id: "PAGE", page_token: "fb-page-token", app_secret: "fb-secret", verify_token: "v", graph_url: %q}
  - {id: ig, type: instagram, account_id: "IGACC", access_token: "ig-token", app_secret: "ig-secret", verify_token: "v", graph_url: %q}
`, srv.URL+"/fb", srv.URL+"/ig"))
			post := func(ch, secret, body string) int { return s.postMeta(t, ch, secret, body) }
			item := func(object, user, event string) string {
				return `{"object":"` + object + `","entry":[{"id":"PAGE","time":1700000000000,"messaging":[{"sender":{"id":"` + user +
					`"},"recipient":{"id":"PAGE"},"timestamp":1700000000000,` + event + `}]}]}`
			}
			fbMsg := func(mid, text string) string {
				return item("page", "PSID1", `"message":{"mid":"`+mid+`","text":"`+text+`"}`)
			}
			igMsg := func(mid, text string) string {
				return item("instagram", "IGSID1", `"message":{"mid":"`+mid+`","text":"`+text+`"}`)
			}

			if st := post("ig", "fb-secret", igMsg("ig1", "oi")); st != 401 {
				t.Fatalf("instagram body signed with the messenger secret: %d, want 401", st)
			}
			if st := post("fb", "fb-secret", fbMsg("fb1", "Where is my order?")); st != 200 {
				t.Fatalf("messenger webhook: %d", st)
			}
			if st := post("ig", "ig-secret", igMsg("ig1", "Cadê meu pedido?")); st != 200 {
				t.Fatalf("instagram webhook: %d", st)
			}
			var fbBot, igBot graphSend
			eventually(t, "the bot's replies on both Send APIs", func() bool {
				var ok1, ok2 bool
				fbBot, ok1 = api.find("/fb/me/messages", orderAnswer)         // from the knowledge base
				igBot, ok2 = api.find("/ig/me/messages", "virtual assistant") // Portuguese: not in it
				return ok1 && ok2
			})
			for _, c := range []struct {
				send        graphSend
				auth, recip string
			}{{fbBot, "Bearer fb-page-token", "PSID1"}, {igBot, "Bearer ig-token", "IGSID1"}} {
				rec, _ := c.send.Body["recipient"].(map[string]any)
				if c.send.Auth != c.auth || rec["id"] != c.recip || c.send.Body["messaging_type"] != "RESPONSE" {
					t.Errorf("bot reply %s: auth %q body %v", c.send.Path, c.send.Auth, c.send.Body)
				}
			}

			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			s.must(200, "PUT", "/v1/me/status", admin, map[string]any{"online": true})
			post("fb", "fb-secret", fbMsg("fb2", "talk to a person"))
			post("ig", "ig-secret", igMsg("ig2", "talk to a person"))
			var reqs []map[string]any
			eventually(t, "both requests in the panel", func() bool {
				reqs = list(s.must(200, "GET", "/v1/requests", admin, nil), "requests")
				return len(reqs) == 2
			})
			got := map[string]string{}
			convs := map[string]string{}
			for _, r := range reqs {
				got[str(r, "channel", "id")+"/"+str(r, "channel", "type")] = str(r, "customer", "name")
				convs[str(r, "channel", "id")] = str(r, "conversation_id")
			}
			if got["fb/messenger"] != "Peter Chang" || got["ig/instagram"] != "joao.silva" {
				t.Fatalf("requests: %v, want Peter Chang on fb/messenger and joao.silva on ig/instagram", got)
			}

			delivery := func(conv string) string { // of the bot's first reply in conv
				for _, m := range list(s.must(200, "GET", "/v1/conversations/"+conv, admin, nil), "messages") {
					if m["author"] == "bot" {
						return str(m, "delivery")
					}
				}
				return ""
			}
			eventually(t, "bot replies sent", func() bool {
				return delivery(convs["fb"]) == "sent" && delivery(convs["ig"]) == "sent"
			})
			post("fb", "fb-secret", item("page", "PSID1", `"delivery":{"mids":["`+fbBot.ID+`"],"watermark":1700000000000}`))
			if d := delivery(convs["fb"]); d != "delivered" {
				t.Fatalf("messenger delivery: %q, want delivered", d)
			}
			future := time.Now().Add(time.Minute).UnixMilli()
			post("fb", "fb-secret", item("page", "PSID1", fmt.Sprintf(`"read":{"watermark":%d}`, future)))
			if d := delivery(convs["fb"]); d != "read" {
				t.Fatalf("messenger read watermark: %q, want read", d)
			}
			post("ig", "ig-secret", item("instagram", "IGSID1", `"read":{"mid":"`+igBot.ID+`"}`))
			if d := delivery(convs["ig"]); d != "read" {
				t.Fatalf("instagram read: %q, want read", d)
			}
		})
	}
}

// postMeta posts a webhook body to channel ch signed with secret as Meta
// signs its webhooks (X-Hub-Signature-256), and returns the status.
func (s *server) postMeta(t *testing.T, ch, secret, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/webhooks/"+ch, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(meta.SignatureHeader, meta.Sign([]byte(secret), []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
