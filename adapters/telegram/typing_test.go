package telegram

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
	"github.com/switchboard-chat/switchboard/core"
)

func TestTyping(t *testing.T) {
	tests := []struct {
		name    string
		chat    string
		script  []telegramtest.Reply
		wantErr string // "" none
		calls   int
	}{
		{name: "private chat", chat: "5550123", calls: 1},
		{name: "blocked by the user", chat: "5550123", calls: 1, wantErr: "Forbidden",
			script: []telegramtest.Reply{telegramtest.Refusal(403, "Forbidden: bot was blocked by the user", 0)}},
		{name: "not a chat id", chat: "web-visitor", calls: 0, wantErr: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := telegramtest.New(t)
			if len(tt.script) > 0 {
				fake.Script("sendChatAction", tt.script...)
			}
			typer := NewTyper(NewClient(fake.URL(), fake.Token, nil))
			err := typer.Typing(context.Background(), core.TypingTarget{Channel: core.Channel{ID: "tg", Type: "telegram"},
				Customer: core.Customer{ChannelUserID: tt.chat}, ReplyTo: "5550123:7"})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Typing: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Typing: error %v, want one saying %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), fake.Token) {
				t.Errorf("the error shows the bot token: %v", err)
			}
			calls := fake.Calls("sendChatAction")
			if len(calls) != tt.calls {
				t.Fatalf("%d sendChatAction calls, want %d", len(calls), tt.calls)
			}
			if tt.calls == 0 {
				return
			}
			c := fake.Wait(t, "sendChatAction", time.Second)
			if c.Path != "/bot"+fake.Token+"/sendChatAction" {
				t.Errorf("path %q: not the bot's sendChatAction", c.Path)
			}
			if c.Params.Get("chat_id") != tt.chat || c.Params.Get("action") != "typing" {
				t.Errorf("sendChatAction params %v, want chat_id %s and action typing", c.Params, tt.chat)
			}
		})
	}
}
