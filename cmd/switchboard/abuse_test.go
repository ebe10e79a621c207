package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The attacks of the abuse review, each performed against a running
// gateway; see docs/operations.md, "Limits and abuse protection".

// crowdBehindOneAddress switches the widget's per-address limits off, for
// tests that play a crowd of visitors from the test's one address.
const crowdBehindOneAddress = "limits: {widget: {sessions_per_address: {count: 0}, handoffs_per_address: {count: 0}, messages_per_address: {count: 0}}}\n"

// behindIngress trusts the test's loopback address as the ingress, so a
// request's X-Forwarded-For names its client.
const behindIngress = `, trusted_proxies: ["127.0.0.0/8"]`

// hit is one answer of an attack's request.
type hit struct {
	status     int
	retryAfter string
	code       string
	body       map[string]any
}

// send makes one request with the given headers (From: the client address
// behind the ingress, as X-Forwarded-For).
func send(t *testing.T, base, method, path, token string, body any, hdr map[string]string) hit {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return hit{}
	}
	defer resp.Body.Close()
	h := hit{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if data, _ := io.ReadAll(resp.Body); len(data) > 0 {
		_ = json.Unmarshal(data, &h.body)
		h.code = str(h.body, "error", "code")
	}
	return h
}

func from(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }

// tally counts the statuses of n parallel calls of fn and checks that
// every 429 is the contract's rate_limited with a Retry-After of whole
// seconds.
func tally(t *testing.T, n int, fn func(i int) hit) map[int]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			h := fn(i)
			mu.Lock()
			defer mu.Unlock()
			counts[h.status]++
			if h.status == 429 {
				if secs, err := strconv.Atoi(h.retryAfter); err != nil || secs < 1 || h.code != "rate_limited" {
					t.Errorf("429 with Retry-After %q and code %q; want whole seconds and rate_limited", h.retryAfter, h.code)
				}
			}
		})
	}
	wg.Wait()
	return counts
}

// TestLoginGuessing performs the login attacks: 40 parallel guesses for
// one e-mail from one address (through two gateways sharing Redis, when a
// real one is set), which all used to be checked against a limit of 10;
// and the lock-out, where those guesses made the right password answer
// 429 for everyone. Behind the ingress, exactly 10 guesses reach the
// password check, the attacker's address alone is refused, and the
// agent logs in from their own address.
func TestLoginGuessing(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			limits := "limits: {login: {max_delay: 400ms}}\n"
			gws := []*server{startServerConf(t, b, t.TempDir(), behindIngress, limits)}
			if b.redisURL != "" {
				gws = append(gws, startServerConf(t, b, t.TempDir(), behindIngress, limits)) // a second gateway
			}
			counts := tally(t, 40, func(i int) hit {
				return send(t, gws[i%len(gws)].base, "POST", "/v1/auth/login", "",
					map[string]any{"email": adminEmail, "password": fmt.Sprintf("guess-%d", i)}, from("198.51.100.66"))
			})
			if counts[401] != 10 || counts[429] != 30 {
				t.Fatalf("40 parallel guesses from one address: %v; want exactly 10 checked (401) and 30 refused (429)", counts)
			}
			// The attacker's address is refused even the right password…
			if h := send(t, gws[0].base, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}, from("198.51.100.66")); h.status != 429 {
				t.Fatalf("the attacker's address with the right password: %d", h.status)
			}
			// …while the agent, elsewhere, logs in (slowed at most max_delay),
			// and a typo elsewhere is a plain 401.
			if h := send(t, gws[len(gws)-1].base, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": "typo"}, from("203.0.113.11")); h.status != 401 {
				t.Fatalf("a typo from another address: %d %s, want 401", h.status, h.code)
			}
			if h := send(t, gws[0].base, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}, from("203.0.113.10")); h.status != 200 || str(h.body, "token") == "" {
				t.Fatalf("the agent's own login from their address: %d %s; want 200", h.status, h.code)
			}
		})
	}
}

// TestLoginIgnoresSpoofedForwardedFor: with no trusted proxy, a client
// that sends its own X-Forwarded-For (a new one per guess) is still one
// address.
func TestLoginIgnoresSpoofedForwardedFor(t *testing.T) {
	s := startServerConf(t, backend{name: "embedded"}, t.TempDir(), "", "")
	counts := tally(t, 40, func(i int) hit {
		return send(t, s.base, "POST", "/v1/auth/login", "", map[string]any{"email": "nobody@example.com", "password": "x"},
			from(fmt.Sprintf("203.0.113.%d", i+1)))
	})
	if counts[401] != 10 || counts[429] != 30 {
		t.Fatalf("40 guesses with spoofed X-Forwarded-For: %v; want 10 checked and 30 refused", counts)
	}
}

