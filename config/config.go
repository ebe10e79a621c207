package config

import (
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// Config is the whole configuration file. Durations are Go duration
// strings ("30s", "15m", "24h") in the file.
type Config struct {
	Server        Server        `yaml:"server"`
	Database      Database      `yaml:"database"`
	Redis         Redis         `yaml:"redis"`
	DataDir       string        `yaml:"data_dir"`
	Channels      []Channel     `yaml:"channels"`
	Bot           Bot           `yaml:"bot"`
	Routing       Routing       `yaml:"routing"`
	Agents        Agents        `yaml:"agents"`
	SLA           SLA           `yaml:"sla"`
	Offline       Offline       `yaml:"offline"`
	Conversations Conversations `yaml:"conversations"`
	Templates     []Template    `yaml:"templates"`
	Stats         Stats         `yaml:"stats"`
	Limits        Limits        `yaml:"limits"`
	Media         Media         `yaml:"media"`

	// meta is where the values came from (a pointer, so printing a Config
	// does not dump it).
	meta *meta
}

// meta records the source of a parsed Config.
type meta struct {
	file string
	pos  map[string]position
}

// position is a 1-based line and column in the file.
type position struct{ line, column int }

// Server configures the HTTP gateway.
type Server struct {
	// Addr is the listen address, such as ":8080".
	Addr string `yaml:"addr"`
	// PublicURL is the externally reachable base URL (webhook URLs, links).
	PublicURL string `yaml:"public_url"`
	// BodyLimit caps request bodies.
	BodyLimit ByteSize `yaml:"body_limit"`
	// VisitorTTL is how long a widget visitor token stays valid.
	VisitorTTL time.Duration `yaml:"visitor_ttl"`
	// DebugAddr, when set, is a private listener for /debug/pprof/ and
	// /metrics in every role, workers included. Never expose it publicly.
	DebugAddr string `yaml:"debug_addr"`
	// AccessLog is which requests get a log line: AccessLogAll (every
	// request) or AccessLogErrors (answered 400 or more).
	AccessLog string `yaml:"access_log"`
	// TrustedProxies are the addresses and CIDR ranges of the proxies in
	// front of the gateway (ingress, load balancer): only from them is
	// X-Forwarded-For believed for the client address. Empty: the client
	// address is the TCP peer.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Metrics says who may read /metrics: MetricsDebug (the default: on
	// DebugAddr only), MetricsPublic or MetricsToken (with MetricsToken).
	Metrics      string `yaml:"metrics"`
	MetricsToken Secret `yaml:"metrics_token"`
}

// Values of Server.AccessLog.
const (
	AccessLogAll    = "all"
	AccessLogErrors = "errors"
)

// Database selects the store. An empty URL means SQLite in DataDir.
type Database struct {
	// URL is a postgres:// or postgresql:// URL, or empty.
	URL Secret `yaml:"url"`
	// MaxOpenConns caps the PostgreSQL connection pool (0: 16); for SQLite,
	// its read connections (0: 4).
	MaxOpenConns int `yaml:"max_open_conns"`
	// ConnMaxLifetime retires pooled connections after this age, so a
	// fail-over or a proxy's limit is picked up (0: never).
	ConnMaxLifetime time.Duration `yaml:"conn_max_lifetime"`
	// StatementTimeout cancels a PostgreSQL statement running longer (0: none).
	StatementTimeout time.Duration `yaml:"statement_timeout"`
}

// Redis selects the queue and event bus backend. An empty URL means the
// embedded in-process Redis.
type Redis struct {
	// URL is redis://, rediss://, redis-sentinel:// or a comma-separated
	// list of cluster addresses (host:port,host:port), or empty.
	URL Secret `yaml:"url"`
	// Namespace prefixes keys when several deployments share one Redis.
	Namespace string `yaml:"namespace"`
}

// Channel is one configured entry point: its id and type, and the keys
// of its type (see ChannelSpec), decoded into Settings.
type Channel struct {
	ID   string           `yaml:"id"`
	Type core.ChannelType `yaml:"type"`
	// Settings is the value of the settings struct the type registered,
	// with its defaults applied (SettingsOf reads it); nil for a type no
	// one registered.
	Settings any `yaml:"-"`
}

// Core is the channel as core sees it.
func (ch Channel) Core() core.Channel { return core.Channel{ID: ch.ID, Type: ch.Type} }

// Channel finds a configured channel by id.
func (c *Config) Channel(id string) (Channel, bool) {
	for _, ch := range c.Channels {
		if ch.ID == id {
			return ch, true
		}
	}
	return Channel{}, false
}

// Bot configures the first-line bot.
type Bot struct {
	Enabled bool `yaml:"enabled"`
	// HandoffPhrases make the bot connect the customer to a person.
	HandoffPhrases []string `yaml:"handoff_phrases"`
	// MaxUnanswered is how many misses the bot allows before it offers a
	// person itself (0: never).
	MaxUnanswered int `yaml:"max_unanswered"`
	// MinConfidence (0–1] is how sure the matcher must be before the bot
	// answers from the knowledge base (core.Knowledge).
	MinConfidence float64 `yaml:"min_confidence"`
	// Knowledge is what the bot can answer; the default is the demo shop's.
	Knowledge []Knowledge `yaml:"knowledge"`
}

// Knowledge is one knowledge-base entry: any of Questions gets Answer.
type Knowledge struct {
	Questions []string `yaml:"questions"`
	Answer    string   `yaml:"answer"`
}

// Mode says how a request is offered to the agents of a tier.
type Mode string

// Routing modes.
const (
	// ModeBroadcast offers the request to every eligible agent of the tier.
	ModeBroadcast Mode = "broadcast"
	// ModeDirect offers it to one agent at a time, least busy first.
	ModeDirect Mode = "direct"
)

// DefaultOfferTimeout is how long a direct offer waits for one agent when
// offer_timeout is not set.
const DefaultOfferTimeout = 30 * time.Second

// Routing decides who is offered a connection request.
type Routing struct {
	// RerouteWithin bounds how long a declined request waits to be
	// offered again.
	RerouteWithin time.Duration `yaml:"reroute_within"`
	// Rules are tried in order; the first match wins.
	Rules []Rule `yaml:"rules"`
	// Default applies when no rule matches.
	Default Route `yaml:"default"`
}

// Route is how a request is offered: the mode and the escalation tiers.
type Route struct {
	Mode  Mode   `yaml:"mode"`
	Tiers []Tier `yaml:"tiers"`
	// OfferTimeout is how long one agent has in ModeDirect before the next
	// is offered (DefaultOfferTimeout when unset).
	OfferTimeout time.Duration `yaml:"offer_timeout"`
}

// Tier is one escalation step.
type Tier struct {
	// Roles an agent needs one of; empty means every agent.
	Roles []string `yaml:"roles"`
	// For is how long the tier is tried before the next one; only the
	// last tier may leave it 0 (forever).
	For time.Duration `yaml:"for"`
}

// Rule is a named route with the requests it applies to.
type Rule struct {
	Name  string `yaml:"name"`
	Match Match  `yaml:"match"`
	Route `yaml:",inline"`
}

// Match selects requests; every criterion set must hold.
type Match struct {
	// Channels are channel ids; empty means any channel.
	Channels []string `yaml:"channels"`
	// PageURL is a URL pattern for the widget page URL: `*` matches any
	// run of characters, `/` included; matched against the whole URL, the
	// URL without its scheme, or its path (core.MatchPageURL).
	PageURL string `yaml:"page_url"`
	// Keywords match when any of them appears in the initial message.
	Keywords []string `yaml:"keywords"`
	// Returning, when set, matches only returning (true) or new (false)
	// customers.
	Returning *bool `yaml:"returning"`
}

// Agents configures agent defaults.
type Agents struct {
	// DefaultMaxChats is the capacity of an agent created without one.
	DefaultMaxChats int `yaml:"default_max_chats"`
	// TokenTTL is how long an agent login token stays valid.
	TokenTTL time.Duration `yaml:"token_ttl"`
}

// SLA colours waiting requests.
type SLA struct {
	AmberAfter time.Duration `yaml:"amber_after"`
	RedAfter   time.Duration `yaml:"red_after"`
}

// Offline configures the acknowledgment sent when no agent can take a
// request (nobody online, or everyone busy).
type Offline struct {
	// Message may contain [ETA], replaced by the expected wait.
	Message       string        `yaml:"message"`
	DefaultETA    time.Duration `yaml:"default_eta"`
	BusinessHours BusinessHours `yaml:"business_hours"`
}

// Conversations configures conversation housekeeping.
type Conversations struct {
	// AbandonAfter closes a waiting request whose customer went silent.
	AbandonAfter time.Duration `yaml:"abandon_after"`
	// IdleResolveAfter resolves a conversation with no messages for this long.
	IdleResolveAfter time.Duration `yaml:"idle_resolve_after"`
}

// Template is a canned agent reply.
type Template struct {
	Name string `yaml:"name"`
	// Shortcut, when set, starts with "/" (such as "/hi").
	Shortcut string `yaml:"shortcut"`
	// Body may hold the placeholders of core.TemplatePlaceholders.
	Body string `yaml:"body"`
}

// Stats configures the dashboard.
type Stats struct {
	Reading Reading `yaml:"reading"`
}

// Reading holds the thresholds of the dashboard's one-line reading.
type Reading struct {
	// ActiveHigh is the share (0–1] of online capacity in use that is high.
	ActiveHigh float64 `yaml:"active_high"`
	// PendingHigh is the number of open requests per online agent that is high.
	PendingHigh float64 `yaml:"pending_high"`
	// ResolvedHigh is the number of conversations resolved today that is high.
	ResolvedHigh int `yaml:"resolved_high"`
}

// Default is the configuration used with no file: one widget channel
// "web", the bot on with the demo shop's knowledge base, broadcast routing
// to every agent, SQLite and the embedded Redis under ./data.
func Default() *Config {
	c := &Config{
		Server: Server{
			Addr:       ":8080",
			PublicURL:  "http://localhost:8080",
			BodyLimit:  1 << 20,
			VisitorTTL: 30 * 24 * time.Hour,
			AccessLog:  AccessLogAll,
			Metrics:    MetricsDebug,
			// TrustedProxies is empty, not nil: the example's [] is the default.
			TrustedProxies: []string{},
		},
		DataDir:  "./data",
		Channels: []Channel{{ID: "web", Type: core.ChannelWidget}}, // settings: the widget's defaults
		Bot: Bot{
			Enabled:        true,
			HandoffPhrases: core.DefaultHandoffPhrases(),
			MaxUnanswered:  2,
			MinConfidence:  core.DefaultMinConfidence,
			Knowledge:      defaultKnowledge(),
		},
		Routing: Routing{
			RerouteWithin: 30 * time.Second,
			Default:       Route{Mode: ModeBroadcast, Tiers: []Tier{{Roles: []string{}}}},
		},
		Agents: Agents{DefaultMaxChats: 4, TokenTTL: 24 * time.Hour},
		SLA:    SLA{AmberAfter: 2 * time.Minute, RedAfter: 5 * time.Minute},
		Offline: Offline{
			Message:    "No agent is available right now. Expected reply within [ETA].",
			DefaultETA: 15 * time.Minute,
		},
		Conversations: Conversations{AbandonAfter: 15 * time.Minute, IdleResolveAfter: 24 * time.Hour},
		Templates: []Template{
			{Name: "opening", Shortcut: "/hi", Body: "Hi [Name], thanks for reaching out! I'm looking into this for you right now — give me just a moment."},
			{Name: "hold", Shortcut: "/wait", Body: "Thanks for your patience, [Name]. I'm checking this and will be right back."},
			{Name: "closing", Shortcut: "/bye", Body: "Is there anything else I can help you with today, [Name]? If not, have a great day!"},
		},
		Stats:  Stats{Reading: Reading{ActiveHigh: 0.8, PendingHigh: 1, ResolvedHigh: 20}},
		Limits: DefaultLimits(),
		Media:  defaultMedia(),
	}
	c.Channels[0].applyDefaults()
	c.Channels[0].setKey("greeting", core.DefaultGreeting)
	return c
}

// applyDefaults fills the per-item defaults of lists the file replaced.
func (c *Config) applyDefaults() {
	for i := range c.Channels {
		c.Channels[i].applyDefaults()
	}
	for i := range c.Routing.Rules {
		p := field(index("routing.rules", i), "offer_timeout")
		c.Routing.Rules[i].Route.applyDefaults(c.isSet(p))
	}
	c.Routing.Default.applyDefaults(c.isSet("routing.default.offer_timeout"))
}

// isSet reports whether the file set the value at path.
func (c *Config) isSet(path string) bool {
	if c.meta == nil {
		return false
	}
	_, ok := c.meta.pos[path]
	return ok
}

// applyDefaults fills an unset mode, tiers and direct offer timeout (an
// offer timeout the file set, even to 0, is left for validation).
func (r *Route) applyDefaults(offerTimeoutSet bool) {
	if r.Mode == "" {
		r.Mode = ModeBroadcast
	}
	if len(r.Tiers) == 0 {
		r.Tiers = []Tier{{Roles: []string{}}}
	}
	if r.Mode == ModeDirect && r.OfferTimeout == 0 && !offerTimeoutSet {
		r.OfferTimeout = DefaultOfferTimeout
	}
}
