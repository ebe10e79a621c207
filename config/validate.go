package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// Validate checks c and returns every problem as a *Problems (nil when c
// is valid). Parse and Load already validate; Validate is for a Config
// built or changed in code. It also prepares the parsed business hours.
func (c *Config) Validate() error {
	for i := range c.Channels { // a channel built in code takes its type's defaults
		c.Channels[i].applyDefaults()
	}
	return asError(c.problems(nil))
}

// validator collects problems, placing each at the position of its path
// (or of the nearest enclosing value the file set).
type validator struct {
	c     *Config
	probs []Problem
	// skip holds the paths the decoder already reported: a value that
	// could not be read is not reported again as missing or invalid.
	skip map[string]bool
}

func (v *validator) add(p, format string, args ...any) {
	if v.skip[p] {
		return
	}
	pr := Problem{Path: p, Message: fmt.Sprintf(format, args...)}
	if m := v.c.meta; m != nil {
		pr.File = m.file
		for q := p; ; {
			if pos, ok := m.pos[q]; ok {
				pr.Line, pr.Column = pos.line, pos.column
				break
			}
			i := strings.LastIndexAny(q, ".[")
			if i <= 0 {
				break
			}
			q = q[:i]
		}
	}
	v.probs = append(v.probs, pr)
}

// line is the line the file set path on (0 if it did not).
func (v *validator) line(p string) int {
	if v.c.meta == nil {
		return 0
	}
	return v.c.meta.pos[p].line
}

func (v *validator) positive(p string, d time.Duration) {
	if d <= 0 {
		v.add(p, "must be a positive duration such as 30s, 15m or 24h")
	}
}

func (c *Config) problems(skip map[string]bool) []Problem {
	v := &validator{c: c, skip: skip}
	v.server()
	v.stores()
	v.channels()
	v.bot()
	v.routing()
	v.agents()
	v.sla()
	v.offline()
	v.positive("conversations.abandon_after", c.Conversations.AbandonAfter)
	v.positive("conversations.idle_resolve_after", c.Conversations.IdleResolveAfter)
	v.templates()
	v.stats()
	v.media()
	v.limits()
	return v.probs
}

func (v *validator) server() {
	s := v.c.Server
	if err := CheckAddr(s.Addr); err != nil {
		v.add("server.addr", "%s", err)
	}
	if err := checkHTTPURL(s.PublicURL); err != nil {
		v.add("server.public_url", "%s", err)
	}
	if s.BodyLimit <= 0 {
		v.add("server.body_limit", "must be a positive size such as 1MiB")
	}
	v.positive("server.visitor_ttl", s.VisitorTTL)
	if s.AccessLog != AccessLogAll && s.AccessLog != AccessLogErrors {
		v.add("server.access_log", "must be %q or %q (got %q)", AccessLogAll, AccessLogErrors, s.AccessLog)
	}
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && allDigits(p) && n >= 0 && n <= 65535
}

// checkHTTPURL accepts an absolute http or https URL with a host.
func checkHTTPURL(s string) error {
	if s == "" {
		return fmt.Errorf("is required (an http:// or https:// URL)")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http:// or https:// URL with a host (got %q)", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must not have a query or fragment (got %q)", s)
	}
	return nil
}

func (v *validator) stores() {
	// The URLs are secrets: problems never repeat them.
	if db := v.c.Database.URL.Value(); db != "" {
		u, err := url.Parse(db)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			v.add("database.url", "must be a postgres:// or postgresql:// URL, or empty for SQLite in data_dir")
		}
	}
	if n := v.c.Database.MaxOpenConns; n < 0 || n > 1000 {
		v.add("database.max_open_conns", "must be between 0 (the default, 16) and 1000")
	}
	if v.c.Database.ConnMaxLifetime < 0 {
		v.add("database.conn_max_lifetime", "must not be negative")
	}
	if v.c.Database.StatementTimeout < 0 {
		v.add("database.statement_timeout", "must not be negative")
	}
	if r := v.c.Redis.URL.Value(); r != "" {
		if strings.Contains(r, "://") {
			u, err := url.Parse(r)
			if err != nil || !slices.Contains([]string{"redis", "rediss", "redis-sentinel", "rediss-sentinel"}, u.Scheme) || u.Host == "" {
				v.add("redis.url", "must be a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL, a list of cluster addresses (host:port,host:port), or empty for the embedded Redis")
			}
		} else {
			for addr := range strings.SplitSeq(r, ",") {
				host, port, err := net.SplitHostPort(strings.TrimSpace(addr))
				if err != nil || host == "" || !validPort(port) {
					v.add("redis.url", "must be a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL, a list of cluster addresses (host:port,host:port), or empty for the embedded Redis")
					break
				}
			}
		}
	}
	if ns := v.c.Redis.Namespace; strings.ContainsAny(ns, " \t\r\n") {
		v.add("redis.namespace", "must not contain spaces (got %q)", ns)
	}
	if v.c.DataDir == "" {
		v.add("data_dir", "is required (the directory for SQLite and other local data)")
	}
}

var channelID = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

