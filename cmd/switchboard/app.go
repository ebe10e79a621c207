package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hibiken/asynqmon"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/adapters/eventbus"
	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/inbox"
	"github.com/switchboard-chat/switchboard/adapters/ratelimit"
	"github.com/switchboard-chat/switchboard/adapters/sqlstore"
	"github.com/switchboard-chat/switchboard/adapters/widget"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/queue"
)

// roles says which halves of the fleet this process runs.
type roles struct{ gateway, worker bool }

// app is the wired system: config, store, queue connection, Service.
type app struct {
	g     globals
	log   *slog.Logger
	mu    sync.Mutex // guards cfg on reload
	cfg   *config.Config
	store *sqlstore.Store
	conn  *queue.Conn
	svc   *core.Service
	// webhooks serves /webhooks/{channel_id}; runs are the channels'
	// background work (webhook registration, polling) for the gateway.
	webhooks *httpapi.Webhooks
	runs     []func(context.Context) error
	metrics  *httpapi.Metrics
	// bus carries agent and visitor events; streams serves them.
	bus     eventbus.Bus
	streams *httpapi.EventStreams
}

// open wires the parts from the config: the store (migrated), the queue
// connection, and the Service with its senders.
func open(ctx context.Context, g globals, log *slog.Logger) (*app, error) {
	cfg, err := loadConfig(g.configPath)
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	conn, err := queue.Connect(ctx, cfg.Redis.URL.Value(), queue.ConnectOptions{Logger: log})
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("connect to redis: %w", err)
	}
	cost, err := bcryptCost()
	if err != nil {
		conn.Close()
		store.Close()
		return nil, err
	}
	jobs := queue.NewEnqueuer(conn, queue.Options{Namespace: cfg.Redis.Namespace, Logger: log})
	bus, err := openBus(ctx, conn, cfg.Redis.Namespace, log)
	if err != nil {
		conn.Close()
		store.Close()
		return nil, err
	}
	svc := core.NewService(core.Deps{Store: store, Jobs: jobs, Events: bus, Logger: log, BcryptCost: cost}, cfg.Settings())
	metrics := httpapi.NewMetrics()
	metrics.Registry.MustRegister(newStateCollector(svc, queue.NewInspector(conn, queue.Options{Namespace: cfg.Redis.Namespace})))
	streams := httpapi.NewEventStreams(bus)
	metrics.ObserveStreams(streams)
	a := &app{g: g, log: log, cfg: cfg, store: store, conn: conn, svc: svc, metrics: metrics,
		webhooks: httpapi.NewWebhooks(metrics), bus: bus, streams: streams}
	if a.runs, err = a.wireChannels(cfg); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// bcryptCost reads SWITCHBOARD_BCRYPT_COST (password hashing cost, 4–31;
// empty: core's default).
func bcryptCost() (int, error) {
	v := os.Getenv("SWITCHBOARD_BCRYPT_COST")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 4 || n > 31 {
		return 0, fmt.Errorf("SWITCHBOARD_BCRYPT_COST=%q: want a whole number from 4 to 31", v)
	}
	return n, nil
}

func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*sqlstore.Store, error) {
	url := cfg.Database.URL.Value()
	if url == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data_dir %s: %w", cfg.DataDir, err)
		}
		url = sqlstore.SQLitePath(cfg.DataDir)
	}
	store, err := sqlstore.Open(ctx, url, sqlstore.Options{Logger: log, MaxOpenConns: cfg.Database.MaxOpenConns,
		ConnMaxLifetime: cfg.Database.ConnMaxLifetime, StatementTimeout: cfg.Database.StatementTimeout})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return store, nil
}

// openBus is the in-process hub on the embedded Redis (one process), and
// Redis pub/sub shared by every gateway otherwise.
func openBus(ctx context.Context, conn *queue.Conn, namespace string, log *slog.Logger) (eventbus.Bus, error) {
	if conn.Embedded() {
		return eventbus.NewMemory(eventbus.Options{}), nil
	}
	prefix := ""
	if namespace != "" {
		prefix = namespace + ":"
	}
	bus, err := eventbus.NewRedis(ctx, conn.Client(), prefix, eventbus.Options{}, log)
	if err != nil {
		return nil, fmt.Errorf("event bus: %w", err)
	}
	return bus, nil
}

