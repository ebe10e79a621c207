package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
	"github.com/switchboard-chat/switchboard/core"
)

// Fault tests: the system under a dependency that dies mid-load, under
// webhook storms, under an accept race, and with a worker killed inside a
// provider call (TestFleet, fleet_test.go, kills one at a random point of
// a load).

// sweepWait bounds the wait for work whose task was lost with Redis: the
// sweeper re-enqueues what sat in the database for core.SweepGrace, and
// runs every 15 s (queue.Options.SweepEvery's default); neither is set by
// the config, so the test waits for them.
const sweepWait = core.SweepGrace + 15*time.Second + 60*time.Second

// faultDatabase is SQLite in the data dir, or a fresh schema on the test
// PostgreSQL when SWITCHBOARD_TEST_DATABASE_URL is set.
func faultDatabase(t *testing.T) string {
	t.Helper()
	if db := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL"); db != "" {
		return sqltest.Schema(t, db, "sbfault")
	}
	return ""
}

// TestFaultRedisStopped: a private Redis is killed while WhatsApp
// webhooks stream in, and comes back empty (no persistence) a few seconds
// later. Every webhook is answered 200 or 503, never 500 or a hang;
// every message is stored exactly once; and each customer still gets the
// bot's reply — the tasks lost with Redis come back through the sweeper.
func TestFaultRedisStopped(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts Redis and waits for the sweeper: skipped with -short")
	}
	rd := startPrivateRedis(t)
	b := backend{name: "private-redis", dbURL: faultDatabase(t), redisURL: rd.url(), ns: "fault" + randHex(4)}
	const total = 120
	s, graph, admin, p, ready, sent := underLoad(t, b, "redis", total)

	rd.kill()
	ready.set("redis down")
	downAt := p.acked.Load()
	time.Sleep(3 * time.Second)
	ackedWhileDown := p.acked.Load() - downAt
	rd.start()
	ready.set("redis back")
	<-sent
	seen := ready.close()
	t.Logf("acknowledged while Redis was down: %d; /readyz: %v", ackedWhileDown, seen)
	p.check(t, total)
	if seen["redis down"][http.StatusServiceUnavailable] == 0 {
		t.Errorf("/readyz never answered 503 while Redis was down: %v", seen["redis down"])
	}
	waitFor(t, 30*time.Second, "/readyz 200 after Redis is back", func() bool { return readyz(s.base) == 200 })

	start := time.Now()
	waitFor(t, sweepWait, "the bot's reply to every customer", func() bool { return len(graph.repliesTo()) == total })
	t.Logf("every customer answered %s after the load ended", time.Since(start).Round(time.Second))
	dup := 0
	for n, c := range graph.repliesTo() {
		if c > 1 {
			dup += c - 1
			t.Logf("customer %s got %d sends", n, c)
		}
	}
	t.Logf("provider sends repeated: %d", dup)
	checkStoredOnce(t, s, admin, total)
}

// TestFaultPostgresRestarted: a private PostgreSQL is stopped (fast
// shutdown: every session ends) while webhooks stream in, and started
// again. Webhooks are answered 200 or 503 only, /readyz says 503 while the
// database is down and 200 after, and every message — retried by the
// provider after its 503 — is stored exactly once and answered by the bot.
func TestFaultPostgresRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a private PostgreSQL: skipped with -short")
	}
	pg := startPrivatePostgres(t)
	b := backend{name: "private-postgres", dbURL: pg.url(), ns: "fault" + randHex(4)}
	if rd := os.Getenv("SWITCHBOARD_TEST_REDIS_URL"); rd != "" {
		b.redisURL = rd
	}
	const total = 120
	s, graph, admin, p, ready, sent := underLoad(t, b, "pg", total)

	ready.set("stopping")
	pg.stop("fast")
	ready.set("postgres down")
	// An answer already on its way when the server went down may still
	// arrive: count from a moment later.
	time.Sleep(500 * time.Millisecond)
	downAt := p.acked.Load()
	time.Sleep(2500 * time.Millisecond)
	ackedWhileDown := p.acked.Load() - downAt
	ready.set("starting")
	pg.start()
	ready.set("postgres back")
	<-sent
	waitFor(t, 30*time.Second, "/readyz 200 after PostgreSQL is back", func() bool { return readyz(s.base) == 200 })
	seen := ready.close()
	t.Logf("acknowledged while PostgreSQL was down: %d; /readyz: %v", ackedWhileDown, seen)
	p.check(t, total)
	if ackedWhileDown != 0 {
		t.Errorf("%d webhooks answered 200 while the database was down", ackedWhileDown)
	}
	if seen["postgres down"][http.StatusServiceUnavailable] == 0 {
		t.Errorf("/readyz never answered 503 while PostgreSQL was down: %v", seen["postgres down"])
	}

	// Tasks that failed against the stopped database are retried by the
	// queue; the sweeper catches anything else.
	waitFor(t, sweepWait, "the bot's reply to every customer", func() bool { return len(graph.repliesTo()) == total })
	checkStoredOnce(t, s, admin, total)
}

