package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestSweep(t *testing.T) {
	e := newEnv(t, withOffline)
	m := e.ingest("4917", "wamid.1", "hello") // not yet seen by the bot
	r := e.routed("Ada", "help")              // open, nobody online, acknowledgment undelivered
	notice := e.last(r.ConversationID)
	mustEqual(t, "notice", notice.Text, offlineAck)

	rep, err := e.svc.Sweep(e.ctx)
	ok(t, err)
	mustEqual(t, "fresh work is left alone", rep, core.SweepReport{})

	e.clock.Advance(core.SweepGrace + time.Second)
	bots, delivers, routes := len(e.jobs.Bots()), len(e.jobs.Delivers()), len(e.jobs.Routes())
	rep, err = e.svc.Sweep(e.ctx)
	ok(t, err)
	mustEqual(t, "report", rep, core.SweepReport{Bot: 1, Deliver: 1, Route: 1})
	mustSlice(t, "bot", e.jobs.Bots()[bots:], []string{m.ID})
	mustSlice(t, "deliver", e.jobs.Delivers()[delivers:], []string{notice.ID})
	newRoutes := e.jobs.Routes()[routes:]
	if len(newRoutes) != 1 || newRoutes[0].RequestID != r.ID || newRoutes[0].Cause[:6] != "sweep:" {
		t.Fatalf("routes = %+v, want one sweep route of %s", newRoutes, r.ID)
	}

	// Do the work: nothing is due any more except the request nobody took.
	ok(t, e.svc.RunBot(e.ctx, m.ID))
	for _, id := range e.jobs.Delivers() {
		ok(t, e.svc.Deliver(e.ctx, id))
	}
	alice := e.online("Alice")
	ok(t, e.svc.Route(e.ctx, r.ID))
	for _, id := range e.jobs.Delivers() { // the queue message
		ok(t, e.svc.Deliver(e.ctx, id))
	}
	e.clock.Advance(core.SweepGrace + time.Second)
	rep, err = e.svc.Sweep(e.ctx)
	ok(t, err)
	mustEqual(t, "report (offered, unanswered)", rep, core.SweepReport{Route: 1})

	_, _, err = e.svc.Accept(e.ctx, alice, r.ID)
	ok(t, err)
	for _, id := range e.jobs.Delivers() {
		ok(t, e.svc.Deliver(e.ctx, id))
	}
	e.clock.Advance(core.SweepGrace + time.Second)
	rep, err = e.svc.Sweep(e.ctx)
	ok(t, err)
	mustEqual(t, "report (all done)", rep, core.SweepReport{})
	if slices.ContainsFunc(e.jobs.Routes()[routes+1:], func(rc routeCall) bool { return rc.RequestID != r.ID }) {
		t.Fatal("unexpected routes")
	}
}

func TestSweepReschedulesTimers(t *testing.T) {
	e := newEnv(t, tieredRouting)
	e.withRoles(e.online("Dev"), "developer")
	r := e.routed("Ada", "api down")
	forget := func() {
		e.jobs.mu.Lock()
		e.jobs.timers = nil
		e.jobs.mu.Unlock()
	}
	want := []timerCall{{"escalate", r.ID, 1, t0.Add(time.Minute)}}

	// The first sweep of a process schedules every pending timer (the
	// embedded queue lost them in a restart).
	forget()
	rep, err := e.svc.Sweep(e.ctx)
	ok(t, err)
	mustEqual(t, "timers", rep.Timers, 1)
	mustSlice(t, "rebuilt", e.jobs.Timers(), want)

	// Later sweeps leave timers that are not overdue to the queue…
	forget()
	e.clock.Advance(61 * time.Second)
	_, err = e.svc.Sweep(e.ctx)
	ok(t, err)
	mustSlice(t, "within the grace", e.jobs.Timers(), nil)

	// …and schedule again those overdue by more than the grace: lost.
	e.clock.Advance(core.TimerGrace)
	_, err = e.svc.Sweep(e.ctx)
	ok(t, err)
	mustSlice(t, "overdue", e.jobs.Timers(), want)
}
