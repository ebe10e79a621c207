package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/queue"
)

func outbound(chat, text string) core.Outbound {
	return core.Outbound{MessageID: "m1", Channel: core.Channel{ID: "tg", Type: "telegram"},
		Customer: core.Customer{ChannelUserID: chat}, Text: text, Author: core.AuthorAgent}
}

// noSleep records the waits Send asks for instead of sleeping.
func noSleep(s *Sender) *[]time.Duration {
	var waits []time.Duration
	s.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	return &waits
}

func TestSend(t *testing.T) {
	fake := telegramtest.New(t)
	s := NewSender(NewClient(fake.URL(), fake.Token, nil), 0)
	pid, err := s.Send(context.Background(), outbound("77", "Hello Kim, Ann here."))
	if err != nil {
		t.Fatal(err)
	}
	me := fake.Wait(t, "getMe", time.Second)
	call := fake.Wait(t, "sendMessage", time.Second)
	if me.Path != "/bot"+fake.Token+"/getMe" || call.Path != "/bot"+fake.Token+"/sendMessage" {
		t.Errorf("paths %q %q", me.Path, call.Path)
	}
	if call.Params.Get("chat_id") != "77" || call.Params.Get("text") != "Hello Kim, Ann here." {
		t.Errorf("sendMessage params %v", call.Params)
	}
	if pid != "77:101" {
		t.Errorf("provider id %q, want 77:101", pid)
	}
	// getMe is made once, not per message.
	if _, err := s.Send(context.Background(), outbound("78", "again")); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls("getMe")); n != 1 {
		t.Errorf("getMe called %d times", n)
	}
}

func TestSendErrors(t *testing.T) {
	cases := []struct {
		name      string
		chat      string
		replies   []telegramtest.Reply
		maxWait   time.Duration
		wantPID   string
		wantWaits []time.Duration
		permanent bool   // a *core.DeliveryError with Permanent
		reason    string // its Reason / the error text contains
		rateLimit time.Duration
	}{
		{name: "429 waited out, then sent", chat: "77", replies: []telegramtest.Reply{telegramtest.Refusal(429, "Too Many Requests: retry after 1", 1)},
			wantPID: "77:101", wantWaits: []time.Duration{time.Second}},
		{name: "two 429s waited out", chat: "77", replies: []telegramtest.Reply{telegramtest.Refusal(429, "Too Many Requests: retry after 2", 2), telegramtest.Refusal(429, "Too Many Requests: retry after 1", 1)},
			wantPID: "77:101", wantWaits: []time.Duration{2 * time.Second, time.Second}},
		{name: "429 too long: retryable", chat: "77", replies: []telegramtest.Reply{telegramtest.Refusal(429, "Too Many Requests: retry after 60", 60)},
			reason: "retry after 1m0s", rateLimit: time.Minute},
		{name: "three 429s: retryable", chat: "77", replies: []telegramtest.Reply{telegramtest.Refusal(429, "x", 1), telegramtest.Refusal(429, "x", 1), telegramtest.Refusal(429, "x", 1)},
			wantWaits: []time.Duration{time.Second, time.Second}, reason: "retry after 1s", rateLimit: time.Second},
		{name: "403 blocked: permanent", chat: "77", replies: []telegramtest.Reply{telegramtest.Refusal(403, "Forbidden: bot was blocked by the user", 0)},
			permanent: true, reason: "Forbidden: bot was blocked by the user"},
		{name: "400 chat not found: permanent", chat: "77", replies: []telegramtest.Reply{telegramtest.Refusal(400, "Bad Request: chat not found", 0)},
			permanent: true, reason: "Bad Request: chat not found"},
		{name: "401 token revoked: permanent", chat: "77", replies: []telegramtest.Reply{telegramtest.Refusal(401, "Unauthorized", 0)},
			permanent: true, reason: "Telegram refused the bot token (401 Unauthorized): the channel's token is wrong or was revoked"},
		{name: "404 token unknown: permanent", chat: "77", replies: []telegramtest.Reply{telegramtest.Refusal(404, "Not Found", 0)},
			permanent: true, reason: "Telegram refused the bot token (404 Not Found): the channel's token is not one Telegram knows"},
		{name: "500: retryable", chat: "77", replies: []telegramtest.Reply{telegramtest.Refusal(500, "Internal Server Error", 0)},
			reason: "error 500"},
		{name: "not JSON: retryable", chat: "77", replies: []telegramtest.Reply{{Status: 502, Body: "<html>bad gateway</html>"}},
			reason: "telegram send"},
		{name: "chat id not a number: permanent", chat: "web-visitor", permanent: true, reason: "not a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := telegramtest.New(t)
			fake.Script("sendMessage", c.replies...)
			s := NewSender(NewClient(fake.URL(), fake.Token, nil), c.maxWait)
			waits := noSleep(s)
			pid, err := s.Send(context.Background(), outbound(c.chat, "hi"))
			if fmt.Sprint(*waits) != fmt.Sprint(c.wantWaits) {
				t.Errorf("waited %v, want %v", *waits, c.wantWaits)
			}
			if c.wantPID != "" {
				if err != nil || pid != c.wantPID {
					t.Fatalf("Send = %q, %v; want %q", pid, err, c.wantPID)
				}
				if n := len(fake.Calls("sendMessage")); n != len(c.replies)+1 {
					t.Errorf("sendMessage called %d times", n)
				}
				return
			}
			if err == nil {
				t.Fatalf("Send = %q, want an error", pid)
			}
			de, isDE := errors.AsType[*core.DeliveryError](err)
			if c.permanent != (isDE && de.Permanent) {
				t.Errorf("error %v (%T): permanent=%v, want %v", err, err, isDE && de.Permanent, c.permanent)
			}
			if isDE && de.Reason != c.reason && !strings.Contains(de.Reason, c.reason) {
				t.Errorf("reason %q, want %q", de.Reason, c.reason)
			}
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("error %q does not say %q", err, c.reason)
			}
			rl, isRL := errors.AsType[*RateLimitError](err)
			if (c.rateLimit != 0) != isRL || (isRL && rl.Wait != c.rateLimit) {
				t.Errorf("rate limit error %v, want retry after %v", err, c.rateLimit)
			}
			if wait, ok := core.RetryAfter(fmt.Errorf("deliver: %w", err)); wait != c.rateLimit || ok != (c.rateLimit != 0) {
				t.Errorf("core.RetryAfter(%v) = %s, %v; want %s", err, wait, ok, c.rateLimit)
			}
			if strings.Contains(err.Error(), fake.Token) {
				t.Errorf("token in error %q", err)
			}
		})
	}
}

