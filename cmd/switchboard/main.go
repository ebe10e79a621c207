// Command switchboard is the Switchboard live-chat gateway and worker
// fleet in one binary, and the one place where its parts are wired
// together.
//
//	switchboard [serve]                gateway and workers in one process (default)
//	switchboard gateway                the HTTP gateway only
//	switchboard worker                 the queue workers only, with their probes
//	switchboard migrate                apply database migrations and exit
//	switchboard agents add|list        manage agents from the command line
//	switchboard agents passwd EMAIL    set an agent's password
//	switchboard config validate [FILE] check a config file, print every problem
//	switchboard health                 probe a running process (container healthchecks)
//	switchboard version                print the version
//
// The global flags (--config, --addr, --log-format, --log-level) go before
// or after the command; a command's own flags go after it, before or after
// its arguments. --help or -h anywhere prints the usage of the command it
// follows and does nothing else. Exit status: 0 done, 1 failed, 2 a wrong
// command line (unknown command or flag, missing or stray argument).
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
	os.Exit(newCLI(os.Stdin, os.Stdout, os.Stderr).run(ctx, os.Args[1:]))
}

// run is main without the process: tests call it with their own context,
// arguments and output (standard input: this process's).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newCLI(os.Stdin, stdout, stderr).run(ctx, args)
}

// globals are the flags every command takes, before or after it, and the
// process environment they default to.
type globals struct {
	configPath string
	addr       string
	logFormat  string
	logLevel   string
	// env is the process's SWITCHBOARD_* variables.
	env config.Env
}

// register adds the global flags to fs with their current values as
// defaults (so that a later flag set keeps what an earlier one parsed).
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.configPath, "config", g.configPath, "YAML config `file` (env SWITCHBOARD_CONFIG); none: the built-in defaults")
	fs.StringVar(&g.addr, "addr", g.addr, "listen `address` such as :9090, in place of server.addr (env SWITCHBOARD_ADDR)")
	fs.StringVar(&g.logFormat, "log-format", g.logFormat, "log `format`: text or json (env SWITCHBOARD_LOG_FORMAT)")
	fs.StringVar(&g.logLevel, "log-level", g.logLevel, "log `level`: debug, info, warn or error (env SWITCHBOARD_LOG_LEVEL)")
}

// loadConfig reads the config file (the built-in defaults without one) and
// applies --addr.
func (g globals) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(g.configPath)
	if err != nil {
		return nil, err
	}
	if g.addr != "" {
		if err := cfg.SetAddr(g.addr); err != nil {
			return nil, fmt.Errorf("--addr: %w", err)
		}
	}
	return cfg, nil
}

// cli is one invocation of the binary: its streams, environment and flags.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	g              globals
	envErr         error // a SWITCHBOARD_* variable set to an invalid value
	root           *command
}

func newCLI(stdin io.Reader, stdout, stderr io.Writer) *cli {
	env, envErr := config.ReadEnv(os.LookupEnv)
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, envErr: envErr,
		g: globals{configPath: env.Config, addr: env.Addr, logFormat: env.LogFormat, logLevel: env.LogLevel, env: env}}
	c.root = commands()
	return c
}

// command is one command of the binary, or a group of subcommands.
type command struct {
	name    string // as typed: "passwd"
	path    string // from the top: "agents passwd" (set by commands)
	args    string // the positional arguments, for the usage: "EMAIL"
	summary string // one line, for the list of commands
	detail  string // more, for the command's own usage
	// nargs is how many positional arguments it takes, at least and at
	// most.
	nargs [2]int
	// plain commands need no config, environment or logger.
	plain bool
	// setup registers the command's own flags on fs and returns what runs
	// it (with the positional arguments); nil for a group.
	setup func(fs *flag.FlagSet) action
	subs  []*command
}

// action runs a command; a usageError is a wrong command line (exit 2), an
// exitCode ends the run quietly with that status.
type action func(ctx context.Context, c *cli, log *slog.Logger, args []string) error

// usageError is a wrong command line found by the command itself.
type usageError string

func (e usageError) Error() string { return string(e) }

// exitCode ends a command with a status and nothing more to say: it has
// said it already.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// run parses the command line, walking down the command tree, and runs
// the command it names; it returns the exit status.
func (c *cli) run(ctx context.Context, args []string) int {
	cmd := c.root
	for {
		fs := flag.NewFlagSet(cmd.path, flag.ContinueOnError)
		fs.SetOutput(c.stderr) // the flag package's own message: "flag provided but not defined: -x"
		fs.Usage = func() {}
		c.g.register(fs)
		var act action
		if cmd.setup != nil {
			act = cmd.setup(fs)
		}
		pos, err := parseFlags(fs, args, len(cmd.subs) > 0)
		if errors.Is(err, flag.ErrHelp) {
			c.usage(c.stdout, cmd)
			return 0
		}
		if err != nil {
			c.usage(c.stderr, cmd)
			return 2
		}
		if len(cmd.subs) == 0 {
			return c.exec(ctx, cmd, act, pos)
		}
		if len(pos) == 0 {
			if cmd == c.root {
				cmd, args = cmd.sub("serve"), nil
				continue
			}
			return c.wrong(cmd, "%s needs a command: %s", cmd.path, names(cmd.subs))
		}
		next := cmd.sub(pos[0])
		if next == nil {
			return c.wrong(cmd, "%s: unknown command %q", cmd.path, pos[0])
		}
		cmd, args = next, pos[1:]
	}
}

