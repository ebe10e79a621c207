package core_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestRoute(t *testing.T) {
	e := newEnv(t)
	alice := e.addAgent("Alice", 4, false, true)
	bob := e.addAgent("Bob", 1, false, true)
	e.addAgent("Carol", 4, false, false) // offline
	dave := e.addAgent("Dave", 4, false, true)

	r1 := e.routed("Ada", "help")
	if !sameSet(r1.OfferedTo, []string{alice.ID, bob.ID, dave.ID}) {
		t.Fatalf("offered to %v, want the online agents under capacity", r1.OfferedTo)
	}
	_, _, err := e.svc.Accept(e.ctx, bob, r1.ID)
	ok(t, err)

	r2 := e.routed("Ben", "help")
	if !sameSet(r2.OfferedTo, []string{alice.ID, dave.ID}) {
		t.Fatalf("offered to %v, want Alice and Dave (Bob is at capacity)", r2.OfferedTo)
	}
	_, err = e.svc.Decline(e.ctx, dave, r2.ID, "")
	ok(t, err)
	ok(t, e.svc.Route(e.ctx, r2.ID))
	if got := e.req(r2.ID).OfferedTo; !sameSet(got, []string{alice.ID}) {
		t.Fatalf("re-offered to %v, want Alice only (Dave declined)", got)
	}

	// Stale work: an accepted request is not offered again.
	ok(t, e.svc.Route(e.ctx, r1.ID))
	if got := e.req(r1.ID).OfferedTo; len(got) != 0 {
		t.Fatalf("accepted request offered to %v", got)
	}
	mustEqual(t, "status", e.req(r1.ID).Status, core.ReqAccepted)
	ok(t, e.svc.Route(e.ctx, "no-such-request"))
}

func TestAccept(t *testing.T) {
	e := newEnv(t)
	alice, dave := e.online("Alice"), e.online("Dave")
	r := e.routed("Ada", "help")
	e.clock.Advance(40 * time.Second)

	got, conv, err := e.svc.Accept(e.ctx, alice, r.ID)
	ok(t, err)
	mustEqual(t, "status", got.Status, core.ReqAccepted)
	mustEqual(t, "accepted by", got.AcceptedBy, alice.ID)
	mustEqual(t, "accepted at", got.AcceptedAt, t0.Add(40*time.Second))
	mustEqual(t, "wait", got.WaitSeconds, 40)
	mustEqual(t, "conversation", conv.Status, core.ConvActive)
	mustEqual(t, "conversation agent", conv.AgentID, alice.ID)
	mustEqual(t, "conversation channel", conv.Channel.Type, core.ChannelWidget)

	stored := e.req(r.ID)
	mustEqual(t, "stored status", stored.Status, core.ReqAccepted)
	mustEqual(t, "offers left", len(stored.OfferedTo), 0)
	mustEqual(t, "stored conversation", e.conv(r.ConversationID).Status, core.ConvActive)
	joined := e.last(r.ConversationID)
	mustEqual(t, "joined author", joined.Author, core.AuthorSystem)
	mustEqual(t, "joined", joined.Text, "Alice joined the conversation.")
	mustEqual(t, "joined delivery", joined.Delivery, core.DeliveryQueued)
	if d := e.jobs.Delivers(); len(d) == 0 || d[len(d)-1] != joined.ID {
		t.Fatalf("deliveries = %v, want the joined notice last", d)
	}
	mustEqual(t, "active chats", e.agent(alice.ID).ActiveChats, 1)
	panel, err := e.svc.ListRequests(e.ctx, dave, "open")
	ok(t, err)
	mustEqual(t, "Dave's panel", len(panel), 0)

	_, _, err = e.svc.Accept(e.ctx, dave, r.ID)
	wantErr(t, err, core.ErrAlreadyAccepted)
	mustEqual(t, "agent after a lost accept", e.conv(r.ConversationID).AgentID, alice.ID)

	// The winner clicking twice gets what they have, and nothing is added.
	before := len(e.messages(r.ConversationID))
	again, conv2, err := e.svc.Accept(e.ctx, alice, r.ID)
	ok(t, err)
	mustEqual(t, "second accept by the winner", again.AcceptedBy, alice.ID)
	mustEqual(t, "second accept conversation", conv2.ID, r.ConversationID)
	mustEqual(t, "messages after a second accept", len(e.messages(r.ConversationID)), before)
}

