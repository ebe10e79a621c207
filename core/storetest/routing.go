package storetest

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// testRouting: the routing state round-trips, RoutingDue finds open
// requests by their timers, and an update of other fields keeps it.
func testRouting(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a1, a2 := f.agent(nil), f.agent(nil)
	r := f.request(f.conversation(f.customer("web", "Ann"), nil), nil)
	got, err := s.RequestByID(ctx, r.ID)
	ok(t, "read", err)
	equal(t, "fresh routing state", got.Routing, core.RouteState{})

	st := core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tier: 2, Tried: []string{a1.ID, a2.ID}, Step: 7,
		Deadline: at(30 * time.Second), RerouteAt: at(45 * time.Second), AckedAt: at(time.Second),
		Told: core.WaitNotice{Situation: core.WaitUnavailable, ETA: 15 * time.Minute}}
	ok(t, "update routing", s.UpdateRouting(ctx, r.ID, st))
	got, err = s.RequestByID(ctx, r.ID)
	ok(t, "read", err)
	equal(t, "routing state", got.Routing, st)

	got.Status, got.UpdatedAt = core.ReqDeclined, at(time.Minute)
	ok(t, "update request", s.UpdateRequest(ctx, got))
	got, err = listed(t, f, r.ID)
	ok(t, "read", err)
	equal(t, "routing state after UpdateRequest", got.Routing, st)

	cleared := core.RouteState{Rule: "vip", Mode: core.ModeGeneral, Step: 8}
	ok(t, "clear timers", s.UpdateRouting(ctx, r.ID, cleared))
	got, err = s.RequestByID(ctx, r.ID)
	ok(t, "read", err)
	equal(t, "cleared", got.Routing, cleared)
	isErr(t, "unknown request", s.UpdateRouting(ctx, "nope", st), core.ErrNotFound)
}

// listed reads the request through ListRequests (the other read path).
func listed(t *testing.T, f *fx, id string) (core.Request, error) {
	t.Helper()
	rs, err := f.s.ListRequests(f.ctx, core.RequestQuery{})
	if err != nil {
		return core.Request{}, err
	}
	for _, r := range rs {
		if r.ID == id {
			return r, nil
		}
	}
	return core.Request{}, core.ErrNotFound
}

func testRoutingDue(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	cu := f.customer("web", "Ben")
	mk := func(st core.RouteState, status core.RequestStatus) core.Request {
		r := f.request(f.conversation(cu, nil), func(r *core.Request) { r.Status = status })
		ok(t, "update routing", s.UpdateRouting(ctx, r.ID, st))
		return r
	}
	late := mk(core.RouteState{Mode: core.ModeBroadcast, Step: 1, Deadline: at(50 * time.Second)}, core.ReqWaiting)
	soon := mk(core.RouteState{Mode: core.ModeBroadcast, Step: 1, Deadline: at(10 * time.Second)}, core.ReqWaiting)
	reroute := mk(core.RouteState{Mode: core.ModeGeneral, Step: 2, RerouteAt: at(20 * time.Second)}, core.ReqDeclined)
	both := mk(core.RouteState{Mode: core.ModeDirect, Step: 3, Deadline: at(40 * time.Second), RerouteAt: at(5 * time.Second)}, core.ReqDeclined)
	mk(core.RouteState{Mode: core.ModeBroadcast, Step: 1, Deadline: at(time.Second)}, core.ReqAccepted)  // closed
	mk(core.RouteState{Mode: core.ModeBroadcast, Step: 1, Deadline: at(2 * time.Hour)}, core.ReqWaiting) // beyond
	mk(core.RouteState{Mode: core.ModeBroadcast, Step: 1}, core.ReqWaiting)                              // no timer

	due, err := s.RoutingDue(ctx, at(time.Minute), 0)
	ok(t, "routing due", err)
	equal(t, "due, soonest first", ids(due), ids([]core.Request{both, soon, reroute, late}))
	if len(due) > 0 {
		equal(t, "state filled", due[0].Routing.Step, 3)
	}
	due, err = s.RoutingDue(ctx, at(10*time.Second), 0)
	ok(t, "routing due", err)
	equal(t, "due by 10s (inclusive)", ids(due), ids([]core.Request{both, soon}))
	due, err = s.RoutingDue(ctx, at(time.Minute), 2)
	ok(t, "routing due", err)
	equal(t, "limit", len(due), 2)
}

