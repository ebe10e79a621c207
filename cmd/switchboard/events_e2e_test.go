package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sseEvent is one event read from a stream.
type sseEvent struct {
	id, typ string
	data    map[string]any
	at      time.Time // when the event's blank line was read
}

// stream follows an event stream of the server.
type stream struct {
	t      *testing.T
	events chan sseEvent
	cancel context.CancelFunc
}

// follow opens path (with the token as access_token, as a browser's
// EventSource must) from lastID.
func follow(t *testing.T, s *server, path, token, lastID string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+path+"?access_token="+url.QueryEscape(token), nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open %s: %v", path, err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("open %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	st := &stream{t: t, events: make(chan sseEvent, 100), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(st.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				json.Unmarshal([]byte(line[6:]), &ev.data)
			case line == "" && ev.typ != "":
				ev.at = time.Now()
				st.events <- ev
				ev = sseEvent{}
			}
		}
	}()
	t.Cleanup(cancel)
	return st
}

// next waits for the next event of typ (others are skipped) and returns it
// with how long it took.
func (st *stream) next(typ string) (sseEvent, time.Duration) {
	st.t.Helper()
	start := time.Now()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-st.events:
			if !ok {
				st.t.Fatalf("stream ended waiting for %s", typ)
			}
			if ev.typ == typ {
				return ev, time.Since(start)
			}
		case <-deadline:
			st.t.Fatalf("no %s event within 10 s", typ)
		}
	}
}

// agentOnline adds an agent through the admin API, logs them in, and puts
// them online; it returns their token.
func agentOnline(t *testing.T, s *server, admin, name string) string {
	t.Helper()
	email := strings.ToLower(name) + "@example.com"
	s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": email, "name": name, "password": "secret-pass"})
	tok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": "secret-pass"}), "token")
	s.must(200, "PUT", "/v1/me/status", tok, map[string]any{"online": true})
	return tok
}

func TestEventStreamsEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b, t.TempDir())
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			alice, bob := agentOnline(t, s, admin, "Alice"), agentOnline(t, s, admin, "Bob")
			aliceStream := follow(t, s, "/v1/events", alice, "")

			vtok := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Dana Scully"}), "token")
			visitorStream := follow(t, s, "/v1/widget/events", vtok, "")
			reqID := str(s.must(202, "POST", "/v1/widget/handoff", vtok, map[string]any{"text": "talk to a person"}), "request", "id")

			created, took := aliceStream.next("request.created")
			t.Logf("handoff → request.created on the agent's stream: %s", took)
			if created.data["id"] != reqID || created.data["offered_to_me"] != true {
				t.Fatalf("request.created: %v", created.data)
			}
			if m, _ := visitorStream.next("message.created"); m.data["text"] != "talk to a person" || m.data["author"] != "customer" {
				t.Fatalf("the handoff text on the visitor's stream: %v", m.data)
			}
			if st, _ := visitorStream.next("status"); st.data["status"] != "waiting" || st.data["queue_position"] != float64(1) ||
				st.data["eta_seconds"] == nil || st.data["eta_seconds"].(float64) <= 0 {
				t.Fatalf("visitor status (waiting, with position and expected wait): %v", st.data)
			}

			s.must(200, "POST", "/v1/requests/"+reqID+"/accept", bob, nil)
			if removed, _ := aliceStream.next("request.removed"); removed.data["id"] != reqID {
				t.Fatalf("request.removed: %v", removed.data)
			}
			if st, _ := visitorStream.next("status"); st.data["status"] != "active" || st.data["agent_name"] != "Bob" {
				t.Fatalf("visitor status after accept: %v", st.data)
			}
			if m, _ := visitorStream.next("message.created"); !strings.Contains(str(m.data, "text"), "Bob joined") {
				t.Fatalf("visitor message: %v", m.data)
			}
			if poll := s.must(200, "GET", "/v1/widget/messages", vtok, nil); poll["status"] != "active" || poll["agent_name"] != "Bob" {
				t.Fatalf("visitor poll while active: status %v, agent_name %v", poll["status"], poll["agent_name"])
			}

			// Alice goes away; a second request arrives; she reconnects with her
			// Last-Event-ID and gets it from the replay.
			aliceStream.cancel()
			v2 := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Fox"}), "token")
			req2 := str(s.must(202, "POST", "/v1/widget/handoff", v2, nil), "request", "id")
			eventually(t, "the second request offered to Alice", func() bool {
				rs := list(s.must(200, "GET", "/v1/requests", alice, nil), "requests")
				return len(rs) == 1 && str(rs[0], "id") == req2
			})
			again := follow(t, s, "/v1/events", alice, created.id)
			replayed, _ := again.next("request.created")
			if replayed.data["id"] != req2 {
				t.Fatalf("replay after reconnect: %v", replayed.data)
			}
		})
	}
}

// TestEventsAcrossGateways runs two gateways on one PostgreSQL and Redis:
// an agent following gateway A hears of a request made through gateway B.
func TestEventsAcrossGateways(t *testing.T) {
	bs := backends(t)
	if len(bs) < 2 {
		t.Skip("needs PostgreSQL and Redis: set SWITCHBOARD_TEST_DATABASE_URL and SWITCHBOARD_TEST_REDIS_URL")
	}
	b := bs[1]
	a := startServer(t, b, t.TempDir())
	other := startServer(t, b, t.TempDir())
	admin := str(a.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	alice := agentOnline(t, a, admin, "Alice")
	aliceStream := follow(t, a, "/v1/events", alice, "")
	vtok := str(other.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Walter"}), "token")
	reqID := str(other.must(202, "POST", "/v1/widget/handoff", vtok, nil), "request", "id")
	ev, took := aliceStream.next("request.created")
	t.Logf("request made on gateway B reached the agent on gateway A in %s", took)
	if ev.data["id"] != reqID {
		t.Fatalf("request.created: %v", ev.data)
	}
}
