package httpapi

import (
	"fmt"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/core"
)

// Webhook receives one channel's provider callbacks. The channel id of the
// path picks it; its config's type decided which adapter built it.
type Webhook interface {
	// Handshake answers GET /webhooks/{id} (Meta's verification request).
	// A channel without one answers 405.
	Handshake(c echo.Context) error
	// Receive answers POST /webhooks/{id}: verify, parse, store, then 200.
	Receive(c echo.Context) error
}

// Webhooks routes /webhooks/{channel_id} to the channel's Webhook. The
// set can be replaced while serving (config reload).
type Webhooks struct {
	mu      sync.RWMutex
	m       map[string]Webhook
	metrics *Metrics
}

// NewWebhooks returns an empty set; metrics (may be nil) counts outcomes.
func NewWebhooks(metrics *Metrics) *Webhooks {
	return &Webhooks{m: map[string]Webhook{}, metrics: metrics}
}

// Replace swaps in the webhooks of the current config, by channel id.
func (w *Webhooks) Replace(m map[string]Webhook) {
	cp := make(map[string]Webhook, len(m))
	for k, v := range m {
		cp[k] = v
	}
	w.mu.Lock()
	w.m = cp
	w.mu.Unlock()
}

func (w *Webhooks) get(id string) (Webhook, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	h, ok := w.m[id]
	if !ok {
		return nil, fmt.Errorf("webhook of channel %q: %w", id, core.ErrNotFound)
	}
	return h, nil
}

// Register adds GET and POST /webhooks/:channel_id.
func (w *Webhooks) Register(e *echo.Echo) {
	e.GET("/webhooks/:channel_id", func(c echo.Context) error {
		h, err := w.get(c.Param("channel_id"))
		if err != nil {
			return err
		}
		return h.Handshake(c)
	})
	e.POST("/webhooks/:channel_id", func(c echo.Context) error {
		id := c.Param("channel_id")
		h, err := w.get(id)
		if err != nil {
			id = "unknown" // keep the label set bounded
		} else {
			err = h.Receive(c)
		}
		if w.metrics != nil {
			w.metrics.WebhookIngest.WithLabelValues(id, webhookOutcome(c, err)).Inc()
		}
		return err
	})
}

// NoHandshake is for channels whose provider sends no verification GET.
type NoHandshake struct{}

// Handshake answers 405.
func (NoHandshake) Handshake(echo.Context) error { return echo.ErrMethodNotAllowed }
