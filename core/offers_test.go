package core_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// tieredRouting: "api" requests go to developers for a minute, then to
// support; WhatsApp goes direct; everything else to everyone.
func tieredRouting(set *core.Settings) {
	set.Routing.Rules = []core.RoutingRule{
		{Name: "technical", Match: core.RuleMatch{Keywords: []string{"api"}},
			Route: core.Route{Mode: core.ModeBroadcast, Tiers: []core.Tier{
				{Roles: []string{"developer"}, For: time.Minute}, {Roles: []string{"support"}}}}},
		{Name: "direct", Match: core.RuleMatch{Keywords: []string{"direct"}},
			Route: core.Route{Mode: core.ModeDirect, Tiers: []core.Tier{{}}, OfferTimeout: 20 * time.Second}},
	}
}

func (e *env) withRoles(a core.Agent, roles ...string) core.Agent {
	e.t.Helper()
	a, err := e.svc.UpdateAgent(e.ctx, e.admin, a.ID, core.AgentPatch{Roles: &roles})
	ok(e.t, err)
	return a
}

func TestTierEscalation(t *testing.T) {
	e := newEnv(t, tieredRouting)
	dev := e.withRoles(e.online("Dev"), "developer")
	sup := e.withRoles(e.online("Sup"), "support")
	r := e.routed("Ada", "the API returns 500")
	mustSlice(t, "tier 0 offer", r.OfferedTo, []string{dev.ID})
	mustEqual(t, "rule", r.Routing.Rule, "technical")
	mustSlice(t, "timers", e.jobs.Timers(), []timerCall{{"escalate", r.ID, 1, t0.Add(time.Minute)}})

	// Outside the offer: 403 not_offered; an admin may always take it.
	_, _, err := e.svc.Accept(e.ctx, sup, r.ID)
	wantErr(t, err, core.ErrNotOffered)

	// Early and stale timers change nothing.
	var nd *core.NotDueError
	if err := e.svc.Escalate(e.ctx, r.ID, 1); !errors.As(err, &nd) || nd.Wait != time.Minute {
		t.Fatalf("early escalate = %v, want not due for 1m", err)
	}
	ok(t, e.svc.Escalate(e.ctx, r.ID, 0))
	mustSlice(t, "offer after stale timer", e.req(r.ID).OfferedTo, []string{dev.ID})

	// Started early by less than TimerSlack (Asynq's whole seconds): it
	// acts as of its due time.
	e.clock.Advance(time.Minute - 600*time.Millisecond)
	ok(t, e.svc.Escalate(e.ctx, r.ID, 1))
	got := e.req(r.ID)
	mustSlice(t, "tier 1 offer", got.OfferedTo, []string{sup.ID})
	mustEqual(t, "tier", got.Routing.Tier, 1)
	mustEqual(t, "step", got.Routing.Step, 2)
	mustEqual(t, "deadline cleared on the last tier", got.Routing.Deadline.IsZero(), true)
	ok(t, e.svc.Escalate(e.ctx, r.ID, 1)) // the same timer again: stale
	mustEqual(t, "step", e.req(r.ID).Routing.Step, 2)

	_, _, err = e.svc.Accept(e.ctx, sup, r.ID)
	ok(t, err)
	ok(t, e.svc.Escalate(e.ctx, r.ID, 2)) // accepted: no-op
	mustEqual(t, "status", e.req(r.ID).Status, core.ReqAccepted)

	r2 := e.routed("Bea", "api question")
	e.admin, err = e.svc.SetOnline(e.ctx, e.admin, true)
	ok(t, err)
	_, _, err = e.svc.Accept(e.ctx, e.admin, r2.ID)
	ok(t, err)
}

