package main

import (
	"strings"
	"testing"
	"time"
)

// ended waits for the stream to end and returns the events it delivered
// meanwhile.
func (st *stream) ended() []sseEvent {
	st.t.Helper()
	var got []sseEvent
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-st.events:
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-deadline:
			st.t.Fatalf("the stream is still open after 10 s; it delivered %d events", len(got))
		}
	}
}

// revokers are the gateways a revocation is made through: the one the
// streams follow, and with PostgreSQL and Redis a second one, so that the
// revocation has to cross the bus.
func revokers(t *testing.T, b backend, s *server) []*server {
	t.Helper()
	if b.dbURL == "" {
		return []*server{s}
	}
	return []*server{s, startServer(t, b, t.TempDir())}
}

// TestRevocationEndToEnd performs the attacks of item 7 through the HTTP
// API: an event stream opened before logout, before a password reset by
// PATCH, before a deactivation, each ends (on every gateway) and delivers
// no customer message after it; the old tokens are refused, and the
// deactivated agent can neither log in nor be put online.
func TestRevocationEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b, t.TempDir())
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			alice := agentOnline(t, s, admin, "Alice")
			aliceID := str(s.must(200, "GET", "/v1/me", alice, nil), "id")
			gws := revokers(t, b, s)
			via := gws[len(gws)-1] // where the revocations are made
			login := func(pw string) string {
				t.Helper()
				return str(via.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "alice@example.com", "password": pw}), "token")
			}

			// Logout.
			st := follow(t, s, "/v1/events", alice, "")
			vtok := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Dana Scully"}), "token")
			s.must(202, "POST", "/v1/widget/messages", vtok, map[string]any{"text": "where is my parcel"})
			s.must(202, "POST", "/v1/widget/handoff", vtok, nil)
			st.next("request.created")
			via.must(204, "POST", "/v1/auth/logout", alice, nil)
			s.must(202, "POST", "/v1/widget/messages", vtok, map[string]any{"text": "my card ends in 4242"})
			for _, ev := range st.ended() {
				if strings.Contains(str(ev.data, "text"), "4242") || strings.Contains(str(ev.data, "initial_message"), "4242") {
					t.Fatalf("the stream delivered %s %v after the logout", ev.typ, ev.data)
				}
			}
			eventually(t, "the logged-out token refused on every gateway", func() bool {
				for _, g := range gws {
					if g.call("GET", "/v1/me", alice, nil).status != 401 {
						return false
					}
				}
				return true
			})

			// A password reset by an admin.
			tok := login("secret-pass")
			st = follow(t, s, "/v1/events", tok, "")
			via.must(200, "PATCH", "/v1/admin/agents/"+aliceID, admin, map[string]any{"password": "a-new-secret-pass"})
			st.ended()
			eventually(t, "the token from before the reset refused", func() bool { return s.call("GET", "/v1/me", tok, nil).status == 401 })
			via.wantError(401, "unauthorized", "POST", "/v1/auth/login", "", map[string]any{"email": "alice@example.com", "password": "secret-pass"})

			// A deactivation.
			tok = login("a-new-secret-pass")
			st = follow(t, s, "/v1/events", tok, "")
			got := via.must(200, "PATCH", "/v1/admin/agents/"+aliceID, admin, map[string]any{"active": false})
			if got["active"] != false || got["online"] != false {
				t.Fatalf("deactivated agent: %v", got)
			}
			st.ended()
			eventually(t, "the deactivated agent's token refused", func() bool { return s.call("GET", "/v1/me", tok, nil).status == 401 })
			via.wantError(401, "unauthorized", "POST", "/v1/auth/login", "", map[string]any{"email": "alice@example.com", "password": "a-new-secret-pass"})
			via.wantError(400, "invalid_request", "PATCH", "/v1/admin/agents/"+aliceID, admin, map[string]any{"online": true})
			var listed map[string]any
			for _, a := range list(s.must(200, "GET", "/v1/admin/agents", admin, nil), "agents") {
				if str(a, "id") == aliceID {
					listed = a
				}
			}
			if listed["active"] != false || listed["online"] != false {
				t.Fatalf("the agents list shows %v", listed)
			}
			for _, a := range list(s.must(200, "GET", "/v1/admin/agents", admin, nil), "agents") {
				if str(a, "id") != aliceID && a["active"] != true {
					t.Errorf("agent %v: want active", a)
				}
			}
			got = via.must(200, "PATCH", "/v1/admin/agents/"+aliceID, admin, map[string]any{"active": true})
			if got["active"] != true {
				t.Fatalf("reactivated agent: %v", got)
			}
			login("a-new-secret-pass")
		})
	}
}

