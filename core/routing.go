package core

import (
	"slices"
	"strings"
	"time"
)

// RouteMode says how a request is offered.
type RouteMode string

// Routing modes.
const (
	// ModeBroadcast offers the request to every eligible agent of the
	// current tier; after the tier's For it escalates to the next tier
	// (the last tier stays).
	ModeBroadcast RouteMode = "broadcast"
	// ModeDirect offers it to one agent at a time for OfferTimeout: fewest
	// active chats first, then the one idle the longest (Agent.IdleSince).
	// When every eligible agent was tried it falls back to ModeGeneral.
	ModeDirect RouteMode = "direct"
	// ModeGeneral is the general queue: every eligible agent, whatever
	// their roles. Direct routing ends here, and so does a declined
	// request that was not taken within routing.reroute_within.
	ModeGeneral RouteMode = "general"
)

// DefaultRuleName names the routing.default route in RouteState.Rule.
const DefaultRuleName = "default"

// RoutingSettings decide who is offered a request.
type RoutingSettings struct {
	// RerouteWithin: a declined request still open this long after the
	// decline goes to the general queue (0: never).
	RerouteWithin time.Duration
	// Rules are tried in order; the first match wins.
	Rules []RoutingRule
	// Default applies when no rule matches.
	Default Route
}

// RoutingRule is a named route and the requests it applies to.
type RoutingRule struct {
	Name  string
	Match RuleMatch
	Route Route
}

// RuleMatch selects requests; every criterion that is set must hold.
type RuleMatch struct {
	// Channels are channel ids; empty: any.
	Channels []string
	// PageURL is a web-style URL pattern (MatchPageURL): `*` matches any
	// run of characters, `/` included, and the pattern matches the whole
	// page URL, the URL without its scheme, or its path ("*/docs/*" and
	// "/docs/*" match https://x.test/docs/api/webhooks). A request without
	// a page URL does not match a rule that sets one.
	PageURL string
	// Keywords match when any of them (as whole normalised words, or a
	// phrase of them) appears in one of the conversation's customer
	// messages.
	Keywords []string
	// Returning, when set, matches returning (true) or new (false)
	// customers only.
	Returning *bool
}

// Route is how a request is offered.
type Route struct {
	Mode  RouteMode
	Tiers []Tier
	// OfferTimeout is how long one agent has in ModeDirect.
	OfferTimeout time.Duration
}

// Tier is one escalation step of a route.
type Tier struct {
	// Roles an agent needs one of; empty: every agent.
	Roles []string
	// For is how long the tier is tried before the next one (0: forever;
	// the last tier always stays).
	For time.Duration
}

// RouteState is where routing of one request stands. It is stored with the
// request so that a restarted fleet carries on where it stopped.
type RouteState struct {
	// Rule is the name of the matched rule (DefaultRuleName for the
	// default); empty until the request is first routed.
	Rule string
	// Mode is the rule's mode, or ModeGeneral once the request fell back to
	// the general queue.
	Mode RouteMode
	// Tier is the current broadcast tier.
	Tier int
	// Tried lists the agents a direct offer went to, in order.
	Tried []string
	// Step counts the times the offer moved on (new tier, next direct
	// agent, general queue); a timer carries the step it was set for, so a
	// timer of an earlier step is stale.
	Step int
	// Deadline is when the current tier or direct offer ends (zero: no
	// timer).
	Deadline time.Time
	// RerouteAt is when a declined request goes to the general queue if it
	// is still open (zero: no check pending).
	RerouteAt time.Time
	// AckedAt is when the customer first got the offline acknowledgment.
	AckedAt time.Time
	// Told is the last notice about the wait the customer got
	// (NextWaitNotice), without its Position.
	Told WaitNotice
}