func (a *app) close() {
	a.streams.Close()
	if err := a.bus.Close(); err != nil {
		a.log.Warn("close event bus", "err", err)
	}
	if err := a.conn.Close(); err != nil {
		a.log.Warn("close redis", "err", err)
	}
	if err := a.store.Close(); err != nil {
		a.log.Warn("close database", "err", err)
	}
}

// reload re-reads the config file and swaps the Service's settings; an
// invalid file changes nothing.
func (a *app) reload(ctx context.Context) error {
	if a.g.configPath == "" {
		return core.Invalid("config", "the server was started without a config file; there is nothing to reload")
	}
	cfg, err := config.Load(a.g.configPath)
	if err != nil {
		a.log.WarnContext(ctx, "config reload refused; the old config stays in force", "err", err)
		return core.Invalid("config", "%v", err)
	}
	a.mu.Lock()
	old := a.cfg
	a.cfg = cfg
	a.mu.Unlock()
	if old.Database.URL.Value() != cfg.Database.URL.Value() || old.Redis.URL.Value() != cfg.Redis.URL.Value() || old.Server.Addr != cfg.Server.Addr {
		a.log.WarnContext(ctx, "server, database and redis settings take effect on restart only")
	}
	if _, err := a.wireChannels(cfg); err != nil {
		a.log.WarnContext(ctx, "config reload refused; the old config stays in force", "err", err)
		a.mu.Lock()
		a.cfg = old
		a.mu.Unlock()
		return core.Invalid("config", "%v", err)
	}
	a.svc.SetSettings(cfg.Settings())
	a.log.InfoContext(ctx, "channels rewired; background work of new channels (polling, webhook registration) starts on restart")
	a.log.InfoContext(ctx, "config reloaded", "file", a.g.configPath)
	return nil
}

// serve runs the gateway, the workers, or both until ctx ends, then shuts
// down gracefully: HTTP drains in-flight requests, workers finish or
// re-queue their tasks.
func serve(ctx context.Context, g globals, log *slog.Logger, r roles, stdout io.Writer) error {
	a, err := open(ctx, g, log)
	if err != nil {
		return err
	}
	defer a.close()
	if a.conn.Embedded() && !(r.gateway && r.worker) {
		return errors.New("gateway and worker as separate processes share work through Redis: set redis.url")
	}
	// The first admin is made where its generated password can be shown:
	// by a process that prints the banner.
	var created bool
	var pw string
	if r.gateway {
		if created, pw, err = a.svc.EnsureAdmin(ctx, os.Getenv("SWITCHBOARD_ADMIN_EMAIL"), os.Getenv("SWITCHBOARD_ADMIN_PASSWORD")); err != nil {
			return fmt.Errorf("first admin: %w", err)
		}
	}

	if addr := a.cfg.Server.DebugAddr; addr != "" {
		if _, err := debugServer(ctx, addr, a.metrics.Registry, log); err != nil {
			return err
		}
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			_ = a.reload(context.Background())
		}
	}()

	var worker *queue.Server
	if r.worker {
		worker = queue.NewServer(a.conn, a.svc, queue.Options{Namespace: a.cfg.Redis.Namespace, Logger: log})
		if err := worker.Start(); err != nil {
			return fmt.Errorf("start workers: %w", err)
		}
		defer worker.Shutdown()
	}
	if !r.gateway {
		log.Info("workers running", "redis", a.conn.Describe())
		<-ctx.Done()
		return nil
	}

	srv := a.gateway()
	ln, err := net.Listen("tcp", a.cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Server.Addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	for _, run := range a.runs {
		go func() {
			if err := run(ctx); err != nil && ctx.Err() == nil {
				log.Error("channel background work stopped", "err", err)
			}
		}()
	}
	printBanner(stdout, a, ln.Addr(), r, created, pw)

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: closing event streams, draining HTTP requests")
	srv.Drain()       // readiness fails: the load balancer stops sending
	a.streams.Close() // clients reconnect elsewhere with their Last-Event-ID
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	return nil
}

