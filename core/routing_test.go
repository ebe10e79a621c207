package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// routingAgents: alice (developer, idle longest), bob (support, one chat),
// carol (support), dave (developer, offline), erin (developer, full).
func routingAgents() []core.Agent {
	return []core.Agent{
		{ID: "alice", Roles: []string{"developer"}, Online: true, MaxChats: 2, StatusAt: t0.Add(-10 * time.Minute)},
		{ID: "bob", Roles: []string{"support"}, Online: true, MaxChats: 2, ActiveChats: 1, StatusAt: t0.Add(-20 * time.Minute)},
		{ID: "carol", Roles: []string{"Support"}, Online: true, MaxChats: 2, StatusAt: t0.Add(-5 * time.Minute)},
		{ID: "dave", Roles: []string{"developer"}, Online: false, MaxChats: 2},
		{ID: "erin", Roles: []string{"developer"}, Online: true, MaxChats: 1, ActiveChats: 1},
	}
}

func routingSettings() core.RoutingSettings {
	yes := true
	return core.RoutingSettings{
		RerouteWithin: 30 * time.Second,
		Rules: []core.RoutingRule{
			{Name: "technical", Match: core.RuleMatch{Channels: []string{"web"}, PageURL: "*/docs/*", Keywords: []string{"api", "error"}},
				Route: core.Route{Mode: core.ModeBroadcast, Tiers: []core.Tier{
					{Roles: []string{"developer"}, For: time.Minute},
					{Roles: []string{"support"}},
				}}},
			{Name: "billing", Match: core.RuleMatch{Keywords: []string{"invoice"}},
				Route: core.Route{Mode: core.ModeBroadcast, Tiers: []core.Tier{
					{Roles: []string{"billing"}, For: time.Minute}, // nobody has it: skipped
					{Roles: []string{"support"}, For: time.Minute},
					{Roles: []string{}},
				}}},
			{Name: "vip", Match: core.RuleMatch{Channels: []string{"wa"}, Returning: &yes},
				Route: core.Route{Mode: core.ModeDirect, Tiers: []core.Tier{{}}, OfferTimeout: 30 * time.Second}},
		},
		Default: core.Route{Mode: core.ModeBroadcast, Tiers: []core.Tier{{}}},
	}
}