// Equal reports whether two states are the same.
func (s RouteState) Equal(o RouteState) bool {
	return s.Rule == o.Rule && s.Mode == o.Mode && s.Tier == o.Tier && slices.Equal(s.Tried, o.Tried) &&
		s.Step == o.Step && s.Deadline.Equal(o.Deadline) && s.RerouteAt.Equal(o.RerouteAt) && s.AckedAt.Equal(o.AckedAt) &&
		s.Told.Situation == o.Told.Situation && s.Told.ETA == o.Told.ETA
}

// RouteFacts are what rules match on.
type RouteFacts struct {
	ChannelID string
	PageURL   string
	// Texts are the conversation's customer messages.
	Texts     []string
	Returning bool
}

// SelectRoute returns the first rule matching the facts, or the default.
func (rs RoutingSettings) SelectRoute(f RouteFacts) (string, Route) {
	var words string
	for _, r := range rs.Rules {
		if len(r.Match.Keywords) > 0 && words == "" {
			parts := make([]string, 0, len(f.Texts))
			for _, t := range f.Texts {
				parts = append(parts, FoldText(t))
			}
			words = " " + strings.Join(parts, " | ") + " "
		}
		if r.Match.matches(f, words) {
			return r.Name, r.Route
		}
	}
	return DefaultRuleName, rs.Default
}

// route finds a route by rule name.
func (rs RoutingSettings) route(name string) (Route, bool) {
	if name == DefaultRuleName {
		return rs.Default, true
	}
	for _, r := range rs.Rules {
		if r.Name == name {
			return r.Route, true
		}
	}
	return Route{}, false
}

