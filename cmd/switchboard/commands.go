package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/config"
)

// commands is the command tree of the binary.
func commands() *command {
	root := &command{name: "switchboard", summary: "the Switchboard live-chat gateway and worker fleet", subs: []*command{
		{name: "serve", summary: "gateway and workers in one process (the default)", setup: serveSetup(roles{gateway: true, worker: true}),
			detail: "Serves HTTP on server.addr (or --addr) and runs the queue workers. On the first start it creates\n" +
				"the first admin once it is listening: SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD, or\n" +
				"admin@localhost with a generated password printed once. SIGHUP reloads the config file."},
		{name: "gateway", summary: "the HTTP gateway only (needs redis.url)", setup: serveSetup(roles{gateway: true}),
			detail: "Serves HTTP on server.addr (or --addr); the queue work is left to worker processes."},
		{name: "worker", summary: "the queue workers only (needs redis.url)", setup: serveSetup(roles{worker: true}),
			detail: "Runs the queue workers and serves GET /healthz, /readyz (database and Redis) and /metrics\n" +
				"on server.addr (or --addr) for probes and scrapes."},
		{name: "migrate", summary: "apply the database migrations and exit", setup: noFlags(migrateAction)},
		{name: "agents", summary: "manage agents", subs: []*command{
			{name: "add", summary: "add an agent", setup: agentsAddSetup},
			{name: "list", summary: "list the agents", setup: noFlags(agentsListAction)},
			{name: "passwd", args: "EMAIL", nargs: [2]int{1, 1}, summary: "set an agent's password and sign the agent out", setup: agentsPasswdSetup,
				detail: "The new password is --password, or read from standard input: asked twice, not echoed, on a\n" +
					"terminal; the first line otherwise (echo \"$PW\" | switchboard agents passwd EMAIL).\n" +
					"Every session of the agent ends."},
		}},
		{name: "config", summary: "check config files", subs: []*command{
			{name: "validate", args: "[FILE]", nargs: [2]int{0, 1}, summary: "check a config file and print every problem", setup: noFlags(validateAction),
				detail: "FILE defaults to --config (or SWITCHBOARD_CONFIG). Exit status 1 when the file has problems."},
		}},
		{name: "health", summary: "probe a running switchboard (container healthchecks)", setup: healthSetup,
			detail: "GETs /readyz (or --path) of the process listening on server.addr (or --addr) on this host and\n" +
				"exits 0 when it answers 200, 1 otherwise: a healthcheck for images without a shell or curl."},
		{name: "version", summary: "print the version", plain: true, setup: noFlags(versionAction)},
	}}
	root.subs = append(root.subs, &command{name: "help", args: "[COMMAND]", nargs: [2]int{0, 2}, plain: true,
		summary: "print the usage of a command", setup: noFlags(func(_ context.Context, c *cli, _ *slog.Logger, args []string) error {
			cmd := root
			for _, a := range args {
				if cmd = cmd.sub(a); cmd == nil {
					return usageError(fmt.Sprintf("unknown command %q", strings.Join(args, " ")))
				}
			}
			c.usage(c.stdout, cmd)
			return nil
		})})
	var walk func(parent string, cs []*command)
	walk = func(parent string, cs []*command) {
		for _, c := range cs {
			c.path = strings.TrimSpace(parent + " " + c.name)
			walk(c.path, c.subs)
		}
	}
	walk("", root.subs)
	return root
}

// noFlags is the setup of a command without flags of its own.
func noFlags(a action) func(*flag.FlagSet) action {
	return func(*flag.FlagSet) action { return a }
}

func serveSetup(r roles) func(*flag.FlagSet) action {
	return noFlags(func(ctx context.Context, c *cli, log *slog.Logger, _ []string) error {
		return serve(ctx, c.g, log, r, c.stdout)
	})
}

func migrateAction(ctx context.Context, c *cli, log *slog.Logger, _ []string) error {
	return migrate(ctx, c.g, log, c.stdout)
}

// validateAction prints every problem of a file with its line and column.
func validateAction(_ context.Context, c *cli, _ *slog.Logger, args []string) error {
	path := c.g.configPath
	if len(args) == 1 {
		path = args[0]
	}
	if path == "" {
		return usageError("which file? give FILE, --config or SWITCHBOARD_CONFIG")
	}
	if _, err := config.Load(path); err != nil {
		fmt.Fprintln(c.stderr, err)
		return exitCode(1)
	}
	fmt.Fprintf(c.stdout, "%s: ok\n", path)
	return nil
}

// version is set at build time (-ldflags "-X main.version=v1.2.3"); empty:
// the module version Go recorded, if any.
var version string

func versionAction(_ context.Context, c *cli, _ *slog.Logger, _ []string) error {
	v, rev, goVersion := version, "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v == "" {
			v = bi.Main.Version
		}
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && modified {
			rev += "+modified"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	fmt.Fprintf(c.stdout, "switchboard %s", v)
	if rev != "" {
		fmt.Fprintf(c.stdout, " commit %s", rev)
	}
	if goVersion != "" {
		fmt.Fprintf(c.stdout, " %s", goVersion)
	}
	fmt.Fprintln(c.stdout)
	return nil
}

func healthSetup(fs *flag.FlagSet) action {
	path := fs.String("path", "/readyz", "the `path` to GET: /readyz (ready) or /healthz (alive)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	return func(ctx context.Context, c *cli, _ *slog.Logger, _ []string) error {
		cfg, err := c.g.loadConfig()
		if err != nil {
			return err
		}
		if !strings.HasPrefix(*path, "/") {
			return usageError(fmt.Sprintf("--path %q: want a path such as /readyz", *path))
		}
		url := baseURL(cfg.Server.Addr) + *path
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		fmt.Fprintf(c.stdout, "GET %s: %s %s\n", url, resp.Status, strings.TrimSpace(string(body)))
		if resp.StatusCode != http.StatusOK {
			return exitCode(1)
		}
		return nil
	}
}
