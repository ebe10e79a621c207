package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// tieredYAML offers "invoice" requests to billing for 4 s, then to
// support; direct routing for "urgent" ones with a 2 s offer timeout.
const tieredYAML = `routing:
  reroute_within: 30s
  rules:
    - name: billing
      match: {keywords: [invoice]}
      mode: broadcast
      tiers:
        - {roles: [billing], for: 4s}
        - {roles: [support]}
    - name: urgent
      match: {keywords: [urgent]}
      mode: direct
      offer_timeout: 2s
`

// agentToken creates an online agent with roles and logs them in.
func agentToken(t *testing.T, s *server, admin, name string, roles ...string) string {
	t.Helper()
	email := strings.ToLower(name) + "@example.com"
	s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": email, "name": name, "password": "secret-pass", "roles": roles})
	tok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": "secret-pass"}), "token")
	s.must(200, "PUT", "/v1/me/status", tok, map[string]any{"online": true})
	return tok
}

// offeredTo reports whether the request is in the agent's panel, offered.
func offeredTo(s *server, tok, reqID string) bool {
	for _, r := range list(s.must(200, "GET", "/v1/requests", tok, nil), "requests") {
		if str(r, "id") == reqID && r["offered_to_me"] == true {
			return true
		}
	}
	return false
}

// openRequest starts a visitor who writes text and asks for a person.
func openRequest(t *testing.T, s *server, text string) (vtok, reqID string) {
	t.Helper()
	vtok = str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Fox Mulder"}), "token")
	s.must(202, "POST", "/v1/widget/messages", vtok, map[string]any{"text": text})
	reqID = str(s.must(202, "POST", "/v1/widget/handoff", vtok, map[string]any{"text": "talk to a person"}), "request", "id")
	if reqID == "" {
		t.Fatal("no request id")
	}
	return vtok, reqID
}

// docsYAML is the design's routing example: widget requests from docs
// pages go to developers for a minute, then to support.
const docsYAML = `routing:
  rules:
    - name: technical
      match: {channels: [web], page_url: "*/docs/*"}
      mode: broadcast
      tiers:
        - {roles: [developer], for: 60s}
        - {roles: [support]}
`

// TestNestedDocsPageGoesToDevelopersFirst: a visitor three levels deep in
// the docs, with a query and a fragment, is offered to the developer tier
// first, and so is one on a single-page app's #/docs route; a visitor on
// another page (with /docs/ only in its query) to everyone.
func TestNestedDocsPageGoesToDevelopersFirst(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServerWith(t, b, t.TempDir(), docsYAML)
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			dev := agentToken(t, s, admin, "Dana", "developer")
			sup := agentToken(t, s, admin, "Sam", "support")
			visit := func(page string) string {
				t.Helper()
				vtok := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Ada", "page_url": page}), "token")
				s.must(202, "POST", "/v1/widget/messages", vtok, map[string]any{"text": "my webhook never arrives"})
				return str(s.must(202, "POST", "/v1/widget/handoff", vtok, map[string]any{"text": "talk to a person"}), "request", "id")
			}
			docs := visit("https://shop.example/docs/api/webhooks?lang=go#retries")
			eventually(t, "the docs request offered to the developer", func() bool { return offeredTo(s, dev, docs) })
			if offeredTo(s, sup, docs) {
				t.Fatal("support offered a docs request during the developer tier")
			}
			req := s.must(200, "GET", "/v1/requests/"+docs, dev, nil)
			if got := str(req, "page_url"); got != "https://shop.example/docs/api/webhooks" { // cleaned: no query keys configured
				t.Errorf("page_url in the panel = %q", got)
			}
			spa := visit("https://app.shop.example/#/docs/api/webhooks")
			eventually(t, "the single-page app's docs request offered to the developer", func() bool { return offeredTo(s, dev, spa) })
			if offeredTo(s, sup, spa) {
				t.Fatal("support offered a docs route's request during the developer tier")
			}
			other := visit("https://shop.example/login?next=/docs/api/webhooks")
			eventually(t, "the other request offered to everyone", func() bool {
				return offeredTo(s, dev, other) && offeredTo(s, sup, other)
			})
		})
	}
}

// TestPendingOfferMovesOnAfterRestart: a tier timer pending when the
// server stops still fires after a restart with the same data: through
// Redis on a real Redis, rebuilt by the sweeper from the stored deadline
// on the embedded one (which forgets every task).
func TestPendingOfferMovesOnAfterRestart(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			s := startServerWith(t, b, dir, tieredYAML)
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			billing := agentToken(t, s, admin, "Bill", "billing")
			support := agentToken(t, s, admin, "Sue", "support")
			_, reqID := openRequest(t, s, "my invoice is wrong")
			eventually(t, "the first tier's offer", func() bool { return offeredTo(s, billing, reqID) })
			if offeredTo(s, support, reqID) {
				t.Fatal("support offered during the billing tier")
			}
			s.wantError(403, "not_offered", "POST", "/v1/requests/"+reqID+"/accept", support, nil)
			s.stop() // the tier timer is pending

			s2 := startServerWith(t, b, dir, tieredYAML)
			eventually(t, "the escalation to support after the restart", func() bool { return offeredTo(s2, support, reqID) })
			if offeredTo(s2, billing, reqID) {
				t.Error("billing still offered after the escalation")
			}
			s2.must(200, "POST", "/v1/requests/"+reqID+"/accept", support, nil)
		})
	}
}

