package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// cliRun is one in-process run of the command line.
type cliRun struct {
	code           int
	stdout, stderr string
}

// runCLI runs a one-shot `switchboard args…` in this process with stdin as
// its standard input and waits for it to end (at most 30 s).
func runCLI(t *testing.T, stdin string, args ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errs lockedBuffer
	code := newCLI(strings.NewReader(stdin), &out, &errs).run(ctx, args)
	return cliRun{code: code, stdout: out.String(), stderr: errs.String()}
}

// leafCommands lists every runnable command of the tree ("agents add",
// "serve", …), and groupCommands the ones with subcommands.
func leafCommands() (leaves, groups []*command) {
	var walk func(cs []*command)
	walk = func(cs []*command) {
		for _, c := range cs {
			if len(c.subs) > 0 {
				groups = append(groups, c)
				walk(c.subs)
			} else {
				leaves = append(leaves, c)
			}
		}
	}
	walk(commands().subs)
	return leaves, groups
}

// exampleArgs are plausible positional arguments for a command.
func exampleArgs(c *command) []string {
	switch c.path {
	case "agents passwd":
		return []string{"alice@example.com"}
	case "config validate":
		return []string{"switchboard.yaml"}
	case "help":
		return []string{"agents"}
	}
	return nil
}

// inEmptyDir runs the test in a fresh working directory and checks at the
// end that nothing was created in it (no ./data, no database).
func inEmptyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	t.Cleanup(func() {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if len(names) > 0 {
			t.Errorf("the command created %v in the working directory", names)
		}
	})
	return dir
}

// cleanEnv unsets the SWITCHBOARD_* variables a developer's shell may have.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"SWITCHBOARD_CONFIG", "SWITCHBOARD_ADDR", "SWITCHBOARD_LOG_FORMAT", "SWITCHBOARD_LOG_LEVEL",
		"SWITCHBOARD_ADMIN_EMAIL", "SWITCHBOARD_ADMIN_PASSWORD"} {
		t.Setenv(k, "")
	}
	t.Setenv("SWITCHBOARD_BCRYPT_COST", "4")
}

// TestCLIHelpDoesNothing: --help, -h and -help, after the command, after
// its arguments, among the global flags, print that command's usage on
// stdout and exit 0, and nothing is created, migrated or started.
func TestCLIHelpDoesNothing(t *testing.T) {
	cleanEnv(t)
	leaves, groups := leafCommands()
	type tc struct {
		name string
		args []string
		want string // the usage line printed
	}
	var cases []tc
	for _, c := range leaves {
		for _, h := range []string{"--help", "-h", "-help"} {
			path := strings.Fields(c.path)
			args := exampleArgs(c)
			cases = append(cases,
				tc{c.path + " " + h, slices.Concat(path, []string{h}), "Usage: switchboard " + c.path},
				tc{c.path + " ARGS " + h, slices.Concat(path, args, []string{h}), "Usage: switchboard " + c.path},
				tc{"--config F " + c.path + " " + h, slices.Concat([]string{"--config", "missing.yaml"}, path, []string{h}), "Usage: switchboard " + c.path},
				tc{c.path + " --log-level debug " + h + " --config F", slices.Concat(path, []string{"--log-level", "debug", h, "--config", "missing.yaml"}), "Usage: switchboard " + c.path},
			)
		}
	}
	for _, g := range groups {
		cases = append(cases,
			tc{g.path + " --help", []string{g.name, "--help"}, "Usage: switchboard " + g.path + " COMMAND"},
			tc{g.path + " -h " + g.subs[0].name, []string{g.name, "-h", g.subs[0].name}, "Usage: switchboard " + g.path + " COMMAND"},
		)
	}
	cases = append(cases,
		tc{"--help", []string{"--help"}, "Usage: switchboard COMMAND"},
		tc{"-h serve", []string{"-h", "serve"}, "Usage: switchboard COMMAND"},
		tc{"help", []string{"help"}, "Usage: switchboard COMMAND"},
		tc{"help agents passwd", []string{"help", "agents", "passwd"}, "Usage: switchboard agents passwd [flags] EMAIL"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inEmptyDir(t)
			r := runCLI(t, "", c.args...)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, c.want) || !strings.Contains(r.stdout, "--help") {
				t.Errorf("stdout lacks %q:\n%s", c.want, r.stdout)
			}
			if r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
		})
	}
}

