package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
)

// backend is where a test server keeps its state.
type backend struct {
	name     string
	dbURL    string // "" → SQLite in the data dir
	redisURL string // "" → embedded
	ns       string
}

// backends lists the embedded defaults, and PostgreSQL + Redis when the
// test environment names them.
func backends(t *testing.T) []backend {
	t.Helper()
	out := []backend{{name: "embedded"}}
	db, rd := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL"), os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if db == "" || rd == "" {
		t.Log("PostgreSQL+Redis variant skipped: set SWITCHBOARD_TEST_DATABASE_URL and SWITCHBOARD_TEST_REDIS_URL to run it")
		return out
	}
	return append(out, backend{name: "postgres+redis", dbURL: sqltest.Schema(t, db, "sbe2e"), redisURL: rd, ns: "e2e" + randHex(4)})
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// server is one running switchboard process (in this test process).
type server struct {
	t       *testing.T
	base    string
	cancel  context.CancelFunc
	done    chan int
	output  *bytes.Buffer
	dataDir string
	logs    *lockedBuffer // warnings and errors the server logged
}

const adminEmail, adminPassword = "admin@example.com", "admin-password-1"

var bannerRE = regexp.MustCompile(`Switchboard is running \([^)]*\) on (http://\S+)`)

// startServer runs `switchboard serve` with a config for b in dataDir and
// waits until it prints its banner.
func startServer(t *testing.T, b backend, dataDir string) *server {
	t.Helper()
	return startServerWith(t, b, dataDir, "")
}

// startServerWith is startServer with more top-level YAML appended to the
// config (channels, bot, routing…; a channels list must include the web
// widget channel if the test uses the widget).
func startServerWith(t *testing.T, b backend, dataDir, extraYAML string) *server {
	t.Helper()
	// metrics: public, since the tests read /metrics on the API's port.
	return startServerConf(t, b, dataDir, ", metrics: public", extraYAML)
}

// startServerConf is startServerWith with serverYAML added to the server
// block (such as `, debug_addr: "127.0.0.1:6060"`).
func startServerConf(t *testing.T, b backend, dataDir, serverYAML, extraYAML string) *server {
	t.Helper()
	t.Setenv("SWITCHBOARD_ADMIN_EMAIL", adminEmail)
	t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", adminPassword)
	t.Setenv("SWITCHBOARD_BCRYPT_COST", "4") // -race makes the production cost take seconds per login
	cfg := fmt.Sprintf(`server: {addr: "127.0.0.1:0"%s}
data_dir: %q
database: {url: %q}
redis: {url: %q, namespace: %q}
templates:
  - {name: opening, shortcut: "/hi", body: "Hi [Name], I'm [Agent] and I'm looking into this for you."}
`, serverYAML, dataDir, b.dbURL, b.redisURL, b.ns) + extraYAML
	path := filepath.Join(dataDir, "switchboard.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	s := boot(t, []string{"--config", path, "--log-level", "warn"}, logs, nil)
	s.dataDir = dataDir
	t.Cleanup(func() { // a failed test shows what the server said
		if t.Failed() {
			t.Logf("server logs (warn and above):\n%s", logs.String())
		}
	})
	return s
}

// boot runs `switchboard args…` in this process and waits for its banner.
// Logs go to logs; stdout lines are copied to stdout when it is not nil.
// The server stops when the test ends.
func boot(t *testing.T, args []string, logs, stdout io.Writer) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{t: t, cancel: cancel, done: make(chan int, 1), output: &bytes.Buffer{}}
	if l, ok := logs.(*lockedBuffer); ok {
		s.logs = l
	}
	go func() {
		code := run(ctx, args, pw, logs)
		pw.Close()
		s.done <- code
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if stdout != nil {
				fmt.Fprintln(stdout, sc.Text())
			}
			if m := bannerRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case s.base = <-found:
	case code := <-s.done:
		t.Fatalf("server exited with %d before it was ready; logs:\n%s", code, fmt.Sprint(logs))
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("server did not start; logs:\n%s", fmt.Sprint(logs))
	}
	t.Cleanup(s.stop)
	return s
}

// stop shuts the server down gracefully and checks it exited cleanly.
func (s *server) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case code := <-s.done:
		if code != 0 {
			s.t.Errorf("server exited with %d", code)
		}
	case <-time.After(30 * time.Second):
		s.t.Errorf("server did not stop within 30s")
	}
}

// lockedBuffer is a bytes.Buffer that goroutines may write and read at
// once; its zero value is ready.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends a JSON request; body may be nil, a string (sent raw) or a value.
func (s *server) call(method, path, token string, body any) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	if len(data) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(data, &r.body); err != nil {
			s.t.Fatalf("%s %s: bad JSON %q: %v", method, path, data, err)
		}
	}
	return r
}

// must calls and fails the test unless the status is want.
func (s *server) must(want int, method, path, token string, body any) map[string]any {
	s.t.Helper()
	r := s.call(method, path, token, body)
	if r.status != want {
		s.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.raw)
	}
	return r.body
}

// wantError checks a contract error answer.
func (s *server) wantError(status int, code, method, path, token string, body any) {
	s.t.Helper()
	r := s.call(method, path, token, body)
	if r.status != status {
		s.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, status, r.raw)
	}
	e, _ := r.body["error"].(map[string]any)
	if e == nil || e["code"] != code || e["message"] == "" {
		s.t.Fatalf("%s %s: error body %s, want code %q with a message", method, path, r.raw, code)
	}
}

// eventually polls f until it returns true or the deadline passes.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func str(m map[string]any, keys ...string) string {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	s, _ := v.(string)
	return s
}

func list(m map[string]any, key string) []map[string]any {
	raw, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		if mm, ok := r.(map[string]any); ok {
			out = append(out, mm)
		}
	}
	return out
}