// gateway builds the HTTP server with every adapter's routes.
func (a *app) gateway() *httpapi.Server {
	return httpapi.New(httpapi.Options{
		Logger:      a.log,
		BodyLimit:   int64(a.cfg.Server.BodyLimit),
		CORSOrigins: channels.WidgetOrigins(a.cfg),
		Ready: map[string]httpapi.Check{
			"database": a.store.Ping,
			"redis":    a.conn.Ping,
		},
		Metrics:          a.metrics,
		AccessErrorsOnly: a.cfg.Server.AccessLog == config.AccessLogErrors,
	}, widget.New(a.svc, a.streams), a.inbox(), a.webhooks,
		inbox.NewQueueUI(a.svc, asynqmon.New(asynqmon.Options{RootPath: inbox.QueueUIPath, RedisConnOpt: a.conn.ConnOpt()})))
}

// inbox builds the agent routes with login limits shared by every gateway:
// 10 failed logins per e-mail and 50 per client address in 15 minutes.
func (a *app) inbox() *inbox.Handler {
	prefix := "sb:login:"
	if ns := a.cfg.Redis.Namespace; ns != "" {
		prefix = ns + ":" + prefix
	}
	rc := a.conn.Client()
	return inbox.New(a.svc, a.reload, a.streams).LimitLogins(
		ratelimit.NewFailures(rc, prefix+"email:", 10, 15*time.Minute),
		ratelimit.NewFailures(rc, prefix+"ip:", 50, 15*time.Minute))
}

// printBanner tells a newcomer where things are and how to log in. A
// generated admin password is shown this once and never logged.
func printBanner(w io.Writer, a *app, addr net.Addr, r roles, created bool, pw string) {
	base := baseURL(addr)
	mode := "gateway and workers"
	if !r.worker {
		mode = "gateway"
	}
	db := "SQLite in " + filepath.Join(a.cfg.DataDir, "switchboard.db")
	if !a.cfg.Database.URL.IsZero() {
		db = "PostgreSQL"
	}
	fmt.Fprintf(w, "\nSwitchboard is running (%s) on %s\n", mode, base)
	fmt.Fprintf(w, "  database: %s; redis: %s\n", db, a.conn.Describe())
	fmt.Fprintf(w, "  health:   %s/healthz   readiness: %s/readyz\n", base, base)
	fmt.Fprintf(w, "  widget demo (a shop with the chat bubble): %s/widget/demo\n", base)
	fmt.Fprintf(w, "  agent inbox:                               %s/inbox\n", base)
	fmt.Fprintf(w, "  embed the widget: <script src=\"%s/widget.js\" data-channel=\"web\" async></script>\n", base)
	if created {
		email := os.Getenv("SWITCHBOARD_ADMIN_EMAIL")
		if email == "" {
			email = core.DefaultAdminEmail
		}
		fmt.Fprintf(w, "\n  First admin created: %s\n", email)
		if os.Getenv("SWITCHBOARD_ADMIN_PASSWORD") == "" {
			fmt.Fprintf(w, "  Password (shown once, write it down): %s\n", pw)
		}
		fmt.Fprintf(w, "  Log in at %s/inbox with that e-mail and password (API: POST %s/v1/auth/login).\n", base, base)
	} else {
		fmt.Fprintf(w, "  Log in at %s/inbox with an agent's e-mail and password (add one: switchboard agents add)\n", base)
	}
	fmt.Fprintln(w)
}

func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// migrate applies the migrations and exits.
func migrate(ctx context.Context, g globals, log *slog.Logger, stdout io.Writer) error {
	cfg, err := loadConfig(g.configPath)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}
