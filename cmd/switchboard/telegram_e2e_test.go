package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
	"github.com/switchboard-chat/switchboard/core"
)

const tgSecret = "e2e-Secret_token-42"

// tgPost sends one update to the telegram webhook with secret (none when
// empty) and returns the status.
func tgPost(t *testing.T, s *server, secret, body string) int {
	t.Helper()
	req, err := http.NewRequest("POST", s.base+"/webhooks/tg", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// tgText is a private-chat text update from Tom Hanks (chat 5550123).
func tgText(updateID, messageID int, text string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":%d,`+
		`"chat":{"id":5550123,"type":"private","first_name":"Tom","last_name":"Hanks","username":"tom"},`+
		`"from":{"id":5550123,"is_bot":false,"first_name":"Tom","last_name":"Hanks","username":"tom"},"text":%q}}`,
		updateID, messageID, time.Now().Unix(), text)
}

// tgWaitSent waits for the sendMessage to chat 5550123 whose text contains
// want, skipping the others (system notes), and returns its text.
func tgWaitSent(t *testing.T, fake *telegramtest.Fake, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var seen []string
	for time.Now().Before(deadline) {
		c := fake.Wait(t, "sendMessage", time.Until(deadline))
		if c.Params.Get("chat_id") != "5550123" {
			t.Fatalf("sendMessage to chat %q, want 5550123", c.Params.Get("chat_id"))
		}
		text := c.Params.Get("text")
		if strings.Contains(text, want) {
			return text
		}
		seen = append(seen, text)
	}
	t.Fatalf("no sendMessage containing %q; saw %q", want, seen)
	return ""
}

// TestTelegramEndToEnd runs the flow through the real binary with a
// telegram channel whose api_url is a fake Bot API: setWebhook at start,
// update → the bot's answer via sendMessage → "talk to a person" → the
// request in the panel (channel type telegram, the customer's name) →
// accept → the agent's replies via sendMessage, one of them after a 429.
func TestTelegramEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			fake := telegramtest.New(t)
			s := startServerWith(t, b, t.TempDir(), fmt.Sprintf(`channels:
  - {id: tg, type: telegram, bot_token: %q, secret_token: %q, api_url: %q}
`, fake.Token, tgSecret, fake.URL()))
			tgFlow(t, s, fake)
		})
	}
}

