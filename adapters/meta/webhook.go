package meta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/core"
)

// Ingester is the part of core.Service a Meta webhook uses.
type Ingester interface {
	Ingest(ctx context.Context, in core.Inbound) (core.Message, error)
	DeliveryStatus(ctx context.Context, channelID, providerID string, to core.Delivery, errText string) error
	ReadUpTo(ctx context.Context, channelID, userID string, at time.Time) error
	EditInbound(ctx context.Context, channelID, providerID, text string) error
	RevokeInbound(ctx context.Context, channelID, providerID string) error
	KnownCustomer(ctx context.Context, channelID, userID string) (core.Customer, bool, error)
}

var _ Ingester = (*core.Service)(nil)

// WebhookConfig is one channel's webhook.
type WebhookConfig struct {
	ChannelID   string
	AppSecret   string // the HMAC key of X-Hub-Signature-256
	VerifyToken string // the handshake's hub.verify_token
	// Normalize turns a verified body into events; an error means the
	// body is not JSON at all (400).
	Normalize func(body []byte) ([]Event, error)
	// Profile, when set, looks up a customer's display name for a message
	// that carries none (Messenger and Instagram User Profile API). It is
	// called only when the stored customer has no name yet.
	Profile func(ctx context.Context, userID string) (string, error)
	// ProfileTimeout bounds one profile look-up (default 5 s).
	ProfileTimeout time.Duration
	Log            *slog.Logger
}

// Webhook is a Meta channel's httpapi.Webhook: verify the signature over
// the raw bytes, normalise, apply every event to core, then 200.
type Webhook struct {
	cfg   WebhookConfig
	svc   Ingester
	named namedUsers
}

// namedUsers remembers the users whose stored customer has a name, so
// that their later messages skip the store read before ingest. A stored
// name is never cleared (core keeps it when a message carries none), so
// the fact cannot go stale. The set starts over when it holds
// namedUsersMax users, which bounds its memory.
type namedUsers struct {
	mu    sync.Mutex
	users map[string]struct{}
}

const namedUsersMax = 100_000

func (n *namedUsers) has(userID string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.users[userID]
	return ok
}

func (n *namedUsers) add(userID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.users == nil || len(n.users) >= namedUsersMax {
		n.users = make(map[string]struct{})
	}
	n.users[userID] = struct{}{}
}

// NewWebhook returns the webhook of one channel.
func NewWebhook(svc Ingester, cfg WebhookConfig) *Webhook {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ProfileTimeout <= 0 {
		cfg.ProfileTimeout = 5 * time.Second
	}
	return &Webhook{cfg: cfg, svc: svc}
}

// Handshake answers Meta's verification GET.
func (w *Webhook) Handshake(c echo.Context) error { return Handshake(c, w.cfg.VerifyToken) }

// Receive answers a POST: 401 for a missing or wrong signature, 400 for
// malformed JSON, 503 when storage is down (Meta retries), 200 once every
// event is stored or recognised as a duplicate.
func (w *Webhook) Receive(c echo.Context) error {
	body, err := ReadBody(c)
	if err != nil {
		return err
	}
	if err := VerifySignature([]byte(w.cfg.AppSecret), body, c.Request().Header.Get(SignatureHeader)); err != nil {
		return fmt.Errorf("webhook %s: %w", w.cfg.ChannelID, err)
	}
	events, err := w.cfg.Normalize(body)
	if err != nil {
		return core.Invalid("body", "is not valid JSON: %v", err)
	}
	if err := w.Apply(c.Request().Context(), events); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

// Apply hands every event to core, in order. A redelivered message is a
// success; an event core refuses as invalid is logged and skipped (a
// retry would not fix it); anything else (storage down) stops and is
// returned so the provider retries the whole body, whose stored part is
// then recognised as duplicates.
func (w *Webhook) Apply(ctx context.Context, events []Event) error {
	ch := w.cfg.ChannelID
	names := map[string]string{}
	for _, ev := range events {
		var err error
		switch ev.Kind {
		case KindMessage:
			name := ev.Name
			if name == "" {
				if name, err = w.name(ctx, ev.UserID, names); err != nil {
					return err
				}
			}
			_, err = w.svc.Ingest(ctx, core.Inbound{ChannelID: ch, ChannelUserID: ev.UserID, Name: name,
				ProviderID: ev.ProviderID, Text: ev.Text, At: ev.At})
			if errors.Is(err, core.ErrDuplicate) {
				err = nil
			}
		case KindStatus:
			err = w.svc.DeliveryStatus(ctx, ch, ev.ProviderID, ev.Status, ev.Error)
		case KindReadUpTo:
			err = w.svc.ReadUpTo(ctx, ch, ev.UserID, ev.At)
		case KindEdit:
			err = w.svc.EditInbound(ctx, ch, ev.ProviderID, ev.Text)
		case KindRevoke:
			err = w.svc.RevokeInbound(ctx, ch, ev.ProviderID)
		default:
			continue
		}
		if errors.Is(err, core.ErrInvalid) {
			w.cfg.Log.WarnContext(ctx, "webhook event skipped", "channel", ch, "kind", ev.Kind,
				"provider_id", ev.ProviderID, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("webhook %s: %s %s: %w", ch, ev.Kind, ev.ProviderID, err)
		}
	}
	return nil
}

// name looks up the display name of a customer we have no name for. A
// failed look-up is "" (Anonymous Visitor), never an error; only a failed
// read of our own store is.
func (w *Webhook) name(ctx context.Context, userID string, cache map[string]string) (string, error) {
	if w.cfg.Profile == nil || userID == "" {
		return "", nil
	}
	if n, ok := cache[userID]; ok {
		return n, nil
	}
	if w.named.has(userID) {
		return "", nil // core keeps the stored name
	}
	cust, known, err := w.svc.KnownCustomer(ctx, w.cfg.ChannelID, userID)
	if err != nil {
		return "", fmt.Errorf("webhook %s: %w", w.cfg.ChannelID, err)
	}
	if known && cust.Name != "" {
		w.named.add(userID)
		cache[userID] = ""
		return "", nil
	}
	pctx, cancel := context.WithTimeout(ctx, w.cfg.ProfileTimeout)
	defer cancel()
	n, err := w.cfg.Profile(pctx, userID)
	if err != nil {
		w.cfg.Log.WarnContext(ctx, "profile look-up failed; the customer stays anonymous", "channel", w.cfg.ChannelID,
			"user_id", userID, "err", err)
		n = ""
	}
	cache[userID] = n
	return n, nil
}
