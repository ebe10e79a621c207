package config

import (
	"slices"

	"github.com/switchboard-chat/switchboard/core"
)

// Settings converts the configuration into the settings core's Service
// reads: the channels, the greetings of widget channels that have one, the
// bot, the SLA colours, the default agent capacity, the templates, the
// dashboard reading thresholds and the token lifetimes
// (agents.token_ttl and server.visitor_ttl). The result shares no memory
// with c.
func (c *Config) Settings() core.Settings {
	s := core.Settings{
		Channels:  make([]core.Channel, 0, len(c.Channels)),
		Greetings: map[string]string{},
		Bot: core.BotSettings{
			Enabled:        c.Bot.Enabled,
			HandoffPhrases: slices.Clone(c.Bot.HandoffPhrases),
			MaxUnanswered:  c.Bot.MaxUnanswered,
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
	}
	for _, ch := range c.Channels {
		s.Channels = append(s.Channels, ch.Core())
		if ch.Type == core.ChannelWidget && ch.Greeting != "" {
			s.Greetings[ch.ID] = ch.Greeting
		}
	}
	for _, t := range c.Templates {
		s.Templates = append(s.Templates, core.Template{Name: t.Name, Shortcut: t.Shortcut, Body: t.Body})
	}
	return s
}