// TestCLIWrongCommandLine: unknown flags (after the command or before
// it), stray or missing arguments, unknown commands and bad flag values
// exit 2 with the usage on stderr, and do nothing.
func TestCLIWrongCommandLine(t *testing.T) {
	cleanEnv(t)
	leaves, groups := leafCommands()
	type tc struct {
		name   string
		args   []string
		stderr []string
	}
	var cases []tc
	for _, c := range leaves {
		path := strings.Fields(c.path)
		usage := "Usage: switchboard " + c.path
		cases = append(cases,
			tc{c.path + " --bogus", slices.Concat(path, []string{"--bogus"}), []string{"flag provided but not defined: -bogus", usage}},
			tc{c.path + " ARGS --bogus=1", slices.Concat(path, exampleArgs(c), []string{"--bogus=1"}), []string{"not defined: -bogus", usage}},
			tc{c.path + " --config (no value)", slices.Concat(path, []string{"--config"}), []string{"flag needs an argument: -config", usage}},
		)
		if c.path != "help" {
			stray := slices.Concat(exampleArgs(c), []string{"stray"})
			cases = append(cases, tc{c.path + " stray argument", slices.Concat(path, stray), []string{`"stray"`, usage}})
		}
		if c.nargs[0] > 0 {
			cases = append(cases, tc{c.path + " missing argument", path, []string{"needs " + c.args, usage}})
		}
		if !c.plain {
			cases = append(cases,
				tc{c.path + " --log-level loud", slices.Concat(path, exampleArgs(c), []string{"--log-level", "loud"}), []string{`--log-level "loud"`, usage}},
				tc{c.path + " --addr 8080", slices.Concat(path, exampleArgs(c), []string{"--addr", "8080"}), []string{"--addr must be host:port", usage}},
			)
		}
	}
	for _, g := range groups {
		cases = append(cases,
			tc{g.path + " alone", []string{g.name}, []string{g.path + " needs a command", "Usage: switchboard " + g.path + " COMMAND"}},
			tc{g.path + " bogus", []string{g.name, "bogus"}, []string{`unknown command "bogus"`, "Usage: switchboard " + g.path + " COMMAND"}},
			tc{g.path + " --bogus " + g.subs[0].name, []string{g.name, "--bogus", g.subs[0].name}, []string{"not defined: -bogus"}},
		)
	}
	cases = append(cases,
		tc{"unknown command", []string{"serv"}, []string{`unknown command "serv"`, "Usage: switchboard COMMAND"}},
		tc{"unknown flag before the command", []string{"--bogus", "serve"}, []string{"not defined: -bogus", "Usage: switchboard COMMAND"}},
		tc{"a command's flag before the command", []string{"--email", "a@b.c", "agents", "add"}, []string{"not defined: -email"}},
		tc{"help of an unknown command", []string{"help", "nope"}, []string{`unknown command "nope"`}},
		tc{"agents passwd without a password", []string{"agents", "passwd", "alice@example.com"}, []string{"no password"}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inEmptyDir(t)
			r := runCLI(t, "", c.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			for _, w := range c.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout: %s", r.stdout)
			}
		})
	}
}

