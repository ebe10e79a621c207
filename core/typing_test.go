package core_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// fakeTyper records the typing calls of a channel.
type fakeTyper struct {
	mu    sync.Mutex
	calls []core.TypingTarget
	err   error
}

func (f *fakeTyper) Typing(_ context.Context, t core.TypingTarget) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, t)
	return f.err
}

func (f *fakeTyper) taken() []core.TypingTarget {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

// TestTypingWritesNothing: typing both ways, on the widget and on
// WhatsApp, is events and provider calls only: no store write, no lock,
// no transaction; provider calls are throttled per conversation.
func TestTypingWritesNothing(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	v, web := widgetActive(t, e, "Dana", alice)
	wa := waActive(t, e, alice)

	store := &noWrites{Store: e.store}
	svc := core.NewService(core.Deps{Store: store, Jobs: e.jobs, Events: e.events, Now: e.clock.Now, BcryptCost: 4}, e.svc.Settings())
	typer := &fakeTyper{}
	svc.RegisterTyper("wa", typer)
	e.events.take(core.AgentStream(alice.ID))
	e.events.take(core.VisitorStream(web.CustomerID))

	// The visitor types: Alice hears it, with the conversation and name.
	ok(t, svc.VisitorTyping(e.ctx, v, true))
	if typ, _ := e.events.last(core.AgentStream(alice.ID), core.EventTyping).(core.Typing); typ != (core.Typing{
		ConversationID: web.ID, Who: "customer", CustomerName: "Dana", Typing: true}) {
		t.Fatalf("Alice's typing event %+v", typ)
	}
	ok(t, svc.VisitorTyping(e.ctx, v, false))
	if got := e.events.take(core.AgentStream(alice.ID)); !slices.Equal(got, []string{"typing", "typing"}) {
		t.Fatalf("Alice's events %v", got)
	}
	if got := e.events.take(core.AgentStream(bob.ID)); slices.Contains(got, core.EventTyping) {
		t.Fatalf("Bob heard the typing: %v", got)
	}

	// Alice types on the widget: the visitor hears it with her name.
	ok(t, svc.AgentTyping(e.ctx, alice, web.ID, true))
	typ, okType := e.events.last(core.VisitorStream(web.CustomerID), core.EventTyping).(core.Typing)
	if !okType || typ.Who != "agent" || typ.AgentName != "Alice" || !typ.Typing || typ.ConversationID != web.ID {
		t.Fatalf("visitor's typing event %+v", typ)
	}

	// On WhatsApp: one provider call with the customer's newest wamid,
	// then none within TypingEvery, again after it; false calls nothing.
	ok(t, svc.AgentTyping(e.ctx, alice, wa.ID, true))
	ok(t, svc.AgentTyping(e.ctx, alice, wa.ID, true))
	ok(t, svc.AgentTyping(e.ctx, alice, wa.ID, false))
	calls := typer.taken()
	if len(calls) != 1 || calls[0].ReplyTo != "wamid.second" || calls[0].Customer.ChannelUserID != "4915100000002" {
		t.Fatalf("typing calls %+v, want one with the newest wamid", calls)
	}
	e.clock.Advance(core.TypingEvery)
	typer.err = errors.New("graph API: HTTP 500") // best effort: logged, not returned
	ok(t, svc.AgentTyping(e.ctx, alice, wa.ID, true))
	mustEqual(t, "calls after TypingEvery", len(typer.taken()), 1)

	// Refusals, still without a write.
	wantErr(t, svc.AgentTyping(e.ctx, bob, web.ID, true), core.ErrForbidden)
	wantErr(t, svc.AgentTyping(e.ctx, alice, "nope", true), core.ErrNotFound)

	if w := store.taken(); len(w) != 0 {
		t.Fatalf("typing wrote to the store: %v", w)
	}

	// A visitor with no agent yet: nobody to tell.
	v2, _ := e.visitor("Fox")
	ok(t, svc.VisitorTyping(e.ctx, v2, true))
	if w := store.taken(); len(w) != 0 {
		t.Fatalf("typing wrote to the store: %v", w)
	}
	_, err := e.svc.Resolve(e.ctx, alice, web.ID)
	ok(t, err)
	wantErr(t, svc.AgentTyping(e.ctx, alice, web.ID, true), core.ErrInvalidTransition)
}

// widgetActive opens a widget visitor's request that agent accepts.
func widgetActive(t *testing.T, e *env, name string, agent core.Agent) (core.Visitor, core.Conversation) {
	t.Helper()
	v, _ := e.visitor(name)
	r, err := e.svc.VisitorHandoff(e.ctx, v, "I need help with my invoice")
	ok(t, err)
	ok(t, e.svc.Route(e.ctx, r.ID))
	_, conv, err := e.svc.Accept(e.ctx, agent, r.ID)
	ok(t, err)
	return v, conv
}

// waActive is a WhatsApp customer's conversation (two messages, wamid.first
// and wamid.second) handled by agent.
func waActive(t *testing.T, e *env, agent core.Agent) core.Conversation {
	t.Helper()
	var m core.Message
	for _, id := range []string{"wamid.first", "wamid.second"} {
		var err error
		m, err = e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "wa", ChannelUserID: "4915100000002", Name: "Ada",
			ProviderID: id, Text: "my parcel " + id})
		ok(t, err)
		e.clock.Advance(time.Second)
	}
	conv := e.conv(m.ConversationID)
	conv.Status, conv.AgentID = core.ConvActive, agent.ID
	ok(t, e.store.UpdateConversation(e.ctx, conv))
	return e.conv(conv.ID)
}
