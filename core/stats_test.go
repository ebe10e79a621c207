package core_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestStats(t *testing.T) {
	e := newEnv(t)
	alice := e.addAgent("Alice", 2, false, true)
	bob := e.addAgent("Bob", 2, false, true)
	carol := e.addAgent("Carol", 3, false, false)

	// r1: accepted after 60 s, first reply 30 s later, resolved.
	r1 := e.routed("Ada", "help")
	e.clock.Advance(time.Minute)
	_, _, err := e.svc.Accept(e.ctx, alice, r1.ID)
	ok(t, err)
	e.clock.Advance(30 * time.Second)
	_, err = e.svc.SendAgentMessage(e.ctx, alice, r1.ConversationID, "Hi!", "")
	ok(t, err)
	_, err = e.svc.Resolve(e.ctx, alice, r1.ConversationID)
	ok(t, err)

	// r2: accepted after 180 s, first reply 180 s later, still active.
	r2 := e.routed("Ben", "help")
	e.clock.Advance(3 * time.Minute)
	_, _, err = e.svc.Accept(e.ctx, bob, r2.ID)
	ok(t, err)
	e.clock.Advance(3 * time.Minute)
	_, err = e.svc.SendAgentMessage(e.ctx, bob, r2.ConversationID, "Sorry for the wait", "")
	ok(t, err)
	_, err = e.svc.SendAgentMessage(e.ctx, bob, r2.ConversationID, "Still there?", "")
	ok(t, err)

	// r3 waits; r4 was declined.
	e.routed("Cleo", "help")
	r4 := e.routed("Dan", "help")
	_, err = e.svc.Decline(e.ctx, alice, r4.ID, "")
	ok(t, err)

	st, err := e.svc.Stats(e.ctx)
	ok(t, err)
	mustEqual(t, "active", st.Active, 1)
	mustEqual(t, "waiting", st.Waiting, 1)
	mustEqual(t, "declined", st.Declined, 1)
	mustEqual(t, "pending", st.Pending, 2)
	mustEqual(t, "resolved total", st.ResolvedTotal, 1)
	mustEqual(t, "resolved today", st.ResolvedToday, 1)
	mustEqual(t, "agents online", st.AgentsOnline, 2)
	mustEqual(t, "median wait", st.MedianWaitSeconds, 120.0)
	mustEqual(t, "median first response", st.MedianFirstResponse, 105.0)
	mustEqual(t, "first response within 2m", st.FirstResponseWithin2mPct, 50.0)
	mustEqual(t, "reading", st.Reading.Code, "normal")
	want := []core.AgentLoad{
		{AgentID: alice.ID, Name: "Alice", Online: true, Active: 0, MaxChats: 2},
		{AgentID: bob.ID, Name: "Bob", Online: true, Active: 1, MaxChats: 2},
		{AgentID: carol.ID, Name: "Carol", Online: false, Active: 0, MaxChats: 3},
		{AgentID: e.admin.ID, Name: "Root", Online: false, Active: 0, MaxChats: 4},
	}
	mustSlice(t, "per agent", st.PerAgent, want)
	if n := len(st.ResolvedByWeek); n != 12 {
		t.Fatalf("resolved_by_week has %d weeks, want 12", n)
	}
	y, w := t0.ISOWeek()
	mustEqual(t, "this week", st.ResolvedByWeek[11], core.WeekCount{Week: fmt.Sprintf("%d-W%02d", y, w), Resolved: 1})
	mustEqual(t, "first week resolved", st.ResolvedByWeek[0].Resolved, 0)

	// The next day: resolved today drops, the total stays.
	e.clock.Advance(24 * time.Hour)
	st, err = e.svc.Stats(e.ctx)
	ok(t, err)
	mustEqual(t, "resolved today (next day)", st.ResolvedToday, 0)
	mustEqual(t, "resolved total (next day)", st.ResolvedTotal, 1)
	// Eight days on, the waits fall out of the 7-day window.
	e.clock.Advance(7 * 24 * time.Hour)
	st, err = e.svc.Stats(e.ctx)
	ok(t, err)
	mustEqual(t, "median wait (old)", st.MedianWaitSeconds, 0.0)
}

func TestStatsEmpty(t *testing.T) {
	e := newEnv(t)
	st, err := e.svc.Stats(e.ctx)
	ok(t, err)
	if st.PerAgent == nil || st.ResolvedByWeek == nil {
		t.Fatal("lists must be empty, not null")
	}
	mustEqual(t, "reading", st.Reading.Code, "normal")
	mustEqual(t, "within 2m", st.FirstResponseWithin2mPct, 0.0)
}