func testIdleConversations(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a := f.agent(nil)
	cu := f.customer("web", "Cleo")
	active := func(last time.Duration) core.Conversation {
		return f.conversation(cu, func(c *core.Conversation) {
			c.Status, c.AgentID, c.LastMessageAt = core.ConvActive, a.ID, at(last)
		})
	}
	old := active(-3 * time.Hour)
	older := active(-5 * time.Hour)
	active(0)
	f.conversation(cu, func(c *core.Conversation) { c.Status, c.LastMessageAt = core.ConvBot, at(-9*time.Hour) })
	got, err := s.IdleConversations(ctx, at(-time.Hour), 0)
	ok(t, "idle", err)
	equal(t, "idle, oldest first", got, []string{older.ID, old.ID})
	got, err = s.IdleConversations(ctx, at(-time.Hour), 1)
	ok(t, "idle", err)
	equal(t, "limit", got, []string{older.ID})
	got, err = s.IdleConversations(ctx, at(-6*time.Hour), 0)
	ok(t, "idle", err)
	equal(t, "none that old", len(got), 0)
}

func testLastAssigned(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a, b := f.agent(nil), f.agent(nil)
	cu := f.customer("web", "Dora")
	for _, d := range []time.Duration{time.Minute, 3 * time.Minute, 2 * time.Minute} {
		r := f.request(f.conversation(cu, nil), nil)
		won, err := s.AcceptRequest(ctx, r.ID, a.ID, at(d))
		ok(t, "accept", err)
		equal(t, "won", won, true)
	}
	got, err := s.AgentByID(ctx, a.ID)
	ok(t, "read", err)
	equal(t, "last assigned", got.LastAssignedAt, at(3*time.Minute))
	got, err = s.AgentByID(ctx, b.ID)
	ok(t, "read", err)
	equal(t, "never assigned", got.LastAssignedAt.IsZero(), true)
	list, err := s.ListAgents(ctx)
	ok(t, "list", err)
	for _, x := range list {
		if x.ID == a.ID {
			equal(t, "last assigned in list", x.LastAssignedAt, at(3*time.Minute))
		}
	}
}

func testQueuePosition(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a := f.agent(nil)
	cu := f.customer("web", "Eve")
	mk := func(d time.Duration, status core.RequestStatus) core.Request {
		return f.request(f.conversation(cu, nil), func(r *core.Request) { r.CreatedAt, r.Status = at(d), status })
	}
	third := mk(3*time.Second, core.ReqWaiting)
	first := mk(time.Second, core.ReqDeclined)
	done := mk(0, core.ReqWaiting)
	second := mk(2*time.Second, core.ReqWaiting)
	won, err := s.AcceptRequest(ctx, done.ID, a.ID, at(time.Minute))
	ok(t, "accept", err)
	equal(t, "won", won, true)
	open, err := s.ListRequests(ctx, core.RequestQuery{Statuses: []core.RequestStatus{core.ReqWaiting, core.ReqDeclined}})
	ok(t, "list", err)
	equal(t, "list order", ids(open), ids([]core.Request{first, second, third}))
	for want, r := range map[int]core.Request{1: first, 2: second, 3: third, 0: done} {
		got, err := s.QueuePosition(ctx, r.ID)
		ok(t, "queue position", err)
		equal(t, "queue position", got, want)
	}
	_, err = s.QueuePosition(ctx, "nope")
	isErr(t, "unknown request", err, core.ErrNotFound)
}
