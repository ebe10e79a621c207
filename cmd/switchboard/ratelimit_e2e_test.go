package main

import (
	"strconv"
	"testing"
)

// TestLoginRateLimit: after 10 wrong passwords an e-mail is refused with
// 429 and Retry-After — even with the right password — while other
// agents still log in.
func TestLoginRateLimit(t *testing.T) {
	s := startServer(t, backend{name: "embedded"}, t.TempDir())
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	agentOnline(t, s, admin, "Victim")
	agentOnline(t, s, admin, "Other")
	for i := range 10 {
		r := s.call("POST", "/v1/auth/login", "", map[string]any{"email": "victim@example.com", "password": "guess-" + strconv.Itoa(i)})
		if r.status != 401 {
			t.Fatalf("wrong password %d: %d %s", i+1, r.status, r.raw)
		}
	}
	r := s.call("POST", "/v1/auth/login", "", map[string]any{"email": "VICTIM@example.com", "password": "secret-pass"})
	if r.status != 429 || str(r.body, "error", "code") != "rate_limited" {
		t.Fatalf("11th attempt: %d %s, want 429 rate_limited", r.status, r.raw)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 15*60+1 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "other@example.com", "password": "secret-pass"})
}
