package telegram

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
	"github.com/switchboard-chat/switchboard/core"
)

// store is a fake Ingester with core's deduplication on (channel,
// provider id); down makes it fail like a storage outage.
type store struct {
	mu    sync.Mutex
	msgs  []core.Inbound
	edits []string // provider id=text
	seen  map[string]bool
	calls map[string]int // Ingest calls per provider id, duplicates included
	down  bool
}

func newStore() *store { return &store{seen: map[string]bool{}, calls: map[string]int{}} }

func (s *store) Ingest(_ context.Context, in core.Inbound) (core.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[in.ProviderID]++
	if s.down {
		return core.Message{}, core.ErrUnavailable
	}
	if strings.TrimSpace(in.Text) == "" {
		return core.Message{}, core.Invalid("text", "must not be empty")
	}
	key := in.ChannelID + "/" + in.ProviderID
	if in.ProviderID != "" && s.seen[key] {
		return core.Message{}, core.ErrDuplicate
	}
	s.seen[key] = true
	s.msgs = append(s.msgs, in)
	return core.Message{Text: in.Text}, nil
}

func (s *store) EditInbound(_ context.Context, _, providerID, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return core.ErrUnavailable
	}
	s.edits = append(s.edits, providerID+"="+text)
	return nil
}

func (*store) DeliveryStatus(context.Context, string, string, core.Delivery, string) error {
	return nil
}
func (*store) ReadUpTo(context.Context, string, string, time.Time) error { return nil }
func (*store) RevokeInbound(context.Context, string, string) error       { return nil }
func (*store) KnownCustomer(context.Context, string, string) (core.Customer, bool, error) {
	return core.Customer{}, false, nil
}

func (s *store) stored() []core.Inbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]core.Inbound(nil), s.msgs...)
}

func (s *store) editList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.edits...)
}

const secret = "s3cr3t-Token_42"

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// post serves one request through the gateway's webhook routes (with the
// given body limit, 0: the default) and answers its status.
func post(t *testing.T, w httpapi.Webhook, header string, body string, limit int64) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/tg", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set(SecretHeader, header)
	}
	rec := httptest.NewRecorder()
	hooks := httpapi.NewWebhooks(nil)
	hooks.Replace(map[string]httpapi.Webhook{"tg": w})
	httpapi.New(httpapi.Options{Logger: quietLog(), WebhookBodyLimit: limit}, hooks).Echo.ServeHTTP(rec, req)
	return rec.Code
}

const textUpdate = `{"update_id":500,"message":{"message_id":9,"date":1700000000,"chat":{"id":77,"type":"private","first_name":"Kim"},"from":{"id":77,"first_name":"Kim","last_name":"Park"},"text":"where is my order"}}`

func TestWebhook(t *testing.T) {
	sticker := `{"update_id":501,"message":{"message_id":10,"date":1,"chat":{"id":77,"type":"private"},"from":{"id":77,"first_name":"Kim"},"sticker":{"emoji":"👍","is_animated":1}}}`
	inline := `{"update_id":502,"inline_query":{"id":134567890097,"from":{"id":77,"first_name":"Kim"},"query":"q","offset":""}}`
	sameMsgOtherUpdate := strings.Replace(textUpdate, `"update_id":500`, `"update_id":900`, 1)
	cases := []struct {
		name       string
		header     string
		body       string
		limit      int64
		down       bool
		want       int
		wantStored []string // texts stored by this request
	}{
		{"missing secret", "", textUpdate, 0, false, 401, nil},
		{"wrong secret", "wrong", textUpdate, 0, false, 401, nil},
		{"wrong secret, same length", strings.Repeat("x", len(secret)), textUpdate, 0, false, 401, nil},
		{"secret with a suffix", secret + "x", textUpdate, 0, false, 401, nil},
		{"not JSON", secret, `{"update_id":`, 0, false, 400, nil},
		{"JSON but not an object", secret, `[1,2]`, 0, false, 400, nil},
		{"too large", secret, textUpdate, 10, false, 413, nil},
		{"storage down", secret, textUpdate, 0, true, 503, nil},
		{"text", secret, textUpdate, 0, false, 200, []string{"where is my order"}},
		{"redelivered", secret, textUpdate, 0, false, 200, nil},
		{"same message, another update_id", secret, sameMsgOtherUpdate, 0, false, 200, nil},
		{"undecodable by the library", secret, sticker, 0, false, 200, []string{"[sticker] 👍"}},
		{"undecodable and ignored", secret, inline, 0, false, 200, nil},
		{"group", secret, `{"update_id":503,"message":{"message_id":1,"chat":{"id":-5,"type":"group"},"text":"hi"}}`, 0, false, 200, nil},
		{"empty object", secret, `{}`, 0, false, 200, nil},
	}
	st := newStore()
	w := NewWebhook(NewHandler(st, "tg", nil, quietLog()), secret)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(st.stored())
			st.mu.Lock()
			st.down = c.down
			st.mu.Unlock()
			if got := post(t, w, c.header, c.body, c.limit); got != c.want {
				t.Fatalf("status %d, want %d", got, c.want)
			}
			var texts []string
			for _, m := range st.stored()[before:] {
				texts = append(texts, m.Text)
			}
			if strings.Join(texts, "|") != strings.Join(c.wantStored, "|") {
				t.Errorf("stored %q, want %q", texts, c.wantStored)
			}
		})
	}
	// The first stored message carries everything core needs.
	got := st.stored()[0]
	want := core.Inbound{ChannelID: "tg", ChannelUserID: "77", Name: "Kim Park", ProviderID: "77:9",
		Text: "where is my order", At: time.Unix(1700000000, 0).UTC()}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inbound %+v, want %+v", got, want)
	}
	// Unauthorized requests never reached the store.
	if n := st.calls["77:9"]; n != 4 { // storage down, text, redelivered, other update_id
		t.Errorf("Ingest called %d times for 77:9, want 4", n)
	}
}