func tgFlow(t *testing.T, s *server, fake *telegramtest.Fake) {
	// At start the gateway registered its webhook.
	hook := fake.Wait(t, "setWebhook", 30*time.Second)
	for k, want := range map[string]string{"url": "http://localhost:8080/webhooks/tg", "secret_token": tgSecret,
		"allowed_updates": `["message","edited_message","callback_query"]`} {
		if got := hook.Params.Get(k); got != want {
			t.Errorf("setWebhook %s = %q, want %q", k, got, want)
		}
	}

	// Refused before anything is stored.
	if st := tgPost(t, s, "", tgText(1, 1, "sneaky")); st != 401 {
		t.Fatalf("no secret: %d", st)
	}
	if st := tgPost(t, s, "wrong", tgText(1, 1, "sneaky")); st != 401 {
		t.Fatalf("wrong secret: %d", st)
	}
	if st := tgPost(t, s, tgSecret, `{"update_id":`); st != 400 {
		t.Fatalf("not JSON: %d", st)
	}
	// An update the library cannot decode is still 200.
	if st := tgPost(t, s, tgSecret, `{"update_id":2,"inline_query":{"id":134567890097,"from":{"id":1,"first_name":"X"},"query":"q","offset":""}}`); st != 200 {
		t.Fatalf("undecodable update: %d", st)
	}

	// /start → the greeting, via sendMessage to the customer's chat.
	start := tgText(10, 1, "/start")
	if st := tgPost(t, s, tgSecret, start); st != 200 {
		t.Fatalf("/start: %d", st)
	}
	if got := tgWaitSent(t, fake, core.DefaultGreeting); got != core.DefaultGreeting {
		t.Errorf("greeting %q", got)
	}
	// Redelivered: 200, nothing new stored (checked on the conversation below).
	if st := tgPost(t, s, tgSecret, start); st != 200 {
		t.Fatalf("redelivered /start: %d", st)
	}

	// An agent is online; the customer asks for a person.
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": "tg-agent@example.com", "name": "Ann Agent", "password": "secret-pass"})
	agent := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "tg-agent@example.com", "password": "secret-pass"}), "token")
	s.must(200, "PUT", "/v1/me/status", agent, map[string]any{"online": true})
	if st := tgPost(t, s, tgSecret, tgText(11, 2, "talk to a person")); st != 200 {
		t.Fatalf("handoff: %d", st)
	}
	var req map[string]any
	eventually(t, "the telegram request in the panel", func() bool {
		rs := list(s.must(200, "GET", "/v1/requests", agent, nil), "requests")
		if len(rs) == 1 {
			req = rs[0]
		}
		return len(rs) == 1
	})
	for k, want := range map[string]string{"channel.type": str(req, "channel", "type"), "channel.id": str(req, "channel", "id"),
		"customer.name": str(req, "customer", "name"), "status": str(req, "status")} {
		if exp := map[string]string{"channel.type": "telegram", "channel.id": "tg", "customer.name": "Tom Hanks", "status": "waiting"}[k]; want != exp {
			t.Errorf("request %s = %q, want %q", k, want, exp)
		}
	}

	// Accept; the customer hears that an agent joined.
	acc := s.must(200, "POST", "/v1/requests/"+str(req, "id")+"/accept", agent, nil)
	convID := str(acc, "conversation", "id")
	tgWaitSent(t, fake, "joined")

	// The redelivered /start was stored once.
	conv := s.must(200, "GET", "/v1/conversations/"+convID, agent, nil)
	starts := 0
	for _, m := range list(conv, "messages") {
		if m["author"] == "customer" && m["text"] == "/start" {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("/start stored %d times", starts)
	}

	// The agent replies; then once more through a 429 with retry_after.
	s.must(202, "POST", "/v1/conversations/"+convID+"/messages", agent, map[string]any{"text": "Hi Tom, Ann here. Checking your order."})
	tgWaitSent(t, fake, "Ann here")
	fake.Script("sendMessage", telegramtest.Refusal(429, "Too Many Requests: retry after 1", 1))
	s.must(202, "POST", "/v1/conversations/"+convID+"/messages", agent, map[string]any{"text": "It ships tomorrow."})
	first := fake.Wait(t, "sendMessage", 30*time.Second) // refused with 429
	second := fake.Wait(t, "sendMessage", 30*time.Second)
	for _, c := range []telegramtest.Call{first, second} {
		if c.Params.Get("text") != "It ships tomorrow." || c.Params.Get("chat_id") != "5550123" {
			t.Errorf("sendMessage after 429: %v", c.Params)
		}
	}
	eventually(t, "both agent messages sent with a provider id", func() bool {
		sent := 0
		for _, m := range list(s.must(200, "GET", "/v1/conversations/"+convID, agent, nil), "messages") {
			if m["author"] == "agent" && m["delivery"] == "sent" {
				sent++
			}
		}
		return sent == 2
	})
	if bad := fake.BadPaths(); len(bad) != 0 {
		t.Errorf("Bot API calls without the token path: %v", bad)
	}
}

// TestTelegramPollingEndToEnd runs a polling-mode channel through the
// binary: no webhook is served, the webhook is deleted, getUpdates brings
// /start in and the greeting goes out via sendMessage.
func TestTelegramPollingEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			fake := telegramtest.New(t)
			s := startServerWith(t, b, t.TempDir(), fmt.Sprintf(`channels:
  - {id: tg, type: telegram, mode: polling, bot_token: %q, api_url: %q}
`, fake.Token, fake.URL()))
			if st := tgPost(t, s, tgSecret, tgText(1, 1, "hi")); st != 404 {
				t.Errorf("webhook in polling mode: %d, want 404", st)
			}
			fake.Wait(t, "deleteWebhook", 30*time.Second)
			fake.Push(t, tgText(20, 1, "/start"))
			if got := tgWaitSent(t, fake, core.DefaultGreeting); got != core.DefaultGreeting {
				t.Errorf("greeting %q", got)
			}
			if n := len(fake.Calls("setWebhook")); n != 0 {
				t.Errorf("setWebhook called %d times in polling mode", n)
			}
		})
	}
}
