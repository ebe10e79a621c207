package httpapi

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/core"
)

// Webhook receives one channel's provider callbacks (an *inbound.Webhook
// in the running system). The channel id of the path picks it; its
// config's type decided which channel built it. It sees the plain
// *http.Request, so channel packages need no web framework, and answers
// with an error this package's error table turns into the status (nil:
// 200).
type Webhook interface {
	// Handshake answers GET /webhooks/{id} (Meta's verification request)
	// with the text to echo, or an error (inbound.ErrNoHandshake: the
	// channel's provider sends none, 405).
	Handshake(r *http.Request) (string, error)
	// Receive answers POST /webhooks/{id}: verify, parse, store, then nil.
	Receive(r *http.Request) error
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
		challenge, err := h.Handshake(c.Request())
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, challenge)
	})
	e.POST("/webhooks/:channel_id", func(c echo.Context) error {
		id := c.Param("channel_id")
		h, err := w.get(id)
		if err != nil {
			id = "unknown" // keep the label set bounded
		} else if err = h.Receive(c.Request()); err == nil {
			err = c.NoContent(http.StatusOK)
		}
		if w.metrics != nil {
			w.metrics.WebhookIngest.WithLabelValues(id, webhookOutcome(c, err)).Inc()
		}
		return err
	})
}