// TestDirectOffersAndDecline: a decline re-offers at once; second-scale
// direct offers move from agent to agent; after everyone was tried the
// request is in the general queue; the decliner never sees it again.
func TestDirectOffersAndDecline(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServerWith(t, b, t.TempDir(), tieredYAML)
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			a := agentToken(t, s, admin, "Amy")
			c := agentToken(t, s, admin, "Cid")
			_, reqID := openRequest(t, s, "urgent: the site is down")
			var first, second string
			eventually(t, "a direct offer to one agent", func() bool {
				inA, inC := offeredTo(s, a, reqID), offeredTo(s, c, reqID)
				switch {
				case inA && !inC:
					first, second = a, c
				case inC && !inA:
					first, second = c, a
				default:
					return false
				}
				return true
			})
			// The decline re-offers at once: the other agent has it when the
			// decline answers.
			s.must(200, "POST", "/v1/requests/"+reqID+"/decline", first, map[string]any{"reason": "busy"})
			if !offeredTo(s, second, reqID) || offeredTo(s, first, reqID) {
				t.Fatal("the decline did not move the offer to the other agent at once")
			}
			// Dee comes online while the second offer runs: it stands until
			// its 2 s are up, then Dee is next; after Dee's 2 s everyone was
			// tried: general queue, still without the decliner.
			dee := agentToken(t, s, admin, "Dee")
			eventually(t, "the direct offer moving on to Dee", func() bool {
				return offeredTo(s, dee, reqID) && !offeredTo(s, second, reqID)
			})
			eventually(t, "the general queue after the direct round", func() bool {
				return offeredTo(s, dee, reqID) && offeredTo(s, second, reqID)
			})
			if offeredTo(s, first, reqID) {
				t.Error("the decliner was offered the request again")
			}
			s.must(200, "POST", "/v1/requests/"+reqID+"/accept", second, nil)
		})
	}
}

// systemTexts lists the system messages of the visitor's thread.
func systemTexts(s *server, vtok string) []string {
	var out []string
	for _, m := range list(s.must(200, "GET", "/v1/widget/messages", vtok, nil), "messages") {
		if m["author"] == "system" {
			out = append(out, str(m, "text"))
		}
	}
	return out
}

// TestOfflineAcknowledgmentAndQueue: nobody online → the thread holds one
// system message, the default acknowledgment with the ETA (no queue
// message beside it); the poll shows queue position and eta_seconds; an
// agent coming online is offered the waiting request, and the customer
// hears of it once.
func TestOfflineAcknowledgmentAndQueue(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServerWith(t, b, t.TempDir(), "offline: {default_eta: 20m}\n")
			const ack = "No agent is available right now. Expected reply within 20 minutes."
			vtok, reqID := openRequest(t, s, "hello")
			eventually(t, "the offline acknowledgment", func() bool { return len(systemTexts(s, vtok)) > 0 })
			if got := systemTexts(s, vtok); len(got) != 1 || got[0] != ack {
				t.Fatalf("system messages with nobody online = %q, want [%q]", got, ack)
			}
			poll := s.must(200, "GET", "/v1/widget/messages", vtok, nil)
			if poll["status"] != "waiting" || poll["queue_position"] != float64(1) || poll["eta_seconds"] != float64(1200) {
				t.Fatalf("poll = status %v, queue_position %v, eta_seconds %v", poll["status"], poll["queue_position"], poll["eta_seconds"])
			}
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			amy := agentToken(t, s, admin, "Amy")
			eventually(t, "the waiting request offered to the agent who came online", func() bool { return offeredTo(s, amy, reqID) })
			want := []string{ack, "You're next in line. An agent will be with you in about 20 minutes."}
			eventually(t, "the queue message", func() bool { return len(systemTexts(s, vtok)) == 2 })
			if got := systemTexts(s, vtok); !slices.Equal(got, want) {
				t.Fatalf("system messages once Amy is online = %q, want %q", got, want)
			}
		})
	}
}

// TestReload: POST /v1/admin/reload and SIGHUP swap the config; an invalid
// file is refused with 400 and the old config stays.
func TestReload(t *testing.T) {
	b := backends(t)[0]
	dir := t.TempDir()
	s := startServerWith(t, b, dir, "")
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	path := filepath.Join(dir, "switchboard.yaml")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	templates := func() []string {
		var names []string
		for _, tp := range list(s.must(200, "GET", "/v1/templates", admin, nil), "templates") {
			names = append(names, str(tp, "name"))
		}
		return names
	}
	if got := fmt.Sprint(templates()); got != "[opening]" {
		t.Fatalf("templates = %s", got)
	}
	write := func(extra string) {
		t.Helper()
		data := strings.Replace(string(orig), "templates:\n", "templates:\n"+extra, 1)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("  - {name: closing, body: \"Bye [Name]\"}\n")
	if r := s.must(200, "POST", "/v1/admin/reload", admin, nil); r["status"] != "reloaded" {
		t.Fatalf("reload: %v", r)
	}
	if got := fmt.Sprint(templates()); got != "[closing opening]" {
		t.Fatalf("templates after reload = %s", got)
	}

	write("  - {name: broken, body: \"x\", shortcut: \"no-slash\"}\n")
	s.wantError(400, "invalid_request", "POST", "/v1/admin/reload", admin, nil)
	if got := fmt.Sprint(templates()); got != "[closing opening]" {
		t.Fatalf("the old config did not stay: templates = %s", got)
	}

	write("  - {name: hup, body: \"Hello\"}\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the SIGHUP reload", func() bool { return fmt.Sprint(templates()) == "[hup opening]" })
}
