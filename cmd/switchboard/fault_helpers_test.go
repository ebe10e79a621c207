package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/meta"
)

// faultClient is an HTTP client for load: many connections kept per host
// (the default keeps two, so 100 goroutines would open a socket per call)
// and a timeout that turns a hang into a failure.
var faultClient = &http.Client{
	Timeout:   15 * time.Second,
	Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second},
}

// raceClient is faultClient with room for a queue: hundreds of accepts
// sent at once wait their turn for SQLite's one writer, and the race
// detector slows each one down; only a hang past this is a failure.
var raceClient = &http.Client{Timeout: 2 * time.Minute, Transport: faultClient.Transport}

// waChannelYAML is a WhatsApp channel "wa" (fleet token and app secret)
// sending to graphURL, next to the web widget.
// underLoad starts a server on b with a WhatsApp channel and a provider
// sending total messages (prefix names them) from 4 senders, watches
// /readyz, and returns once a third of the messages are acknowledged:
// the moment the outage tests break something.
func underLoad(t *testing.T, b backend, prefix string, total int) (*server, *fakeGraph, string, *provider, *readyWatch, <-chan struct{}) {
	t.Helper()
	graph, gsrv := newFakeGraph(t, fleetToken)
	s := startServerWith(t, b, t.TempDir(), waChannelYAML(gsrv.URL))
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	p := newProvider(s.base)
	ready := watchReady(s.base)
	sent := p.run(prefix, total, 4, 20*time.Millisecond)
	waitFor(t, time.Minute, "a third of the messages acknowledged", func() bool { return p.acked.Load() >= int64(total/3) })
	return s, graph, admin, p, ready, sent
}

func waChannelYAML(graphURL string) string {
	return fmt.Sprintf(`channels:
  - {id: web, type: widget}
  - {id: wa, type: whatsapp, phone_number_id: "1122334455", access_token: %q, app_secret: %q, verify_token: "v", graph_url: %q}
`, fleetToken, fleetSecret, graphURL+"/v21.0")
}

// waEnvelope wraps a WhatsApp change value in the webhook body.
func waEnvelope(value string) string {
	return `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"1122334455"},` + value + `}}]}]}`
}

// waInbound is customer n's text message with provider id wamid.
func waInbound(n int, wamid, text string) string {
	return waEnvelope(fmt.Sprintf(`"contacts":[{"profile":{"name":"Customer %d"},"wa_id":%q}],"messages":[{"from":%q,"id":%q,"timestamp":"1700000000","type":"text","text":{"body":%q}}]`,
		n, recipient(n), recipient(n), wamid, text))
}

// waStatus is a status callback for our outbound message with provider id.
func waStatus(providerID, status, to string) string {
	return waEnvelope(fmt.Sprintf(`"statuses":[{"id":%q,"status":%q,"timestamp":"1700000100","recipient_id":%q}]`, providerID, status, to))
}

