package config

import (
	"reflect"
	"slices"

	"github.com/switchboard-chat/switchboard/core"
)

// Settings converts the configuration into the settings core's Service
// reads: the channels, the greetings of widget channels that have one, the
// bot, the SLA colours, the default agent capacity, the templates, the
// dashboard reading thresholds and the token lifetimes
// (agents.token_ttl and server.visitor_ttl), routing, the knowledge
// base, the offline acknowledgment with the business hours, and
// conversation housekeeping. The result shares no memory
// with c.
func (c *Config) Settings() core.Settings {
	s := core.Settings{
		Channels:  make([]core.Channel, 0, len(c.Channels)),
		Greetings: map[string]string{},
		Bot: core.BotSettings{
			Enabled:        c.Bot.Enabled,
			HandoffPhrases: slices.Clone(c.Bot.HandoffPhrases),
			MaxUnanswered:  c.Bot.MaxUnanswered,
			MinConfidence:  c.Bot.MinConfidence,
		},
		SLA:            core.SLA{AmberAfter: c.SLA.AmberAfter, RedAfter: c.SLA.RedAfter},
		DefaultMaxChat: c.Agents.DefaultMaxChats,
		Templates:      make([]core.Template, 0, len(c.Templates)),
		Reading: core.ReadingThresholds{
			ActiveHigh:   c.Stats.Reading.ActiveHigh,
			PendingHigh:  c.Stats.Reading.PendingHigh,
			ResolvedHigh: c.Stats.Reading.ResolvedHigh,
		},
		AgentTokenTTL: c.Agents.TokenTTL,
		VisitorTTL:    c.Server.VisitorTTL,
		Routing: core.RoutingSettings{
			RerouteWithin: c.Routing.RerouteWithin,
			Default:       c.Routing.Default.core(),
		},
		Offline: core.OfflineSettings{Message: c.Offline.Message, DefaultETA: c.Offline.DefaultETA},
		Conversations: core.ConversationSettings{
			AbandonAfter:     c.Conversations.AbandonAfter,
			IdleResolveAfter: c.Conversations.IdleResolveAfter,
		},
	}
	if len(c.Offline.BusinessHours.Week) > 0 {
		s.Offline.Hours = c.Offline.BusinessHours
	}
	for _, r := range c.Routing.Rules {
		m := core.RuleMatch{Channels: slices.Clone(r.Match.Channels), PageURL: r.Match.PageURL,
			Keywords: slices.Clone(r.Match.Keywords)}
		if r.Match.Returning != nil {
			v := *r.Match.Returning
			m.Returning = &v
		}
		s.Routing.Rules = append(s.Routing.Rules, core.RoutingRule{Name: r.Name, Match: m, Route: r.Route.core()})
	}
	for _, k := range c.Bot.Knowledge {
		s.Bot.Knowledge = append(s.Bot.Knowledge, core.KnowledgeEntry{Questions: slices.Clone(k.Questions), Answer: k.Answer})
	}
	for _, ch := range c.Channels {
		s.Channels = append(s.Channels, ch.Core())
		if spec := specOf(ch.Type); spec != nil && spec.core != nil && reflect.TypeOf(ch.Settings) == spec.settings {
			spec.core(ch.Settings, ch.ID, &s)
		}
	}
	for _, t := range c.Templates {
		s.Templates = append(s.Templates, core.Template{Name: t.Name, Shortcut: t.Shortcut, Body: t.Body})
	}
	return s
}

// core converts a route.
func (r Route) core() core.Route {
	out := core.Route{Mode: core.RouteMode(r.Mode), OfferTimeout: r.OfferTimeout}
	for _, t := range r.Tiers {
		out.Tiers = append(out.Tiers, core.Tier{Roles: slices.Clone(t.Roles), For: t.For})
	}
	return out
}
