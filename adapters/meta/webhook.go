package meta

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/core"
)

// WebhookConfig is one Meta channel's webhook.
type WebhookConfig struct {
	ChannelID   string
	AppSecret   string // the HMAC key of X-Hub-Signature-256
	VerifyToken string // the handshake's hub.verify_token
	// Parse turns a verified body into events; an error means the body is
	// not JSON at all (400).
	Parse func(body []byte) ([]core.InboundEvent, error)
	// Profile, when set, looks up a customer's display name for a message
	// that carries none (Messenger and Instagram User Profile API). It is
	// called only when the stored customer has no name yet.
	Profile func(ctx context.Context, userID string) (string, error)
	// ProfileTimeout bounds one profile look-up (default 5 s).
	ProfileTimeout time.Duration
	// Gate bounds the bodies read before their signature is checked (nil:
	// inbound.DefaultGate).
	Gate *inbound.Gate
	Log  *slog.Logger
}

// NewWebhook returns the webhook of one Meta channel: a request without a
// well-formed X-Hub-Signature-256 is refused unread (401); the body is
// read within the gate's budget, its signature checked over the raw bytes
// (401), parsed (400) and applied to core.
func NewWebhook(svc inbound.Ingester, cfg WebhookConfig) *inbound.Webhook {
	secret := []byte(cfg.AppSecret)
	ch := inbound.Channel{
		ID:           cfg.ChannelID,
		Authenticate: func(h http.Header) error { return CheckSignatureHeader(secret, h.Get(SignatureHeader)) },
		Verify: func(h http.Header, body []byte) error {
			return VerifySignature(secret, body, h.Get(SignatureHeader))
		},
		Parse:     cfg.Parse,
		Handshake: func(q url.Values) (string, error) { return Handshake(q, cfg.VerifyToken) },
	}
	apply := inbound.NewApplier(svc, cfg.ChannelID, inbound.Options{Profile: cfg.Profile,
		ProfileTimeout: cfg.ProfileTimeout, Log: cfg.Log})
	return inbound.NewWebhook(ch, apply, cfg.Gate)
}
