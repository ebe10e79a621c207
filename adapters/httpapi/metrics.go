package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/switchboard-chat/switchboard/core"
)

// Metrics is the gateway's Prometheus registry: Echo's HTTP metrics, Go
// runtime and process metrics, and Switchboard's own switchboard_* series.
type Metrics struct {
	Registry *prometheus.Registry
	// WebhookIngest counts webhook bodies by channel and outcome
	// (accepted, unauthorized, invalid, unavailable, error).
	WebhookIngest *prometheus.CounterVec
	// AcceptSeconds times request accepts by outcome (the contract's
	// error code, or "accepted").
	AcceptSeconds *prometheus.HistogramVec
	// Deliveries counts outbound sends by channel and outcome (sent,
	// failed, retry).
	Deliveries *prometheus.CounterVec
}

// NewMetrics builds the registry with its standard collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		WebhookIngest: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_ingest_total",
			Help: "Webhook bodies received, by channel and outcome.",
		}, []string{"channel", "outcome"}),
		AcceptSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_accept_seconds",
			Help:    "Time to answer a request accept, by outcome.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1},
		}, []string{"outcome"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_deliveries_total",
			Help: "Outbound message sends, by channel and outcome (sent, failed, retry).",
		}, []string{"channel", "outcome"}),
	}
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.WebhookIngest, m.AcceptSeconds, m.Deliveries)
	return m
}

// ObserveStreams adds switchboard_event_streams_open, the event streams s
// serves now.
func (m *Metrics) ObserveStreams(s *EventStreams) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "switchboard_event_streams_open",
		Help: "Agent and visitor event streams this gateway is serving.",
	}, func() float64 { return float64(s.Open()) }))
}

const acceptRoute = "/v1/requests/:id/accept"

// middleware records Echo's HTTP metrics and times accepts.
func (m *Metrics) middleware() echo.MiddlewareFunc {
	return echoprometheus.NewMiddlewareWithConfig(echoprometheus.MiddlewareConfig{
		Registerer: m.Registry,
		// Labels come from a fixed set only: the route template (never the
		// path), a known method or "OTHER", and no Host (a client can send
		// any, and every new value was a new series kept forever).
		DoNotUseRequestPathFor404: true,
		LabelFuncs: map[string]echoprometheus.LabelValueFunc{
			"method": func(c echo.Context, _ error) string { return metricMethod(c.Request().Method) },
			"host":   func(echo.Context, error) string { return "" },
		},
		Skipper: func(c echo.Context) bool {
			return c.Path() == "/metrics"
		},
		BeforeNext: func(c echo.Context) {
			if c.Path() == acceptRoute {
				c.Set("metrics.start", time.Now())
			}
		},
		AfterNext: func(c echo.Context, err error) {
			start, ok := c.Get("metrics.start").(time.Time)
			if !ok {
				return
			}
			outcome := "accepted"
			if err != nil {
				_, body := Classify(err)
				outcome = body.Error.Code
			}
			m.AcceptSeconds.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
		},
	})
}

// webhookOutcome names what became of a webhook body.
func webhookOutcome(c echo.Context, err error) string {
	status := c.Response().Status
	if err != nil {
		status, _ = Classify(err)
	}
	switch {
	case status < 300:
		return "accepted"
	case status == 401 || status == 403:
		return "unauthorized"
	case status == 400 || status == 413 || status == 415:
		return "invalid"
	case status == 503:
		return "unavailable"
	case status == 404:
		return "unknown_channel"
	}
	return "error_" + strconv.Itoa(status)
}

// metricMethod is method if it is one of HTTP's standard methods, else
// "OTHER".
func metricMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// MetricsAccess says who may read /metrics on a server.
type MetricsAccess int

// Metrics access modes.
const (
	// MetricsPublic serves /metrics to anyone.
	MetricsPublic MetricsAccess = iota
	// MetricsOff does not serve /metrics (the private debug listener does).
	MetricsOff
	// MetricsBearer serves /metrics to requests with the bearer token.
	MetricsBearer
)

// handler serves the registry as access says; nil when it is not served.
func (m *Metrics) handler(access MetricsAccess, token string) echo.HandlerFunc {
	h := echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: m.Registry})
	switch access {
	case MetricsOff:
		return nil
	case MetricsBearer:
		want := sha256.Sum256([]byte(token))
		return func(c echo.Context) error {
			got := sha256.Sum256([]byte(BearerToken(c)))
			if token == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				return fmt.Errorf("metrics: %w", core.ErrUnauthorized)
			}
			return h(c)
		}
	}
	return h
}