func (v *validator) channels() {
	chans := v.c.Channels
	if len(chans) == 0 {
		v.add("channels", "at least one channel is required")
		return
	}
	seen := map[string]string{}
	for i, ch := range chans {
		p := index("channels", i)
		switch {
		case ch.ID == "":
			v.add(field(p, "id"), "is required")
		case !channelID.MatchString(ch.ID):
			v.add(field(p, "id"), "must be 1 to 64 of a-z, 0-9, _ and - (got %q)", ch.ID)
		case seen[ch.ID] != "":
			v.add(field(p, "id"), "duplicate channel id %q (first used by %s)", ch.ID, seen[ch.ID])
		default:
			seen[ch.ID] = p
		}
		spec := specOf(ch.Type)
		switch {
		case spec != nil:
			v.channel(p, ch, spec)
		case len(ChannelTypes()) == 0:
			v.add(field(p, "type"), "no channel type is registered in this program (it must import adapters/channels)")
		case ch.Type == "":
			v.add(field(p, "type"), "is required (%s)", typeList("or"))
		default:
			v.add(field(p, "type"), "must be %s (got %q)", typeList("or"), ch.Type)
		}
	}
}

// CheckHTTPURL accepts an absolute http or https URL with a host, and no
// query or fragment (a provider's API base URL, the public URL).
func CheckHTTPURL(s string) error { return checkHTTPURL(s) }

// CheckOrigin accepts "*" or an origin: scheme://host[:port] with nothing
// after it.
func CheckOrigin(o string) error {
	if o != "*" && !validOrigin(o) {
		return fmt.Errorf("must be \"*\" or an origin such as https://example.com (got %q)", o)
	}
	return nil
}

// validOrigin accepts scheme://host[:port] with nothing after it.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && u.Scheme != "" && u.Host != "" && u.User == nil &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == ""
}

func (v *validator) bot() {
	b := v.c.Bot
	if b.MaxUnanswered < 0 {
		v.add("bot.max_unanswered", "must be 0 (never) or more (got %d)", b.MaxUnanswered)
	}
	if b.MinConfidence <= 0 || b.MinConfidence > 1 {
		v.add("bot.min_confidence", "must be more than 0 and at most 1 (got %g)", b.MinConfidence)
	}
	for i, ph := range b.HandoffPhrases {
		if strings.TrimSpace(ph) == "" {
			v.add(index("bot.handoff_phrases", i), "must not be empty")
		}
	}
	for i, k := range b.Knowledge {
		p := index("bot.knowledge", i)
		if len(k.Questions) == 0 {
			v.add(field(p, "questions"), "needs at least one question")
		}
		for j, q := range k.Questions {
			if strings.TrimSpace(q) == "" {
				v.add(index(field(p, "questions"), j), "must not be empty")
			}
		}
		if strings.TrimSpace(k.Answer) == "" {
			v.add(field(p, "answer"), "is required")
		}
	}
}

func (v *validator) routing() {
	r := v.c.Routing
	v.positive("routing.reroute_within", r.RerouteWithin)
	ids := map[string]bool{}
	for _, ch := range v.c.Channels {
		ids[ch.ID] = true
	}
	names := map[string]int{}
	for i, rule := range r.Rules {
		p := index("routing.rules", i)
		switch first, dup := names[rule.Name]; {
		case strings.TrimSpace(rule.Name) == "":
			v.add(field(p, "name"), "is required")
		case dup:
			v.add(field(p, "name"), "duplicate rule name %q (first used by routing.rules[%d])", rule.Name, first)
		default:
			names[rule.Name] = i
		}
		m := field(p, "match")
		for j, id := range rule.Match.Channels {
			if !ids[id] {
				v.add(index(field(m, "channels"), j), "unknown channel %q", id)
			}
		}
		if err := core.CheckPagePattern(rule.Match.PageURL); err != nil {
			v.add(field(m, "page_url"), "invalid pattern %q: %v", rule.Match.PageURL, err)
		}
		for j, kw := range rule.Match.Keywords {
			if strings.TrimSpace(kw) == "" {
				v.add(index(field(m, "keywords"), j), "must not be empty")
			}
		}
		v.route(p, rule.Route)
	}
	v.route("routing.default", r.Default)
}

func (v *validator) route(p string, r Route) {
	switch r.Mode {
	case ModeBroadcast:
		if r.OfferTimeout != 0 || v.line(field(p, "offer_timeout")) > 0 {
			v.add(field(p, "offer_timeout"), "only applies to mode direct")
		}
	case ModeDirect:
		v.positive(field(p, "offer_timeout"), r.OfferTimeout)
	default:
		v.add(field(p, "mode"), "must be broadcast or direct (got %q)", r.Mode)
	}
	for i, t := range r.Tiers {
		tp := index(field(p, "tiers"), i)
		for j, role := range t.Roles {
			if strings.TrimSpace(role) == "" {
				v.add(index(field(tp, "roles"), j), "must not be empty (use roles: [] for every agent)")
			}
		}
		last := i == len(r.Tiers)-1
		switch {
		case t.For < 0:
			v.add(field(tp, "for"), "must be a positive duration")
		case t.For == 0 && !last:
			v.add(field(tp, "for"), "must be a positive duration: only the last tier may stay forever")
		}
	}
}