// TestVisitorIDIsNoLoginEndToEnd performs the attack of item 8 through
// the API: an agent copies a customer's channel_user_id from the request
// panel and starts a widget session with it. They get a visitor of their
// own: no token of the customer, no read of the customer's conversation,
// no rename. The customer, with the visitor_secret their browser kept,
// returns to their conversation.
func TestVisitorIDIsNoLoginEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b, t.TempDir())
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			mallory := agentOnline(t, s, admin, "Mallory")

			sess := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Dana Scully"})
			vtok, secret := str(sess, "token"), str(sess, "visitor_secret")
			s.must(202, "POST", "/v1/widget/messages", vtok, map[string]any{"text": "my card ends in 4242"})
			reqID := str(s.must(202, "POST", "/v1/widget/handoff", vtok, nil), "request", "id")
			var leaked string
			eventually(t, "the request in Mallory's panel", func() bool {
				r := s.call("GET", "/v1/requests/"+reqID, mallory, nil)
				leaked = str(r.body, "customer", "channel_user_id")
				return r.status == 200 && leaked != ""
			})
			if leaked != str(sess, "visitor_id") || secret == "" || strings.Contains(secret, leaked) {
				t.Fatalf("channel_user_id %q, session %v", leaked, sess)
			}

			for _, body := range []map[string]any{
				{"visitor_id": leaked, "name": "Hacked"},
				{"visitor_id": leaked, "visitor_secret": "sbs_guess", "name": "Hacked"},
				{"visitor_id": leaked, "visitor_secret": vtok, "name": "Hacked"},
			} {
				got := s.must(201, "POST", "/v1/widget/sessions", "", body)
				if str(got, "visitor_id") == leaked || str(got, "conversation_id") == str(sess, "conversation_id") || got["returning"] != false {
					t.Fatalf("session %v: the attacker is the customer", got)
				}
				for _, m := range list(s.must(200, "GET", "/v1/widget/messages", str(got, "token"), nil), "messages") {
					if strings.Contains(str(m, "text"), "4242") {
						t.Fatalf("the attacker reads %q", str(m, "text"))
					}
				}
			}
			conv := s.must(200, "GET", "/v1/conversations/"+str(sess, "conversation_id"), admin, nil)
			if name := str(conv, "conversation", "customer", "name"); name != "Dana Scully" {
				t.Fatalf("the customer is called %q", name)
			}

			back := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"visitor_id": leaked, "visitor_secret": secret})
			if back["returning"] != true || str(back, "conversation_id") != str(sess, "conversation_id") || str(back, "visitor_secret") != secret {
				t.Fatalf("the returning customer: %v", back)
			}
		})
	}
}

