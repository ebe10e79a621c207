package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEndToEnd walks the whole flow of the README over HTTP against the
// real binary: widget → bot → handoff → request in the panel → 12 agents
// race to accept → chat → resolve → history search.
func TestEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b, t.TempDir())
			walkFlow(t, s)
		})
	}
}

// orderAnswer starts the answer of the default knowledge base to "Where is
// my order?" (config.Default).
const orderAnswer = "You can follow your order at"

func walkFlow(t *testing.T, s *server) {
	// Visitor opens the widget on a docs page.
	sess := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Dana Scully", "page_url": "https://shop.example/docs/api"})
	vtok, convID := str(sess, "token"), str(sess, "conversation_id")
	if vtok == "" || convID == "" || str(sess, "visitor_id") == "" || sess["returning"] != false || str(sess, "greeting") == "" {
		t.Fatalf("session: %v", sess)
	}

	// The bot answers from the default knowledge base (the demo shop's).
	s.must(202, "POST", "/v1/widget/messages", vtok, map[string]any{"text": "Where is my order?"})
	eventually(t, "the bot's reply", func() bool {
		for _, m := range list(s.must(200, "GET", "/v1/widget/messages", vtok, nil), "messages") {
			if m["author"] == "bot" && strings.Contains(str(m, "text"), orderAnswer) {
				return true
			}
		}
		return false
	})

	// Admin logs in and adds 12 agents who all go online.
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	var agents []string
	for i := range 12 {
		email := fmt.Sprintf("agent%d@example.com", i)
		s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": email, "name": fmt.Sprintf("Agent %d", i), "password": "secret-pass", "roles": []string{"support"}})
		tok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": "secret-pass"}), "token")
		if me := s.must(200, "PUT", "/v1/me/status", tok, map[string]any{"online": true}); me["online"] != true {
			t.Fatalf("status: %v", me)
		}
		agents = append(agents, tok)
	}

	// "Talk to a person": a request with its context.
	req := s.must(202, "POST", "/v1/widget/handoff", vtok, map[string]any{"text": "talk to a person"})
	reqID := str(req, "request", "id")
	if str(req, "request", "status") != "waiting" {
		t.Fatalf("handoff: %v", req)
	}
	if again := s.must(202, "POST", "/v1/widget/handoff", vtok, nil); str(again, "request", "id") != reqID {
		t.Fatalf("second handoff made another request: %v", again)
	}
	var panel map[string]any
	eventually(t, "the request offered to every agent", func() bool {
		for _, tok := range agents {
			rs := list(s.must(200, "GET", "/v1/requests", tok, nil), "requests")
			if len(rs) != 1 || rs[0]["offered_to_me"] != true {
				return false
			}
			panel = rs[0]
		}
		return true
	})
	checks := map[string]string{
		"customer.name": str(panel, "customer", "name"), "initial_message": str(panel, "initial_message"),
		"channel.id": str(panel, "channel", "id"), "channel.type": str(panel, "channel", "type"),
		"page_url": str(panel, "page_url"), "wait_level": str(panel, "wait_level"), "reason": str(panel, "reason"),
	}
	wants := map[string]string{"customer.name": "Dana Scully", "initial_message": "Where is my order?", "channel.id": "web",
		"channel.type": "widget", "page_url": "https://shop.example/docs/api", "wait_level": "normal", "reason": "customer_asked"}
	for k, want := range wants {
		if checks[k] != want {
			t.Errorf("panel %s = %q, want %q", k, checks[k], want)
		}
	}
	if panel["customer"].(map[string]any)["returning"] != false || panel["queue_position"] != float64(1) {
		t.Errorf("panel: returning/queue_position: %v", panel)
	}
	if wp := s.must(200, "GET", "/v1/widget/messages", vtok, nil); wp["status"] != "waiting" || wp["queue_position"] != float64(1) {
		t.Errorf("visitor poll while waiting: %v", wp)
	}

	// Twelve agents race to accept; exactly one wins.
	codes := make([]int, len(agents))
	bodies := make([]response, len(agents))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, tok := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			bodies[i] = s.call("POST", "/v1/requests/"+reqID+"/accept", tok, nil)
			codes[i] = bodies[i].status
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, c := range codes {
		switch {
		case c == 200 && winner == -1:
			winner = i
		case c == 200:
			t.Fatalf("two accepts won: %d and %d", winner, i)
		case c != 409 || str(bodies[i].body, "error", "code") != "already_accepted":
			t.Fatalf("loser %d: %d %s", i, c, bodies[i].raw)
		}
	}
	if winner < 0 {
		t.Fatalf("no accept won: %v", codes)
	}
	won := bodies[winner].body
	if str(won, "conversation", "status") != "active" || str(won, "request", "status") != "accepted" {
		t.Fatalf("accept: %v", won)
	}
	agent, loser := agents[winner], agents[(winner+1)%len(agents)]
	for _, tok := range []string{loser} {
		if rs := list(s.must(200, "GET", "/v1/requests", tok, nil), "requests"); len(rs) != 0 {
			t.Errorf("accepted request still in another panel: %v", rs)
		}
	}
	eventually(t, "the customer told an agent joined", func() bool {
		wp := s.must(200, "GET", "/v1/widget/messages", vtok, nil)
		for _, m := range list(wp, "messages") {
			if m["author"] == "system" && strings.Contains(str(m, "text"), "joined") {
				return wp["status"] == "active"
			}
		}
		return false
	})

	// They chat: a template with placeholders, then text, then the customer.
	m := s.must(202, "POST", "/v1/conversations/"+convID+"/messages", agent, map[string]any{"template": "/hi"})
	if str(m, "message", "delivery") != "queued" || !strings.HasPrefix(str(m, "message", "text"), "Hi Dana, I'm Agent ") {
		t.Fatalf("template message: %v", m)
	}
	s.wantError(403, "forbidden", "POST", "/v1/conversations/"+convID+"/messages", loser, map[string]any{"text": "hijack"})
	s.wantError(403, "forbidden", "GET", "/v1/conversations/"+convID, loser, nil)
	s.must(202, "POST", "/v1/widget/messages", vtok, map[string]any{"text": "Thanks, order 4711 never arrived"})
	eventually(t, "agent message sent and customer reply visible", func() bool {
		c := s.must(200, "GET", "/v1/conversations/"+convID, agent, nil)
		sent, reply := false, false
		for _, m := range list(c, "messages") {
			sent = sent || (m["author"] == "agent" && m["delivery"] == "sent")
			reply = reply || (m["author"] == "customer" && strings.Contains(str(m, "text"), "4711"))
		}
		return sent && reply
	})

	// Resolve, once.
	if c := s.must(200, "POST", "/v1/conversations/"+convID+"/resolve", agent, nil); c["status"] != "resolved" || c["resolved_at"] == nil {
		t.Fatalf("resolve: %v", c)
	}
	s.wantError(409, "invalid_transition", "POST", "/v1/conversations/"+convID+"/resolve", agent, nil)

	// History finds it by keyword, customer name and date — for any agent.
	today := time.Now().UTC().Format(time.DateOnly)
	for _, q := range []string{"q=order+4711", "customer=scully", "from=" + today + "&to=" + today, "q=order&customer=dana&channel=web"} {
		cs := list(s.must(200, "GET", "/v1/conversations?status=resolved&"+q, loser, nil), "conversations")
		if len(cs) != 1 || str(cs[0], "id") != convID {
			t.Errorf("search %s: %v", q, cs)
		}
	}
	for _, q := range []string{"q=order+nonexistentword", "customer=mulder", "to=2001-01-01"} {
		if cs := list(s.must(200, "GET", "/v1/conversations?status=resolved&"+q, loser, nil), "conversations"); len(cs) != 0 {
			t.Errorf("search %s found %v", q, cs)
		}
	}
	checkMetrics(t, s)
	st := s.must(200, "GET", "/v1/stats", admin, nil)
	if st["resolved_total"] != float64(1) || st["agents_online"] != float64(12) || st["pending"] != float64(0) {
		t.Errorf("stats: %v", st)
	}
}