// postSigned posts a webhook body signed with the fleet app secret and
// returns the status; err is a transport failure or a timeout.
func postSigned(base, body string) (int, error) {
	req, err := http.NewRequest("POST", base+"/webhooks/wa", bytes.NewReader([]byte(body)))
	if err != nil {
		return 0, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(meta.SignatureHeader, meta.Sign([]byte(fleetSecret), []byte(body)))
	resp, err := faultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post webhook: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// provider posts webhooks the way Meta does: a body answered with anything
// but 200 is sent again, the same bytes, a little later.
type provider struct {
	base string
	// giveUp bounds how long one body is retried.
	giveUp time.Duration

	acked    atomic.Int64
	mu       sync.Mutex
	answers  map[int]int // HTTP status → count
	failures []string    // answers other than 200 and 503, transport errors
	ackedIDs map[int]bool
}

func newProvider(base string) *provider {
	return &provider{base: base, giveUp: 3 * time.Minute, answers: map[int]int{}, ackedIDs: map[int]bool{}}
}

// deliver posts body until it is answered 200; 503 and refused connections
// are retried, anything else is recorded as a failure and retried too.
func (p *provider) deliver(n int, body string) {
	deadline := time.Now().Add(p.giveUp)
	for time.Now().Before(deadline) {
		status, err := postSigned(p.base, body)
		p.mu.Lock()
		p.answers[status]++
		switch {
		case err != nil:
			p.failures = append(p.failures, fmt.Sprintf("message %d: %v", n, err))
		case status == http.StatusOK:
			p.ackedIDs[n] = true
		case status != http.StatusServiceUnavailable:
			p.failures = append(p.failures, fmt.Sprintf("message %d: status %d", n, status))
		}
		p.mu.Unlock()
		if err == nil && status == http.StatusOK {
			p.acked.Add(1)
			return
		}
		time.Sleep(150 * time.Millisecond)
	}
	p.mu.Lock()
	p.failures = append(p.failures, fmt.Sprintf("message %d: never answered 200 within %s", n, p.giveUp))
	p.mu.Unlock()
}

// run sends customer n's message wamid.<prefix><n> for n in 1..total from
// workers goroutines, pausing pace between bodies; the channel closes
// when every body was answered 200 or given up.
func (p *provider) run(prefix string, total, workers int, pace time.Duration) <-chan struct{} {
	next := make(chan int)
	go func() {
		for n := 1; n <= total; n++ {
			next <- n
		}
		close(next)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				p.deliver(n, waInbound(n, fmt.Sprintf("wamid.%s%d", prefix, n), fmt.Sprintf("hello from %d", n)))
				time.Sleep(pace)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// check fails the test on any answer but 200 and 503 and on any message
// never acknowledged, and logs the answers seen.
func (p *provider) check(t *testing.T, total int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Logf("webhook answers: %v", p.answers)
	for i, f := range p.failures {
		if i == 20 {
			t.Errorf("… and %d more failures", len(p.failures)-20)
			break
		}
		t.Errorf("webhook: %s", f)
	}
	if len(p.ackedIDs) != total {
		t.Errorf("%d of %d messages acknowledged with 200", len(p.ackedIDs), total)
	}
}

// waitFor polls f every 200 ms for up to limit; it fails with what.
func waitFor(t *testing.T, limit time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// allConversations pages through GET /v1/conversations with query.
func allConversations(s *server, tok, query string) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	cursor := ""
	for {
		page := s.must(200, "GET", "/v1/conversations?limit=100&"+query+"&cursor="+url.QueryEscape(cursor), tok, nil)
		out = append(out, list(page, "conversations")...)
		if cursor = str(page, "next_cursor"); cursor == "" {
			return out
		}
	}
}

// checkStoredOnce asserts the WhatsApp channel holds exactly total
// conversations, one per customer, each with exactly one customer message
// and one bot reply.
func checkStoredOnce(t *testing.T, s *server, admin string, total int) {
	t.Helper()
	convs := allConversations(s, admin, "status=all&channel=wa")
	perCustomer := map[string]int{}
	for _, c := range convs {
		perCustomer[str(c, "customer", "channel_user_id")]++
		msgs := list(s.must(200, "GET", "/v1/conversations/"+str(c, "id"), admin, nil), "messages")
		byAuthor := map[string]int{}
		for _, m := range msgs {
			byAuthor[str(m, "author")]++
		}
		if byAuthor["customer"] != 1 || byAuthor["bot"] != 1 {
			t.Errorf("conversation of %s stored %v, want one customer message and one bot reply",
				str(c, "customer", "channel_user_id"), byAuthor)
		}
	}
	for n := 1; n <= total; n++ {
		if c := perCustomer[recipient(n)]; c != 1 {
			t.Errorf("customer %d has %d conversations, want 1", n, c)
		}
	}
	if len(convs) != total {
		t.Errorf("%d WhatsApp conversations stored, want %d", len(convs), total)
	}
}

// readyz returns the status of GET /readyz (0 when it does not answer).
func readyz(base string) int {
	resp, err := faultClient.Get(base + "/readyz")
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// readyWatch polls /readyz every 100 ms and keeps what it saw per phase.
type readyWatch struct {
	mu    sync.Mutex
	phase string
	seen  map[string]map[int]int
	stop  chan struct{}
	done  chan struct{}
}

func watchReady(base string) *readyWatch {
	w := &readyWatch{phase: "before", seen: map[string]map[int]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			st := readyz(base)
			w.mu.Lock()
			if w.seen[w.phase] == nil {
				w.seen[w.phase] = map[int]int{}
			}
			w.seen[w.phase][st]++
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *readyWatch) set(phase string) {
	w.mu.Lock()
	w.phase = phase
	w.mu.Unlock()
}

func (w *readyWatch) close() map[string]map[int]int {
	close(w.stop)
	<-w.done
	return w.seen
}

// redisProc is a private redis-server on a fixed port, without
// persistence: a restart loses everything it held.
type redisProc struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
	logs *lockedBuffer
}

// startPrivateRedis runs redis-server on a free port; the test is skipped
// when there is no redis-server on PATH.
func startPrivateRedis(t *testing.T) *redisProc {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("needs redis-server on PATH to stop and restart a private Redis")
	}
	r := &redisProc{t: t, port: freePort(t), dir: t.TempDir(), logs: &lockedBuffer{}}
	r.start()
	t.Cleanup(func() { r.kill() })
	return r
}

func (r *redisProc) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// start runs the server and waits until it answers PING.
func (r *redisProc) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir)
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if redisPing(r.port) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("redis-server on port %d did not answer PING; logs:\n%s", r.port, r.logs.String())
}

// kill stops the server with SIGKILL (no chance to save or say goodbye).
func (r *redisProc) kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.cmd = nil
}

func redisPing(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// pgProc is a private PostgreSQL cluster driven with pg_ctl.
type pgProc struct {
	t          *testing.T
	bin, dir   string
	port       int
	cred       *syscall.Credential // run as this user (root cannot run PostgreSQL)
	started    bool
	clusterDir string
}

// startPrivatePostgres makes and starts a throwaway cluster; the test is
// skipped when PostgreSQL's server binaries are not installed, or when
// running as root with no "postgres" user to run them as.
func startPrivatePostgres(t *testing.T) *pgProc {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		t.Skip("needs PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql/*/bin or on PATH)")
	}
	p := &pgProc{t: t, bin: filepath.Dir(bins[len(bins)-1]), port: freePort(t)}
	// t.TempDir's parents are private to this user; the server's user must
	// reach its directory, so it lives directly under the system temp dir.
	dir, err := os.MkdirTemp("", "sbfault-pg-")
	if err != nil {
		t.Fatalf("temp dir for PostgreSQL: %v", err)
	}
	p.dir = dir
	t.Cleanup(func() {
		p.stop("immediate")
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("chown %s: %v", dir, err)
		}
	}
	p.clusterDir = filepath.Join(dir, "data")
	if out, err := p.run("initdb", "-D", p.clusterDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.start()
	return p
}

func (p *pgProc) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// run runs one of PostgreSQL's programs as the cluster's user.
func (p *pgProc) run(prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(p.bin, prog), args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %v: %w", prog, args, err)
	}
	return out, nil
}

// start starts the server and waits until it accepts connections.
func (p *pgProc) start() {
	p.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", p.port, p.dir)
	if out, err := p.run("pg_ctl", "-D", p.clusterDir, "-l", filepath.Join(p.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		logs, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		p.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, logs)
	}
	p.started = true
}

// stop stops the server: "fast" ends every session at once, "immediate"
// does not even shut down cleanly.
func (p *pgProc) stop(mode string) {
	if !p.started {
		return
	}
	if out, err := p.run("pg_ctl", "-D", p.clusterDir, "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		p.t.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	p.started = false
}

// faultJSON sends a JSON request without touching testing.T (safe from
// any goroutine): the status, the decoded body and the error code of an
// error answer.
func faultJSON(base, method, path, token string, body any) (int, map[string]any, string, error) {
	return faultJSONWith(faultClient, base, method, path, token, body)
}

// faultJSONWith is faultJSON on client c.
func faultJSONWith(c *http.Client, base, method, path, token string, body any) (int, map[string]any, string, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, "", fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return 0, nil, "", fmt.Errorf("build %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, "", fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return resp.StatusCode, nil, "", fmt.Errorf("%s %s: answer %q is not JSON: %w", method, path, raw, err)
		}
	}
	return resp.StatusCode, out, str(out, "error", "code"), nil
}

// faultMust is faultJSON that wants one status.
func faultMust(want int, base, method, path, token string, body any) (map[string]any, error) {
	st, out, code, err := faultJSON(base, method, path, token, body)
	if err != nil {
		return nil, err
	}
	if st != want {
		return nil, fmt.Errorf("%s %s: status %d (%s), want %d", method, path, st, code, want)
	}
	return out, nil
}

// holdingGraph is a Graph API stand-in whose sends can be held open: a
// held send answers only when released, or never when its caller dies.
// It counts, per recipient, the sends answered and those whose caller
// went away mid-request.
type holdingGraph struct {
	mu          sync.Mutex
	hold        bool
	release     chan struct{}
	inFlight    int
	answered    map[string]int
	interrupted map[string]int
	next        int
}

func newHoldingGraph(t *testing.T) (*holdingGraph, string) {
	g := &holdingGraph{release: make(chan struct{}), answered: map[string]int{}, interrupted: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			To string `json:"to"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("holding graph: body is not JSON: %v", err)
		}
		g.mu.Lock()
		held, release := g.hold, g.release
		if held {
			g.inFlight++
		}
		g.mu.Unlock()
		if held {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			g.mu.Lock()
			g.inFlight--
			g.mu.Unlock()
			if r.Context().Err() != nil {
				g.mu.Lock()
				g.interrupted[body.To]++
				g.mu.Unlock()
				return
			}
		}
		g.mu.Lock()
		g.next++
		id := fmt.Sprintf("wamid.held%d", g.next)
		g.answered[body.To]++
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":%q}]}`, body.To, body.To, id)
	}))
	t.Cleanup(func() {
		g.setHold(false)
		srv.Close()
	})
	return g, srv.URL + "/v21.0"
}

