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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hibiken/asynqmon"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/adapters/eventbus"
	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/inbox"
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
	mu    sync.Mutex // serializes reloads; guards cfg
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

// open loads the config of g and wires the parts from it.
func open(ctx context.Context, g globals, log *slog.Logger) (*app, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	return openWith(ctx, g, cfg, log)
}

// openWith wires the parts from cfg: the store (migrated), the queue
// connection, the event bus, and the Service with its senders. When a
// part fails, the parts made before it are closed.
func openWith(ctx context.Context, g globals, cfg *config.Config, log *slog.Logger) (_ *app, err error) {
	a := &app{g: g, log: log, cfg: cfg}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.store, err = openStore(ctx, cfg, log); err != nil {
		return nil, err
	}
	if a.conn, err = queue.Connect(ctx, cfg.Redis.URL.Value(), queue.ConnectOptions{Logger: log}); err != nil {
		return nil, fmt.Errorf("connect to redis: %w", err)
	}
	if a.bus, err = openBus(ctx, a.conn, cfg.Redis.Namespace, log); err != nil {
		return nil, err
	}
	jobs := queue.NewEnqueuer(a.conn, queue.Options{Namespace: cfg.Redis.Namespace, Logger: log})
	a.svc = core.NewService(core.Deps{Store: a.store, Jobs: jobs, Events: a.bus, Logger: log, BcryptCost: g.env.BcryptCost}, cfg.Settings())
	a.metrics = httpapi.NewMetrics()
	a.metrics.Registry.MustRegister(newStateCollector(a.svc, queue.NewInspector(a.conn, queue.Options{Namespace: cfg.Redis.Namespace})))
	a.streams = httpapi.NewEventStreams(a.bus)
	a.streams.Tokens, a.streams.Log = a.svc, a.log // streams end with their tokens
	a.metrics.ObserveStreams(a.streams)
	a.webhooks = httpapi.NewWebhooks(a.metrics)
	if a.runs, err = a.wireChannels(cfg); err != nil {
		return nil, err
	}
	return a, nil
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
		ConnMaxLifetime: cfg.Database.ConnMaxLifetime, StatementTimeout: cfg.Database.StatementTimeout,
		SearchTimeout: cfg.Limits.Search.Timeout})
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

// close closes what openWith made, the newest first; a part it never
// made is skipped.
func (a *app) close() {
	if a.streams != nil {
		a.streams.Close()
	}
	if a.bus != nil {
		if err := a.bus.Close(); err != nil {
			a.log.Warn("close event bus", "err", err)
		}
	}
	if a.conn != nil {
		if err := a.conn.Close(); err != nil {
			a.log.Warn("close redis", "err", err)
		}
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Warn("close database", "err", err)
		}
	}
}

