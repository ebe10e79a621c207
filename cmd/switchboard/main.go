// Command switchboard is the Switchboard live-chat gateway and worker
// fleet in one binary, and the one place where its parts are wired
// together.
//
//	switchboard [serve]            gateway and workers in one process (default)
//	switchboard gateway            the HTTP gateway only
//	switchboard worker             the queue workers only
//	switchboard migrate            apply database migrations and exit
//	switchboard agents add|list    manage agents from the command line
//	switchboard config validate F  check a config file, print every problem
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/queue"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `Usage: switchboard [flags] [command]

Commands:
  serve                   gateway and workers in one process (default)
  gateway                 the HTTP gateway only (needs redis.url)
  worker                  the queue workers only (needs redis.url)
  migrate                 apply database migrations and exit
  agents add [flags]      add an agent (--email, --name, --password, --roles, --max-chats, --admin)
  agents list             list agents
  config validate FILE    check a config file and print every problem

Flags:
`

// globals are the flags every command takes.
type globals struct {
	configPath string
	logFormat  string
	logLevel   string
}

// run is main without the process: tests call it with their own context,
// arguments and output.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var g globals
	fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&g.configPath, "config", os.Getenv("SWITCHBOARD_CONFIG"), "YAML config file (env SWITCHBOARD_CONFIG); none: built-in defaults")
	fs.StringVar(&g.logFormat, "log-format", envOr("SWITCHBOARD_LOG_FORMAT", "text"), "log format: text or json")
	fs.StringVar(&g.logLevel, "log-level", envOr("SWITCHBOARD_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	log, err := newLogger(stderr, g.logFormat, g.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	queue.LogRedisTo(log)
	cmd, rest := "serve", fs.Args()
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "serve", "gateway", "worker":
		err = serve(ctx, g, log, roles{gateway: cmd != "worker", worker: cmd != "gateway"}, stdout)
	case "migrate":
		err = migrate(ctx, g, log, stdout)
	case "agents":
		err = agentsCmd(ctx, g, log, rest, stdout, stderr)
	case "config":
		if len(rest) != 2 || rest[0] != "validate" {
			fmt.Fprintln(stderr, "usage: switchboard config validate FILE")
			return 2
		}
		return validateConfig(rest[1], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n", cmd)
		fs.Usage()
		return 2
	}
	if err != nil {
		log.Error("switchboard stopped", "command", cmd, "err", err)
		return 1
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// loadConfig reads the file, or the defaults when there is none.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

// validateConfig prints every problem of a file with its line and column.
func validateConfig(path string, stdout, stderr io.Writer) int {
	if _, err := config.Load(path); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return 0
}
