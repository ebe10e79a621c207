package instagram

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/adapters/meta"
)

// Config is what the webhook of one Instagram channel needs. AppSecret is
// the Instagram app's secret, which signs its webhooks.
type Config struct {
	ChannelID   string
	AppSecret   string
	VerifyToken string
	GraphURL    string
	AccessToken string
	HTTP        *http.Client  // may be nil
	Gate        *inbound.Gate // nil: inbound.DefaultGate
	Log         *slog.Logger
}

// NewWebhook returns the channel's webhook. A customer we have no name
// for is looked up with the User Profile API (name, else username); a
// failed look-up leaves them Anonymous Visitor.
func NewWebhook(svc inbound.Ingester, cfg Config) *inbound.Webhook {
	client := meta.NewClient(cfg.GraphURL, cfg.AccessToken, cfg.HTTP)
	wc := meta.WebhookConfig{ChannelID: cfg.ChannelID, AppSecret: cfg.AppSecret, VerifyToken: cfg.VerifyToken,
		Parse: Normalize, Gate: cfg.Gate, Log: cfg.Log,
		Profile: func(ctx context.Context, igsid string) (string, error) {
			return client.Profile(ctx, igsid, []string{"name", "username"}, true)
		}}
	return meta.NewWebhook(svc, wc)
}
