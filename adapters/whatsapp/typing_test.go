package whatsapp_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/core"
)

func TestTyping(t *testing.T) {
	tests := []struct {
		name    string
		replyTo string
		status  int
		answer  string
		wantErr string // "" none
		called  bool
	}{
		{name: "shown with the read mark", replyTo: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
			status: 200, answer: `{"success":true}`, called: true},
		{name: "refused", replyTo: "wamid.gone", status: 400, called: true, wantErr: "100",
			answer: `{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"fbtrace_id":"Ax"}}`},
		{name: "no customer message to mark read", replyTo: "", wantErr: "no message", called: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeGraph{status: tt.status, answer: tt.answer}
			srv := f.serve(t)
			typer := whatsapp.NewTyper(srv.URL+"/v21.0", "106540352242922", token, nil)
			err := typer.Typing(context.Background(), core.TypingTarget{Channel: core.Channel{ID: "wa", Type: "whatsapp"},
				Customer: core.Customer{ChannelUserID: "4915112345678"}, ReplyTo: tt.replyTo})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Typing: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Typing: error %v, want one saying %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token: %v", err)
			}
			if !tt.called {
				if f.method != "" {
					t.Errorf("called the Graph API: %s %s", f.method, f.path)
				}
				return
			}
			if f.method != "POST" || f.path != "/v21.0/106540352242922/messages" {
				t.Errorf("request %s %s, want POST /v21.0/106540352242922/messages", f.method, f.path)
			}
			if f.auth != "Bearer "+token || f.ctype != "application/json" {
				t.Errorf("Authorization %q, Content-Type %q", f.auth, f.ctype)
			}
			want := map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": tt.replyTo,
				"typing_indicator": map[string]any{"type": "text"}}
			if !reflect.DeepEqual(f.body, want) {
				t.Errorf("body %v, want %v", f.body, want)
			}
		})
	}
}