func TestAcceptRefusals(t *testing.T) {
	t.Run("offline", func(t *testing.T) {
		e := newEnv(t)
		erin := e.online("Erin")
		r := e.routed("Ada", "help")
		erin, err := e.svc.SetOnline(e.ctx, erin, false)
		ok(t, err)
		_, _, err = e.svc.Accept(e.ctx, erin, r.ID)
		wantErr(t, err, core.ErrAgentOffline)
		mustEqual(t, "status", e.req(r.ID).Status, core.ReqWaiting)
	})
	t.Run("not offered", func(t *testing.T) {
		e := newEnv(t)
		e.online("Alice")
		r := e.routed("Ada", "help")
		frank := e.online("Frank") // came online after routing
		_, _, err := e.svc.Accept(e.ctx, frank, r.ID)
		wantErr(t, err, core.ErrNotOffered)
		mustEqual(t, "status", e.req(r.ID).Status, core.ReqWaiting)
	})
	t.Run("admin without offer", func(t *testing.T) {
		e := newEnv(t)
		r := e.routed("Ada", "help")
		boss, err := e.svc.SetOnline(e.ctx, e.admin, true)
		ok(t, err)
		got, _, err := e.svc.Accept(e.ctx, boss, r.ID)
		ok(t, err)
		mustEqual(t, "accepted by", got.AcceptedBy, boss.ID)
	})
	t.Run("at capacity", func(t *testing.T) {
		e := newEnv(t)
		gina := e.addAgent("Gina", 1, false, true)
		r1, r2 := e.routed("Ada", "help"), e.routed("Ben", "help")
		_, _, err := e.svc.Accept(e.ctx, gina, r1.ID)
		ok(t, err)
		n := len(e.messages(r2.ConversationID))
		_, _, err = e.svc.Accept(e.ctx, gina, r2.ID)
		wantErr(t, err, core.ErrAtCapacity)
		mustEqual(t, "status", e.req(r2.ID).Status, core.ReqWaiting)
		mustEqual(t, "messages", len(e.messages(r2.ConversationID)), n)
	})
	t.Run("at capacity and so not offered", func(t *testing.T) {
		// Routing leaves a full agent out of new offers; she still hears
		// that she is full, not that the request is not hers.
		e := newEnv(t)
		gina := e.addAgent("Gina", 1, false, true)
		r1 := e.routed("Ada", "help")
		_, _, err := e.svc.Accept(e.ctx, gina, r1.ID)
		ok(t, err)
		r2 := e.routed("Ben", "help")
		if e.req(r2.ID).IsOfferedTo(gina.ID) {
			t.Fatalf("a full agent was offered %s", r2.ID)
		}
		_, _, err = e.svc.Accept(e.ctx, gina, r2.ID)
		wantErr(t, err, core.ErrAtCapacity)
		mustEqual(t, "status", e.req(r2.ID).Status, core.ReqWaiting)
	})
	t.Run("resolved", func(t *testing.T) {
		e := newEnv(t)
		alice, bob := e.online("Alice"), e.online("Bob")
		r := e.routed("Ada", "help")
		_, conv, err := e.svc.Accept(e.ctx, alice, r.ID)
		ok(t, err)
		_, err = e.svc.Resolve(e.ctx, alice, conv.ID)
		ok(t, err)
		_, _, err = e.svc.Accept(e.ctx, bob, r.ID)
		wantErr(t, err, core.ErrInvalidTransition)
	})
	t.Run("unknown", func(t *testing.T) {
		e := newEnv(t)
		_, _, err := e.svc.Accept(e.ctx, e.online("Alice"), "nope")
		wantErr(t, err, core.ErrNotFound)
	})
}

func TestAcceptConcurrent(t *testing.T) {
	e := newEnv(t)
	const n = 20
	agents := make([]core.Agent, n)
	for i := range agents {
		agents[i] = e.online(fmt.Sprintf("Agent%02d", i))
	}
	r := e.routed("Ada", "help")
	mustEqual(t, "offers", len(r.OfferedTo), n)

	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i, a := range agents {
		wg.Go(func() {
			<-start
			_, _, errs[i] = e.svc.Accept(e.ctx, a, r.ID)
		})
	}
	close(start)
	wg.Wait()

	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			mustEqual(t, "accepted by", e.req(r.ID).AcceptedBy, agents[i].ID)
			mustEqual(t, "conversation agent", e.conv(r.ConversationID).AgentID, agents[i].ID)
		case !errors.Is(err, core.ErrAlreadyAccepted):
			t.Errorf("agent %d: %v, want already accepted", i, err)
		}
	}
	mustEqual(t, "winners", winners, 1)
	joined := 0
	for _, m := range e.messages(r.ConversationID) {
		if strings.HasSuffix(m.Text, " joined the conversation.") {
			joined++
		}
	}
	mustEqual(t, "joined notices", joined, 1)
}