// TestFaultWebhookStorm: every inbound message is posted several times by
// concurrent senders in shuffled order, then the bot replies' status
// callbacks (sent, delivered, read) arrive the same way, mixed with more
// redeliveries. Each message is stored once, and a delivery state never
// goes backwards: sampled during the storm it only rises, and ends at read.
func TestFaultWebhookStorm(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			graph, gsrv := newFakeGraph(t, fleetToken)
			s := startServerWith(t, b, t.TempDir(), waChannelYAML(gsrv.URL))
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			const customers, copies, senders = 40, 5, 8
			inbound := func(n int) string {
				return waInbound(n, fmt.Sprintf("wamid.storm%d", n), fmt.Sprintf("question %d", n))
			}

			var bodies []string
			for n := 1; n <= customers; n++ {
				for range copies {
					bodies = append(bodies, inbound(n))
				}
			}
			storm(t, s.base, bodies, senders)
			waitFor(t, time.Minute, "the bot's reply to every customer", func() bool { return len(graph.repliesTo()) == customers })

			// Which bot message each provider id is, once recorded as sent.
			convOf := map[string]string{} // recipient → conversation id
			for _, c := range allConversations(s, admin, "status=all&channel=wa") {
				convOf[str(c, "customer", "channel_user_id")] = str(c, "id")
			}
			// botDelivery is the delivery of the bot's reply in conv; safe
			// from any goroutine.
			botDelivery := func(conv string) (string, error) {
				c, err := faultMust(200, s.base, "GET", "/v1/conversations/"+conv, admin, nil)
				if err != nil {
					return "", err
				}
				for _, m := range list(c, "messages") {
					if m["author"] == "bot" {
						return str(m, "delivery"), nil
					}
				}
				return "", fmt.Errorf("conversation %s has no bot reply", conv)
			}
			waitFor(t, time.Minute, "every bot reply recorded as sent", func() bool {
				for _, conv := range convOf {
					if d, err := botDelivery(conv); err != nil || d != "sent" {
						return false
					}
				}
				return true
			})

			graph.mu.Lock()
			sends := append([]graphSend(nil), graph.sends...)
			graph.mu.Unlock()
			bodies = bodies[:0]
			for _, snd := range sends {
				to := fmt.Sprint(snd.Body["to"])
				for _, st := range []string{"sent", "delivered", "read"} {
					for range copies {
						bodies = append(bodies, waStatus(snd.ID, st, to))
					}
				}
			}
			for n := 1; n <= customers; n++ {
				bodies = append(bodies, inbound(n), inbound(n))
			}

			// Sample delivery states while the storm runs: never backwards.
			rank := map[string]int{"queued": 0, "sent": 1, "delivered": 2, "read": 3}
			stop := make(chan struct{})
			sampled := make(chan []string, 1)
			rounds := 0
			var watched []string // a few messages, sampled often
			for n := 1; n <= 8; n++ {
				watched = append(watched, recipient(n))
			}
			go func() {
				var problems []string
				last := map[string]int{}
				for {
					select {
					case <-stop:
						sampled <- problems
						return
					default:
					}
					rounds++
					for _, to := range watched {
						conv := convOf[to]
						d, err := botDelivery(conv)
						if err != nil {
							problems = append(problems, err.Error())
							continue
						}
						r, ok := rank[d]
						if !ok {
							problems = append(problems, fmt.Sprintf("%s: delivery %q", to, d))
							continue
						}
						if r < last[to] {
							problems = append(problems, fmt.Sprintf("%s: delivery went back to %q", to, d))
						}
						last[to] = max(last[to], r)
					}
				}
			}()
			storm(t, s.base, bodies, senders)
			close(stop)
			problems := <-sampled
			t.Logf("%d status and redelivery webhooks; delivery of %d messages sampled %d times each during the storm", len(bodies), len(watched), rounds)
			for _, p := range problems {
				t.Error(p)
			}
			for to, conv := range convOf {
				if d, err := botDelivery(conv); err != nil || d != "read" {
					t.Errorf("bot reply to %s: delivery %q (%v) after the storm, want read", to, d, err)
				}
			}
			checkStoredOnce(t, s, admin, customers)
			if n := len(graph.repliesTo()); n != customers || len(sends) != customers {
				t.Errorf("%d sends to %d customers, want one each to %d", len(sends), n, customers)
			}
		})
	}
}

