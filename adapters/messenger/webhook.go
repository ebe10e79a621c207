package messenger

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/adapters/meta"
)

// Config is what the webhook of one Messenger channel needs.
type Config struct {
	ChannelID   string
	AppSecret   string
	VerifyToken string
	GraphURL    string
	PageToken   string
	HTTP        *http.Client  // may be nil
	Gate        *inbound.Gate // nil: inbound.DefaultGate
	Log         *slog.Logger
}

// NewWebhook returns the channel's webhook. A customer we have no name
// for is looked up with the User Profile API (first_name last_name, page
// token); a failed look-up leaves them Anonymous Visitor.
func NewWebhook(svc inbound.Ingester, cfg Config) *inbound.Webhook {
	client := meta.NewClient(cfg.GraphURL, cfg.PageToken, cfg.HTTP)
	wc := meta.WebhookConfig{ChannelID: cfg.ChannelID, AppSecret: cfg.AppSecret, VerifyToken: cfg.VerifyToken,
		Parse: Normalize, Gate: cfg.Gate, Log: cfg.Log,
		Profile: func(ctx context.Context, psid string) (string, error) {
			return client.Profile(ctx, psid, []string{"first_name", "last_name"}, false)
		}}
	return meta.NewWebhook(svc, wc)
}