// setHold starts holding sends, or releases every held one.
func (g *holdingGraph) setHold(on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hold && !on {
		close(g.release)
		g.release = make(chan struct{})
	}
	g.hold = on
}

func (g *holdingGraph) held() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight
}

// counts returns copies of the answered and interrupted counts.
func (g *holdingGraph) counts() (answered, interrupted map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.answered), maps.Clone(g.interrupted)
}

// echoGraph is a Graph API stand-in that, before it answers a send, posts
// the "delivered" and "read" callbacks of the new message id to the
// gateway — a provider whose callbacks outrun its own API answer.
type echoGraph struct {
	gateway atomic.Pointer[string]
	mu      sync.Mutex
	ids     map[string]string // recipient → provider id
	errs    []string
}

func newEchoGraph(t *testing.T) (*echoGraph, string) {
	g := &echoGraph{ids: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			To string `json:"to"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("echo graph: body is not JSON: %v", err)
		}
		g.mu.Lock()
		id := fmt.Sprintf("wamid.echo%d", len(g.ids)+1)
		g.ids[body.To] = id
		g.mu.Unlock()
		if base := g.gateway.Load(); base != nil {
			for _, st := range []string{"delivered", "read"} {
				if code, err := postSigned(*base, waStatus(id, st, body.To)); err != nil || code != 200 {
					g.mu.Lock()
					g.errs = append(g.errs, fmt.Sprintf("status %s of %s: %d %v", st, id, code, err))
					g.mu.Unlock()
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":%q}]}`, body.To, body.To, id)
	}))
	t.Cleanup(srv.Close)
	return g, srv.URL
}