// storm posts the bodies in random order from senders goroutines; each
// must be answered 200.
func storm(t *testing.T, base string, bodies []string, senders int) {
	t.Helper()
	order := rand.Perm(len(bodies))
	next := make(chan string)
	go func() {
		for _, i := range order {
			next <- bodies[i]
		}
		close(next)
	}()
	var mu sync.Mutex
	var bad []string
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range next {
				if st, err := postSigned(base, body); err != nil || st != 200 {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("status %d, err %v", st, err))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for i, b := range bad {
		if i == 10 {
			t.Errorf("… %d webhooks not answered 200 in all", len(bad))
			break
		}
		t.Errorf("storm webhook: %s", b)
	}
}

// TestFaultAcceptRace: 100 online agents with 3 chats each (300 places)
// race for 1,000 waiting requests, each agent with 3 accepts in flight at
// once, in its own random order (on SQLite under -race: 1 chat each, 150
// requests, 2 in flight). No request is accepted twice, no agent goes over
// max_chats, exactly min(requests, places) are accepted, and every
// refusal is a contract 409 or 403 — never a 500.
func TestFaultAcceptRace(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 requests and 100 agents: skipped with -short")
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			agents, maxChats, requests, inFlight := 100, 3, 1000, 3
			if raceEnabled() && b.dbURL == "" {
				// The race detector makes each request cost ~20× as much on
				// SQLite's one writer: the same race, smaller — one chat per
				// agent, so every agent's 2 accepts contend for its place.
				maxChats, requests, inFlight = 1, 150, 2
			}
			s := startServerWith(t, b, t.TempDir(), crowdBehindOneAddress)
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")

			began := time.Now()
			tokens := make([]string, agents)
			ids := make([]string, agents)
			parallel(t, agents, 8, func(i int) error {
				email := fmt.Sprintf("racer%d@example.com", i)
				a, err := faultMust(201, s.base, "POST", "/v1/admin/agents", admin, map[string]any{"email": email,
					"name": fmt.Sprintf("Racer %d", i), "password": "secret-pass", "max_chats": maxChats})
				if err != nil {
					return err
				}
				ids[i] = str(a, "id")
				login, err := faultMust(200, s.base, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": "secret-pass"})
				if err != nil {
					return err
				}
				tokens[i] = str(login, "token")
				_, err = faultMust(200, s.base, "PUT", "/v1/me/status", tokens[i], map[string]any{"online": true})
				return err
			})
			t.Logf("%d agents online in %s", agents, time.Since(began).Round(time.Millisecond))

			began = time.Now()
			reqIDs := make([]string, requests)
			parallel(t, requests, 8, func(i int) error {
				sess, err := faultMust(201, s.base, "POST", "/v1/widget/sessions", "", map[string]any{"name": fmt.Sprintf("Visitor %d", i)})
				if err != nil {
					return err
				}
				h, err := faultMust(202, s.base, "POST", "/v1/widget/handoff", str(sess, "token"), map[string]any{"text": "talk to a person"})
				if err != nil {
					return err
				}
				if reqIDs[i] = str(h, "request", "id"); reqIDs[i] == "" {
					return fmt.Errorf("handoff %d: no request id in %v", i, h)
				}
				return nil
			})
			t.Logf("%d requests opened in %s", requests, time.Since(began).Round(time.Millisecond))

			began = time.Now()
			waitFor(t, 3*time.Minute, "every request offered to every agent", func() bool {
				for _, i := range []int{0, agents / 2, agents - 1} {
					offered := 0
					for _, r := range list(s.must(200, "GET", "/v1/requests", tokens[i], nil), "requests") {
						if r["offered_to_me"] == true {
							offered++
						}
					}
					if offered != requests {
						return false
					}
				}
				return true
			})
			t.Logf("routing offered all requests in %s", time.Since(began).Round(time.Millisecond))

			// The race.
			began = time.Now()
			type outcome struct {
				agent     int
				req, code string
				status    int
				err       error
			}
			var mu sync.Mutex
			var outcomes []outcome
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range agents {
				order := rand.Perm(requests)
				next := make(chan string)
				ctx, cancel := context.WithCancel(context.Background())
				go func() {
					defer close(next)
					for _, k := range order {
						select {
						case next <- reqIDs[k]:
						case <-ctx.Done():
							return
						}
					}
				}()
				var won atomic.Int64
				var running sync.WaitGroup
				for range inFlight {
					wg.Add(1)
					running.Add(1)
					go func() {
						defer wg.Done()
						defer running.Done()
						<-start
						for id := range next {
							st, _, code, err := faultJSONWith(raceClient, s.base, "POST", "/v1/requests/"+id+"/accept", tokens[i], nil)
							mu.Lock()
							outcomes = append(outcomes, outcome{i, id, code, st, err})
							mu.Unlock()
							if st == 200 {
								won.Add(1)
							}
							// Full: refused for capacity, or no longer offered
							// anything once routing saw it full.
							if err != nil || code == "at_capacity" || (code == "not_offered" && won.Load() >= int64(maxChats)) {
								cancel() // this agent is full (or broken): stop
								return
							}
						}
					}()
				}
				go func() { running.Wait(); cancel() }()
			}
			close(start)
			wg.Wait()
			t.Logf("race: %d accept calls in %s", len(outcomes), time.Since(began).Round(time.Millisecond))

			winners := map[string]int{} // request → agent
			wins := make([]int, agents)
			codes := map[string]int{}
			for _, o := range outcomes {
				switch {
				case o.err != nil:
					t.Errorf("agent %d accepting %s: %v", o.agent, o.req, o.err)
				case o.status == 200:
					if prev, ok := winners[o.req]; ok && prev != o.agent {
						t.Errorf("request %s accepted by agent %d and agent %d", o.req, prev, o.agent)
					} else if ok {
						t.Errorf("request %s accepted twice by agent %d", o.req, o.agent)
					}
					winners[o.req] = o.agent
					wins[o.agent]++
					codes["200"]++
				case (o.status == 409 && (o.code == "already_accepted" || o.code == "at_capacity")) || (o.status == 403 && o.code == "not_offered"):
					codes[o.code]++
				default:
					t.Errorf("agent %d accepting %s: %d %q", o.agent, o.req, o.status, o.code)
				}
			}
			t.Logf("outcomes: %v", codes)
			for i, w := range wins {
				if w > maxChats {
					t.Errorf("agent %d won %d accepts, max_chats %d", i, w, maxChats)
				}
			}
			if want := min(requests, agents*maxChats); len(winners) != want {
				t.Errorf("%d requests accepted, want %d", len(winners), want)
			}

			// What the server holds agrees.
			active := map[string]float64{}
			for _, a := range list(s.must(200, "GET", "/v1/admin/agents", admin, nil), "agents") {
				active[str(a, "id")] = a["active_chats"].(float64)
			}
			for i, id := range ids {
				if active[id] != float64(wins[i]) || active[id] > float64(maxChats) {
					t.Errorf("agent %d: active_chats %v, won %d accepts (max_chats %d)", i, active[id], wins[i], maxChats)
				}
			}
			accepted := list(s.must(200, "GET", "/v1/requests?status=accepted", admin, nil), "requests")
			if len(accepted) != len(winners) {
				t.Errorf("%d requests accepted on the server, %d accepts answered 200", len(accepted), len(winners))
			}
			for _, r := range accepted {
				w, ok := winners[str(r, "id")]
				if !ok || str(r, "accepted_by") != ids[w] {
					t.Errorf("request %s accepted_by %q, but the 200 went to agent %v (%v)", str(r, "id"), str(r, "accepted_by"), w, ok)
				}
			}
			if open := list(s.must(200, "GET", "/v1/requests?status=open", admin, nil), "requests"); len(open) != requests-len(winners) {
				t.Errorf("%d requests still open, want %d", len(open), requests-len(winners))
			}
		})
	}
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, st := range bi.Settings {
		if st.Key == "-race" && st.Value == "true" {
			return true
		}
	}
	return false
}

