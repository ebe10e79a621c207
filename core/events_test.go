package core_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

// fakeEvents records what the Service publishes, by stream.
type fakeEvents struct {
	mu  sync.Mutex
	got map[string][]published
}

type published struct {
	typ  string
	data any
}

func (f *fakeEvents) Publish(_ context.Context, stream, typ string, data any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.got == nil {
		f.got = map[string][]published{}
	}
	f.got[stream] = append(f.got[stream], published{typ, data})
	return nil
}

// PublishBatch publishes each event in order.
func (f *fakeEvents) PublishBatch(ctx context.Context, evs []core.Published) error {
	for _, e := range evs {
		f.Publish(ctx, e.Stream, e.Type, e.Data)
	}
	return nil
}

// take returns and forgets the types published on stream.
func (f *fakeEvents) take(stream string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.got[stream] {
		out = append(out, p.typ)
	}
	delete(f.got, stream)
	return out
}

// last returns the data of the last event of typ on stream.
func (f *fakeEvents) last(stream, typ string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var d any
	for _, p := range f.got[stream] {
		if p.typ == typ {
			d = p.data
		}
	}
	return d
}

func (f *fakeEvents) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = nil
}

func has(types []string, want string) bool {
	for _, t := range types {
		if t == want {
			return true
		}
	}
	return false
}

// TestEventsReachTheRightStreams follows one request from handoff to
// resolve and checks who hears what: offered agents get it, it leaves the
// losers' panels on accept, messages reach the agent and the visitor, a
// private conversation reaches nobody else, delivery outcomes reach the agent.
func TestEventsReachTheRightStreams(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	carol := e.addAgent("Carol", 4, false, false) // offline: offered nothing
	v, _ := e.visitor("Ada")
	e.events.reset()

	r, err := e.svc.VisitorHandoff(e.ctx, v, "my invoice is wrong")
	ok(t, err)
	visitor := core.VisitorStream(v.Customer.ID)
	if st, _ := e.events.last(visitor, core.EventStatus).(core.VisitorStatus); st.Status != core.ConvWaiting || st.QueuePosition != 1 {
		t.Fatalf("visitor status after handoff: %+v", e.events.last(visitor, core.EventStatus))
	}
	ok(t, e.svc.Route(e.ctx, r.ID))
	for _, a := range []core.Agent{alice, bob} {
		got := e.events.last(core.AgentStream(a.ID), core.EventRequestCreated)
		req, isReq := got.(core.Request)
		if !isReq || req.ID != r.ID || !req.OfferedToMe || req.Customer.DisplayName() != "Ada" {
			t.Fatalf("%s: request.created %+v", a.Name, got)
		}
	}
	if got := e.events.take(core.AgentStream(carol.ID)); len(got) != 0 {
		t.Fatalf("offline agent heard %v", got)
	}
	e.events.reset()

	_, conv, err := e.svc.Accept(e.ctx, bob, r.ID)
	ok(t, err)
	if got := e.events.take(core.AgentStream(alice.ID)); len(got) != 1 || got[0] != core.EventRequestRemoved {
		t.Fatalf("loser heard %v, want just request.removed", got)
	}
	bobs := e.events.take(core.AgentStream(bob.ID))
	for _, want := range []string{core.EventRequestUpdated, core.EventConversationUpdated, core.EventMessageCreated} {
		if !has(bobs, want) {
			t.Errorf("winner heard %v, lacking %s", bobs, want)
		}
	}
	if st, _ := e.events.last(visitor, core.EventStatus).(core.VisitorStatus); st.Status != core.ConvActive || st.AgentName != "Bob" {
		t.Fatalf("visitor status after accept: %+v", e.events.last(visitor, core.EventStatus))
	}
	e.events.reset()

	// Messages both ways reach Bob and the visitor, never Alice.
	m, err := e.svc.SendAgentMessage(e.ctx, bob, conv.ID, "Let me check.", "")
	ok(t, err)
	_, err = e.svc.VisitorSend(e.ctx, v, "thanks")
	ok(t, err)
	if got := e.events.take(core.AgentStream(bob.ID)); len(got) != 2 || got[0] != core.EventMessageCreated || got[1] != core.EventMessageCreated {
		t.Fatalf("agent heard %v", got)
	}
	if got := e.events.take(visitor); len(got) != 2 {
		t.Fatalf("visitor heard %v", got)
	}
	if got := e.events.take(core.AgentStream(alice.ID)); len(got) != 0 {
		t.Fatalf("another agent heard a private conversation: %v", got)
	}

	// A permanent delivery failure reaches the agent with its reason.
	e.sender.set("", &core.DeliveryError{Permanent: true, Code: "131047", Reason: "outside the 24 h window"})
	ok(t, e.svc.Deliver(e.ctx, m.ID))
	upd, _ := e.events.last(core.AgentStream(bob.ID), core.EventMessageUpdated).(core.Message)
	if upd.ID != m.ID || upd.Delivery != core.DeliveryFailed || upd.Error == "" {
		t.Fatalf("failure event: %+v", upd)
	}
	e.events.reset()

	// Reassign: both agents hear; then resolve: the new agent and visitor hear.
	_, err = e.svc.Reassign(e.ctx, bob, conv.ID, alice.ID)
	ok(t, err)
	for _, a := range []core.Agent{alice, bob} {
		if c, _ := e.events.last(core.AgentStream(a.ID), core.EventConversationUpdated).(core.Conversation); c.AgentID != alice.ID {
			t.Errorf("%s: conversation.updated after reassign: %+v", a.Name, c)
		}
	}
	e.events.reset()
	_, err = e.svc.Resolve(e.ctx, alice, conv.ID)
	ok(t, err)
	if c, _ := e.events.last(core.AgentStream(alice.ID), core.EventConversationUpdated).(core.Conversation); c.Status != core.ConvResolved {
		t.Errorf("conversation.updated after resolve: %+v", c)
	}
	if st, _ := e.events.last(visitor, core.EventStatus).(core.VisitorStatus); st.Status != core.ConvResolved {
		t.Errorf("visitor status after resolve: %+v", st)
	}
	if got := e.events.take(core.AgentStream(bob.ID)); len(got) != 0 {
		t.Errorf("the previous agent still hears the conversation: %v", got)
	}

	// Going offline is told to the agent's own stream.
	_, err = e.svc.SetOnline(e.ctx, carol, true)
	ok(t, err)
	if a, _ := e.events.last(core.AgentStream(carol.ID), core.EventAgentUpdated).(core.Agent); !a.Online {
		t.Errorf("agent.updated: %+v", a)
	}
}