// TestCLIBadEnvironment: a SWITCHBOARD_* variable with an invalid value
// stops every command that would use it, with exit 2 and its name; help
// and version still work.
func TestCLIBadEnvironment(t *testing.T) {
	cleanEnv(t)
	for _, tc := range []struct{ k, v string }{{"SWITCHBOARD_BCRYPT_COST", "3"}, {"SWITCHBOARD_ADDR", "8080"}} {
		t.Run(tc.k, func(t *testing.T) {
			inEmptyDir(t)
			t.Setenv(tc.k, tc.v)
			if r := runCLI(t, "", "migrate"); r.code != 2 || !strings.Contains(r.stderr, tc.k+`="`+tc.v+`"`) {
				t.Errorf("migrate: exit %d, stderr %s", r.code, r.stderr)
			}
			if r := runCLI(t, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "switchboard ") {
				t.Errorf("version: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
			}
			if r := runCLI(t, "", "serve", "--help"); r.code != 0 {
				t.Errorf("serve --help: exit %d", r.code)
			}
		})
	}
}

// cliConfig writes a config with its own data_dir and listen address in
// dir and returns its path and the data_dir.
func cliConfig(t *testing.T, dir, addr, extra string) (path, dataDir string) {
	t.Helper()
	dataDir = filepath.Join(dir, "state")
	path = filepath.Join(dir, "prod.yaml")
	cfg := fmt.Sprintf("server: {addr: %q}\ndata_dir: %q\n%s", addr, dataDir, extra)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, dataDir
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestCLIConfigHonoured: migrate, agents add/list/passwd, config validate
// and health act on the file --config names, whether the flag comes
// before the command, after it, after its arguments, or from
// SWITCHBOARD_CONFIG; nothing lands in ./data.
func TestCLIConfigHonoured(t *testing.T) {
	cleanEnv(t)
	type step struct {
		args   []string
		env    bool   // the config from SWITCHBOARD_CONFIG instead of --config
		code   int    // exit status wanted
		stdout string // a part of the output wanted
	}
	for _, where := range []string{"before", "after", "env"} {
		t.Run(where, func(t *testing.T) {
			inEmptyDir(t)
			cfg, dataDir := cliConfig(t, t.TempDir(), "127.0.0.1:0", "")
			with := func(args ...string) []string {
				switch where {
				case "before":
					return append([]string{"--config", cfg}, args...)
				case "after":
					return append(args, "--config", cfg)
				}
				t.Setenv("SWITCHBOARD_CONFIG", cfg)
				return args
			}
			for _, s := range []step{
				{args: with("migrate"), stdout: "migrations applied"},
				{args: with("agents", "add", "--email", "Alice@Example.com", "--name", "Alice", "--password", "first-password", "--roles", "support,developer"), stdout: "alice@example.com (Alice)"},
				{args: with("agents", "add", "--email", "bob@example.com", "--name", "Bob"), stdout: "password (shown once): "},
				{args: with("agents", "list"), stdout: "alice@example.com"},
				{args: with("agents", "passwd", "alice@example.com", "--password", "second-password"), stdout: "password of alice@example.com changed"},
				{args: with("agents", "passwd", "--password", "too-short"[:7], "alice@example.com"), code: 1},
				{args: with("agents", "passwd", "nobody@example.com", "--password", "third-password"), code: 1},
				{args: with("config", "validate"), stdout: cfg + ": ok"},
			} {
				r := runCLI(t, "", s.args...)
				if r.code != s.code || !strings.Contains(r.stdout, s.stdout) {
					t.Fatalf("switchboard %s: exit %d (want %d), stdout %q (want %q); stderr:\n%s",
						strings.Join(s.args, " "), r.code, s.code, r.stdout, s.stdout, r.stderr)
				}
			}
			if !exists(filepath.Join(dataDir, "switchboard.db")) {
				t.Errorf("no database in the config's data_dir %s", dataDir)
			}
			r := runCLI(t, "", with("agents", "list")...)
			for _, w := range []string{"alice@example.com", "bob@example.com", "support,developer"} {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("agents list lacks %s:\n%s", w, r.stdout)
				}
			}
			// The password set by passwd is the one that works.
			checkLogin(t, cfg, "alice@example.com", "second-password", true)
			checkLogin(t, cfg, "alice@example.com", "first-password", false)
		})
	}
}

// checkLogin runs the Service on cfg's database and tries a login.
func checkLogin(t *testing.T, cfgPath, email, password string, want bool) {
	t.Helper()
	a, err := open(context.Background(), globals{configPath: cfgPath}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	_, _, err = a.svc.Login(context.Background(), email, password)
	if (err == nil) != want {
		t.Errorf("login %s with %q: %v, want success %t", email, password, err, want)
	}
}

// TestCLIConfigValidate: a file given as FILE or --config is checked; its
// problems are printed with their lines, exit 1.
func TestCLIConfigValidate(t *testing.T) {
	cleanEnv(t)
	inEmptyDir(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("server:\n  addr: \"8080\"\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good, _ := cliConfig(t, dir, ":8080", "")
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr []string
	}{
		{[]string{"config", "validate", good}, 0, good + ": ok", nil},
		{[]string{"config", "validate", bad}, 1, "", []string{"bad.yaml:2:9: server.addr", "bad.yaml:3:1: bogus"}},
		{[]string{"config", "validate", "--config", bad}, 1, "", []string{"bad.yaml:2:9"}},
		{[]string{"--config", good, "config", "validate", bad}, 1, "", []string{"bad.yaml:3:1"}}, // FILE wins
		{[]string{"config", "validate", filepath.Join(dir, "missing.yaml")}, 1, "", []string{"no such file"}},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) {
			t.Errorf("%v: exit %d, stdout %q; stderr %s", tc.args, r.code, r.stdout, r.stderr)
		}
		for _, w := range tc.stderr {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, r.stderr)
			}
		}
	}
}

