package whatsapp

import (
	"log/slog"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/adapters/meta"
)

// Config is what the webhook of one WhatsApp channel needs.
type Config struct {
	ChannelID   string
	AppSecret   string
	VerifyToken string
	// PhoneNumberID is the channel's business number: changes about
	// another one are logged and ignored (forNumber). Empty: any number.
	PhoneNumberID string
	Gate          *inbound.Gate // nil: inbound.DefaultGate
	Log           *slog.Logger
}

// NewWebhook returns the channel's webhook: X-Hub-Signature-256 checked
// with the app secret over the raw bytes, then Normalize, then core. The
// customer's name comes with the payload (contacts[].profile.name), so no
// profile look-up is made.
func NewWebhook(svc inbound.Ingester, cfg Config) *inbound.Webhook {
	parse := Normalize
	if cfg.PhoneNumberID != "" {
		if cfg.Log == nil {
			cfg.Log = slog.Default()
		}
		parse = forNumber(cfg.ChannelID, cfg.PhoneNumberID, cfg.Log)
	}
	return meta.NewWebhook(svc, meta.WebhookConfig{ChannelID: cfg.ChannelID, AppSecret: cfg.AppSecret,
		VerifyToken: cfg.VerifyToken, Parse: parse, Gate: cfg.Gate, Log: cfg.Log})
}