func (v *validator) agents() {
	a := v.c.Agents
	if a.DefaultMaxChats < 1 {
		v.add("agents.default_max_chats", "must be at least 1 (got %d)", a.DefaultMaxChats)
	}
	v.positive("agents.token_ttl", a.TokenTTL)
}

func (v *validator) sla() {
	s := v.c.SLA
	v.positive("sla.amber_after", s.AmberAfter)
	v.positive("sla.red_after", s.RedAfter)
	if s.AmberAfter > 0 && s.RedAfter > 0 && s.AmberAfter >= s.RedAfter {
		p := "sla.amber_after"
		if v.line("sla.red_after") > v.line(p) {
			p = "sla.red_after"
		}
		v.add(p, "amber_after (%s) must be less than red_after (%s)", fmtDuration(s.AmberAfter), fmtDuration(s.RedAfter))
	}
}

var placeholder = regexp.MustCompile(`\[[A-Za-z][A-Za-z0-9_]*\]`)

// unknownPlaceholders lists the placeholders in s that are not in known.
func unknownPlaceholders(s string, known []string) []string {
	var bad []string
	for _, ph := range placeholder.FindAllString(s, -1) {
		if !slices.Contains(known, ph) && !slices.Contains(bad, ph) {
			bad = append(bad, ph)
		}
	}
	return bad
}

// OfflinePlaceholders are the placeholders of offline.message.
var OfflinePlaceholders = []string{"[ETA]"}

func (v *validator) offline() {
	o := &v.c.Offline
	if strings.TrimSpace(o.Message) == "" {
		v.add("offline.message", "is required")
	}
	if bad := unknownPlaceholders(o.Message, OfflinePlaceholders); len(bad) > 0 {
		v.add("offline.message", "unknown placeholder %s (known: [ETA])", strings.Join(bad, ", "))
	}
	v.positive("offline.default_eta", o.DefaultETA)

	bh := &o.BusinessHours
	p := "offline.business_hours"
	keys := make([]string, 0, len(bh.Week))
	for k := range bh.Week {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := v.c.meta.posOf(mapKey(field(p, "week"), keys[i])), v.c.meta.posOf(mapKey(field(p, "week"), keys[j]))
		if a != b {
			return a.line < b.line || a.line == b.line && a.column < b.column
		}
		return keys[i] < keys[j]
	})
	sched, errs := parseSchedule(bh.Timezone, bh.Week, keys)
	for _, e := range errs {
		if e.key == "" {
			v.add(field(p, "timezone"), "%s", e.msg)
		} else {
			v.add(mapKey(field(p, "week"), e.key), "%s", e.msg)
		}
	}
	if len(errs) == 0 {
		bh.sched = sched
	}
}

func (m *meta) posOf(p string) position {
	if m == nil {
		return position{}
	}
	return m.pos[p]
}

func (v *validator) templates() {
	names := map[string]int{}
	shortcuts := map[string]int{}
	for i, t := range v.c.Templates {
		p := index("templates", i)
		switch first, dup := names[t.Name]; {
		case strings.TrimSpace(t.Name) == "":
			v.add(field(p, "name"), "is required")
		case dup:
			v.add(field(p, "name"), "duplicate template name %q (first used by templates[%d])", t.Name, first)
		default:
			names[t.Name] = i
		}
		if t.Shortcut != "" {
			switch first, dup := shortcuts[t.Shortcut]; {
			case !strings.HasPrefix(t.Shortcut, "/") || len(t.Shortcut) < 2 || strings.ContainsAny(t.Shortcut, " \t\r\n"):
				v.add(field(p, "shortcut"), "must be \"/\" followed by a word, such as /hi (got %q)", t.Shortcut)
			case dup:
				v.add(field(p, "shortcut"), "duplicate shortcut %q (first used by templates[%d])", t.Shortcut, first)
			default:
				shortcuts[t.Shortcut] = i
			}
		}
		if strings.TrimSpace(t.Body) == "" {
			v.add(field(p, "body"), "is required")
		}
		if bad := unknownPlaceholders(t.Body, core.TemplatePlaceholders); len(bad) > 0 {
			v.add(field(p, "body"), "unknown placeholder %s (known: %s)", strings.Join(bad, ", "), strings.Join(core.TemplatePlaceholders, ", "))
		}
	}
}

func (v *validator) stats() {
	r := v.c.Stats.Reading
	if r.ActiveHigh <= 0 || r.ActiveHigh > 1 {
		v.add("stats.reading.active_high", "must be a share of capacity above 0 and at most 1 (got %g)", r.ActiveHigh)
	}
	if r.PendingHigh <= 0 {
		v.add("stats.reading.pending_high", "must be above 0 (got %g)", r.PendingHigh)
	}
	if r.ResolvedHigh < 1 {
		v.add("stats.reading.resolved_high", "must be at least 1 (got %d)", r.ResolvedHigh)
	}
}
