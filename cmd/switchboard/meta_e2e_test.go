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
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("fake graph: body is not JSON: %q", raw)
		}
		f.mu.Lock()
		id := fmt.Sprintf("wamid.out%d", len(f.sends)+1)
		f.sends = append(f.sends, graphSend{r.Method, r.URL.Path, r.Header.Get("Authorization"), body, id})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":%q}]}`, body["to"], body["to"], id)
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

	// The customer writes; the bot answers on WhatsApp.
	if r := signed(first); r.status != 200 {
		t.Fatalf("webhook: %d %s", r.status, r.raw)
	}
	eventually(t, "the bot's reply at the Graph API", func() bool {
		_, ok := graph.find("virtual assistant")
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
