package config

import (
	"net"
	"time"
)

// Values of Server.Metrics: who may read /metrics.
const (
	// MetricsPublic serves /metrics on server.addr to anyone.
	MetricsPublic = "public"
	// MetricsDebug serves /metrics on server.debug_addr only.
	MetricsDebug = "debug"
	// MetricsToken serves /metrics on server.addr to requests with
	// "Authorization: Bearer <server.metrics_token>" (and on debug_addr).
	MetricsToken = "token"
)

// Rate is a limit of Count events per Per, in bursts of up to Count (one
// more every Per/Count after a burst). Count 0 switches the limit off.
type Rate struct {
	Count int           `yaml:"count"`
	Per   time.Duration `yaml:"per"`
}

// Limits are the abuse limits. Every default is far above what a person
// does; each is documented in docs/operations.md.
type Limits struct {
	Login  LoginLimits  `yaml:"login"`
	Widget WidgetLimits `yaml:"widget"`
	Search SearchLimits `yaml:"search"`
}

// LoginLimits bound POST /v1/auth/login. Attempts are counted before the
// password is checked, in Redis, shared by every gateway.
type LoginLimits struct {
	// PerEmailAndAddress is the strict limit: attempts for one e-mail from
	// one client address; past it that address gets 429.
	PerEmailAndAddress Rate `yaml:"per_email_and_address"`
	// PerAddress bounds attempts from one client address for any e-mail.
	PerAddress Rate `yaml:"per_address"`
	// PerEmail is the attempts for one e-mail from anywhere that are not
	// slowed; each further one waits twice as long as the one before, up
	// to MaxDelay. It never refuses, so nobody elsewhere can lock an agent
	// out.
	PerEmail Rate          `yaml:"per_email"`
	MaxDelay time.Duration `yaml:"max_delay"`
}

// WidgetLimits bound the visitor API (/v1/widget/). "Per visitor" is per
// visitor token; "per address" per client address.
type WidgetLimits struct {
	SessionsPerAddress    Rate `yaml:"sessions_per_address"`
	MessagesPerVisitor    Rate `yaml:"messages_per_visitor"`
	MessagesPerAddress    Rate `yaml:"messages_per_address"`
	HandoffsPerVisitor    Rate `yaml:"handoffs_per_visitor"`
	HandoffsPerAddress    Rate `yaml:"handoffs_per_address"`
	PageUpdatesPerVisitor Rate `yaml:"page_updates_per_visitor"`
	PageUpdatesPerAddress Rate `yaml:"page_updates_per_address"`
	// Typing bounds PUT /v1/widget/typing (the widget sends at most one a
	// few seconds), Reads POST /v1/widget/read.
	TypingPerVisitor Rate `yaml:"typing_per_visitor"`
	TypingPerAddress Rate `yaml:"typing_per_address"`
	ReadsPerVisitor  Rate `yaml:"reads_per_visitor"`
	ReadsPerAddress  Rate `yaml:"reads_per_address"`
	// StreamsPerVisitor is how many event streams one visitor token may
	// have open at once on one gateway (0: any number).
	StreamsPerVisitor int `yaml:"streams_per_visitor"`
}

// SearchLimits bound the history search (GET /v1/conversations with q or
// customer).
type SearchLimits struct {
	// Timeout is the search's own statement timeout.
	Timeout time.Duration `yaml:"timeout"`
	// PerAgent is how many searches one agent may run at once (429 past it).
	PerAgent int `yaml:"per_agent"`
	// Concurrent is how many searches one gateway runs at once; more wait
	// for a turn (up to Timeout, then 503). 0: a quarter of the database
	// pool (database.max_open_conns), at least 1.
	Concurrent int `yaml:"concurrent"`
}

// DefaultLimits are the limits when the file sets none.
func DefaultLimits() Limits {
	return Limits{
		Login: LoginLimits{
			PerEmailAndAddress: Rate{Count: 10, Per: 15 * time.Minute},
			PerAddress:         Rate{Count: 50, Per: 15 * time.Minute},
			PerEmail:           Rate{Count: 10, Per: 15 * time.Minute},
			MaxDelay:           10 * time.Second,
		},
		Widget: WidgetLimits{
			SessionsPerAddress:    Rate{Count: 60, Per: time.Minute},
			MessagesPerVisitor:    Rate{Count: 30, Per: time.Minute},
			MessagesPerAddress:    Rate{Count: 300, Per: time.Minute},
			HandoffsPerVisitor:    Rate{Count: 5, Per: time.Minute},
			HandoffsPerAddress:    Rate{Count: 20, Per: 10 * time.Minute},
			PageUpdatesPerVisitor: Rate{Count: 60, Per: time.Minute},
			PageUpdatesPerAddress: Rate{Count: 600, Per: time.Minute},
			TypingPerVisitor:      Rate{Count: 60, Per: time.Minute},
			TypingPerAddress:      Rate{Count: 600, Per: time.Minute},
			ReadsPerVisitor:       Rate{Count: 60, Per: time.Minute},
			ReadsPerAddress:       Rate{Count: 600, Per: time.Minute},
			StreamsPerVisitor:     5,
		},
		Search: SearchLimits{Timeout: 5 * time.Second, PerAgent: 2},
	}
}

