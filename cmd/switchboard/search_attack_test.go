package main

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
)

// TestSearchAttack measures the search starvation attack on PostgreSQL
// (opt-in; it asserts no timings): a seeded history of 100,000 resolved
// conversations (500,000 messages; SWITCHBOARD_ATTACK_CONVERSATIONS sets
// another number), then 16 parallel hostile searches —
// one agent's, one word 99 times; then eight agents' two each, 16
// different common words — while /readyz and GET /v1/requests are polled
// every 100 ms. It prints the latencies.
//
//	SWITCHBOARD_BENCH=1 SWITCHBOARD_TEST_DATABASE_URL=postgres://… SWITCHBOARD_TEST_REDIS_URL=redis://… \
//	  go test -run TestSearchAttack -v ./cmd/switchboard
func TestSearchAttack(t *testing.T) {
	db, rd := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL"), os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if os.Getenv("SWITCHBOARD_BENCH") != "1" || db == "" || rd == "" {
		t.Skip("search attack measurement skipped: set SWITCHBOARD_BENCH=1, SWITCHBOARD_TEST_DATABASE_URL and SWITCHBOARD_TEST_REDIS_URL")
	}
	b := backend{name: "postgres+redis", dbURL: sqltest.Schema(t, db, "sbattack"), redisURL: rd, ns: "attack" + randHex(4)}
	s := startServer(t, b, t.TempDir())
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	agents := make([]string, 8)
	for i := range agents {
		agents[i] = agentOnline(t, s, admin, fmt.Sprintf("Searcher%d", i))
	}
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("SWITCHBOARD_ATTACK_CONVERSATIONS")); err == nil && v > 0 {
		n = v
	}
	seedHistory(t, b.dbURL, n, 5)

	one := "q=" + url.QueryEscape(strings.Repeat("late ", 99))
	words := []string{"order", "late", "refund", "package", "delivery", "address", "invoice", "payment",
		"account", "password", "shipping", "return", "broken", "missing", "thanks", "please"}
	many := "q=" + url.QueryEscape(strings.Join(words, " "))
	for _, phase := range []struct {
		name  string
		query string
		token func(i int) string
	}{
		{"one agent, one word 99 times", one, func(int) string { return agents[0] }},
		{"8 agents × 2, 16 common words", many, func(i int) string { return agents[i%8] }},
	} {
		t.Run(phase.name, func(t *testing.T) {
			var ready, panel, hostile saLatencies
			stop := make(chan struct{})
			var pollers sync.WaitGroup
			for _, p := range []struct {
				l          *saLatencies
				path, auth string
			}{{&ready, "/readyz", ""}, {&panel, "/v1/requests", agents[7]}} {
				pollers.Go(func() {
					for {
						select {
						case <-stop:
							return
						case <-time.After(100 * time.Millisecond):
						}
						p.l.add(saGet(t, s.base+p.path, p.auth))
					}
				})
			}
			time.Sleep(300 * time.Millisecond) // a baseline before the attack
			var wg sync.WaitGroup
			began := time.Now()
			for i := range 16 {
				wg.Go(func() {
					hostile.add(saGet(t, s.base+"/v1/conversations?status=resolved&"+phase.query, phase.token(i)))
				})
			}
			wg.Wait()
			attack := time.Since(began)
			time.Sleep(300 * time.Millisecond)
			close(stop)
			pollers.Wait()
			t.Logf("16 hostile searches (%s) over %s:", phase.name, attack.Round(time.Millisecond))
			t.Logf("  hostile searches   %s", hostile.summary())
			t.Logf("  GET /readyz        %s", ready.summary())
			t.Logf("  GET /v1/requests   %s", panel.summary())
		})
	}
}

// saLatencies collects answers' statuses and latencies.
type saLatencies struct {
	mu     sync.Mutex
	took   []time.Duration
	status map[int]int
}

func (l *saLatencies) add(status int, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.status == nil {
		l.status = map[int]int{}
	}
	l.status[status]++
	l.took = append(l.took, took)
}

func (l *saLatencies) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.took) == 0 {
		return "no answers"
	}
	d := slices.Clone(l.took)
	slices.Sort(d)
	p := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))].Round(time.Millisecond) }
	return fmt.Sprintf("n=%d statuses %v  p50 %s  p95 %s  max %s", len(d), l.status, p(0.5), p(0.95), d[len(d)-1].Round(time.Millisecond))
}

var saClient = &http.Client{Timeout: 120 * time.Second}

func saGet(t *testing.T, u, token string) (int, time.Duration) {
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := saClient.Do(req)
	if err != nil {
		t.Logf("GET %s: %v", u, err)
		return 0, time.Since(start)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// seedHistory writes n resolved widget conversations of per messages
// each, of words common in support chats, straight into the schema.

func seedHistory(t *testing.T, dbURL string, n, per int) {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	now := time.Now().UnixMicro()
	stmts := []string{
		`INSERT INTO customers (id, channel_id, channel_user_id, name, name_key, visits, created_at)
		 SELECT 'seedcu' || lpad(g::text, 8, '0'), 'web', 'seed-' || g, 'Customer ' || g, 'customer ' || g, 1, $1
		 FROM generate_series(1, $2::int) g`,
		`INSERT INTO conversations (id, channel_id, customer_id, status, created_at, resolved_at, last_message_at)
		 SELECT '0000seed' || lpad(g::text, 8, '0'), 'web', 'seedcu' || lpad(g::text, 8, '0'), 'resolved', $1::bigint - g::bigint * 1000000, $1::bigint - g::bigint * 1000000 + 600000000, $1::bigint - g::bigint * 1000000 + 600000000
		 FROM generate_series(1, $2::int) g`,
		`INSERT INTO messages (id, conversation_id, channel_id, author, text, created_at)
		 SELECT '0000seedm' || lpad(g::text, 8, '0') || lpad(k::text, 3, '0'), '0000seed' || lpad(g::text, 8, '0'), 'web',
		   CASE WHEN k % 2 = 0 THEN 'customer' ELSE 'agent' END,
		   (ARRAY['my order is late', 'where is my package', 'I want a refund please', 'the delivery address is wrong',
		          'can you resend the invoice', 'my payment failed', 'I cannot log in to my account', 'reset my password please',
		          'shipping takes too long', 'how do I return this', 'the item arrived broken', 'a part is missing',
		          'thanks for your help', 'order ' || g || ' is late again'])[1 + (g * 7 + k) % 14],
		   $1::bigint - g::bigint * 1000000 + k * 1000
		 FROM generate_series(1, $2::int) g, generate_series(1, $3::int) k`,
		`ANALYZE customers`, `ANALYZE conversations`, `ANALYZE messages`,
	}
	start := time.Now()
	for i, st := range stmts {
		var args []any
		switch i {
		case 0, 1:
			args = []any{now, n}
		case 2:
			args = []any{now, n, per}
		}
		if _, err := db.Exec(st, args...); err != nil {
			t.Fatalf("seed: %v\n%s", err, st)
		}
	}
	t.Logf("seeded %d conversations, %d messages in %s", n, n*per, time.Since(start).Round(time.Millisecond))
}
