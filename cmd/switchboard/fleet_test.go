package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/meta"
)

// fleet runs real switchboard processes — gateways and workers — on one
// PostgreSQL and Redis, the way a scaled-out deployment does.
type fleet struct {
	t        *testing.T
	bin, dir string
	b        backend
	graphURL string
	mu       sync.Mutex
	procs    []*exec.Cmd
}

const fleetToken, fleetSecret = "EAA-fleet-token", "fleet-app-secret"

// buildBinary compiles the command once for the test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "switchboard")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// config writes the shared config, listening on port, with Redis at
// redisURL (the fleet's when empty).
func (f *fleet) config(port int, redisURL string) string {
	f.t.Helper()
	if redisURL == "" {
		redisURL = f.b.redisURL
	}
	path := filepath.Join(f.dir, fmt.Sprintf("switchboard-%d.yaml", port))
	cfg := fmt.Sprintf(`server: {addr: "127.0.0.1:%d", metrics: public}
data_dir: %q
database: {url: %q}
redis: {url: %q, namespace: %q}
channels:
  - {id: web, type: widget}
  - {id: wa, type: whatsapp, phone_number_id: "1122334455", access_token: %q, app_secret: %q, verify_token: "v", graph_url: %q}
  - {id: fb, type: messenger, page_id: "PAGE", page_token: %q, app_secret: %q, verify_token: "v", graph_url: %q}
`, port, f.dir, f.b.dbURL, redisURL, f.b.ns, fleetToken, fleetSecret, f.graphURL, fleetToken, fleetSecret, f.graphURL)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		f.t.Fatal(err)
	}
	return path
}

// start runs `switchboard <role>` on the fleet's Redis and returns it
// once its /readyz answers 200 (a gateway's or a worker's, each on a port
// of its own), with its base URL.
func (f *fleet) start(role string) (*exec.Cmd, string) {
	f.t.Helper()
	return f.startOn(role, "")
}

// startOn is start with Redis at redisURL.
func (f *fleet) startOn(role, redisURL string) (*exec.Cmd, string) {
	f.t.Helper()
	port := freePort(f.t)
	// The config file comes after the command, the way operators write it.
	cmd := exec.Command(f.bin, role, "--config", f.config(port, redisURL), "--log-level", "warn")
	cmd.Env = append(os.Environ(), "SWITCHBOARD_ADMIN_EMAIL="+adminEmail, "SWITCHBOARD_ADMIN_PASSWORD="+adminPassword,
		"SWITCHBOARD_BCRYPT_COST=4")
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		f.t.Fatalf("start %s: %v", role, err)
	}
	f.mu.Lock()
	f.procs = append(f.procs, cmd)
	f.mu.Unlock()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if readyz(base) == 200 {
			return cmd, base
		}
		time.Sleep(100 * time.Millisecond)
	}
	f.t.Fatalf("%s not ready; logs:\n%s", role, logs.String())
	return nil, ""
}

// stop ends a process: SIGTERM lets it finish its tasks, SIGKILL does not.
func (f *fleet) stop(cmd *exec.Cmd, sig syscall.Signal) {
	f.t.Helper()
	cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		f.t.Errorf("process did not stop after %v", sig)
	}
}