// refilled is how many more events a limit of n per period lets through
// while a flood lasts `took`, beyond its burst: the rate refills as the
// flood goes on, and a slow machine (the race detector, a loaded CI)
// stretches the flood over seconds. One more for the event at the edge.
func refilled(took time.Duration, n int, period time.Duration) int {
	return int(took*time.Duration(n)/period) + 1
}

// TestWidgetFlood performs the widget floods from one address: sessions
// (each a customer, a conversation and a 30-day token), one visitor's
// messages and page updates, fake handoffs that filled every agent's
// panel, and event streams on one token. Each now stops at its default
// limit with 429 and Retry-After.
func TestWidgetFlood(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServerConf(t, b, t.TempDir(), behindIngress, "")
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			session := func(addr string) string {
				t.Helper()
				h := send(t, s.base, "POST", "/v1/widget/sessions", "", map[string]any{}, from(addr))
				if h.status != 201 {
					t.Fatalf("session from %s: %d %s", addr, h.status, h.code)
				}
				return str(h.body, "token")
			}

			// 100 parallel sessions from one address: the burst of 60 (one
			// more a second after it).
			start := time.Now()
			c := tally(t, 100, func(int) hit {
				return send(t, s.base, "POST", "/v1/widget/sessions", "", map[string]any{}, from("198.51.100.1"))
			})
			if most := 60 + refilled(time.Since(start), 60, time.Minute); c[201] < 60 || c[201] > most || c[429] != 100-c[201] {
				t.Errorf("100 sessions from one address: %v; want 60 made (up to %d), the rest 429", c, most)
			}
			// Another address is not affected.
			session("198.51.100.9")

			// One visitor posts 80 messages at once: 30 are taken.
			tok := session("198.51.100.2")
			start = time.Now()
			c = tally(t, 80, func(i int) hit {
				return send(t, s.base, "POST", "/v1/widget/messages", tok, map[string]any{"text": fmt.Sprintf("spam %d", i)}, from("198.51.100.2"))
			})
			if most := 30 + refilled(time.Since(start), 30, time.Minute); c[202] < 30 || c[202] > most || c[429] != 80-c[202] {
				t.Errorf("80 messages of one visitor: %v; want 30 taken (%d at most), the rest 429", c, most)
			}

			// 100 page updates of one visitor: 60 taken.
			start = time.Now()
			c = tally(t, 100, func(i int) hit {
				return send(t, s.base, "PUT", "/v1/widget/page", tok, map[string]any{"page_url": fmt.Sprintf("https://shop.example.com/p/%d", i)}, from("198.51.100.2"))
			})
			if most := 60 + refilled(time.Since(start), 60, time.Minute); c[204] < 60 || c[204] > most || c[429] != 100-c[204] {
				t.Errorf("100 page updates of one visitor: %v; want 60 taken (%d at most), the rest 429", c, most)
			}

			// 30 visitors of one address ask for a person: 20 requests reach
			// the panel.
			tokens := make([]string, 30)
			for i := range tokens {
				tokens[i] = session("198.51.100.3")
			}
			start = time.Now()
			c = tally(t, 30, func(i int) hit {
				return send(t, s.base, "POST", "/v1/widget/handoff", tokens[i], map[string]any{"text": "a person please"}, from("198.51.100.3"))
			})
			if most := 20 + refilled(time.Since(start), 20, 10*time.Minute); c[202] < 20 || c[202] > most || c[429] != 30-c[202] {
				t.Errorf("30 handoffs from one address: %v; want 20 taken (%d at most) and the rest refused", c, most)
			}
			asked := 0 // the spamming visitor's bot may have handed off by itself
			for _, r := range list(s.must(200, "GET", "/v1/requests?status=all", admin, nil), "requests") {
				if str(r, "reason") == "customer_asked" {
					asked++
				}
			}
			if asked != c[202] {
				t.Errorf("the panel holds %d asked-for requests after %d accepted handoffs", asked, c[202])
			}

			// Event streams on one visitor token: 5 open at once.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var open []*http.Response
			refused := 0
			for range 8 {
				req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/v1/widget/events", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				switch resp.StatusCode {
				case 200:
					open = append(open, resp)
				case 429:
					refused++
					if resp.Header.Get("Retry-After") == "" {
						t.Error("a refused stream has no Retry-After")
					}
					resp.Body.Close()
				default:
					t.Fatalf("stream: %d", resp.StatusCode)
				}
			}
			if len(open) != 5 || refused != 3 {
				t.Fatalf("8 streams on one token: %d open, %d refused; want 5 and 3", len(open), refused)
			}
			for _, r := range open {
				r.Body.Close()
			}
		})
	}
}

