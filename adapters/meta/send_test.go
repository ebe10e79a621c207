package meta_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// sendAPI is a fake Send API recording every request.
type sendAPI struct {
	mu     sync.Mutex
	status int
	answer string
	reqs   []sendReq
}

type sendReq struct {
	method, path, auth string
	body               map[string]any
}

func (f *sendAPI) serve(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var b map[string]any
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Errorf("body not JSON: %q", raw)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, sendReq{r.Method, r.URL.Path, r.Header.Get("Authorization"), b})
		n := len(f.reqs)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		io.WriteString(w, strings.ReplaceAll(f.answer, "N", string(rune('0'+n))))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v21.0"
}

func TestMessagingSender(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const tok = "EAA-page-token"
	ok := `{"recipient_id":"PSID","message_id":"m_N"}`
	errBody := func(code, sub int) string {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": "refused", "type": "OAuthException", "code": code, "error_subcode": sub, "fbtrace_id": "T"}})
		return string(b)
	}
	cases := []struct {
		name      string
		lastSeen  time.Time
		author    core.Author
		text      string
		status    int
		answer    string
		wantCalls int
		wantType  string // messaging_type of the request
		wantTag   string
		wantID    string
		errCode   string // "" no error; "retry" retryable; else permanent code
	}{
		{"within 24h: RESPONSE", now.Add(-time.Hour), core.AuthorAgent, "hi", 200, ok, 1, "RESPONSE", "", "m_1", ""},
		{"unknown last seen: RESPONSE", time.Time{}, core.AuthorBot, "hi", 200, ok, 1, "RESPONSE", "", "m_1", ""},
		{"after 24h, agent: HUMAN_AGENT", now.Add(-48 * time.Hour), core.AuthorAgent, "hi", 200, ok, 1, "MESSAGE_TAG", "HUMAN_AGENT", "m_1", ""},
		{"after 7 days: refused without a call", now.Add(-8 * 24 * time.Hour), core.AuthorAgent, "hi", 200, ok, 0, "", "", "", "outside_window"},
		{"bot after 24h: refused without a call", now.Add(-25 * time.Hour), core.AuthorBot, "hi", 200, ok, 0, "", "", "", "outside_window"},
		{"outside window per Meta", now.Add(-time.Hour), core.AuthorAgent, "hi", 400, errBody(10, 2018278), 1, "RESPONSE", "", "", "10"},
		{"user unavailable", now.Add(-time.Hour), core.AuthorAgent, "hi", 400, errBody(551, 1545041), 1, "RESPONSE", "", "", "551"},
		{"bad token", now.Add(-time.Hour), core.AuthorAgent, "hi", 400, errBody(190, 0), 1, "RESPONSE", "", "", "190"},
		{"server error", now.Add(-time.Hour), core.AuthorAgent, "hi", 500, errBody(2, 0), 1, "RESPONSE", "", "", "retry"},
		{"throttled", now.Add(-time.Hour), core.AuthorAgent, "hi", 429, errBody(613, 0), 1, "RESPONSE", "", "", "retry"},
		{"long text in parts", now.Add(-time.Hour), core.AuthorAgent, strings.Repeat("word ", 5), 200, ok, 3, "RESPONSE", "", "m_3", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := &sendAPI{status: c.status, answer: c.answer}
			s := &meta.MessagingSender{Client: meta.NewClient(api.serve(t), tok, nil), MaxText: 10, Now: func() time.Time { return now }}
			id, err := s.Send(context.Background(), core.Outbound{Customer: core.Customer{ChannelUserID: "PSID", LastSeenAt: c.lastSeen}, Text: c.text, Author: c.author})
			if len(api.reqs) != c.wantCalls {
				t.Fatalf("%d API calls, want %d", len(api.reqs), c.wantCalls)
			}
			for _, r := range api.reqs {
				if r.method != "POST" || r.path != "/v21.0/me/messages" || r.auth != "Bearer "+tok {
					t.Errorf("request %s %s auth %q", r.method, r.path, r.auth)
				}
				rec, _ := r.body["recipient"].(map[string]any)
				msg, _ := r.body["message"].(map[string]any)
				tag, _ := r.body["tag"].(string)
				if rec["id"] != "PSID" || r.body["messaging_type"] != c.wantType || tag != c.wantTag || msg["text"] == "" {
					t.Errorf("body %v, want recipient PSID, messaging_type %q, tag %q and text", r.body, c.wantType, c.wantTag)
				}
			}
			if c.wantCalls == 1 && c.text == "hi" && api.reqs[0].body["message"].(map[string]any)["text"] != "hi" {
				t.Errorf("text %v", api.reqs[0].body["message"])
			}
			if id != c.wantID {
				t.Errorf("id %q, want %q", id, c.wantID)
			}
			var de *core.DeliveryError
			switch {
			case c.errCode == "" && err != nil:
				t.Fatalf("err %v", err)
			case c.errCode == "retry" && (err == nil || errors.As(err, &de)):
				t.Fatalf("err %v, want retryable", err)
			case c.errCode != "" && c.errCode != "retry" && (!errors.As(err, &de) || !de.Permanent || de.Code != c.errCode):
				t.Fatalf("err %v, want permanent %s", err, c.errCode)
			}
			if err != nil && strings.Contains(err.Error(), tok) {
				t.Fatal("token in error text")
			}
		})
	}
}

func TestProfile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/ig1":
			w.Write([]byte(`{"username":"jdoe","id":"ig1"}`))
		case "/ig2":
			w.Write([]byte(`{"name":"Jane Doe","username":"jdoe"}`))
		default:
			w.WriteHeader(400)
			w.Write([]byte(`{"error":{"message":"no such user","code":100}}`))
		}
	}))
	defer srv.Close()
	c := meta.NewClient(srv.URL, "t", nil)
	ig := []string{"name", "username"}
	if n, err := c.Profile(context.Background(), "ig1", ig, true); err != nil || n != "jdoe" {
		t.Fatalf("username fallback: %q %v", n, err)
	}
	if n, err := c.Profile(context.Background(), "ig2", ig, true); err != nil || n != "Jane Doe" {
		t.Fatalf("name first: %q %v", n, err)
	}
	if _, err := c.Profile(context.Background(), "zz", ig, true); err == nil {
		t.Fatal("error answer gave a name")
	}
}