func TestDecide(t *testing.T) {
	web := core.RouteFacts{ChannelID: "web", PageURL: "https://shop.example/docs/setup", Texts: []string{"Hi", "I get an API error!"}}
	waBack := core.RouteFacts{ChannelID: "wa", Returning: true, Texts: []string{"hello"}}
	tests := []struct {
		name     string
		facts    core.RouteFacts
		state    core.RouteState
		declined []string
		offered  []string
		agents   func([]core.Agent) []core.Agent
		now      time.Time
		want     []string
		wantSt   core.RouteState
	}{
		{name: "no rule matches: default, everyone eligible",
			facts:  core.RouteFacts{ChannelID: "web", PageURL: "https://shop.example/cart", Texts: []string{"api error"}},
			want:   []string{"alice", "bob", "carol"},
			wantSt: core.RouteState{Rule: "default", Mode: core.ModeBroadcast, Step: 1}},
		{name: "channel, page URL pattern and keyword match: first tier for its For",
			facts:  web,
			want:   []string{"alice"},
			wantSt: core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Step: 1, Deadline: t0.Add(time.Minute)}},
		{name: "nested docs pages go to the developer tier first",
			facts:  core.RouteFacts{ChannelID: "web", PageURL: "https://shop.example/docs/api/webhooks", Texts: []string{"api"}},
			want:   []string{"alice"},
			wantSt: core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Step: 1, Deadline: t0.Add(time.Minute)}},
		{name: "docs pages under a language prefix, with a query and a fragment",
			facts:  core.RouteFacts{ChannelID: "web", PageURL: "https://shop.example/en/docs/setup/step-2?tab=curl#retries", Texts: []string{"api"}},
			want:   []string{"alice"},
			wantSt: core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Step: 1, Deadline: t0.Add(time.Minute)}},
		{name: "a docs link in the query is no docs page",
			facts:  core.RouteFacts{ChannelID: "web", PageURL: "https://shop.example/login?next=/docs/api/webhooks", Texts: []string{"api"}},
			want:   []string{"alice", "bob", "carol"},
			wantSt: core.RouteState{Rule: "default", Mode: core.ModeBroadcast, Step: 1}},
		{name: "keywords are whole words",
			facts:  core.RouteFacts{ChannelID: "web", PageURL: "https://shop.example/docs/setup", Texts: []string{"rapid errors"}},
			want:   []string{"alice", "bob", "carol"},
			wantSt: core.RouteState{Rule: "default", Mode: core.ModeBroadcast, Step: 1}},
		{name: "tier not due yet: the offer stands",
			facts:   web,
			state:   core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Step: 1, Deadline: t0.Add(time.Second)},
			offered: []string{"alice"},
			want:    []string{"alice"},
			wantSt:  core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Step: 1, Deadline: t0.Add(time.Second)}},
		{name: "tier due: escalated to the last tier, which stays",
			facts:  web,
			state:  core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Step: 1, Deadline: t0},
			want:   []string{"bob", "carol"},
			wantSt: core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Tier: 1, Step: 2}},
		{name: "nobody in the first tier: it is skipped at once",
			facts:  web,
			agents: func(as []core.Agent) []core.Agent { as[0].Online = false; return as },
			want:   []string{"bob", "carol"},
			wantSt: core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Tier: 1, Step: 1}},
		{name: "empty tier skipped, next tier gets its own For",
			facts:  core.RouteFacts{ChannelID: "tg", Texts: []string{"my invoice is wrong"}},
			want:   []string{"bob", "carol"},
			wantSt: core.RouteState{Rule: "billing", Mode: core.ModeBroadcast, Tier: 1, Step: 1, Deadline: t0.Add(time.Minute)}},
		{name: "decliners are never offered",
			facts:    core.RouteFacts{ChannelID: "web"},
			declined: []string{"bob"},
			want:     []string{"alice", "carol"},
			wantSt:   core.RouteState{Rule: "default", Mode: core.ModeBroadcast, Step: 1}},
		{name: "direct: fewest chats, then longest idle",
			facts:  waBack,
			want:   []string{"alice"},
			wantSt: core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tried: []string{"alice"}, Step: 1, Deadline: t0.Add(30 * time.Second)}},
		{name: "direct: a recent accept makes an agent less idle",
			facts: waBack,
			agents: func(as []core.Agent) []core.Agent {
				as[0].LastAssignedAt = t0.Add(-time.Minute)
				return as
			},
			want:   []string{"carol"},
			wantSt: core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tried: []string{"carol"}, Step: 1, Deadline: t0.Add(30 * time.Second)}},
		{name: "direct: offer timed out, next agent",
			facts:   waBack,
			state:   core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tried: []string{"alice"}, Step: 1, Deadline: t0},
			offered: []string{"alice"},
			want:    []string{"carol"},
			wantSt:  core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tried: []string{"alice", "carol"}, Step: 2, Deadline: t0.Add(30 * time.Second)}},
		{name: "direct: offer still running",
			facts:   waBack,
			state:   core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tried: []string{"alice"}, Step: 1, Deadline: t0.Add(time.Second)},
			offered: []string{"alice"},
			want:    []string{"alice"},
			wantSt:  core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tried: []string{"alice"}, Step: 1, Deadline: t0.Add(time.Second)}},
		{name: "direct: the offered agent declined, next at once",
			facts:    waBack,
			state:    core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tried: []string{"alice"}, Step: 1, Deadline: t0.Add(20 * time.Second)},
			declined: []string{"alice"},
			want:     []string{"carol"},
			wantSt:   core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tried: []string{"alice", "carol"}, Step: 2, Deadline: t0.Add(30 * time.Second)}},
		{name: "direct: everyone tried, general queue",
			facts:  waBack,
			state:  core.RouteState{Rule: "vip", Mode: core.ModeDirect, Tried: []string{"alice", "carol", "bob"}, Step: 3, Deadline: t0},
			want:   []string{"alice", "bob", "carol"},
			wantSt: core.RouteState{Rule: "vip", Mode: core.ModeGeneral, Step: 4}},
		{name: "direct: nobody online, no offer and no timer",
			facts:  waBack,
			agents: func([]core.Agent) []core.Agent { return nil },
			want:   nil,
			wantSt: core.RouteState{Rule: "vip", Mode: core.ModeDirect, Step: 1}},
		{name: "reroute check due: general queue, roles ignored",
			facts:    web,
			state:    core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Step: 1, Deadline: t0.Add(30 * time.Second), RerouteAt: t0},
			declined: []string{"alice"},
			want:     []string{"bob", "carol"},
			wantSt:   core.RouteState{Rule: "technical", Mode: core.ModeGeneral, Step: 2}},
		{name: "reroute check not due: nothing moves",
			facts:   web,
			state:   core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Step: 1, Deadline: t0.Add(30 * time.Second), RerouteAt: t0.Add(time.Second)},
			offered: []string{"alice"},
			want:    []string{"alice"},
			wantSt:  core.RouteState{Rule: "technical", Mode: core.ModeBroadcast, Step: 1, Deadline: t0.Add(30 * time.Second), RerouteAt: t0.Add(time.Second)}},
		{name: "rule removed by a reload: routed afresh",
			facts:  core.RouteFacts{ChannelID: "web"},
			state:  core.RouteState{Rule: "gone", Mode: core.ModeDirect, Tried: []string{"alice"}, Step: 5, Deadline: t0.Add(time.Second), AckedAt: t0},
			want:   []string{"alice", "bob", "carol"},
			wantSt: core.RouteState{Rule: "default", Mode: core.ModeBroadcast, Step: 6, AckedAt: t0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agents := routingAgents()
			if tt.agents != nil {
				agents = tt.agents(agents)
			}
			req := core.Request{ID: "r1", Routing: tt.state, OfferedTo: tt.offered}
			for _, d := range tt.declined {
				req.Declines = append(req.Declines, core.Decline{AgentID: d})
			}
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			got := core.Decide(routingSettings(), req, tt.facts, agents, now)
			if !slices.Equal(got.Agents, tt.want) {
				t.Errorf("offer = %v, want %v", got.Agents, tt.want)
			}
			if !got.State.Equal(tt.wantSt) {
				t.Errorf("state = %+v\nwant    %+v", got.State, tt.wantSt)
			}
		})
	}
}

