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
		{Questions: []string{"where is my order", "track order", "order status"}, Answer: ansOrder},
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
		{"Where is my order?", ansOrder},
		{"WHERE'S MY ORDER??", ansOrder},
		{"how can I track my orders", ansOrder},
		{"I forgot my password", ansPassword},
		{"forgot my pasword", ansPassword}, // typo: trigram neighbour
		{"reset password please", ansPassword},
		{"are you open on sunday", ansHours},
		{"What are your opening hours?", ansHours},
		{"I'd like my money back", ansRefund},
		{"returning items", ansRefund},
		{"do you sell gift cards", ""},
		{"the app crashes when I upload a photo", ""},
		{"hello", ""}, // only stop words
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
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

func TestKnowledgeThreshold(t *testing.T) {
	strict := core.NewKnowledge(knowledgeBase(), 0.99)
	if _, conf, ok := strict.Answer("are you open on sunday"); ok {
		t.Fatalf("answered at confidence %.2f with threshold 0.99", conf)
	}
	if _, _, ok := strict.Answer("track order"); !ok {
		t.Fatal("an exact question must pass any threshold")
	}
	var empty *core.Knowledge
	if _, _, ok := empty.Answer("track order"); ok {
		t.Fatal("a nil knowledge base answered")
	}
}

func TestStem(t *testing.T) {
	tests := map[string]string{
		"orders": "order", "ordered": "order", "ordering": "order", "shipping": "ship", "shipped": "ship",
		"deliveries": "delivery", "passwords": "password", "hours": "hour", "opening": "open", "status": "status",
		"quickly": "quick", "prices": "pric", "price": "pric", "cat": "cat",
	}
	for in, want := range tests {
		if got := core.Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
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