// TestBadInput sends what clients get wrong and checks the contract's
// status and code, and that nothing was stored.
func TestBadInput(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { badInput(t, startServer(t, b, t.TempDir())) })
	}
}

func badInput(t *testing.T, s *server) {
	vtok := str(s.must(201, "POST", "/v1/widget/sessions", "", nil), "token")
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": "plain@example.com", "name": "Plain", "password": "secret-pass"})
	plain := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "plain@example.com", "password": "secret-pass"}), "token")
	count := func() int { return len(list(s.must(200, "GET", "/v1/widget/messages", vtok, nil), "messages")) }
	agentsBefore := len(list(s.must(200, "GET", "/v1/admin/agents", admin, nil), "agents"))
	before := count()

	huge := `{"text":"` + strings.Repeat("a", 2<<20) + `"}`
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"malformed json", "POST", "/v1/widget/messages", vtok, `{"text":`, 400, "invalid_request"},
		{"empty text", "POST", "/v1/widget/messages", vtok, map[string]any{"text": "   "}, 400, "invalid_request"},
		{"wrong type", "POST", "/v1/widget/messages", vtok, map[string]any{"text": 5}, 400, "invalid_request"},
		{"oversized body", "POST", "/v1/widget/messages", vtok, huge, 413, "payload_too_large"},
		{"no token", "POST", "/v1/widget/messages", "", map[string]any{"text": "hi"}, 401, "unauthorized"},
		{"garbage token", "POST", "/v1/widget/messages", "sbv_nope", map[string]any{"text": "hi"}, 401, "unauthorized"},
		{"agent token on visitor route", "POST", "/v1/widget/messages", admin, map[string]any{"text": "hi"}, 401, "unauthorized"},
		{"visitor token on agent route", "GET", "/v1/requests", vtok, nil, 401, "unauthorized"},
		{"unknown request", "GET", "/v1/requests/0190c0de-0000-7000-8000-000000000000", admin, nil, 404, "not_found"},
		{"accept unknown request", "POST", "/v1/requests/nope/accept", admin, nil, 404, "not_found"},
		{"unknown conversation", "GET", "/v1/conversations/nope", admin, nil, 404, "not_found"},
		{"non-admin on admin route", "POST", "/v1/admin/agents", plain, map[string]any{"email": "x@example.com", "name": "X", "password": "secret-pass"}, 403, "forbidden"},
		{"non-admin lists agents", "GET", "/v1/admin/agents", plain, nil, 403, "forbidden"},
		{"bad agent e-mail", "POST", "/v1/admin/agents", admin, map[string]any{"email": "nope", "name": "X", "password": "secret-pass"}, 400, "invalid_request"},
		{"short password", "POST", "/v1/admin/agents", admin, map[string]any{"email": "y@example.com", "name": "Y", "password": "short"}, 400, "invalid_request"},
		{"duplicate e-mail", "POST", "/v1/admin/agents", admin, map[string]any{"email": "plain@example.com", "name": "P", "password": "secret-pass"}, 400, "invalid_request"},
		{"wrong password", "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": "wrong-password"}, 401, "unauthorized"},
		{"unknown e-mail", "POST", "/v1/auth/login", "", map[string]any{"email": "ghost@example.com", "password": "wrong-password"}, 401, "unauthorized"},
		{"bad status filter", "GET", "/v1/requests?status=maybe", admin, nil, 400, "invalid_request"},
		{"bad date", "GET", "/v1/conversations?from=yesterday", admin, nil, 400, "invalid_request"},
		{"online missing", "PUT", "/v1/me/status", plain, map[string]any{}, 400, "invalid_request"},
		{"unknown widget channel", "POST", "/v1/widget/sessions", "", map[string]any{"channel_id": "nope"}, 404, "not_found"},
		{"bad page url", "PUT", "/v1/widget/page", vtok, map[string]any{"page_url": "javascript:alert(1)"}, 400, "invalid_request"},
		{"unknown route", "GET", "/v1/nope", admin, nil, 404, "not_found"},
		{"reload without config file", "POST", "/v1/admin/reload", plain, nil, 403, "forbidden"},
		// NUL cannot be stored by PostgreSQL: refused as input, never a 500.
		{"NUL in search words", "GET", "/v1/conversations?status=all&q=0%00", admin, nil, 400, "invalid_request"},
		{"NUL in customer filter", "GET", "/v1/conversations?status=all&customer=a%00b", admin, nil, 400, "invalid_request"},
		{"NUL in agent filter", "GET", "/v1/conversations?status=all&agent_id=%00", admin, nil, 400, "invalid_request"},
		{"NUL in visitor name", "POST", "/v1/widget/sessions", "", map[string]any{"name": "a\x00b"}, 400, "invalid_request"},
		{"NUL in login e-mail", "POST", "/v1/auth/login", "", map[string]any{"email": "a\x00@example.com", "password": "whatever-pass"}, 401, "unauthorized"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.t = t
			defer func() { s.t = nil }()
			s.wantError(c.status, c.code, c.method, c.path, c.token, c.body)
		})
	}
	s.t = t
	t.Run("not json", func(t *testing.T) {
		req, _ := http.NewRequest("POST", s.base+"/v1/widget/messages", strings.NewReader("text=hi"))
		req.Header.Set("Authorization", "Bearer "+vtok)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 415 {
			t.Fatalf("status %d, want 415", resp.StatusCode)
		}
	})
	if after := count(); after != before {
		t.Errorf("bad requests stored messages: %d before, %d after", before, after)
	}
	if n := len(list(s.must(200, "GET", "/v1/admin/agents", admin, nil), "agents")); n != agentsBefore {
		t.Errorf("bad requests changed agents: %d before, %d after", agentsBefore, n)
	}
	if r := s.must(200, "GET", "/healthz", "", nil); r["status"] != "ok" {
		t.Errorf("healthz: %v", r)
	}
	if r := s.must(200, "GET", "/readyz", "", nil); r["status"] != "ok" {
		t.Errorf("readyz: %v", r)
	}
}