// TestMetricsCannotBeFlooded performs the /metrics attack: 2,000 requests
// with their own Host header and method. By default /metrics is not on
// the API's address at all, and on the debug listener its series are
// labelled by route and a fixed set of methods, so it stays small.
func TestMetricsCannotBeFlooded(t *testing.T) {
	debug := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServerConf(t, backend{name: "embedded"}, t.TempDir(), fmt.Sprintf(", debug_addr: %q", debug), "")
	if h := send(t, s.base, "GET", "/metrics", "", nil, nil); h.status != 404 {
		t.Fatalf("GET /metrics on the API address by default: %d, want 404 (server.metrics: debug)", h.status)
	}
	methods := []string{"GET", "POST", "PROPFIND", "BREW"}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 2000; i += 8 {
				req, _ := http.NewRequest(methods[i%len(methods)], s.base+"/healthz", nil)
				req.Host = fmt.Sprintf("h%d.attacker.example", i)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	resp, err := http.Get("http://" + debug + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(data)
	series := strings.Count(body, "\necho_requests_total{")
	if resp.StatusCode != 200 || series == 0 || series > 10 || strings.Contains(body, "attacker") || strings.Contains(body, "BREW") {
		t.Fatalf("debug /metrics after 2,000 Hosts: %d, %d request series, %d bytes", resp.StatusCode, series, len(body))
	}
	t.Logf("after 2,000 distinct Hosts and methods: %d request series, /metrics %d bytes", series, len(body))

	// server.metrics: token opens /metrics on the API address to the bearer.
	const token = "a-metrics-token-for-tests"
	s2 := startServerConf(t, backend{name: "embedded"}, t.TempDir(), fmt.Sprintf(", metrics: token, metrics_token: %q", token), "")
	if h := send(t, s2.base, "GET", "/metrics", "", nil, nil); h.status != 401 {
		t.Fatalf("token mode without the token: %d", h.status)
	}
	if h := send(t, s2.base, "GET", "/metrics", "", nil, map[string]string{"Authorization": "Bearer " + token}); h.status != 200 {
		t.Fatalf("token mode with the token: %d", h.status)
	}
}

// TestQueueUIRefusesSameSitePages performs the queue UI attack: an admin
// who opened /admin/queues visits a page on another port of the same host,
// which posts a form to pause the critical queue. The cookie goes along
// (same site), but the change is refused; the UI may not be framed.
func TestQueueUIRefusesSameSitePages(t *testing.T) {
	s := startServerConf(t, backend{name: "embedded"}, t.TempDir(), "", "")
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	// Traffic, so the critical queue exists.
	vis := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{}), "token")
	s.must(202, "POST", "/v1/widget/handoff", vis, map[string]any{"text": "a person please"})

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(s.base + "/admin/queues?access_token=" + url.QueryEscape(admin))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(csp, "frame-ancestors 'none'") ||
		!strings.Contains(csp, "script-src 'self' 'sha256-") || strings.Contains(csp, "unsafe-inline' https://fonts.gstatic") {
		t.Fatalf("UI page: %d, X-Frame-Options %q, CSP %q", resp.StatusCode, resp.Header.Get("X-Frame-Options"), csp)
	}
	pause := func(hdr map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", s.base+"/admin/queues/api/queues/critical:pause", strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	paused := func() bool {
		t.Helper()
		resp, err := client.Get(s.base + "/admin/queues/api/queues/critical")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var q struct {
			Current struct {
				Paused bool `json:"paused"`
			} `json:"current"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&q); err != nil || resp.StatusCode != 200 {
			t.Fatalf("queue info: %d %v", resp.StatusCode, err)
		}
		return q.Current.Paused
	}
	u, _ := url.Parse(s.base)
	other := "http://" + u.Hostname() + ":" + strconv.Itoa(freePort(t))
	for name, hdr := range map[string]map[string]string{
		"form from another port":          {"Origin": other, "Sec-Fetch-Site": "same-site"},
		"no Origin, same-site fetch":      {"Sec-Fetch-Site": "same-site"},
		"no Origin, no fetch metadata":    {},
		"origin of another scheme":        {"Origin": "https://" + u.Host},
		"Origin null (a sandboxed frame)": {"Origin": "null"},
	} {
		if st := pause(hdr); st != 403 {
			t.Errorf("%s: pause answered %d, want 403", name, st)
		}
	}
	if paused() {
		t.Fatal("the critical queue was paused from another origin")
	}
	// The UI itself still works.
	if st := pause(map[string]string{"Origin": s.base}); st/100 != 2 || !paused() {
		t.Fatalf("pause from the UI's own origin: %d", st)
	}
	req, _ := http.NewRequest("POST", s.base+"/admin/queues/api/queues/critical:resume", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, err := client.Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("resume: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if paused() {
		t.Fatal("resume from the UI did not take")
	}
}
