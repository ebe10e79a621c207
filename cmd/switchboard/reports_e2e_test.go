package main

import (
	"strings"
	"testing"
	"time"
)

// TestShiftReportAndFollowUp: a waiting request and a declined one are
// missed, an answered one is not; the follow-up reaches the missed
// customers once, and then the shift has nothing missed.
func TestShiftReportAndFollowUp(t *testing.T) {
	s := startServer(t, backend{name: "embedded"}, t.TempDir())
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	alice := agentOnline(t, s, admin, "Alice")
	handoff := func(name string) (token, reqID string) {
		t.Helper()
		tok := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": name}), "token")
		id := str(s.must(202, "POST", "/v1/widget/handoff", tok, map[string]any{"text": "talk to a person"}), "request", "id")
		eventually(t, name+"'s request offered to Alice", func() bool {
			for _, r := range list(s.must(200, "GET", "/v1/requests", alice, nil), "requests") {
				if str(r, "id") == id {
					return true
				}
			}
			return false
		})
		return tok, id
	}
	waitingTok, waiting := handoff("Walter Waiting")
	_, declined := handoff("Dana Declined")
	_, answered := handoff("Ann Answered")
	s.must(200, "POST", "/v1/requests/"+declined+"/decline", alice, map[string]any{"reason": "busy"})
	conv := str(s.must(200, "POST", "/v1/requests/"+answered+"/accept", alice, nil), "conversation", "id")
	s.must(202, "POST", "/v1/conversations/"+conv+"/messages", alice, map[string]any{"text": "On it."})

	today := time.Now().UTC().Format(time.DateOnly)
	report := "/v1/reports/shift?from=" + today + "&to=" + today
	missed := func(tok string) []string {
		t.Helper()
		var ids []string
		for _, r := range list(s.must(200, "GET", report, tok, nil), "missed") {
			ids = append(ids, str(r, "id"))
		}
		return ids
	}
	if got := missed(alice); strings.Join(got, ",") != waiting+","+declined {
		t.Fatalf("missed = %v, want the waiting and the declined request", got)
	}
	s.wantError(400, "invalid_request", "GET", "/v1/reports/shift?from="+today, alice, nil)
	s.wantError(400, "invalid_request", "GET", "/v1/reports/shift?from=2026-11-24T10:00:00Z&to=2026-11-24T09:00:00Z", alice, nil)

	body := map[string]any{"from": today, "to": today, "template": "/hi"}
	s.wantError(403, "forbidden", "POST", "/v1/reports/shift/follow-up", alice, body)
	s.wantError(400, "invalid_request", "POST", "/v1/reports/shift/follow-up", admin, map[string]any{"from": today, "to": today, "template": "nope"})
	sent := list(s.must(200, "POST", "/v1/reports/shift/follow-up", admin, body), "sent")
	if len(sent) != 2 || !strings.HasPrefix(str(sent[0], "message", "text"), "Hi Walter, I'm Admin") {
		t.Fatalf("follow-up sent %v", sent)
	}
	eventually(t, "the follow-up in the waiting visitor's widget", func() bool {
		for _, m := range list(s.must(200, "GET", "/v1/widget/messages", waitingTok, nil), "messages") {
			if m["author"] == "agent" && strings.HasPrefix(str(m, "text"), "Hi Walter") {
				return true
			}
		}
		return false
	})
	if again := list(s.must(200, "POST", "/v1/reports/shift/follow-up", admin, body), "sent"); len(again) != 0 {
		t.Fatalf("a second follow-up sent %v", again)
	}
	if got := missed(admin); len(got) != 0 {
		t.Fatalf("missed after the follow-up: %v", got)
	}
}