// reload re-reads the config file (with --addr applied again) and swaps
// the Service's settings; an invalid file changes nothing. Reloads
// (SIGHUP, POST /v1/admin/reload) run one at a time.
func (a *app) reload(ctx context.Context) error {
	if a.g.configPath == "" {
		return core.Invalid("config", "the server was started without a config file; there is nothing to reload")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cfg, err := a.g.loadConfig()
	if err != nil {
		a.log.WarnContext(ctx, "config reload refused; the old config stays in force", "err", err)
		return core.Invalid("config", "%v", err)
	}
	old := a.cfg
	a.cfg = cfg // the channels' wiring reads it
	if old.Database.URL.Value() != cfg.Database.URL.Value() || old.Redis.URL.Value() != cfg.Redis.URL.Value() || old.Server.Addr != cfg.Server.Addr {
		a.log.WarnContext(ctx, "server, database and redis settings take effect on restart only")
	}
	if _, err := a.wireChannels(cfg); err != nil {
		a.log.WarnContext(ctx, "config reload refused; the old config stays in force", "err", err)
		a.cfg = old
		return core.Invalid("config", "%v", err)
	}
	a.svc.SetSettings(cfg.Settings())
	a.log.InfoContext(ctx, "channels rewired; background work of new channels (polling, webhook registration) starts on restart")
	a.log.InfoContext(ctx, "config reloaded", "file", a.g.configPath)
	return nil
}

// serve runs the gateway, the workers, or both until ctx ends, then shuts
// down gracefully: HTTP drains in-flight requests, workers finish or
// re-queue their tasks. A worker alone serves its probes and metrics on
// server.addr.
func serve(ctx context.Context, g globals, log *slog.Logger, r roles, stdout io.Writer) error {
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	if !(r.gateway && r.worker) && cfg.Redis.URL.IsZero() {
		return errors.New("gateway and worker as separate processes share work through Redis: set redis.url")
	}
	// The port is taken before anything is made or started: a port in use
	// ends the start here, before a database or the first admin exists.
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (server.addr; another one: --addr or SWITCHBOARD_ADDR): %w", cfg.Server.Addr, err)
	}
	defer ln.Close()
	a, err := openWith(ctx, g, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	if addr := cfg.Server.DebugAddr; addr != "" {
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
		qo := queue.Options{Namespace: cfg.Redis.Namespace, Logger: log}
		if r.gateway {
			// serve: the webhooks' tasks are enqueued on this Conn and wake
			// the workers, which may poll slowly when idle.
			qo.IdlePoll = queue.EmbeddedIdlePoll
		}
		worker = queue.NewServer(a.conn, a.svc, qo)
		if err := worker.Start(); err != nil {
			return fmt.Errorf("start workers: %w", err)
		}
		defer worker.Shutdown()
	}

	var srv *httpapi.Server
	errc := make(chan error, 1)
	if r.gateway {
		srv = a.gateway()
		// The first admin is made now that the port is ours, and its
		// generated password printed at once.
		admin, err := a.firstAdmin(ctx)
		if err != nil {
			return fmt.Errorf("first admin: %w", err)
		}
		go func() { errc <- srv.Serve(ln) }()
		for _, run := range a.runs {
			go func() {
				if err := run(ctx); err != nil && ctx.Err() == nil {
					log.Error("channel background work stopped", "err", err)
				}
			}()
		}
		printBanner(stdout, a, ln.Addr().String(), r, admin)
	} else {
		srv = a.probes(worker)
		go func() { errc <- srv.Serve(ln) }()
		log.Info("workers running", "redis", a.conn.Describe(), "probes", baseURL(ln.Addr().String())+"/readyz")
	}

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	srv.Drain() // readiness fails: the load balancer stops sending
	if r.gateway {
		log.Info("shutting down: closing event streams, draining HTTP requests")
		a.streams.Close() // clients reconnect elsewhere with their Last-Event-ID
	} else {
		log.Info("shutting down: finishing or putting back running tasks")
		worker.Shutdown() // the probes answer until it is done
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	return nil
}

// adminStart is what became of the first admin at start.
type adminStart struct {
	created  bool
	email    string
	password string   // generated, to be shown once; "" when it was given
	ignored  []string // the SWITCHBOARD_ADMIN_* variables set in vain
}

// firstAdmin creates the first admin when no admin exists, from
// SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD or with a
// generated password. When an admin exists those variables are ignored,
// and it says so.
func (a *app) firstAdmin(ctx context.Context) (adminStart, error) {
	env := a.g.env
	created, pw, err := a.svc.EnsureAdmin(ctx, env.AdminEmail, env.AdminPassword.Value())
	if err != nil {
		return adminStart{}, err
	}
	out := adminStart{created: created, email: env.AdminEmail}
	if out.email == "" {
		out.email = core.DefaultAdminEmail
	}
	if created && env.AdminPassword.IsZero() {
		out.password = pw
	}
	if !created {
		if env.AdminEmail != "" {
			out.ignored = append(out.ignored, config.EnvAdminEmail)
		}
		if !env.AdminPassword.IsZero() {
			out.ignored = append(out.ignored, config.EnvAdminPassword)
		}
		if len(out.ignored) > 0 {
			a.log.WarnContext(ctx, strings.Join(out.ignored, " and ")+" ignored because an admin exists already: "+
				"they make the first admin only; to change a password run: switchboard agents passwd EMAIL")
		}
	}
	return out, nil
}

// probes builds a worker's HTTP server: /healthz, /readyz (the database,
// and Redis through Asynq's health check) and /metrics.
func (a *app) probes(w *queue.Server) *httpapi.Server {
	access, token := metricsAccess(a.cfg.Server)
	return httpapi.NewProbes(httpapi.Options{
		Logger:           a.log,
		Ready:            map[string]httpapi.Check{"database": a.store.Ping, "redis": w.Ping},
		Metrics:          a.metrics,
		MetricsAccess:    access,
		MetricsToken:     token,
		AccessErrorsOnly: a.cfg.Server.AccessLog == config.AccessLogErrors,
	})
}

// gateway builds the HTTP server with every adapter's routes.
func (a *app) gateway() *httpapi.Server {
	access, token := metricsAccess(a.cfg.Server)
	return httpapi.New(httpapi.Options{
		Logger:      a.log,
		BodyLimit:   int64(a.cfg.Server.BodyLimit),
		CORSOrigins: channels.WidgetOrigins(a.cfg),
		Ready: map[string]httpapi.Check{
			"database": a.store.Ping,
			"redis":    a.conn.Ping,
		},
		Metrics:          a.metrics,
		MetricsAccess:    access,
		MetricsToken:     token,
		TrustedProxies:   a.cfg.Server.TrustedProxyNets(),
		AccessErrorsOnly: a.cfg.Server.AccessLog == config.AccessLogErrors,
	}, widget.New(a.svc, a.streams).Limit(a.widgetLimits(a.limiter())), a.inbox(), a.webhooks,
		inbox.NewQueueUI(a.svc, asynqmon.New(asynqmon.Options{RootPath: inbox.QueueUIPath, RedisConnOpt: a.conn.ConnOpt()})))
}

// inbox builds the agent routes with the login limits (shared by every
// gateway through Redis) and the search limits (limits.login, .search).
func (a *app) inbox() *inbox.Handler {
	return inbox.New(a.svc, a.reload, a.streams).LimitLogins(a.loginLimits(a.limiter())).LimitSearches(a.searchLimits())
}

// printBanner tells a newcomer where things are and how to log in. A
// generated admin password is shown this once and never logged.
func printBanner(w io.Writer, a *app, addr string, r roles, admin adminStart) {
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
	switch {
	case admin.created:
		fmt.Fprintf(w, "\n  First admin created: %s\n", admin.email)
		if admin.password != "" {
			fmt.Fprintf(w, "  Password (shown once, write it down): %s\n", admin.password)
		}
		fmt.Fprintf(w, "  Log in at %s/inbox with that e-mail and password (API: POST %s/v1/auth/login).\n", base, base)
	default:
		fmt.Fprintf(w, "  Log in at %s/inbox with an agent's e-mail and password (add one: switchboard agents add)\n", base)
		if len(admin.ignored) > 0 {
			fmt.Fprintf(w, "  %s ignored: an admin exists already (change a password: switchboard agents passwd EMAIL)\n",
				strings.Join(admin.ignored, " and "))
		}
	}
	fmt.Fprintln(w)
}

// baseURL is the URL of a listener on addr as seen from this host: an
// unspecified host (":8080", "0.0.0.0:8080") is localhost.
func baseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// migrate applies the migrations and exits.
func migrate(ctx context.Context, g globals, log *slog.Logger, stdout io.Writer) error {
	cfg, err := g.loadConfig()
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