func TestWebhookEmptySecretRefusesAll(t *testing.T) {
	st := newStore()
	w := NewWebhook(NewHandler(st, "tg", nil, quietLog()), "")
	for _, h := range []string{"", "anything"} {
		if got := post(t, w, h, textUpdate, 0); got != 401 {
			t.Errorf("header %q: status %d, want 401", h, got)
		}
	}
	if len(st.stored()) != 0 {
		t.Errorf("stored %v", st.stored())
	}
}

func TestWebhookEditAndCallback(t *testing.T) {
	fake := telegramtest.New(t)
	st := newStore()
	w := NewWebhook(NewHandler(st, "tg", NewClient(fake.URL(), fake.Token, nil), quietLog()), secret)

	edit := `{"update_id":600,"edited_message":{"message_id":9,"date":1,"edit_date":2,"chat":{"id":77,"type":"private"},"text":"where is my parcel"}}`
	if got := post(t, w, secret, edit, 0); got != 200 {
		t.Fatalf("edit: status %d", got)
	}
	if e := st.editList(); len(e) != 1 || e[0] != "77:9=where is my parcel" {
		t.Errorf("edits %q", e)
	}

	cb := `{"update_id":601,"callback_query":{"id":"cbq-1","from":{"id":77,"first_name":"Kim"},"chat_instance":"i","data":"talk to a person","message":{"message_id":11,"date":1,"chat":{"id":77,"type":"private"},"text":"Need help?"}}}`
	if got := post(t, w, secret, cb, 0); got != 200 {
		t.Fatalf("callback: status %d", got)
	}
	if s := st.stored(); len(s) != 1 || s[0].ProviderID != "cq:cbq-1" || s[0].Text != "talk to a person" || s[0].ChannelUserID != "77" {
		t.Errorf("callback stored %+v", s)
	}
	call := fake.Wait(t, "answerCallbackQuery", 5*time.Second)
	if call.Params.Get("callback_query_id") != "cbq-1" {
		t.Errorf("answerCallbackQuery params %v", call.Params)
	}

	// Without a message (inline): nothing stored, still answered.
	noMsg := `{"update_id":602,"callback_query":{"id":"cbq-2","from":{"id":77,"first_name":"Kim"},"data":"x","inline_message_id":"im"}}`
	if got := post(t, w, secret, noMsg, 0); got != 200 {
		t.Fatalf("callback without message: status %d", got)
	}
	if call := fake.Wait(t, "answerCallbackQuery", 5*time.Second); call.Params.Get("callback_query_id") != "cbq-2" {
		t.Errorf("answerCallbackQuery params %v", call.Params)
	}
	if len(st.stored()) != 1 {
		t.Errorf("stored %+v", st.stored())
	}
	if bad := fake.BadPaths(); len(bad) != 0 {
		t.Errorf("requests without the token path: %v", bad)
	}

	// A callback whose storing failed is not answered: Telegram redelivers.
	st.mu.Lock()
	st.down = true
	st.mu.Unlock()
	cb3 := strings.ReplaceAll(cb, "cbq-1", "cbq-3")
	if got := post(t, w, secret, cb3, 0); got != 503 {
		t.Fatalf("callback with storage down: status %d", got)
	}
	for _, c := range fake.Calls("answerCallbackQuery") {
		if c.Params.Get("callback_query_id") == "cbq-3" {
			t.Errorf("answered a callback that was not stored")
		}
	}
}
