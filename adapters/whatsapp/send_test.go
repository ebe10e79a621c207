package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/core"
)

const token = "EAAwa-token-never-logged"

// fakeGraph answers every request with status and body, and records the
// last request.
type fakeGraph struct {
	status int
	answer string
	method string
	path   string
	auth   string
	ctype  string
	body   map[string]any
}

func (f *fakeGraph) serve(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.method, f.path, f.auth, f.ctype = r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		raw, _ := io.ReadAll(r.Body)
		f.body = nil
		if err := json.Unmarshal(raw, &f.body); err != nil {
			t.Errorf("request body is not JSON: %q", raw)
		}
		if strings.Contains(r.URL.RawQuery, token) {
			t.Errorf("token in the query string")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		io.WriteString(w, f.answer)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSend(t *testing.T) {
	out := core.Outbound{MessageID: "m1", Channel: core.Channel{ID: "wa", Type: "whatsapp"},
		Customer: core.Customer{ChannelUserID: "4915112345678"}, Text: "Hello ä", Author: core.AuthorAgent}
	graphErr := func(code int, msg string) string {
		return `{"error":{"message":"` + msg + `","type":"OAuthException","code":` + itoa(code) + `,"error_data":{"messaging_product":"whatsapp","details":"d"},"fbtrace_id":"Ax"}}`
	}
	cases := []struct {
		name      string
		status    int
		answer    string
		wantID    string
		permanent bool // when an error is expected
		code      string
		wantErr   bool
	}{
		{"ok", 200, `{"messaging_product":"whatsapp","contacts":[{"input":"4915112345678","wa_id":"4915112345678"}],"messages":[{"id":"wamid.HBgN"}]}`, "wamid.HBgN", false, "", false},
		{"outside 24h window", 400, graphErr(131047, "Re-engagement message"), "", true, "131047", true},
		{"undeliverable", 400, graphErr(131026, "Message undeliverable"), "", true, "131026", true},
		{"bad token", 401, graphErr(190, "Invalid OAuth access token"), "", true, "190", true},
		{"server error", 500, graphErr(1, "An unknown error occurred"), "", false, "", true},
		{"throttled", 429, graphErr(130429, "Rate limit hit"), "", false, "", true},
		{"no id", 200, `{"messages":[]}`, "", true, "no_message_id", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeGraph{status: c.status, answer: c.answer}
			srv := f.serve(t)
			s := whatsapp.NewSender(srv.URL+"/v21.0", "1122334455", token, nil, nil)
			id, err := s.Send(context.Background(), out)
			if f.method != "POST" || f.path != "/v21.0/1122334455/messages" || f.auth != "Bearer "+token || f.ctype != "application/json" {
				t.Errorf("request %s %s auth %q type %q", f.method, f.path, f.auth, f.ctype)
			}
			wantBody := map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915112345678",
				"type": "text", "text": map[string]any{"body": "Hello ä"}}
			if gb, _ := json.Marshal(f.body); string(gb) != mustJSON(wantBody) {
				t.Errorf("body %s, want %s", gb, mustJSON(wantBody))
			}
			if id != c.wantID {
				t.Errorf("id %q, want %q", id, c.wantID)
			}
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if err == nil {
				return
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("token in error text: %v", err)
			}
			var de *core.DeliveryError
			perm := errors.As(err, &de) && de.Permanent
			if perm != c.permanent {
				t.Fatalf("err = %v: permanent %v, want %v", err, perm, c.permanent)
			}
			if perm && (de.Code != c.code || de.Reason == "") {
				t.Fatalf("code %q reason %q, want %q", de.Code, de.Reason, c.code)
			}
		})
	}
}

func TestSendUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there now
	s := whatsapp.NewSender(srv.URL, "1", token, nil, nil)
	_, err := s.Send(context.Background(), core.Outbound{Customer: core.Customer{ChannelUserID: "1"}, Text: "x"})
	var de *core.DeliveryError
	if err == nil || errors.As(err, &de) {
		t.Fatalf("err = %v, want a retryable transport error", err)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