// sendWhatsApp posts one signed WhatsApp message from customer n.
func sendWhatsApp(t *testing.T, base string, n int) {
	t.Helper()
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"1122334455"},"contacts":[{"profile":{"name":"Customer %d"},"wa_id":"49151%07d"}],"messages":[{"from":"49151%07d","id":"wamid.fleet%d","timestamp":"1700000000","type":"text","text":{"body":"hello from %d"}}]}}]}]}`, n, n, n, n, n)
	req, _ := http.NewRequest("POST", base+"/webhooks/wa", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(meta.SignatureHeader, meta.Sign([]byte(fleetSecret), []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("webhook %d: %v", n, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webhook %d: status %d", n, resp.StatusCode)
	}
}

// postMessenger posts one signed Messenger event of user to base.
func postMessenger(t *testing.T, base, user, event string) {
	t.Helper()
	now := time.Now().UnixMilli() // the Send API's 24 h window counts from the customer's last message
	body := fmt.Sprintf(`{"object":"page","entry":[{"id":"PAGE","time":%d,"messaging":[{"sender":{"id":%q},"recipient":{"id":"PAGE"},"timestamp":%d,%s}]}]}`,
		now, user, now, event)
	req, _ := http.NewRequest("POST", base+"/webhooks/fb", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(meta.SignatureHeader, meta.Sign([]byte(fleetSecret), []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("messenger webhook: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("messenger webhook: status %d", resp.StatusCode)
	}
}

// repliesTo counts the WhatsApp sends per recipient.
func (g *fakeGraph) repliesTo() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]int{}
	for _, s := range g.sends {
		if to, ok := s.Body["to"]; ok {
			out[fmt.Sprint(to)]++
		}
	}
	return out
}

func recipient(n int) string { return fmt.Sprintf("49151%07d", n) }

// checkWorkerProbes: a worker's /healthz and /readyz (database and Redis)
// answer 200, its /metrics carries the process's and Switchboard's
// series, and it serves nothing of the API.
func checkWorkerProbes(t *testing.T, base string) {
	t.Helper()
	w := &server{t: t, base: base}
	if r := w.call("GET", "/healthz", "", nil); r.status != 200 || str(r.body, "status") != "ok" {
		t.Errorf("worker %s/healthz: %d %s", base, r.status, r.raw)
	}
	r := w.call("GET", "/readyz", "", nil)
	if r.status != 200 || str(r.body, "checks", "database") != "ok" || str(r.body, "checks", "redis") != "ok" {
		t.Errorf("worker %s/readyz: %d %s", base, r.status, r.raw)
	}
	if m := w.call("GET", "/metrics", "", nil); m.status != 200 || !strings.Contains(m.raw, "go_goroutines") ||
		!strings.Contains(m.raw, `switchboard_state_scrape_ok{source="queue"} 1`) {
		t.Errorf("worker %s/metrics: %d, lacks the runtime or the state series", base, m.status)
	}
	if r := w.call("GET", "/v1/me", "", nil); r.status != 404 {
		t.Errorf("worker %s/v1/me: %d, want 404 (a worker serves no API)", base, r.status)
	}
}

// TestFleet runs 2 gateways and 2 workers as separate processes on real
// PostgreSQL and Redis: events cross gateways, webhooks are taken while
// every worker is down and worked off when workers return, and a worker
// killed with SIGKILL mid-load loses nothing and stores nothing twice.
func TestFleet(t *testing.T) {
	bs := backends(t)
	if len(bs) < 2 {
		t.Skip("needs PostgreSQL and Redis: set SWITCHBOARD_TEST_DATABASE_URL and SWITCHBOARD_TEST_REDIS_URL")
	}
	if testing.Short() {
		t.Skip("builds and runs the binary: skipped with -short")
	}
	graph, gsrv := newFakeGraph(t, fleetToken)
	f := &fleet{t: t, bin: buildBinary(t), dir: t.TempDir(), b: bs[1], graphURL: gsrv.URL + "/v21.0"}
	t.Cleanup(func() {
		for _, p := range f.procs {
			if p.ProcessState == nil {
				p.Process.Kill()
				p.Wait()
			}
		}
	})
	_, gwA := f.start("gateway")
	_, gwB := f.start("gateway")
	w1, probes1 := f.start("worker")
	w2, probes2 := f.start("worker")
	a := &server{t: t, base: gwA}
	b := &server{t: t, base: gwB}

	// Each worker answers its probes and scrapes on its server.addr.
	for _, base := range []string{probes1, probes2} {
		checkWorkerProbes(t, base)
	}

	// An agent on gateway A hears of a request made through gateway B.
	admin := str(a.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	alice := agentOnline(t, a, admin, "Alice")
	events := follow(t, a, "/v1/events", alice, "")
	vtok := str(b.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Dana"}), "token")
	reqID := str(b.must(202, "POST", "/v1/widget/handoff", vtok, nil), "request", "id")
	if ev, took := events.next("request.created"); ev.data["id"] != reqID {
		t.Fatalf("request.created on gateway A: %v", ev.data)
	} else {
		t.Logf("request made on gateway B reached the agent on gateway A in %s", took)
	}

	// A Messenger read watermark names no message: the gateway that takes
	// it finds what a worker sent in the database, not in its own memory.
	postMessenger(t, gwA, "PSID-fleet", `"message":{"mid":"m.fleet1","text":"hello"}`)
	botReply := func() map[string]any {
		convs := list(a.must(200, "GET", "/v1/conversations?status=all&channel=fb", admin, nil), "conversations")
		if len(convs) != 1 {
			return nil
		}
		for _, m := range list(a.must(200, "GET", "/v1/conversations/"+str(convs[0], "id"), admin, nil), "messages") {
			if str(m, "author") == "bot" {
				return m
			}
		}
		return nil
	}
	eventually(t, "the bot's Messenger reply sent by a worker", func() bool { return str(botReply(), "delivery") == "sent" })
	postMessenger(t, gwB, "PSID-fleet", fmt.Sprintf(`"read":{"watermark":%d}`, time.Now().Add(time.Second).UnixMilli()))
	if d := str(botReply(), "delivery"); d != "read" {
		t.Fatalf("after a read watermark on gateway B the worker's send is %q, want read", d)
	}

	// Every worker down: webhooks are still taken; nothing is worked off.
	f.stop(w1, syscall.SIGTERM)
	f.stop(w2, syscall.SIGTERM)
	const backlog = 30
	for n := 1; n <= backlog; n++ {
		sendWhatsApp(t, []string{gwA, gwB}[n%2], n)
	}
	if got := len(graph.repliesTo()); got != 0 {
		t.Fatalf("%d customers answered with no worker running", got)
	}
	f.start("worker")
	w4, _ := f.start("worker")
	eventually(t, "the backlog worked off once the workers are back", func() bool {
		return len(graph.repliesTo()) == backlog
	})
	for n := 1; n <= backlog; n++ {
		if c := graph.repliesTo()[recipient(n)]; c != 1 {
			t.Errorf("customer %d got %d bot replies after the outage, want 1", n, c)
		}
	}

	// A worker killed with SIGKILL in the middle of the load.
	const load = 60
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for n := backlog + 1; n <= backlog+load; n++ {
			sendWhatsApp(t, []string{gwA, gwB}[n%2], n)
		}
	}()
	loadUntil := time.Now().Add(60 * time.Second)
	for len(graph.repliesTo()) < backlog+10 && time.Now().Before(loadUntil) {
		time.Sleep(10 * time.Millisecond)
	}
	f.stop(w4, syscall.SIGKILL)
	<-sent
	f.start("worker")
	deadline := time.Now().Add(3 * time.Minute) // a killed worker's tasks come back when their lease ends
	for len(graph.repliesTo()) < backlog+load && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	replies := graph.repliesTo()
	dup := 0
	for n := backlog + 1; n <= backlog+load; n++ {
		switch c := replies[recipient(n)]; {
		case c == 0:
			t.Errorf("customer %d never got the bot's reply after the SIGKILL", n)
		case c > 1:
			dup += c - 1
		}
	}
	// At-least-once to the provider: a send in flight when the worker died
	// may go out again. The database must hold each message exactly once.
	t.Logf("provider sends repeated after SIGKILL: %d (at most the tasks in flight)", dup)
	convs := list(a.must(200, "GET", "/v1/conversations?status=all&channel=wa&limit=100", admin, nil), "conversations")
	if len(convs) != backlog+load {
		t.Fatalf("%d WhatsApp conversations stored, want %d", len(convs), backlog+load)
	}
	for _, c := range convs {
		msgs := list(a.must(200, "GET", "/v1/conversations/"+str(c, "id"), admin, nil), "messages")
		byAuthor := map[string]int{}
		for _, m := range msgs {
			byAuthor[str(m, "author")]++
		}
		if byAuthor["customer"] != 1 || byAuthor["bot"] != 1 {
			t.Errorf("conversation %s stored %v, want one customer message and one bot reply", str(c, "id"), byAuthor)
		}
	}

	// A worker whose Redis stops is alive but not ready, and says which
	// part failed; it is ready again when Redis is back.
	rd := startPrivateRedis(t)
	_, probes := f.startOn("worker", rd.url())
	rd.kill()
	waitFor(t, 30*time.Second, "/readyz 503 on the worker whose Redis stopped", func() bool { return readyz(probes) == 503 })
	w := &server{t: t, base: probes}
	if r := w.call("GET", "/readyz", "", nil); str(r.body, "checks", "redis") != "unavailable" || str(r.body, "checks", "database") != "ok" ||
		!strings.Contains(str(r.body, "error", "message"), "redis") {
		t.Errorf("worker /readyz with Redis stopped: %d %s", r.status, r.raw)
	}
	if r := w.call("GET", "/healthz", "", nil); r.status != 200 {
		t.Errorf("worker /healthz with Redis stopped: %d (a Redis outage must not get the worker restarted)", r.status)
	}
	rd.start()
	waitFor(t, 30*time.Second, "/readyz 200 once Redis is back", func() bool { return readyz(probes) == 200 })
}