func (m RuleMatch) matches(f RouteFacts, words string) bool {
	if len(m.Channels) > 0 && !slices.Contains(m.Channels, f.ChannelID) {
		return false
	}
	if m.Returning != nil && *m.Returning != f.Returning {
		return false
	}
	if m.PageURL != "" && !MatchPageURL(m.PageURL, f.PageURL) {
		return false
	}
	if len(m.Keywords) > 0 {
		found := false
		for _, k := range m.Keywords {
			if k = FoldText(k); k != "" && strings.Contains(words, " "+k+" ") {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Offer is a routing decision: the new state and who is offered the request.
type Offer struct {
	State RouteState
	// Agents are the agent ids offered the request, in routing order.
	Agents []string
}

// Decide is routing as a pure function: given the settings, the request
// (with its stored RouteState, declines and current offers), the agents,
// the facts rules match on and the time, it returns the offer. It is
// called when a request is opened, when a timer fires, on decline, and
// whenever agents change; it only moves the request on when something is
// due or the current offer is no longer possible:
//
//   - A request not yet routed (or whose rule was removed on reload) gets
//     the first matching rule (SelectRoute).
//   - A reroute check that is due moves the request to ModeGeneral.
//   - Broadcast: the offer is every eligible agent of the current tier. A
//     tier whose For has passed escalates to the next; a tier with no
//     eligible agent is skipped at once (nobody to wait for), except the
//     last, which stays. Each new tier starts its For.
//   - Direct: the current agent keeps the offer until OfferTimeout passes
//     or they are no longer eligible; then the next untried eligible agent
//     (fewest active chats, then longest idle, then id) gets it. When no
//     untried agent is left after at least one was tried, ModeGeneral.
//   - General: every eligible agent, whatever their roles.
//
// Eligible: online, under max_chats, not among the decliners, and (except
// in ModeGeneral) holding one of the tier's roles (no roles: everyone).
// Direct mode uses the roles of all its tiers together.
func Decide(rs RoutingSettings, req Request, f RouteFacts, agents []Agent, now time.Time) Offer {
	st := req.Routing
	st.Tried = slices.Clone(st.Tried)
	rt, ok := rs.route(st.Rule)
	if st.Mode == "" || !ok {
		name, r := rs.SelectRoute(f)
		rt = r
		st = RouteState{Rule: name, Mode: r.Mode, Step: st.Step, RerouteAt: st.RerouteAt, AckedAt: st.AckedAt, Told: st.Told}
		if st.Mode == "" {
			st.Mode = ModeBroadcast
		}
	}
	if !st.RerouteAt.IsZero() && !now.Before(st.RerouteAt) {
		st.RerouteAt = time.Time{}
		st.Mode = ModeGeneral
	}
	if st.Mode != ModeDirect {
		st.Tried = nil
	}
	tiers := rt.Tiers
	if len(tiers) == 0 {
		tiers = []Tier{{}}
	}
	overdue := !st.Deadline.IsZero() && !now.Before(st.Deadline)
	var offer []string
	switch st.Mode {
	case ModeGeneral:
		st.Deadline = time.Time{}
		offer = eligible(req, agents, nil, true)
	case ModeDirect:
		var roles []string
		all := false
		for _, t := range tiers {
			if len(t.Roles) == 0 {
				all = true
			}
			roles = append(roles, t.Roles...)
		}
		elig := eligibleAgents(req, agents, roles, all)
		cur := ""
		if n := len(st.Tried); n > 0 && !st.Deadline.IsZero() {
			cur = st.Tried[n-1]
		}
		if cur != "" && !overdue && slices.ContainsFunc(elig, func(a Agent) bool { return a.ID == cur }) {
			offer = []string{cur}
			break
		}
		var next []Agent
		for _, a := range elig {
			if !slices.Contains(st.Tried, a.ID) {
				next = append(next, a)
			}
		}
		switch {
		case len(next) > 0:
			slices.SortFunc(next, func(a, b Agent) int {
				if a.ActiveChats != b.ActiveChats {
					return a.ActiveChats - b.ActiveChats
				}
				if c := a.IdleSince().Compare(b.IdleSince()); c != 0 {
					return c
				}
				return strings.Compare(a.ID, b.ID)
			})
			st.Tried = append(st.Tried, next[0].ID)
			timeout := rt.OfferTimeout
			if timeout <= 0 {
				timeout = 30 * time.Second
			}
			st.Deadline = now.Add(timeout)
			offer = []string{next[0].ID}
		case len(st.Tried) > 0:
			st.Mode, st.Deadline, st.Tried = ModeGeneral, time.Time{}, nil
			offer = eligible(req, agents, nil, true)
		default:
			st.Deadline = time.Time{} // nobody to offer to yet: wait
		}
	default: // broadcast
		if st.Tier >= len(tiers) {
			st.Tier = len(tiers) - 1
		}
		last := len(tiers) - 1
		moved := false
		if overdue && st.Tier < last {
			st.Tier++
			moved = true
		}
		for st.Tier < last && len(eligible(req, agents, tiers[st.Tier].Roles, len(tiers[st.Tier].Roles) == 0)) == 0 {
			st.Tier++
			moved = true
		}
		t := tiers[st.Tier]
		offer = eligible(req, agents, t.Roles, len(t.Roles) == 0)
		switch {
		case st.Tier == last || t.For <= 0:
			st.Deadline = time.Time{}
		case moved || st.Deadline.IsZero():
			st.Deadline = now.Add(t.For)
		}
	}
	old := req.Routing
	if !st.Deadline.Equal(old.Deadline) || st.Mode != old.Mode || st.Tier != old.Tier || st.Rule != old.Rule {
		st.Step++
	}
	return Offer{State: st, Agents: offer}
}

// eligible returns the ids of eligibleAgents.
func eligible(req Request, agents []Agent, roles []string, anyRole bool) []string {
	as := eligibleAgents(req, agents, roles, anyRole)
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

// eligibleAgents: online, under max_chats, not a decliner, and holding one
// of roles unless anyRole.
func eligibleAgents(req Request, agents []Agent, roles []string, anyRole bool) []Agent {
	var out []Agent
	for _, a := range agents {
		if !a.Online || a.ActiveChats >= a.MaxChats || req.DeclinedBy(a.ID) {
			continue
		}
		if !anyRole && !slices.ContainsFunc(a.Roles, func(r string) bool {
			return slices.ContainsFunc(roles, func(want string) bool { return strings.EqualFold(want, r) })
		}) {
			continue
		}
		out = append(out, a)
	}
	return out
}