func TestDirectDeclineAndRerouteGuarantee(t *testing.T) {
	e := newEnv(t, tieredRouting)
	a := e.online("Alice")
	e.clock.Advance(time.Second)
	b := e.online("Bob")
	e.clock.Advance(time.Second)
	c := e.online("Carol")
	r := e.routed("Ada", "direct please")
	mustSlice(t, "first offer (idle longest)", r.OfferedTo, []string{a.ID})

	// Decline: the next agent at once, and the reroute check is set.
	got, err := e.svc.Decline(e.ctx, a, r.ID, "")
	ok(t, err)
	mustSlice(t, "offer after decline", got.OfferedTo, []string{b.ID})
	due := e.clock.Now().Add(30 * time.Second)
	if !slices.Contains(e.jobs.Timers(), timerCall{"reroute", r.ID, 0, due}) {
		t.Fatalf("timers = %+v, want a reroute check at %v", e.jobs.Timers(), due)
	}

	// The offer times out: Carol.
	e.clock.Advance(20 * time.Second)
	ok(t, e.svc.Escalate(e.ctx, r.ID, e.req(r.ID).Routing.Step))
	mustSlice(t, "offer after timeout", e.req(r.ID).OfferedTo, []string{c.ID})

	// The reroute check: general queue, everyone but the decliner.
	ok(t, e.svc.RerouteCheck(e.ctx, r.ID, due.Add(-time.Hour))) // an older check: stale
	mustSlice(t, "after a stale check", e.req(r.ID).OfferedTo, []string{c.ID})
	var nd *core.NotDueError
	if err := e.svc.RerouteCheck(e.ctx, r.ID, due); !errors.As(err, &nd) {
		t.Fatalf("early check = %v, want not due", err)
	}
	e.clock.Advance(10 * time.Second)
	ok(t, e.svc.RerouteCheck(e.ctx, r.ID, due))
	got = e.req(r.ID)
	mustEqual(t, "mode", got.Routing.Mode, core.ModeGeneral)
	if !sameSet(got.OfferedTo, []string{b.ID, c.ID}) {
		t.Fatalf("general offer = %v, want Bob and Carol", got.OfferedTo)
	}
}

func TestOfflineAcknowledgmentAndETA(t *testing.T) {
	e := newEnv(t, func(s *core.Settings) {
		s.Offline = core.OfflineSettings{Message: "Back within [ETA].", DefaultETA: 15 * time.Minute}
	})
	v, _ := e.visitor("Ada")
	r, err := e.svc.VisitorHandoff(e.ctx, v, "hello")
	ok(t, err)
	ok(t, e.svc.Route(e.ctx, r.ID))
	ok(t, e.svc.Route(e.ctx, r.ID)) // once per request
	mustEqual(t, "acknowledgments", e.count(r.ConversationID, core.AuthorSystem, "Back within 15 minutes."), 1)

	th, err := e.svc.VisitorMessages(e.ctx, v, "")
	ok(t, err)
	mustEqual(t, "queue position", th.QueuePosition, 1)
	mustEqual(t, "eta", th.EtaSeconds, 15*60)

	// An agent comes online: re-offered at once (a route is queued).
	before := len(e.jobs.routedWith(r.ID))
	a := e.online("Alice")
	if len(e.jobs.routedWith(r.ID)) <= before {
		t.Fatal("no route queued when an agent came online")
	}
	ok(t, e.svc.Route(e.ctx, r.ID))
	mustSlice(t, "offer", e.req(r.ID).OfferedTo, []string{a.ID})

	// Accepted after 2 minutes: the next customer's ETA uses it.
	e.clock.Advance(2 * time.Minute)
	_, _, err = e.svc.Accept(e.ctx, a, r.ID)
	ok(t, err)
	e.clock.Advance(2 * time.Minute) // past the median cache
	_, err = e.svc.SetOnline(e.ctx, a, false)
	ok(t, err)
	v2, _ := e.visitor("Bea")
	r2, err := e.svc.VisitorHandoff(e.ctx, v2, "hi")
	ok(t, err)
	ok(t, e.svc.Route(e.ctx, r2.ID))
	mustEqual(t, "estimate from the median accept", e.count(r2.ConversationID, core.AuthorSystem, "Back within 2 minutes."), 1)
}