// SearchConcurrency is Search.Concurrent with its default applied.
func (c *Config) SearchConcurrency() int {
	if n := c.Limits.Search.Concurrent; n > 0 {
		return n
	}
	pool := c.Database.MaxOpenConns
	if pool <= 0 {
		pool = 16 // PostgreSQL's default pool
		if c.Database.URL.IsZero() {
			pool = 4 // SQLite's readers
		}
	}
	return max(1, pool/4)
}

// TrustedProxyNets parses Server.TrustedProxies (validated: no error).
func (s Server) TrustedProxyNets() []*net.IPNet {
	var out []*net.IPNet
	for _, p := range s.TrustedProxies {
		if n, ok := parseProxy(p); ok {
			out = append(out, n)
		}
	}
	return out
}

// parseProxy reads a CIDR or a single address (a /32 or /128).
func parseProxy(s string) (*net.IPNet, bool) {
	if _, n, err := net.ParseCIDR(s); err == nil {
		return n, true
	}
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, false
	}
	bits := 128
	if ip4 := ip.To4(); ip4 != nil {
		ip, bits = ip4, 32
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, true
}

func (v *validator) rate(p string, r Rate) {
	if r.Count < 0 {
		v.add(p+".count", "must not be negative (0 switches the limit off)")
	}
	if r.Count > 0 && r.Per <= 0 {
		v.add(p+".per", "must be a positive duration such as 1m or 15m")
	}
	if r.Count > 0 && r.Per > 0 && r.Per/time.Duration(r.Count) < time.Microsecond {
		v.add(p, "is too fast to count (%d per %s)", r.Count, r.Per)
	}
}

func (v *validator) limits() {
	s := v.c.Server
	switch s.Metrics {
	case MetricsPublic, MetricsDebug:
	case MetricsToken:
		if len(s.MetricsToken.Value()) < 16 {
			v.add("server.metrics_token", "must be at least 16 characters when server.metrics is %q", MetricsToken)
		}
	default:
		v.add("server.metrics", "must be %q, %q or %q (got %q)", MetricsPublic, MetricsDebug, MetricsToken, s.Metrics)
	}
	for i, p := range s.TrustedProxies {
		if _, ok := parseProxy(p); !ok {
			v.add(index("server.trusted_proxies", i), "must be an address or a CIDR range such as 10.0.0.0/8 (got %q)", p)
		}
	}
	l := v.c.Limits
	v.rate("limits.login.per_email_and_address", l.Login.PerEmailAndAddress)
	v.rate("limits.login.per_address", l.Login.PerAddress)
	v.rate("limits.login.per_email", l.Login.PerEmail)
	if l.Login.MaxDelay < 0 || l.Login.MaxDelay > time.Minute {
		v.add("limits.login.max_delay", "must be between 0 (no delay) and 1m")
	}
	w := l.Widget
	for p, r := range map[string]Rate{
		"sessions_per_address": w.SessionsPerAddress, "messages_per_visitor": w.MessagesPerVisitor,
		"messages_per_address": w.MessagesPerAddress, "handoffs_per_visitor": w.HandoffsPerVisitor,
		"handoffs_per_address": w.HandoffsPerAddress, "page_updates_per_visitor": w.PageUpdatesPerVisitor,
		"page_updates_per_address": w.PageUpdatesPerAddress,
		"typing_per_visitor":       w.TypingPerVisitor, "typing_per_address": w.TypingPerAddress,
		"reads_per_visitor": w.ReadsPerVisitor, "reads_per_address": w.ReadsPerAddress,
	} {
		v.rate("limits.widget."+p, r)
	}
	if w.StreamsPerVisitor < 0 {
		v.add("limits.widget.streams_per_visitor", "must not be negative (0: any number)")
	}
	if l.Search.Timeout <= 0 {
		v.add("limits.search.timeout", "must be a positive duration such as 5s")
	}
	if l.Search.PerAgent < 0 {
		v.add("limits.search.per_agent", "must not be negative (0: any number)")
	}
	if l.Search.Concurrent < 0 {
		v.add("limits.search.concurrent", "must not be negative (0: a quarter of the database pool)")
	}
}