func TestDecline(t *testing.T) {
	e := newEnv(t, withOffline)
	alice, bob := e.online("Alice"), e.online("Bob")
	r := e.routed("Ada", "help")
	mustSlice(t, "customer told", e.systemTexts(r.ConversationID), []string{queuedFirst})

	got, err := e.svc.Decline(e.ctx, alice, r.ID, "lunch")
	ok(t, err)
	mustEqual(t, "status", got.Status, core.ReqDeclined)
	mustSlice(t, "offered to", got.OfferedTo, []string{bob.ID})
	if len(got.Declines) != 1 || got.Declines[0].AgentID != alice.ID || got.Declines[0].Reason != "lunch" || !got.Declines[0].At.Equal(t0) {
		t.Fatalf("declines = %+v", got.Declines)
	}
	mustEqual(t, "offered to me", got.OfferedToMe, false)
	mustSlice(t, "stored offers", e.req(r.ID).OfferedTo, []string{bob.ID})
	mustSlice(t, "routes", e.jobs.routedWith(r.ID), []string{"open"}) // re-offered in the decline itself
	mustSlice(t, "timers", e.jobs.Timers(), []timerCall{{"reroute", r.ID, 0, t0.Add(30 * time.Second)}})
	mustSlice(t, "customer told (Bob has it, the wait holds: nothing new)", e.systemTexts(r.ConversationID), []string{queuedFirst})
	panel, err := e.svc.ListRequests(e.ctx, alice, "")
	ok(t, err)
	mustEqual(t, "Alice's panel", len(panel), 0)

	// Declining twice is harmless.
	n := len(e.messages(r.ConversationID))
	_, err = e.svc.Decline(e.ctx, alice, r.ID, "still lunch")
	ok(t, err)
	mustEqual(t, "declines", len(e.req(r.ID).Declines), 1)
	mustEqual(t, "timers", len(e.jobs.Timers()), 1)
	mustEqual(t, "messages", len(e.messages(r.ConversationID)), n)

	// The last agent's decline re-routes again: nobody is left, and the
	// customer is told so once.
	_, err = e.svc.Decline(e.ctx, bob, r.ID, "")
	ok(t, err)
	mustSlice(t, "offered to", e.req(r.ID).OfferedTo, nil)
	mustEqual(t, "timers", len(e.jobs.Timers()), 1) // the first check still stands
	mustSlice(t, "customer told", e.systemTexts(r.ConversationID), []string{queuedFirst, offlineAck})
	mustEqual(t, "status", e.req(r.ID).Status, core.ReqDeclined)

	// Nobody left: routing offers it to no one, and it stays open.
	ok(t, e.svc.Route(e.ctx, r.ID))
	mustEqual(t, "offers", len(e.req(r.ID).OfferedTo), 0)
	mustSlice(t, "customer told (no change)", e.systemTexts(r.ConversationID), []string{queuedFirst, offlineAck})
	carol := e.online("Carol")
	ok(t, e.svc.Route(e.ctx, r.ID))
	mustSlice(t, "re-offered", e.req(r.ID).OfferedTo, []string{carol.ID})
	mustSlice(t, "customer told (an agent has it again)", e.systemTexts(r.ConversationID), []string{queuedFirst, offlineAck, queuedFirst})
	_, _, err = e.svc.Accept(e.ctx, carol, r.ID)
	ok(t, err)
}

func TestDeclineRefusals(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	r := e.routed("Ada", "help")
	_, err := e.svc.Decline(e.ctx, alice, r.ID, strings.Repeat("x", 501))
	wantField(t, err, "reason")
	frank := e.online("Frank")
	_, err = e.svc.Decline(e.ctx, frank, r.ID, "")
	wantErr(t, err, core.ErrNotOffered)
	_, _, err = e.svc.Accept(e.ctx, alice, r.ID)
	ok(t, err)
	_, err = e.svc.Decline(e.ctx, bob, r.ID, "")
	wantErr(t, err, core.ErrAlreadyAccepted)
	mustEqual(t, "declines", len(e.req(r.ID).Declines), 0)
	_, err = e.svc.Decline(e.ctx, bob, "nope", "")
	wantErr(t, err, core.ErrNotFound)
}

