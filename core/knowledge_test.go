package core_test

import (
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

const (
	ansOrder    = "You can track your order at shop.example/orders."
	ansPassword = "Use \"Forgot password\" on the login page."
	ansHours    = "We're open Monday to Friday, 9:00–17:00."
	ansRefund   = "Refunds take 5 working days."
)

func knowledgeBase() []core.KnowledgeEntry {
	return []core.KnowledgeEntry{
		{Questions: []string{"where is my order", "track my order", "order status"}, Answer: ansOrder},
		{Questions: []string{"how do I reset my password", "forgot password"}, Answer: ansPassword},
		{Questions: []string{"what are your opening hours", "when are you open"}, Answer: ansHours},
		{Questions: []string{"refund", "money back", "return an item"}, Answer: ansRefund},
	}
}

func TestKnowledgeAnswer(t *testing.T) {
	kb := core.NewKnowledge(knowledgeBase(), 0)
	tests := []struct {
		q, want string // want "": no answer
	}{
		// The question inside a longer message (issue 17).
		{"Where is my order?", ansOrder},
		{"Hi, where is my order? I ordered last week", ansOrder},
		{"hello where is my order i ordered last week", ansOrder}, // no punctuation
		{"I ordered a notebook ten days ago. It hasn't come yet. Where is my order??", ansOrder},
		{"WHERE'S MY ORDER??", ansOrder},
		{"wheres my order", ansOrder},
		{"My order, where is it?", ansOrder}, // other word order
		{"how can I track my orders", ansOrder},
		{"status of order 4711 please", ansOrder}, // order numbers are dropped
		// Typos, other forms, glued words.
		{"where is my ordr", ansOrder},
		{"forgot my pasword", ansPassword},
		{"I forgott my passwort", ansPassword},
		{"I want a refnd", ansRefund},
		{"reset password please", ansPassword},
		{"are you open on sunday", ansHours},
		{"What are your opening hours?", ansHours},
		{"I'd like my money back", ansRefund},
		{"returning items", ansRefund},
		// One of its words does not make a message about an entry.
		{"can I order a notebook in blue?", ""},
		{"do you sell gift cards", ""},
		{"the app crashes when I upload a photo", ""},
		{"hello", ""}, // function words only
		{"hi!!", ""},
		{"👍", ""},
		{"4711", ""},
		{"¿Dónde está mi pedido?", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			t.Helper()
			got, conf, ok := kb.Answer(tt.q)
			if tt.want == "" {
				if ok {
					t.Fatalf("answered %q (confidence %.2f), want no answer", got, conf)
				}
				return
			}
			if !ok || got != tt.want {
				t.Fatalf("Answer = %q, %v (confidence %.2f), want %q", got, ok, conf, tt.want)
			}
			if conf < core.DefaultMinConfidence || conf > 1 {
				t.Fatalf("confidence %.2f out of range", conf)
			}
		})
	}
}

// TestKnowledgeLongMessage: a rant around a known question still gets the
// answer; the same rant without the question does not.
func TestKnowledgeLongMessage(t *testing.T) {
	kb := core.NewKnowledge(knowledgeBase(), 0)
	rant := "I have been a customer for years and honestly the last few months have been a mess, " +
		"the website is slow, the notebook covers feel cheaper, the newsletter comes every day, " +
		"and nobody replies to e-mails"
	if got, conf, ok := kb.Answer(rant + ". Where is my order?"); !ok || got != ansOrder {
		t.Errorf("rant with the question: %q, %v (%.2f)", got, ok, conf)
	}
	if got, conf, ok := kb.Answer(rant + "."); ok {
		t.Errorf("rant without a question answered %q (%.2f)", got, conf)
	}
}

func TestKnowledgeThreshold(t *testing.T) {
	strict := core.NewKnowledge(knowledgeBase(), 0.99)
	if _, conf, ok := strict.Answer("are you open on sunday"); ok {
		t.Fatalf("answered at confidence %.2f with threshold 0.99", conf)
	}
	if _, _, ok := strict.Answer("track my order"); !ok {
		t.Fatal("an exact question must pass any threshold")
	}
	if _, conf, ok := strict.Answer("Hi, where is my order? I ordered last week"); !ok || conf < 1-1e-9 {
		t.Fatalf("a clause that is exactly a question: confidence %.2f, ok %v; want 1", conf, ok)
	}
	var empty *core.Knowledge
	if _, _, ok := empty.Answer("track my order"); ok {
		t.Fatal("a nil knowledge base answered")
	}
	none := core.NewKnowledge([]core.KnowledgeEntry{{Questions: []string{"where is my order"}}, {Questions: []string{"how are you"}, Answer: "Fine."}}, 0)
	if got, _, ok := none.Answer("where is my order"); ok {
		t.Fatalf("an entry without an answer, or with function words only, answered %q", got)
	}
}

func TestBotAnswersFromKnowledge(t *testing.T) {
	e := newEnv(t, func(s *core.Settings) { s.Bot.Knowledge = knowledgeBase(); s.Bot.MaxUnanswered = 2 })
	send := func(user, text string) core.Message {
		t.Helper()
		m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "wa", ChannelUserID: user, Text: text})
		ok(t, err)
		ok(t, e.svc.RunBot(e.ctx, m.ID))
		return m
	}
	m := send("u1", "where is my order?")
	mustEqual(t, "answer", e.last(m.ConversationID).Text, ansOrder)
	m = send("u1", "how do I track my orders")
	mustEqual(t, "status", e.conv(m.ConversationID).Status, core.ConvBot)
	mustEqual(t, "misses", e.conv(m.ConversationID).BotMisses, 0)

	// Misses count toward max_unanswered.
	send("u1", "do you sell gift cards")
	mustEqual(t, "misses", e.conv(m.ConversationID).BotMisses, 1)
	send("u1", "what about vouchers")
	mustEqual(t, "status after two misses", e.conv(m.ConversationID).Status, core.ConvWaiting)
	mustEqual(t, "reason", e.req(e.conv(m.ConversationID).RequestID).Reason, core.ReasonBotHandoff)

	// A handoff phrase wins over a knowledge-base match.
	m = send("u2", "talk to a person about my order")
	mustEqual(t, "handoff", e.conv(m.ConversationID).Status, core.ConvWaiting)
	mustEqual(t, "reason", e.req(e.conv(m.ConversationID).RequestID).Reason, core.ReasonCustomerAsked)
}
