package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/switchboard-chat/switchboard/core"
)

// Routes is an adapter that adds its routes to the server.
type Routes interface {
	Register(e *echo.Echo)
}

// Check is one readiness probe (database, redis…).
type Check func(ctx context.Context) error

// Options configure the server.
type Options struct {
	Logger *slog.Logger
	// BodyLimit caps request bodies (default 1 MiB); WebhookBodyLimit caps
	// /webhooks/ bodies (default 4 MiB).
	BodyLimit, WebhookBodyLimit int64
	// UploadBodyLimit caps the bodies of file uploads (POST …/attachments;
	// default 25 MiB and 1 MiB for the multipart envelope and the text).
	UploadBodyLimit int64
	// CORSOrigins are the origins allowed to call /v1/widget/ ("*": any).
	CORSOrigins []string
	// Ready lists the readiness checks by name.
	Ready map[string]Check
	// Metrics, when set, is fed by every request and served at /metrics
	// as MetricsAccess says (MetricsToken is the bearer token of
	// MetricsBearer).
	Metrics       *Metrics
	MetricsAccess MetricsAccess
	MetricsToken  string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed for
	// the client address (Echo's RealIP); empty: the TCP peer is the client.
	TrustedProxies []*net.IPNet
	// ReadHeaderTimeout bounds reading a request's headers (default 10 s),
	// ReadTimeout the whole request with its body (default 30 s), and
	// IdleTimeout a kept-alive connection between requests (default 120 s):
	// slow clients are cut off instead of holding connections.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
	// AccessErrorsOnly logs only the requests answered with a status of 400
	// or more; by default every request has its line (one per webhook
	// message, which a busy gateway may not want to keep).
	AccessErrorsOnly bool
}

// Default server timeouts (Options).
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
)

// Server is the Echo instance with Switchboard's middleware and probes.
type Server struct {
	Echo     *echo.Echo
	log      *slog.Logger
	opts     Options
	http     *http.Server
	draining atomic.Bool
}

// New builds the server and mounts the given adapters' routes.
func New(o Options, routes ...Routes) *Server {
	s := NewProbes(o)
	s.Echo.GET("/openapi.yaml", serveOpenAPI)
	for _, r := range routes {
		r.Register(s.Echo)
	}
	return s
}

// NewProbes builds a server with the middleware and probes only: GET
// /healthz, /readyz (o.Ready) and, with o.Metrics, /metrics. A worker
// process serves it on server.addr; New adds the API to it.
func NewProbes(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = 1 << 20
	}
	if o.UploadBodyLimit <= 0 {
		o.UploadBodyLimit = core.DefaultMediaMaxBytes + 1<<20
	}
	if o.WebhookBodyLimit <= 0 {
		o.WebhookBodyLimit = 4 << 20
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = clientIP(o.TrustedProxies)
	e.HTTPErrorHandler = errorHandler(o.Logger)
	e.Pre(noSniff)
	e.Pre(corsMiddleware(o.CORSOrigins))
	e.Use(middleware.RequestID())
	if o.Metrics != nil {
		e.Use(o.Metrics.middleware())
		if h := o.Metrics.handler(o.MetricsAccess, o.MetricsToken); h != nil {
			e.GET("/metrics", h)
		}
	}
	e.Use(requestLog(o.Logger, o.AccessErrorsOnly))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			o.Logger.ErrorContext(c.Request().Context(), "panic in handler", "path", c.Path(), "err", err, "stack", string(stack))
			return err
		},
		DisablePrintStack: true,
	}))
	e.Use(bodyLimits(o.BodyLimit, o.WebhookBodyLimit, o.UploadBodyLimit))

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	s := &Server{Echo: e, log: o.Logger, opts: o}
	e.GET("/readyz", readyHandler(o.Ready, &s.draining))
	return s
}

// Drain makes /readyz answer 503 so load balancers stop sending new
// requests; in-flight ones go on until Shutdown.
func (s *Server) Drain() { s.draining.Store(true) }

// Serve answers on ln until Shutdown. Event-stream routes need no write
// timeout, so the server sets read and idle timeouts only.
func (s *Server) Serve(ln net.Listener) error {
	s.http = &http.Server{
		Handler:           s.Echo,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	return s.http.Shutdown(ctx)
}

// clientIP is the client address of a request: the TCP peer, or, when the
// peer is one of the trusted proxies, the nearest address in
// X-Forwarded-For that is not (Echo's extractor walks the header from the
// right). Only the configured ranges are trusted: Echo's default trust of
// loopback and private networks would let any neighbour forge the header.
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// noSniff tells browsers to trust each answer's Content-Type rather than
// guess one from the body: a JSON answer or a webhook's text/plain echo
// holding text a client sent is never run as a script or page. It runs
// before routing, so error answers (404, 405, preflights) carry it too.
func noSniff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderXContentTypeOptions, "nosniff")
		return next(c)
	}
}

func bodyLimits(def, webhooks, uploads int64) echo.MiddlewareFunc {
	d, w, u := BodyLimit(def), BodyLimit(webhooks), BodyLimit(uploads)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		dn, wn, un := d(next), w(next), u(next)
		return func(c echo.Context) error {
			r := c.Request()
			switch {
			case strings.HasPrefix(r.URL.Path, "/webhooks/"):
				return wn(c)
			case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/") && strings.HasSuffix(r.URL.Path, "/attachments"):
				return un(c)
			}
			return dn(c)
		}
	}
}

// corsMiddleware allows the widget's origins on /v1/widget/ and on
// /v1/attachments/ (the widget reads the conversation's files from the
// embedding site, with the visitor token) only; it runs before routing so
// preflight requests are answered too.
func corsMiddleware(origins []string) echo.MiddlewareFunc {
	if len(origins) == 0 {
		origins = []string{"*"}
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return !strings.HasPrefix(p, "/v1/widget/") && !strings.HasPrefix(p, "/v1/attachments/")
		},
		AllowOrigins: origins,
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "Last-Event-ID"},
		MaxAge:       600,
	})
}

// requestLog logs one line per request (with errorsOnly, per request
// answered 400 or more); never headers, bodies or queries (they may carry
// tokens or customer text).
func requestLog(log *slog.Logger, errorsOnly bool) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogRoutePath: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			if errorsOnly && v.Status < 400 {
				return nil
			}
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "http request",
				slog.String("method", v.Method), slog.String("route", v.RoutePath), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID))
			return nil
		},
	})
}

func readyHandler(checks map[string]Check, draining *atomic.Bool) echo.HandlerFunc {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return func(c echo.Context) error {
		if draining.Load() {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{
				"status": "draining", "checks": map[string]string{},
				"error": ErrorDetail{Code: "unavailable", Message: "this process is shutting down"},
			})
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		status := map[string]string{}
		var failed []string
		for _, n := range names {
			if err := checks[n](ctx); err != nil {
				status[n] = "unavailable"
				failed = append(failed, n)
			} else {
				status[n] = "ok"
			}
		}
		if len(failed) > 0 {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{
				"status": "unavailable", "checks": status,
				"error": ErrorDetail{Code: "unavailable", Message: strings.Join(failed, ", ") + " not answering"},
			})
		}
		return c.JSON(http.StatusOK, map[string]any{"status": "ok", "checks": status})
	}
}