func TestListRequests(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	r1 := e.request("Ada", "first")
	e.clock.Advance(3 * time.Minute)
	r2 := e.request("Ben", "second")
	e.clock.Advance(90 * time.Second)
	r3 := e.request("Cleo", "third")
	for _, r := range []core.Request{r1, r2, r3} {
		ok(t, e.svc.Route(e.ctx, r.ID))
	}
	_, err := e.svc.Decline(e.ctx, bob, r2.ID, "")
	ok(t, err)
	e.clock.Advance(30 * time.Second)
	_, _, err = e.svc.Accept(e.ctx, alice, r3.ID)
	ok(t, err)
	e.clock.Advance(time.Minute) // now t0+6m

	type row struct {
		id      string
		wait    int
		level   core.WaitLevel
		pos     int
		offered bool
	}
	check := func(t *testing.T, actor core.Agent, status string, want []row) {
		t.Helper()
		got, err := e.svc.ListRequests(e.ctx, actor, status)
		ok(t, err)
		if len(got) != len(want) {
			t.Fatalf("%s/%s: %d requests %v, want %d", actor.Name, status, len(got), reqIDs(got), len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.ID != w.id || g.WaitSeconds != w.wait || g.WaitLevel != w.level || g.QueuePosition != w.pos || g.OfferedToMe != w.offered {
				t.Fatalf("%s/%s row %d = {%s %d %s pos %d offered %v}, want %+v", actor.Name, status, i,
					g.ID, g.WaitSeconds, g.WaitLevel, g.QueuePosition, g.OfferedToMe, w)
			}
			if g.Channel.Type != core.ChannelWidget || g.Customer.ID == "" {
				t.Fatalf("row %d not filled: channel %+v customer %+v", i, g.Channel, g.Customer)
			}
		}
	}
	rows := map[string]row{
		"r1":       {r1.ID, 360, core.WaitRed, 1, true},
		"r2":       {r2.ID, 180, core.WaitAmber, 2, true},
		"r3":       {r3.ID, 30, core.WaitNormal, 0, false},
		"r1 (bob)": {r1.ID, 360, core.WaitRed, 1, true},
	}
	admin := e.admin
	check(t, admin, "open", []row{{r1.ID, 360, core.WaitRed, 1, false}, {r2.ID, 180, core.WaitAmber, 2, false}})
	check(t, admin, "all", []row{{r1.ID, 360, core.WaitRed, 1, false}, {r2.ID, 180, core.WaitAmber, 2, false}, rows["r3"]})
	check(t, alice, "open", []row{rows["r1"], rows["r2"]})
	check(t, alice, "accepted", []row{rows["r3"]})
	check(t, alice, "all", []row{rows["r1"], rows["r2"], rows["r3"]})
	check(t, bob, "", []row{rows["r1 (bob)"]})
	check(t, bob, "declined", nil)
	check(t, bob, "accepted", nil)
	// An offline agent sees the whole queue (offered nothing: accepting
	// needs them online), and still only what they accepted of the rest.
	carol := e.addAgent("Carol", 4, false, false)
	check(t, carol, "", []row{{r1.ID, 360, core.WaitRed, 1, false}, {r2.ID, 180, core.WaitAmber, 2, false}})
	check(t, carol, "accepted", nil)
	_, _, err = e.svc.Accept(e.ctx, carol, r1.ID)
	wantErr(t, err, core.ErrAgentOffline)
	_, err = e.svc.ListRequests(e.ctx, alice, "pending")
	wantField(t, err, "status")
}

func TestGetRequest(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	r := e.routed("Ada", "help")
	carol := e.addAgent("Carol", 4, false, false) // offline: never offered, sees the queue
	_, err := e.svc.Decline(e.ctx, bob, r.ID, "")
	ok(t, err)
	dave := e.online("Dave") // online after the last routing: never offered

	tests := []struct {
		name  string
		actor core.Agent
		id    string
		want  error
	}{
		{"offered", alice, r.ID, nil},
		{"declined it", bob, r.ID, nil},
		{"admin", e.admin, r.ID, nil},
		{"offline, never offered: the queue", carol, r.ID, nil},
		{"online, never offered", dave, r.ID, core.ErrForbidden},
		{"unknown", alice, "nope", core.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.GetRequest(e.ctx, tt.actor, tt.id)
			if tt.want != nil {
				wantErr(t, err, tt.want)
				return
			}
			ok(t, err)
			mustEqual(t, "id", got.ID, r.ID)
			mustEqual(t, "offered to me", got.OfferedToMe, tt.actor.ID == alice.ID)
			mustEqual(t, "queue position", got.QueuePosition, 1)
		})
	}
}
