package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// testBotTurnRace: one customer message queued several times (a group's
// task, the sweeper, a retry) and taken by several workers at once gets
// exactly one bot answer. The workers are separate Services, like separate
// worker processes, so only the store can settle it.
func testBotTurnRace(t *testing.T, f *fx) {
	const workers, rounds = 6, 10
	svcs := make([]*core.Service, workers)
	for i := range svcs {
		svcs[i], _ = f.service(time.Now)
	}
	for round := range rounds {
		msg, err := svcs[0].Ingest(f.ctx, core.Inbound{ChannelID: "web", ChannelUserID: fmt.Sprintf("visitor-%d", round),
			ProviderID: fmt.Sprintf("race-%d", round), Text: "something the bot cannot answer"})
		ok(t, "ingest", err)
		errs := race(workers, func(i int) error {
			if i%2 == 0 {
				return svcs[i].RunBot(f.ctx, msg.ID)
			}
			return svcs[i].RunBots(f.ctx, []string{msg.ID, msg.ID})
		})
		for _, err := range errs {
			ok(t, "bot turn", err)
		}
		msgs, err := f.s.ListMessages(f.ctx, msg.ConversationID, "", 0)
		ok(t, "messages", err)
		answers := 0
		for _, m := range msgs {
			if m.Author == core.AuthorBot {
				answers++
			}
		}
		if answers != 1 {
			t.Fatalf("round %d: %d bot answers to one message, want 1", round, answers)
		}
		conv, err := f.s.ConversationByID(f.ctx, msg.ConversationID)
		ok(t, "conversation", err)
		if conv.BotMisses != 1 {
			t.Fatalf("round %d: %d misses counted for one message, want 1", round, conv.BotMisses)
		}
	}
}

// testBotBatch: the turns of one task take its messages in order, and a
// message after a handoff in the same batch finds the conversation waiting.
func testBotBatch(t *testing.T, f *fx) {
	ctx := f.ctx
	svc, jobs := f.service(time.Now)
	in := func(user, pid, text string) core.Message {
		t.Helper()
		m, err := svc.Ingest(ctx, core.Inbound{ChannelID: "web", ChannelUserID: user, ProviderID: pid, Text: text})
		ok(t, "ingest", err)
		return m
	}
	a := in("ann", "a1", "do you ship to Mars")
	other := in("bob", "b1", "what colours are there")
	b := in("ann", "a2", "talk to a person")
	c := in("ann", "a3", "hello?")
	ok(t, "bot turns", svc.RunBots(ctx, []string{a.ID, other.ID, b.ID, c.ID, core.NewID()}))

	authors := func(convID string) []string {
		t.Helper()
		msgs, err := f.s.ListMessages(ctx, convID, "", 0)
		ok(t, "messages", err)
		var out []string
		for _, m := range msgs {
			out = append(out, string(m.Author)+": "+m.Text)
			if m.Author == core.AuthorCustomer && m.ProcessedAt.IsZero() {
				t.Errorf("message %q left unprocessed", m.Text)
			}
		}
		return out
	}
	fallback := "bot: I'm the virtual assistant and I can't answer that one yet. Type \"talk to a person\" or press \"Talk to a person\" and an agent will take over."
	equal(t, "ann's conversation", authors(a.ConversationID), []string{
		"customer: do you ship to Mars", "customer: talk to a person", "customer: hello?",
		// routed by the worker at once: nobody is online, and the
		// customer gets one notice, the acknowledgment with its ETA
		fallback, "system: No agent is available right now. Expected reply within 15 minutes."})
	equal(t, "bob's conversation", authors(other.ConversationID), []string{"customer: what colours are there", fallback})
	conv, err := f.s.ConversationByID(ctx, a.ConversationID)
	ok(t, "conversation", err)
	if conv.Status != core.ConvWaiting || conv.BotMisses != 1 || conv.RequestID == "" {
		t.Errorf("ann's conversation after the batch: %+v", conv)
	}
	req, err := f.s.RequestByID(ctx, conv.RequestID)
	ok(t, "request", err)
	if req.Routing.Rule == "" || req.Routing.AckedAt.IsZero() {
		t.Errorf("request not routed by the worker: %+v", req.Routing)
	}
	for _, call := range jobs.Calls() {
		if strings.HasPrefix(call, "route:") {
			t.Errorf("a route job was queued: %v", jobs.Calls())
		}
	}
}
