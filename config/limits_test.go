package config

import (
	"strings"
	"testing"
	"time"
)

func TestLimitsDefaults(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Server.Metrics != MetricsDebug || len(c.Server.TrustedProxies) != 0 {
		t.Errorf("server: metrics %q, trusted proxies %v", c.Server.Metrics, c.Server.TrustedProxies)
	}
	l := c.Limits
	if l.Login.PerEmailAndAddress != (Rate{10, 15 * time.Minute}) || l.Login.MaxDelay != 10*time.Second ||
		l.Widget.SessionsPerAddress != (Rate{60, time.Minute}) || l.Widget.StreamsPerVisitor != 5 ||
		l.Search.Timeout != 5*time.Second || l.Search.PerAgent != 2 {
		t.Errorf("limits = %+v", l)
	}
	for _, tc := range []struct {
		db         string
		pool, conc int
		want       int
	}{{"", 0, 0, 1}, {"postgres://x", 0, 0, 4}, {"postgres://x", 40, 0, 10}, {"postgres://x", 2, 0, 1}, {"", 0, 7, 7}} {
		c.Database.URL, c.Database.MaxOpenConns, c.Limits.Search.Concurrent = NewSecret(tc.db), tc.pool, tc.conc
		if got := c.SearchConcurrency(); got != tc.want {
			t.Errorf("SearchConcurrency(db %q, pool %d, concurrent %d) = %d, want %d", tc.db, tc.pool, tc.conc, got, tc.want)
		}
	}
}

// TestLimitsFile: a rate set in part keeps the rest of its default; 0
// switches a limit off; trusted proxies take addresses and ranges.
func TestLimitsFile(t *testing.T) {
	c := mustParse(t, `server:
  trusted_proxies: ["10.0.0.0/8", "192.168.1.10", "2001:db8::/32"]
  metrics: token
  metrics_token: "0123456789abcdef"
limits:
  login: {per_email_and_address: {count: 5}}
  widget: {sessions_per_address: {count: 0}, streams_per_visitor: 2}
  search: {timeout: 2s, concurrent: 3}
`, nil)
	if got := c.Limits.Login.PerEmailAndAddress; got != (Rate{5, 15 * time.Minute}) {
		t.Errorf("per_email_and_address = %+v, want count 5 with the default per", got)
	}
	if c.Limits.Widget.SessionsPerAddress.Count != 0 || c.Limits.Widget.StreamsPerVisitor != 2 || c.Limits.Search.Timeout != 2*time.Second ||
		c.SearchConcurrency() != 3 || c.Limits.Widget.MessagesPerVisitor != (Rate{30, time.Minute}) {
		t.Errorf("limits = %+v", c.Limits)
	}
	nets := c.Server.TrustedProxyNets()
	if len(nets) != 3 || nets[1].String() != "192.168.1.10/32" || nets[2].String() != "2001:db8::/32" {
		t.Errorf("trusted proxies = %v", nets)
	}
}

func TestLimitsProblems(t *testing.T) {
	_, err := Parse([]byte(`server:
  trusted_proxies: ["10.0.0.0/33", "ingress"]
  metrics: private
limits:
  login:
    per_address: {count: -1}
    per_email: {count: 3, per: 0s}
    max_delay: 5m
  widget:
    streams_per_visitor: -2
  search:
    timeout: 0s
    per_agent: -1
`), "limits.yaml")
	if err == nil {
		t.Fatal("bad limits were accepted")
	}
	for _, want := range []string{
		`limits.yaml:2:21: server.trusted_proxies[0]: must be an address or a CIDR range`,
		`limits.yaml:2:36: server.trusted_proxies[1]: must be an address or a CIDR range`,
		`limits.yaml:3:12: server.metrics: must be "public", "debug" or "token" (got "private")`,
		`limits.yaml:6:26: limits.login.per_address.count: must not be negative`,
		`limits.yaml:7:32: limits.login.per_email.per: must be a positive duration`,
		`limits.yaml:8:16: limits.login.max_delay: must be between 0 (no delay) and 1m`,
		`limits.yaml:10:26: limits.widget.streams_per_visitor: must not be negative`,
		`limits.yaml:12:14: limits.search.timeout: must be a positive duration`,
		`limits.yaml:13:16: limits.search.per_agent: must not be negative`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	if _, err := Parse([]byte("server: {metrics: token}\n"), "t.yaml"); err == nil || !strings.Contains(err.Error(), "server.metrics_token: must be at least 16 characters") {
		t.Errorf("metrics: token without a token: %v", err)
	}
}