// TestRestartLosesNothing stops the binary and starts it again on the
// same data: tokens, conversations, messages and open requests persist,
// and the open request still reaches an agent.
func TestRestartLosesNothing(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			s := startServer(t, b, dir)
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			sess := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Walter Skinner"})
			vtok, vid, vsecret := str(sess, "token"), str(sess, "visitor_id"), str(sess, "visitor_secret")
			s.must(202, "POST", "/v1/widget/messages", vtok, map[string]any{"text": "my invoice is wrong"})
			reqID := str(s.must(202, "POST", "/v1/widget/handoff", vtok, nil), "request", "id")
			before := len(list(s.must(200, "GET", "/v1/widget/messages", vtok, nil), "messages"))
			s.stop()

			s2 := startServer(t, b, dir)
			if me := s2.must(200, "GET", "/v1/me", admin, nil); me["email"] != adminEmail {
				t.Fatalf("agent token after restart: %v", me)
			}
			wp := s2.must(200, "GET", "/v1/widget/messages", vtok, nil)
			if got := len(list(wp, "messages")); got < before || wp["status"] != "waiting" {
				t.Fatalf("visitor after restart: %d messages (had %d), status %v", got, before, wp["status"])
			}
			again := s2.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"visitor_id": vid, "visitor_secret": vsecret})
			if again["returning"] != true || again["previous_visits"] != float64(1) {
				t.Errorf("returning visitor after restart: %v", again)
			}
			s2.must(200, "PUT", "/v1/me/status", admin, map[string]any{"online": true})
			eventually(t, "the open request offered after restart", func() bool {
				rs := list(s2.must(200, "GET", "/v1/requests", admin, nil), "requests")
				return len(rs) == 1 && str(rs[0], "id") == reqID && rs[0]["offered_to_me"] == true
			})
			s2.must(200, "POST", "/v1/requests/"+reqID+"/accept", admin, nil)
		})
	}
}

// checkMetrics reads /metrics after the flow: the winning accept was timed,
// the eleven losers counted as already_accepted, web deliveries succeeded,
// and the state gauges and queue sizes are there.
func checkMetrics(t *testing.T, s *server) {
	t.Helper()
	r := s.call("GET", "/metrics", "", nil)
	if r.status != 200 {
		t.Fatalf("metrics: %d", r.status)
	}
	for _, want := range []string{
		`switchboard_accept_seconds_count{outcome="accepted"} 1`,
		`switchboard_accept_seconds_count{outcome="already_accepted"} 11`,
		`switchboard_deliveries_total{channel="web",outcome="sent"}`,
		`switchboard_requests{status="waiting"} 0`,
		`switchboard_conversations_active 0`, // resolved by now
		`switchboard_agents_online 12`,
		`switchboard_queue_tasks{queue="critical",state="pending"}`,
		`switchboard_state_scrape_ok{source="database"} 1`,
		`echo_requests_total{`,
	} {
		if !strings.Contains(r.raw, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