func TestDeclineRemovesFromDecliner(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	r := e.routed("Ada", "help")
	e.events.reset()
	_, err := e.svc.Decline(e.ctx, alice, r.ID, "busy")
	ok(t, err)
	if got := e.events.take(core.AgentStream(alice.ID)); !has(got, core.EventRequestRemoved) {
		t.Fatalf("decliner heard %v, want request.removed", got)
	}
	if got := e.events.take(core.AgentStream(bob.ID)); has(got, core.EventRequestRemoved) {
		t.Fatalf("the other agent lost the request: %v", got)
	}
}

// batchEvents is fakeEvents that records the streams of each batch.
type batchEvents struct {
	fakeEvents
	batches [][]string
}

func (b *batchEvents) PublishBatch(ctx context.Context, evs []core.Published) error {
	var streams []string
	for _, e := range evs {
		streams = append(streams, e.Stream+" "+e.Type)
		b.Publish(ctx, e.Stream, e.Type, e.Data)
	}
	b.mu.Lock()
	b.batches = append(b.batches, streams)
	b.mu.Unlock()
	return nil
}

// The events of one step go out as one batch, in order.
func TestEventsOfAStepGoOutAsOneBatch(t *testing.T) {
	e := newEnv(t)
	alice, bob, carol := e.online("Alice"), e.online("Bob"), e.online("Carol")
	req := e.request("Ada", "help")
	bus := &batchEvents{}
	svc := core.NewService(core.Deps{Store: e.store, Jobs: e.jobs, Events: bus, Now: e.clock.Now, BcryptCost: 4}, testSettings())

	ok(t, svc.Route(e.ctx, req.ID))
	want := []string{
		core.VisitorStream(req.CustomerID) + " " + core.EventMessageCreated, // the queue message
		core.AgentStream(alice.ID) + " " + core.EventRequestCreated,
		core.AgentStream(bob.ID) + " " + core.EventRequestCreated,
		core.AgentStream(carol.ID) + " " + core.EventRequestCreated,
	}
	slices.Sort(want)
	if got := bus.batches; len(got) != 1 || !slices.Equal(slices.Sorted(slices.Values(got[0])), want) {
		t.Fatalf("batches after routing: %v, want one of %v", got, want)
	}
	if got := bus.take(core.AgentStream(bob.ID)); !slices.Equal(got, []string{core.EventRequestCreated}) {
		t.Fatalf("Bob's stream: %v", got)
	}
}
