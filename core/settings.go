package core

import (
	"strings"
	"time"
)

// Settings is the part of the configuration the Service reads. The
// composition root builds it from the YAML config; Service.SetSettings
// swaps it atomically on reload.
type Settings struct {
	Channels []Channel
	// Greetings maps a widget channel id to its greeting.
	Greetings      map[string]string
	Bot            BotSettings
	SLA            SLA
	DefaultMaxChat int
	Templates      []Template
	Reading        ReadingThresholds
	AgentTokenTTL  time.Duration
	VisitorTTL     time.Duration
	Routing        RoutingSettings
	Offline        OfflineSettings
	Conversations  ConversationSettings
	// PageQueryKeys maps a widget channel id to the query keys its page
	// URLs keep (CleanPageURL); every other key, and any fragment that
	// is not a route, is dropped.
	PageQueryKeys map[string][]string
}

// OfflineSettings configure the acknowledgment a customer gets when no
// eligible agent is online.
type OfflineSettings struct {
	// Message may hold [ETA]; empty: no acknowledgment is sent.
	Message    string
	DefaultETA time.Duration
	// Hours are the business hours; nil: always open.
	Hours Hours
}

// Hours is a business-hours calendar (config.BusinessHours implements it).
type Hours interface {
	// Open reports whether t is within business hours.
	Open(t time.Time) bool
	// NextOpen is the first moment at or after t that is within business
	// hours (t itself when open; zero when the calendar never opens).
	NextOpen(t time.Time) time.Time
}

// ConversationSettings configure housekeeping; zero durations switch it off.
type ConversationSettings struct {
	// AbandonAfter: an open widget request whose visitor has not been seen
	// for this long becomes abandoned.
	AbandonAfter time.Duration
	// IdleResolveAfter: an active conversation without messages for this
	// long is resolved with a system note.
	IdleResolveAfter time.Duration
}

// BotSettings configures the first-line bot.
type BotSettings struct {
	Enabled        bool
	HandoffPhrases []string
	// MaxUnanswered is how many misses the bot allows before it connects
	// the customer to a person itself (0: never).
	MaxUnanswered int
	// Knowledge is what the bot can answer.
	Knowledge []KnowledgeEntry
	// MinConfidence is the confidence (0–1, see Knowledge) an entry must
	// reach before the bot answers; 0 means DefaultMinConfidence.
	MinConfidence float64
}

// KnowledgeEntry is one knowledge-base entry: any of Questions gets Answer.
type KnowledgeEntry struct {
	Questions []string
	Answer    string
}

// SLA sets the wait-time colours of the request panel.
type SLA struct {
	AmberAfter, RedAfter time.Duration
}

// Level is the wait level of a request that has waited d.
func (s SLA) Level(d time.Duration) WaitLevel {
	switch {
	case s.RedAfter > 0 && d >= s.RedAfter:
		return WaitRed
	case s.AmberAfter > 0 && d >= s.AmberAfter:
		return WaitAmber
	}
	return WaitNormal
}

// Template is a canned agent reply; Body may hold placeholders.
type Template struct {
	Name     string `json:"name"`
	Shortcut string `json:"shortcut"`
	Body     string `json:"body"`
}

// ReadingThresholds decide Stats.Reading.
type ReadingThresholds struct {
	// ActiveHigh is the share of online capacity in use that counts as high.
	ActiveHigh float64
	// PendingHigh is the number of open requests per online agent (at least
	// one agent counted) that counts as high.
	PendingHigh float64
	// ResolvedHigh is the number of conversations resolved today that
	// counts as high.
	ResolvedHigh int
}

// DefaultSettings runs with no config file: one widget channel "web".
func DefaultSettings() Settings {
	return Settings{
		Channels:  []Channel{{ID: "web", Type: ChannelWidget}},
		Greetings: map[string]string{"web": DefaultGreeting},
		Bot: BotSettings{
			Enabled:        true,
			HandoffPhrases: DefaultHandoffPhrases(),
			MaxUnanswered:  2,
			MinConfidence:  DefaultMinConfidence,
		},
		SLA:            SLA{AmberAfter: 2 * time.Minute, RedAfter: 5 * time.Minute},
		DefaultMaxChat: 4,
		Reading:        ReadingThresholds{ActiveHigh: 0.8, PendingHigh: 1, ResolvedHigh: 20},
		AgentTokenTTL:  24 * time.Hour,
		VisitorTTL:     30 * 24 * time.Hour,
		Routing: RoutingSettings{
			RerouteWithin: 30 * time.Second,
			Default:       Route{Mode: ModeBroadcast, Tiers: []Tier{{Roles: []string{}}}},
		},
		Offline: OfflineSettings{
			Message:    "No agent is available right now. Expected reply within [ETA].",
			DefaultETA: 15 * time.Minute,
		},
		Conversations: ConversationSettings{AbandonAfter: 15 * time.Minute, IdleResolveAfter: 24 * time.Hour},
	}
}

// channel finds a configured channel by id.
func (s *Settings) channel(id string) (Channel, bool) {
	for _, c := range s.Channels {
		if c.ID == id {
			return c, true
		}
	}
	return Channel{}, false
}

// firstWidget is the default channel of widget sessions.
func (s *Settings) firstWidget() (Channel, bool) {
	for _, c := range s.Channels {
		if c.Type == ChannelWidget {
			return c, true
		}
	}
	return Channel{}, false
}

// template finds a template by name or shortcut.
func (s *Settings) template(key string) (Template, bool) {
	for _, t := range s.Templates {
		if t.Name == key || (t.Shortcut != "" && t.Shortcut == key) {
			return t, true
		}
	}
	return Template{}, false
}

// FillTemplate replaces the placeholders of body: [Name] (the customer's
// first name, "there" when anonymous), [FullName], [Agent] and [Channel].
func FillTemplate(body string, c Customer, agent Agent, ch Channel) string {
	first := "there"
	if f := strings.Fields(c.Name); len(f) > 0 {
		first = f[0]
	}
	return strings.NewReplacer(
		"[Name]", first,
		"[FullName]", c.DisplayName(),
		"[Agent]", agent.Name,
		"[Channel]", string(ch.Type),
	).Replace(body)
}

// TemplatePlaceholders are the placeholders FillTemplate knows.
var TemplatePlaceholders = []string{"[Name]", "[FullName]", "[Agent]", "[Channel]"}