// TestSendTokenRefused: when the Bot API refuses the bot's token, on the
// first getMe or on sendMessage, the delivery fails at once and for good
// (a permanent delivery error, which is not retried), with a reason that says what to fix and
// never shows the token.
func TestSendTokenRefused(t *testing.T) {
	cases := []struct {
		name       string
		token      string // "" is the fake's own
		getMe      []telegramtest.Reply
		send       []telegramtest.Reply
		code       string
		wantSends  int
		wantReason string
	}{
		{name: "getMe 401", getMe: []telegramtest.Reply{telegramtest.Refusal(401, "Unauthorized", 0)},
			code: "401", wantReason: "wrong or was revoked"},
		{name: "sendMessage 401", send: []telegramtest.Reply{telegramtest.Refusal(401, "Unauthorized", 0)},
			code: "401", wantSends: 1, wantReason: "wrong or was revoked"},
		{name: "sendMessage 401 quoting the token", send: []telegramtest.Reply{telegramtest.Refusal(401, "Unauthorized: invalid token "+telegramtest.Token, 0)},
			code: "401", wantSends: 1, wantReason: "Unauthorized: invalid token <token>"},
		{name: "token the fake does not know", token: "999:AAWrongTokenWrongTokenWrongToken123",
			code: "404", wantReason: "not one Telegram knows"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := telegramtest.New(t)
			fake.Script("getMe", c.getMe...)
			fake.Script("sendMessage", c.send...)
			token := fake.Token
			if c.token != "" {
				token = c.token
			}
			s := NewSender(NewClient(fake.URL(), token, nil), 0)
			_, err := s.Send(context.Background(), outbound("77", "hi"))
			de, ok := errors.AsType[*core.DeliveryError](err)
			if !ok || !de.Permanent || de.Code != c.code {
				t.Fatalf("Send = %v (%T), want a permanent delivery error %s", err, err, c.code)
			}
			if !strings.Contains(de.Reason, c.wantReason) || !strings.Contains(de.Reason, "bot token") {
				t.Errorf("reason %q does not say %q", de.Reason, c.wantReason)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "AAFakeToken") {
				t.Errorf("token in error %q", err)
			}
			if n := len(fake.Calls("sendMessage")); n != c.wantSends {
				t.Errorf("sendMessage called %d times, want %d", n, c.wantSends)
			}
		})
	}
}

