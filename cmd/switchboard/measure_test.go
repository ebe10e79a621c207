package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestMeasureDeclineReoffer measures decline → re-offer through the real
// server: N requests are offered directly to one agent; each is declined
// and the time until the next agent's GET /v1/requests/{id} shows it
// offered to them is recorded (decline and re-offer are one transaction,
// so the decline's answer already means re-offered). Sequential, then with
// 8 concurrent decliners. It logs figures and asserts no timing.
// Run: SWITCHBOARD_BENCH=1 go test ./cmd/switchboard -run TestMeasureDeclineReoffer -v
// (SWITCHBOARD_BENCH_N sets N, default 1000; with the PostgreSQL and Redis
// variables set it measures that backend too).
func TestMeasureDeclineReoffer(t *testing.T) {
	if os.Getenv("SWITCHBOARD_BENCH") == "" {
		t.Skip("set SWITCHBOARD_BENCH=1 to measure")
	}
	n := 1000
	if v := os.Getenv("SWITCHBOARD_BENCH_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			t.Fatalf("SWITCHBOARD_BENCH_N=%q", v)
		}
	}
	const yaml = `routing:
  rules:
    - {name: direct, match: {keywords: [bench]}, mode: direct, offer_timeout: 30m}
`
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServerWith(t, b, t.TempDir(), yaml)
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			agent := func(name string) string {
				email := name + "@example.com"
				s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": email, "name": name, "password": "secret-pass", "max_chats": 100})
				tok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": "secret-pass"}), "token")
				s.must(200, "PUT", "/v1/me/status", tok, map[string]any{"online": true})
				return tok
			}
			first := agent("first") // online first: idle longest, offered every request
			time.Sleep(10 * time.Millisecond)
			next := agent("next")
			ids := make([]string, n)
			for i := range n {
				vtok := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": fmt.Sprintf("Visitor %d", i)}), "token")
				ids[i] = str(s.must(202, "POST", "/v1/widget/handoff", vtok, map[string]any{"text": "bench"}), "request", "id")
			}
			deadline := time.Now().Add(2 * time.Minute)
			for len(list(s.must(200, "GET", "/v1/requests", first, nil), "requests")) < n {
				if time.Now().After(deadline) {
					t.Fatal("requests not all offered to the first agent within 2 minutes")
				}
				time.Sleep(100 * time.Millisecond)
			}

			measure := func(ids []string, workers int) []time.Duration {
				var mu sync.Mutex
				var lat []time.Duration
				var wg sync.WaitGroup
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := w; i < len(ids); i += workers {
							start := time.Now()
							if r := s.call("POST", "/v1/requests/"+ids[i]+"/decline", first, map[string]any{}); r.status != 200 {
								t.Errorf("decline: %d %s", r.status, r.raw)
								return
							}
							r := s.call("GET", "/v1/requests/"+ids[i], next, nil)
							d := time.Since(start)
							if r.status != 200 || r.body["offered_to_me"] != true {
								t.Errorf("request %s not re-offered to the next agent: %d %s", ids[i], r.status, r.raw)
								return
							}
							mu.Lock()
							lat = append(lat, d)
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				slices.Sort(lat)
				return lat
			}
			report := func(what string, lat []time.Duration) {
				if len(lat) == 0 {
					t.Fatalf("%s: nothing measured", what)
				}
				q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
				t.Logf("%s %s: %d declines; decline → re-offer visible: p50 %v, p99 %v, max %v", b.name, what, len(lat),
					q(0.5).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
			}
			half := n / 2
			report("sequential", measure(ids[:half], 1))
			report("8 concurrent", measure(ids[half:], 8))
		})
	}
}