func TestPageURLMatchesWholeURLToo(t *testing.T) {
	rs := core.RoutingSettings{Rules: []core.RoutingRule{{Name: "shop", Match: core.RuleMatch{PageURL: "https://shop.example/*"}}},
		Default: core.Route{Mode: core.ModeBroadcast}}
	tests := []struct {
		url, want string
	}{
		{"https://shop.example/cart", "shop"},
		{"https://shop.example/docs/api/webhooks?x=1#y", "shop"},
		{"https://shop.example", "shop"},
		{"https://shop.example:443/cart", "shop"},
		{"https://other.example/cart", "default"},
		{"http://shop.example/cart", "default"},
		{"https://shop.example.other.test/cart", "default"},
		{"", "default"},
	}
	for _, tt := range tests {
		got, _ := rs.SelectRoute(core.RouteFacts{PageURL: tt.url})
		if got != tt.want {
			t.Errorf("SelectRoute(%q) = %s, want %s", tt.url, got, tt.want)
		}
	}
}

type fixedHours struct{ open, next time.Time }

func (h fixedHours) Open(t time.Time) bool { return !t.Before(h.open) }
func (h fixedHours) NextOpen(t time.Time) time.Time {
	if h.Open(t) {
		return t
	}
	return h.next
}

func TestEstimateWait(t *testing.T) {
	closed := fixedHours{open: t0.Add(time.Hour), next: t0.Add(90 * time.Minute)}
	off := core.OfflineSettings{DefaultETA: 15 * time.Minute}
	tests := []struct {
		name         string
		hours        core.Hours
		pos, free    int
		median, want time.Duration
	}{
		{"closed: until the next opening", closed, 1, 0, time.Minute, 90 * time.Minute},
		{"open, no history: default", nil, 3, 0, 0, 15 * time.Minute},
		{"nobody free: one median per place", nil, 3, 0, 2 * time.Minute, 6 * time.Minute},
		{"two free agents drain two per median", nil, 3, 2, 2 * time.Minute, 4 * time.Minute},
		{"first in line with agents", nil, 1, 4, 40 * time.Second, 40 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := off
			o.Hours = tt.hours
			if got := core.EstimateWait(t0, o, tt.pos, tt.free, tt.median); got != tt.want {
				t.Errorf("EstimateWait = %v, want %v", got, tt.want)
			}
		})
	}
	if got := core.OfflineMessage("Back within [ETA].", 90*time.Minute); got != "Back within 1 hour 30 minutes." {
		t.Errorf("OfflineMessage = %q", got)
	}
}