// TestPageURLSecretsEndToEnd performs the attack of item 9 through the
// API: a page URL with ?reset_token=…#access_token=… reaches no agent,
// while the channel's page_url_query_keys and a #/route stay.
func TestPageURLSecretsEndToEnd(t *testing.T) {
	s := startServerWith(t, backend{name: "embedded"}, t.TempDir(), `channels:
  - {id: web, type: widget, page_url_query_keys: [utm_source]}
`)
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	sess := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{
		"page_url": "https://shop.example/account/reset?reset_token=RT-s3cr3t&utm_source=mail#access_token=AT-s3cr3t"})
	if keys, _ := sess["page_url_query_keys"].([]any); len(keys) != 1 || keys[0] != "utm_source" {
		t.Fatalf("page_url_query_keys %v", sess["page_url_query_keys"])
	}
	vtok := str(sess, "token")
	reqID := str(s.must(202, "POST", "/v1/widget/handoff", vtok, map[string]any{"text": "I cannot log in"}), "request", "id")
	if got := str(s.must(200, "GET", "/v1/requests/"+reqID, admin, nil), "page_url"); got != "https://shop.example/account/reset?utm_source=mail" {
		t.Fatalf("request page_url %q", got)
	}
	s.must(204, "PUT", "/v1/widget/page", vtok, map[string]any{"page_url": "https://shop.example/#/orders?code=C-s3cr3t"})
	r := s.call("GET", "/v1/requests/"+reqID, admin, nil)
	if got := str(r.body, "page_url"); got != "https://shop.example/#/orders" || strings.Contains(r.raw, "s3cr3t") {
		t.Fatalf("request after navigation: %s", r.raw)
	}
}

// TestAccountInputEndToEnd performs the small attacks of item 10 through
// the API, on SQLite and PostgreSQL: weak passwords, an e-mail of "@",
// names with NUL and ESC, a duplicate e-mail (whose answer used to carry
// the database's constraint text); and token answers must not be cached.
func TestAccountInputEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b, t.TempDir())
			login := s.call("POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword})
			admin := str(login.body, "token")
			alice := str(s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": "alice@example.com", "name": "Alice",
				"password": "secret-pass"}), "id")
			s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": "bob@example.com", "name": "Bob", "password": "secret-pass"})
			sess := s.call("POST", "/v1/widget/sessions", "", map[string]any{})
			for what, h := range map[string]string{"login": login.header.Get("Cache-Control"), "widget session": sess.header.Get("Cache-Control")} {
				if h != "no-store" {
					t.Errorf("%s answer: Cache-Control %q, want no-store", what, h)
				}
			}

			for _, patch := range []map[string]any{
				{"password": "        "}, {"password": "12345678"}, {"password": "1234567890"}, {"password": "Password123"},
				{"email": "@"}, {"name": "Eve\u0000"}, {"name": "Eve\u001b[31m"},
			} {
				s.wantError(400, "invalid_request", "PATCH", "/v1/admin/agents/"+alice, admin, patch)
			}
			s.wantError(400, "invalid_request", "POST", "/v1/admin/agents", admin,
				map[string]any{"email": "carol@example.com", "name": "Carol", "password": "        "})
			s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "alice@example.com", "password": "secret-pass"})

			for _, r := range []response{
				s.call("PATCH", "/v1/admin/agents/"+alice, admin, map[string]any{"email": "BOB@example.com"}),
				s.call("POST", "/v1/admin/agents", admin, map[string]any{"email": "bob@example.com", "name": "Bob 2", "password": "secret-pass"}),
			} {
				msg := str(r.body, "error", "message")
				if r.status != 400 || msg != "email: bob@example.com is already used by another agent" {
					t.Errorf("duplicate e-mail: %d %s", r.status, r.raw)
				}
				for _, leak := range []string{"constraint", "UNIQUE", "unique", "duplicate key", "23505", "agents"} {
					if strings.Contains(r.raw, leak) {
						t.Errorf("the answer shows the database's text (%q): %s", leak, r.raw)
					}
				}
			}
			named := s.must(200, "PATCH", "/v1/admin/agents/"+alice, admin, map[string]any{"name": "\u202eAlice\u200b"})
			if named["name"] != "Alice" {
				t.Errorf("name with a bidi override and a zero-width space stored as %q", named["name"])
			}
		})
	}
}