// bg is a server command running in this process.
type bg struct {
	t         *testing.T
	args      []string
	out, errs *lockedBuffer
	done      chan int
	once      sync.Once
	cancel    context.CancelFunc
}

// startCLI runs a server command in this process; stop ends it.
func startCLI(t *testing.T, args ...string) *bg {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &bg{t: t, args: args, out: &lockedBuffer{}, errs: &lockedBuffer{}, done: make(chan int, 1), cancel: cancel}
	go func() { p.done <- newCLI(strings.NewReader(""), p.out, p.errs).run(ctx, args) }()
	t.Cleanup(p.stop)
	return p
}

// stop ends the command and checks it exited 0.
func (p *bg) stop() {
	p.once.Do(func() {
		p.cancel()
		select {
		case code := <-p.done:
			if code != 0 {
				p.t.Errorf("switchboard %v exited %d; stderr:\n%s", p.args, code, p.errs.String())
			}
		case <-time.After(30 * time.Second):
			p.t.Errorf("switchboard %v did not stop", p.args)
		}
	})
}

// waitFor polls ready until it returns true; the command must not exit.
func (p *bg) waitFor(what string, ready func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if ready() {
			return
		}
		select {
		case code := <-p.done:
			p.done <- code
			p.t.Fatalf("switchboard %v exited %d before %s; stderr:\n%s", p.args, code, what, p.errs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.t.Fatalf("switchboard %v: not %s in time; stderr:\n%s", p.args, what, p.errs.String())
}

// banner waits for the banner and returns the base URL it names.
func (p *bg) banner() string {
	p.t.Helper()
	var base string
	p.waitFor("serving", func() bool {
		m := bannerRE.FindStringSubmatch(p.out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	return base
}

// TestCLIServeHonoursConfigAndAddr: serve takes its data_dir and address
// from --config before or after the command (or with no command), and
// --addr or SWITCHBOARD_ADDR replaces the address.
func TestCLIServeHonoursConfigAndAddr(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers: skipped with -short")
	}
	cleanEnv(t)
	for _, tc := range []struct {
		name    string
		args    func(cfg string, port int) []string
		env     func(port int) map[string]string
		ownPort bool // the server answers on port, not on the config's address
	}{
		{name: "--config after serve", args: func(cfg string, _ int) []string { return []string{"serve", "--config", cfg} }},
		{name: "--config before serve", args: func(cfg string, _ int) []string { return []string{"--config", cfg, "serve"} }},
		{name: "--config and no command", args: func(cfg string, _ int) []string { return []string{"--config", cfg} }},
		{name: "--addr after serve", ownPort: true, args: func(cfg string, port int) []string {
			return []string{"serve", "--config", cfg, "--addr", fmt.Sprintf("127.0.0.1:%d", port)}
		}},
		{name: "SWITCHBOARD_ADDR", ownPort: true, args: func(cfg string, _ int) []string { return []string{"serve", "--config", cfg} },
			env: func(port int) map[string]string {
				return map[string]string{"SWITCHBOARD_ADDR": fmt.Sprintf("127.0.0.1:%d", port)}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inEmptyDir(t)
			cfgPort, port := freePort(t), freePort(t)
			for port == cfgPort {
				port = freePort(t)
			}
			cfg, dataDir := cliConfig(t, t.TempDir(), fmt.Sprintf("127.0.0.1:%d", cfgPort), "")
			want := cfgPort
			if tc.ownPort {
				want = port
			}
			var env map[string]string
			if tc.env != nil {
				env = tc.env(port)
			}
			for k, v := range env {
				t.Setenv(k, v)
			}
			p := startCLI(t, tc.args(cfg, port)...)
			base, out := p.banner(), p.out
			if !strings.HasSuffix(base, fmt.Sprintf(":%d", want)) {
				t.Errorf("serving on %s, want port %d (the config's: %d)", base, want, cfgPort)
			}
			if !strings.Contains(out.String(), "SQLite in "+filepath.Join(dataDir, "switchboard.db")) || !exists(filepath.Join(dataDir, "switchboard.db")) {
				t.Errorf("the database is not in the config's data_dir %s; banner:\n%s", dataDir, out.String())
			}
			if code := httpStatus(base + "/readyz"); code != 200 {
				t.Errorf("/readyz: %d", code)
			}
			hport := strings.TrimPrefix(base[strings.LastIndex(base, ":"):], ":")
			if r := runCLI(t, "", "health", "--config", cfg, "--addr", "127.0.0.1:"+hport); r.code != 0 || !strings.Contains(r.stdout, "200 OK") {
				t.Errorf("health: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestCLIGatewayAndWorkerHonourConfig: gateway and worker, the config
// before or after the command, listen on the config's address and keep
// their state in its data_dir; a worker answers its probes there.
func TestCLIGatewayAndWorkerHonourConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers: skipped with -short")
	}
	cleanEnv(t)
	redisURL := os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = startPrivateRedis(t).url()
	}
	for _, role := range []string{"gateway", "worker"} {
		for _, before := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s config before %t", role, before), func(t *testing.T) {
				inEmptyDir(t)
				port := freePort(t)
				cfg, dataDir := cliConfig(t, t.TempDir(), fmt.Sprintf("127.0.0.1:%d", port),
					fmt.Sprintf("redis: {url: %q, namespace: %q}\n", redisURL, "cli"+randHex(4)))
				args := []string{role, "--config", cfg, "--log-level", "warn"}
				if before {
					args = []string{"--config", cfg, "--log-level", "warn", role}
				}
				p := startCLI(t, args...)
				base := fmt.Sprintf("http://127.0.0.1:%d", port)
				p.waitFor("ready on the config's address", func() bool { return httpStatus(base+"/readyz") == 200 })
				// server.metrics defaults to debug: /metrics is on debug_addr only,
				// for the gateway and a worker alike.
				if httpStatus(base+"/healthz") != 200 || httpStatus(base+"/metrics") != 404 {
					t.Errorf("%s: /healthz not answering, or /metrics served by default, on %s", role, base)
				}
				if want := map[string]int{"gateway": 200, "worker": 404}[role]; httpStatus(base+"/openapi.yaml") != want {
					t.Errorf("%s: /openapi.yaml is not %d", role, want)
				}
				if !exists(filepath.Join(dataDir, "switchboard.db")) {
					t.Errorf("%s: no database in the config's data_dir", role)
				}
				p.stop()
			})
		}
	}
}

func httpStatus(url string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestCLIHealth: health answers 1 when nothing listens, or when /readyz is
// not 200.
func TestCLIHealth(t *testing.T) {
	cleanEnv(t)
	inEmptyDir(t)
	port := freePort(t)
	r := runCLI(t, "", "health", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--timeout", "2s")
	if r.code != 1 || !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("health with nothing listening: exit %d, stderr %s", r.code, r.stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			io.WriteString(w, `{"status":"ok"}`)
			return
		}
		w.WriteHeader(503)
		io.WriteString(w, `{"status":"unavailable"}`)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()
	if r := runCLI(t, "", "health", "--addr", addr); r.code != 1 || !strings.Contains(r.stdout, "503") {
		t.Errorf("health on a 503: exit %d, stdout %q", r.code, r.stdout)
	}
	if r := runCLI(t, "", "health", "--addr", addr, "--path", "/healthz"); r.code != 0 || !strings.Contains(r.stdout, "200 OK") {
		t.Errorf("health --path /healthz: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
}

// TestFirstAdminBusyPort: a first start on a port in use fails before
// anything is made (no database, so no admin without a printed
// password); the next start makes admin@localhost and prints its
// password, which works; a start with the SWITCHBOARD_ADMIN_* variables
// once an admin exists says they are ignored; and agents passwd, reading
// the password from standard input, sets a new one and ends the admin's
// sessions.
func TestFirstAdminBusyPort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers: skipped with -short")
	}
	cleanEnv(t)
	inEmptyDir(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg, dataDir := cliConfig(t, t.TempDir(), busy.Addr().String(), "")

	r := runCLI(t, "", "serve", "--config", cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "address already in use") {
		t.Fatalf("start on a busy port: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	if exists(dataDir) {
		t.Fatalf("a start that could not listen made %s", dataDir)
	}
	if strings.Contains(r.stdout, "First admin") {
		t.Fatalf("a start that could not listen announced an admin:\n%s", r.stdout)
	}

	// The port is free: the first admin is made and its password printed.
	first := startCLI(t, "serve", "--config", cfg, "--addr", "127.0.0.1:0")
	base, out := first.banner(), first.out
	m := regexp.MustCompile(`First admin created: admin@localhost\n  Password \(shown once, write it down\): (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no admin e-mail and password in the banner:\n%s", out.String())
	}
	s := &server{t: t, base: base}
	tok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "admin@localhost", "password": m[1]}), "token")
	first.stop()

	// Restart with the variables set: they are ignored, and it says so.
	t.Setenv("SWITCHBOARD_ADMIN_EMAIL", "boss@example.com")
	t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", "boss-password")
	second := startCLI(t, "serve", "--config", cfg, "--addr", "127.0.0.1:0", "--log-level", "warn")
	s.base = second.banner()
	out, errs := second.out, second.errs
	for _, w := range []string{"SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD ignored because an admin exists already", "switchboard agents passwd EMAIL"} {
		if !strings.Contains(errs.String(), w) {
			t.Errorf("the log does not say %q:\n%s", w, errs.String())
		}
	}
	if !strings.Contains(out.String(), "SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD ignored: an admin exists already") {
		t.Errorf("the banner does not say the variables are ignored:\n%s", out.String())
	}
	if strings.Contains(out.String(), "First admin created") {
		t.Errorf("a second admin announced:\n%s", out.String())
	}
	s.wantError(401, "unauthorized", "POST", "/v1/auth/login", "", map[string]any{"email": "boss@example.com", "password": "boss-password"})
	s.must(200, "GET", "/v1/me", tok, nil) // the session survived the restart

	// agents passwd, the password piped in, while the server runs.
	r = runCLI(t, "a-new-admin-password\n", "agents", "passwd", "--config", cfg, "admin@localhost")
	if r.code != 0 || !strings.Contains(r.stdout, "password of admin@localhost changed; 1 session(s) signed out") {
		t.Fatalf("agents passwd: exit %d, stdout %q; stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	time.Sleep(1100 * time.Millisecond) // core.AuthCacheTTL: the server remembers a checked token this long
	s.wantError(401, "unauthorized", "GET", "/v1/me", tok, nil)
	s.wantError(401, "unauthorized", "POST", "/v1/auth/login", "", map[string]any{"email": "admin@localhost", "password": m[1]})
	s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "admin@localhost", "password": "a-new-admin-password"})

	// A password too short is refused by the rules of agent creation.
	r = runCLI(t, "short\n", "agents", "passwd", "admin@localhost", "--config", cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "at least 10 characters") {
		t.Errorf("agents passwd with a short password: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "admin@localhost", "password": "a-new-admin-password"})
}

// TestCLIBinary runs the built binary for the cases a shell sees: exit
// statuses, nothing made by --help, and agents passwd reading a pipe.
func TestCLIBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary: skipped with -short")
	}
	cleanEnv(t)
	bin := buildBinary(t)
	dir := inEmptyDir(t)
	cfg, dataDir := cliConfig(t, t.TempDir(), "127.0.0.1:0", "")
	sh := func(stdin string, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"", []string{"serve", "--help"}, 0, "Usage: switchboard serve"},
		{"", []string{"migrate", "-h"}, 0, "Usage: switchboard migrate"},
		{"", []string{"config", "validate", "--help"}, 0, "Usage: switchboard config validate"},
		{"", []string{"agents", "add", "--help"}, 0, "-max-chats"},
		{"", []string{"serve", "--bogus"}, 2, "not defined: -bogus"},
		{"", []string{"migrate", "now"}, 2, `takes no arguments (got "now")`},
		{"", []string{"version"}, 0, "switchboard "},
		{"", []string{"migrate", "--config", cfg}, 0, "migrations applied"},
		{"", []string{"agents", "add", "--config", cfg, "--email", "carol@example.com", "--name", "Carol", "--password", "carol-password"}, 0, "carol@example.com (Carol)"},
		{"carol-new-password\n", []string{"agents", "passwd", "carol@example.com", "--config", cfg}, 0, "password of carol@example.com changed"},
	} {
		code, out := sh(tc.stdin, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) {
			t.Errorf("switchboard %s: exit %d (want %d), output lacks %q:\n%s", strings.Join(tc.args, " "), code, tc.code, tc.out, out)
		}
	}
	if !exists(filepath.Join(dataDir, "switchboard.db")) {
		t.Errorf("no database in %s", dataDir)
	}
	checkLogin(t, cfg, "carol@example.com", "carol-new-password", true)
}