// parallel runs f(0..n-1) on workers goroutines and fails on an error.
func parallel(t *testing.T, n, workers int, f func(i int) error) {
	t.Helper()
	next := make(chan int)
	go func() {
		for i := range n {
			next <- i
		}
		close(next)
	}()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// TestFaultWorkerKilledMidDelivery: the worker is killed with SIGKILL
// while every msg:deliver task it runs is inside the provider call (the
// fake Graph API holds the sends open). Another worker takes the tasks
// over once their lease ends: each customer's bot reply is then sent, the
// message is recorded as sent once, and nothing is stored twice. (TestFleet
// kills a worker at a random point of a load; this kills it at the one
// moment where a send may or may not have happened.)
func TestFaultWorkerKilledMidDelivery(t *testing.T) {
	bs := backends(t)
	if len(bs) < 2 {
		t.Skip("needs PostgreSQL and Redis: set SWITCHBOARD_TEST_DATABASE_URL and SWITCHBOARD_TEST_REDIS_URL")
	}
	if testing.Short() {
		t.Skip("builds and runs the binary: skipped with -short")
	}
	graph, graphURL := newHoldingGraph(t)
	f := &fleet{t: t, bin: buildBinary(t), dir: t.TempDir(), b: bs[1], graphURL: graphURL}
	t.Cleanup(func() {
		for _, p := range f.procs {
			if p.ProcessState == nil {
				p.Process.Kill()
				p.Wait()
			}
		}
	})
	_, gw := f.start("gateway")
	w1, _ := f.start("worker")
	a := &server{t: t, base: gw}
	admin := str(a.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")

	const customers = 10 // under the worker's concurrency: every send in flight at once
	graph.setHold(true)
	for n := 1; n <= customers; n++ {
		sendWhatsApp(t, gw, n)
	}
	waitFor(t, time.Minute, "every bot reply's send held at the provider", func() bool { return graph.held() == customers })
	f.stop(w1, syscall.SIGKILL)
	waitFor(t, 10*time.Second, "the killed worker's sends to end", func() bool { return graph.held() == 0 })
	graph.setHold(false)
	f.start("worker")
	restarted := time.Now()

	// The orphaned tasks come back when their lease ends (Asynq's
	// recoverer), or through the sweeper after core.SweepGrace.
	waitFor(t, 3*time.Minute, "every customer's bot reply sent after the kill", func() bool {
		answered, _ := graph.counts()
		return len(answered) == customers
	})
	t.Logf("every send redone %s after the new worker started", time.Since(restarted).Round(time.Second))
	answered, interrupted := graph.counts()
	for n := 1; n <= customers; n++ {
		to := recipient(n)
		if answered[to] != 1 || interrupted[to] != 1 {
			t.Errorf("customer %d: %d sends answered and %d cut by the kill, want 1 and 1", n, answered[to], interrupted[to])
		}
	}
	convs := allConversations(a, admin, "status=all&channel=wa")
	if len(convs) != customers {
		t.Fatalf("%d WhatsApp conversations stored, want %d", len(convs), customers)
	}
	for _, c := range convs {
		byAuthor := map[string]int{}
		for _, m := range list(a.must(200, "GET", "/v1/conversations/"+str(c, "id"), admin, nil), "messages") {
			byAuthor[str(m, "author")]++
			if m["author"] == "bot" && m["delivery"] != "sent" {
				t.Errorf("bot reply in %s: delivery %v, want sent", str(c, "id"), m["delivery"])
			}
		}
		if byAuthor["customer"] != 1 || byAuthor["bot"] != 1 {
			t.Errorf("conversation %s stored %v, want one customer message and one bot reply", str(c, "id"), byAuthor)
		}
	}
}

// TestFaultStatusBeforeSendRecorded: a provider's delivery callbacks can
// outrun its own API answer — "delivered" and "read" for a message id
// the worker has not yet stored. They are answered 200, so the provider
// never sends them again; the message must still end read (they are kept
// as early statuses, applied when Deliver records the id).
func TestFaultStatusBeforeSendRecorded(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			graph, graphURL := newEchoGraph(t)
			s := startServerWith(t, b, t.TempDir(), waChannelYAML(graphURL))
			graph.gateway.Store(&s.base)
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			if st, err := postSigned(s.base, waInbound(1, "wamid.early1", "hello")); err != nil || st != 200 {
				t.Fatalf("webhook: %d %v", st, err)
			}
			var conv string
			waitFor(t, time.Minute, "the bot's reply recorded as sent or later", func() bool {
				cs := allConversations(s, admin, "status=all&channel=wa")
				if len(cs) != 1 {
					return false
				}
				conv = str(cs[0], "id")
				for _, m := range list(s.must(200, "GET", "/v1/conversations/"+conv, admin, nil), "messages") {
					if m["author"] == "bot" && m["delivery"] != "queued" {
						return true
					}
				}
				return false
			})
			graph.mu.Lock()
			errs := graph.errs
			graph.mu.Unlock()
			for _, e := range errs {
				t.Errorf("callback: %s", e)
			}
			for _, m := range list(s.must(200, "GET", "/v1/conversations/"+conv, admin, nil), "messages") {
				if m["author"] == "bot" && m["delivery"] != "read" {
					t.Errorf("bot reply: delivery %v after its delivered and read callbacks were answered 200, want read", m["delivery"])
				}
			}
		})
	}
}