// parseFlags parses args with fs. A group stops at its first positional
// argument (the subcommand); a command takes flags anywhere among its
// positional arguments, up to "--".
func parseFlags(fs *flag.FlagSet, args []string, group bool) ([]string, error) {
	if group {
		err := fs.Parse(args)
		return fs.Args(), err
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// exec checks the positional arguments and the environment, then runs the
// command.
func (c *cli) exec(ctx context.Context, cmd *command, act action, pos []string) int {
	lo, hi := cmd.nargs[0], cmd.nargs[1]
	switch {
	case len(pos) > hi && hi == 0:
		return c.wrong(cmd, "%s takes no arguments (got %q)", cmd.path, pos[0])
	case len(pos) > hi:
		return c.wrong(cmd, "%s: unexpected argument %q", cmd.path, pos[hi])
	case len(pos) < lo:
		return c.wrong(cmd, "%s needs %s", cmd.path, cmd.args)
	}
	log := slog.New(slog.DiscardHandler)
	if !cmd.plain {
		if c.envErr != nil {
			fmt.Fprintln(c.stderr, c.envErr)
			return 2
		}
		if c.g.addr != "" {
			if err := config.CheckAddr(c.g.addr); err != nil {
				return c.wrong(cmd, "--addr %v", err)
			}
		}
		var err error
		if log, err = newLogger(c.stderr, c.g.logFormat, c.g.logLevel); err != nil {
			return c.wrong(cmd, "%v", err)
		}
		queue.LogRedisTo(log)
	}
	err := act(ctx, c, log, pos)
	var ue usageError
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &ue):
		return c.wrong(cmd, "%s: %s", cmd.path, ue)
	}
	log.Error("switchboard "+cmd.path+" failed", "err", err)
	if cmd.plain {
		fmt.Fprintf(c.stderr, "switchboard %s: %v\n", cmd.path, err)
	}
	return 1
}

// wrong reports a wrong command line with the command's usage: exit 2.
func (c *cli) wrong(cmd *command, format string, a ...any) int {
	fmt.Fprintf(c.stderr, "switchboard "+format+"\n\n", a...)
	c.usage(c.stderr, cmd)
	return 2
}

func names(cmds []*command) string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.name)
	}
	return strings.Join(out, ", ")
}

// usage prints how to call cmd: its synopsis, its subcommands or its own
// flags, and the global flags.
func (c *cli) usage(w io.Writer, cmd *command) {
	synopsis := "switchboard"
	if cmd != c.root {
		synopsis += " " + cmd.path
	}
	if len(cmd.subs) > 0 {
		synopsis += " COMMAND"
	}
	synopsis += " [flags]"
	if cmd.args != "" {
		synopsis += " " + cmd.args
	}
	fmt.Fprintf(w, "Usage: %s\n", synopsis)
	if cmd.summary != "" {
		fmt.Fprintf(w, "\n%s.\n", upperFirst(cmd.summary))
	}
	if cmd.detail != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.detail)
	}
	if len(cmd.subs) > 0 {
		fmt.Fprintln(w, "\nCommands:")
		for _, s := range cmd.subs {
			name := s.name
			if s.args != "" {
				name += " " + s.args
			}
			fmt.Fprintf(w, "  %-18s %s\n", name, s.summary)
		}
	}
	if cmd.setup != nil {
		own := flag.NewFlagSet(cmd.path, flag.ContinueOnError)
		own.SetOutput(w)
		cmd.setup(own)
		if hasFlags(own) {
			fmt.Fprintln(w, "\nFlags:")
			own.PrintDefaults()
		}
	}
	fmt.Fprintln(w, "\nGlobal flags (before or after the command):")
	g := globals{logFormat: "text", logLevel: "info"}
	gfs := flag.NewFlagSet("globals", flag.ContinueOnError)
	gfs.SetOutput(w)
	g.register(gfs)
	gfs.PrintDefaults()
	fmt.Fprintln(w, "  -h, --help\n    \tprint this help and do nothing else")
	if cmd == c.root {
		fmt.Fprintln(w, "\nRun 'switchboard COMMAND --help' for a command's own flags.")
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