// TestSend429RealWait waits out one real retry_after of 1 s inside Send.
func TestSend429RealWait(t *testing.T) {
	fake := telegramtest.New(t)
	fake.Script("sendMessage", telegramtest.Refusal(429, "Too Many Requests: retry after 1", 1))
	s := NewSender(NewClient(fake.URL(), fake.Token, nil), 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pid, err := s.Send(ctx, outbound("77", "hi"))
	if err != nil || pid != "77:101" {
		t.Fatalf("Send = %q, %v", pid, err)
	}
	// A deadline too close to wait: retryable at once, no sleep.
	fake.Script("sendMessage", telegramtest.Refusal(429, "Too Many Requests: retry after 3", 3))
	short, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if _, err := s.Send(short, outbound("77", "hi")); !errors.As(err, new(*RateLimitError)) {
		t.Fatalf("Send near the deadline = %v, want a RateLimitError", err)
	}
}

// TestTokenNeverInErrors drives every way a call can fail and checks that
// no error text (nor any error in its chain) contains the token.
func TestTokenNeverInErrors(t *testing.T) {
	token := telegramtest.Token
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		fmt.Fprint(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
	}))
	defer refusing.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "not json")
	}))
	defer garbage.Close()
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hanging.Close()
	cases := []struct {
		name, url string
		timeout   time.Duration
	}{
		{"connection refused", closedURL, 5 * time.Second},
		{"getMe refused", refusing.URL, 5 * time.Second},
		{"answer not JSON", garbage.URL, 5 * time.Second},
		{"deadline exceeded", hanging.URL, 200 * time.Millisecond},
		{"bad URL", "http://bad host:99", 5 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := NewClient(c.url, token, nil)
			ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
			defer cancel()
			s := NewSender(client, 0)
			_, err1 := s.Send(ctx, outbound("77", "hi"))
			_, err2 := client.Call(ctx, "setWebhook", nil)
			for _, err := range []error{err1, err2} {
				if err == nil {
					t.Fatal("no error")
				}
				for e := err; e != nil; e = errors.Unwrap(e) {
					for _, text := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
						if strings.Contains(text, token) || strings.Contains(text, "AAFakeToken") {
							t.Errorf("token in error: %s", text)
						}
					}
				}
			}
			if c.name == "deadline exceeded" && !errors.Is(err1, context.DeadlineExceeded) {
				t.Errorf("the cause was lost: %v", err1)
			}
		})
	}
}

func TestClientIsLazy(t *testing.T) {
	fake := telegramtest.New(t)
	c := NewClient(fake.URL(), fake.Token, nil)
	_ = NewSender(c, 0)
	_ = NewHandler(newStore(), "tg", c, quietLog())
	if n := len(fake.Calls("")); n != 0 {
		t.Fatalf("construction made %d calls", n)
	}
	// A failed getMe is retried on the next call.
	fake.Script("getMe", telegramtest.Refusal(500, "Internal Server Error", 0))
	if _, err := c.Me(context.Background()); err == nil {
		t.Fatal("Me succeeded through a failing getMe")
	}
	me, err := c.Me(context.Background())
	if err != nil || me.UserName != "switchboard_test_bot" {
		t.Fatalf("Me = %+v, %v", me, err)
	}
}

func TestRegisterWebhook(t *testing.T) {
	fake := telegramtest.New(t)
	c := NewClient(fake.URL()+"/", fake.Token, nil)
	done := make(chan error, 1)
	go func() {
		done <- RegisterWebhook(context.Background(), c, "https://chat.example/webhooks/tg", secret, quietLog())
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RegisterWebhook did not return")
	}
	call := fake.Wait(t, "setWebhook", time.Second)
	want := map[string]string{"url": "https://chat.example/webhooks/tg", "secret_token": secret,
		"allowed_updates": `["message","edited_message","callback_query"]`}
	for k, v := range want {
		if call.Params.Get(k) != v {
			t.Errorf("setWebhook %s = %q, want %q", k, call.Params.Get(k), v)
		}
	}
	if call.Path != "/bot"+fake.Token+"/setWebhook" {
		t.Errorf("path %q", call.Path)
	}
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTokenNeverLogged makes every background path fail against an
// unreachable Bot API and checks the logs name the failure but not the
// token.
func TestTokenNeverLogged(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client := NewClient(url, telegramtest.Token, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_ = RegisterWebhook(ctx, client, "https://chat.example/webhooks/tg", secret, log)

	h := NewHandler(newStore(), "tg", client, log)
	d, err := Decode([]byte(`{"update_id":1,"callback_query":{"id":"c1","from":{"id":7,"first_name":"A"},"data":"x","message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(context.Background(), d); err != nil {
		t.Fatal(err)
	}

	emb, err := queue.Connect(context.Background(), "", queue.ConnectOptions{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	p := NewPoller(PollerConfig{ChannelID: "tg", Client: client, Handler: h, Redis: emb.Client(), Log: log})
	pctx, pcancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer pcancel()
	_ = p.Run(pctx)

	out := logs.String()
	for _, want := range []string{"setWebhook failed", "answerCallbackQuery failed", "deleteWebhook failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs do not mention %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, telegramtest.Token) || strings.Contains(out, "AAFakeToken") {
		t.Errorf("token in logs:\n%s", out)
	}
	for _, key := range []string{p.LockKey(), p.OffsetKey()} {
		if strings.Contains(key, "AAFakeToken") {
			t.Errorf("token in Redis key %q", key)
		}
	}
}

func TestRegisterWebhookRefused(t *testing.T) {
	fake := telegramtest.New(t)
	fake.Script("setWebhook", telegramtest.Refusal(500, "Internal Server Error", 0),
		telegramtest.Refusal(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook", 0))
	c := NewClient(fake.URL(), fake.Token, nil)
	done := make(chan error, 1)
	go func() {
		done <- RegisterWebhook(context.Background(), c, "http://localhost:8080/webhooks/tg", secret, quietLog())
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "HTTPS url must be provided") {
			t.Fatalf("RegisterWebhook = %v, want the refusal", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RegisterWebhook kept retrying a refusal")
	}
	if n := len(fake.Calls("setWebhook")); n != 2 {
		t.Errorf("setWebhook called %d times, want 2 (the 500 retried)", n)
	}
}
