package httpapi

import (
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestMetricsSeriesStayBounded performs the attack: 20,000 requests, each
// with its own Host, an invented method and a path of its own, once
// filled /metrics with a series per Host (98 MB, never freed). The
// series are now labelled by route template and a fixed set of methods.
func TestMetricsSeriesStayBounded(t *testing.T) {
	m := NewMetrics()
	s := New(Options{Metrics: m}, routesFunc(func(e *echo.Echo) {
		e.GET("/v1/things/:id", func(c echo.Context) error { return c.NoContent(204) })
	}))
	methods := []string{"GET", "POST", "PROPFIND", "X-EVIL-1", "get"}
	for i := range 20_000 {
		path := fmt.Sprintf("/v1/things/%d", i)
		if i%3 == 0 {
			path = fmt.Sprintf("/no/such/%d", i)
		}
		req := httptest.NewRequest(methods[i%len(methods)], path, nil)
		req.Host = fmt.Sprintf("h%d.attacker.example", i)
		s.Echo.ServeHTTP(httptest.NewRecorder(), req)
	}
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	series := 0
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "echo_requests_total{") {
			series++
			if strings.Contains(line, "attacker") || strings.Contains(line, "PROPFIND") || strings.Contains(line, "X-EVIL") || strings.Contains(line, "/no/such/") {
				t.Errorf("a label value came from the request: %s", line)
			}
		}
	}
	if series == 0 || series > 12 {
		t.Errorf("echo_requests_total has %d series after 20,000 requests; want a handful", series)
	}
	if len(body) > 128<<10 {
		t.Errorf("/metrics is %d bytes after the attack; want it bounded (under 128 KiB)", len(body))
	}
	t.Logf("after 20,000 distinct Hosts, methods and paths: %d request series, /metrics %d bytes", series, len(body))
}

func TestMetricsAccess(t *testing.T) {
	const token = "metrics-token-0123456789"
	for _, c := range []struct {
		name   string
		access MetricsAccess
		auth   string
		status int
	}{
		{"public", MetricsPublic, "", 200},
		{"off", MetricsOff, "", 404},
		{"off with the token", MetricsOff, "Bearer " + token, 404},
		{"bearer, no token", MetricsBearer, "", 401},
		{"bearer, wrong token", MetricsBearer, "Bearer nope", 401},
		{"bearer, token", MetricsBearer, "Bearer " + token, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := New(Options{Metrics: NewMetrics(), MetricsAccess: c.access, MetricsToken: token})
			req := httptest.NewRequest("GET", "/metrics", nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			rec := httptest.NewRecorder()
			s.Echo.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("GET /metrics: %d %s, want %d", rec.Code, rec.Body, c.status)
			}
			if c.status == 200 && !strings.Contains(rec.Body.String(), "go_goroutines") {
				t.Fatalf("no metrics in %s", rec.Body)
			}
		})
	}
	// An empty token never opens a bearer /metrics.
	s := New(Options{Metrics: NewMetrics(), MetricsAccess: MetricsBearer})
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer ")
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("empty token: %d", rec.Code)
	}
}

// TestClientIP: X-Forwarded-For decides the client address only when the
// TCP peer is a trusted proxy; a spoofed header from anyone else is
// ignored, and so are the addresses a client prepends itself.
func TestClientIP(t *testing.T) {
	_, ingress, _ := net.ParseCIDR("10.0.0.0/24")
	for _, c := range []struct {
		name    string
		trusted []*net.IPNet
		peer    string
		xff     string
		want    string
	}{
		{"no proxies: the peer", nil, "203.0.113.7:4000", "198.51.100.1", "203.0.113.7"},
		{"untrusted loopback peer", []*net.IPNet{ingress}, "127.0.0.1:4000", "198.51.100.1", "127.0.0.1"},
		{"untrusted private peer", []*net.IPNet{ingress}, "192.168.1.5:4000", "198.51.100.1", "192.168.1.5"},
		{"trusted ingress", []*net.IPNet{ingress}, "10.0.0.9:4000", "198.51.100.1", "198.51.100.1"},
		{"client prepends a spoof", []*net.IPNet{ingress}, "10.0.0.9:4000", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"two proxies", []*net.IPNet{ingress}, "10.0.0.9:4000", "198.51.100.1, 10.0.0.3", "198.51.100.1"},
		{"trusted, no header", []*net.IPNet{ingress}, "10.0.0.9:4000", "", "10.0.0.9"},
		{"garbage header", []*net.IPNet{ingress}, "10.0.0.9:4000", "not-an-ip", "10.0.0.9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got string
			s := New(Options{TrustedProxies: c.trusted}, routesFunc(func(e *echo.Echo) {
				e.GET("/ip", func(ec echo.Context) error { got = ec.RealIP(); return ec.NoContent(204) })
			}))
			req := httptest.NewRequest("GET", "/ip", nil)
			req.RemoteAddr = c.peer
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			s.Echo.ServeHTTP(httptest.NewRecorder(), req)
			if got != c.want {
				t.Fatalf("client address %q, want %q", got, c.want)
			}
		})
	}
}
