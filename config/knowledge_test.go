package config

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
	"github.com/switchboard-chat/switchboard/core/storetest"
)

// TestDefaultKnowledgeIsEvaluated: the default knowledge base is the one
// core's TestKnowledgeEval measures, entry for entry.
func TestDefaultKnowledgeIsEvaluated(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "core", "testdata", "kb.json"))
	if err != nil {
		t.Fatal(err)
	}
	var evaluated []Knowledge
	if err := json.Unmarshal(raw, &evaluated); err != nil {
		t.Fatal(err)
	}
	if got := Default().Bot.Knowledge; !reflect.DeepEqual(got, evaluated) {
		t.Errorf("Default().Bot.Knowledge differs from core/testdata/kb.json: change both, and run core's TestKnowledgeEval\n got %+v\nwant %+v", got, evaluated)
	}
}

// TestDefaultsAnswerTheDemo: with no file, a widget visitor of the demo
// shop asking where their order is gets the order answer from the bot,
// through the Service, however the question is wrapped; a question the
// knowledge base has no answer for gets none.
func TestDefaultsAnswerTheDemo(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	var orderAnswer string
	answers := map[string]bool{}
	for _, k := range c.Bot.Knowledge {
		answers[k.Answer] = true
		if k.Questions[0] == "where is my order" {
			orderAnswer = k.Answer
		}
	}
	if orderAnswer == "" {
		t.Fatal("the default knowledge base has no order entry")
	}
	ctx := context.Background()
	svc := core.NewService(core.Deps{Store: memstore.New(), Jobs: &storetest.Jobs{}, BcryptCost: 4}, c.Settings())
	tests := []struct{ text, want string }{
		{"Where is my order?", orderAnswer}, // README's walk-through
		{"Hi, where is my order? I ordered last week", orderAnswer},
		{"do you sell gift cards", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			sess, err := svc.StartWidgetSession(ctx, core.WidgetSessionInput{Name: "Dana Scully", PageURL: "https://shop.example/"})
			if err != nil {
				t.Fatal(err)
			}
			v, err := svc.VisitorByToken(ctx, sess.Token)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := svc.VisitorSend(ctx, v, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.RunBot(ctx, msg.ID); err != nil {
				t.Fatal(err)
			}
			th, err := svc.VisitorMessages(ctx, v, msg.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(th.Messages) != 1 || th.Messages[0].Author != core.AuthorBot {
				t.Fatalf("bot replies: %+v", th.Messages)
			}
			got := th.Messages[0].Text
			switch {
			case tt.want != "" && got != tt.want:
				t.Errorf("bot answered %q, want %q", got, tt.want)
			case tt.want == "" && answers[got]:
				t.Errorf("bot answered %q from the knowledge base", got)
			}
		})
	}
}
