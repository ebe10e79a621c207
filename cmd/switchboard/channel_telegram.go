package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/switchboard-chat/switchboard/adapters/telegram"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// Telegram: webhook mode registers the webhook at start (Run) and serves
// POST /webhooks/{id}; polling mode serves no webhook and long-polls in
// Run, one poller per bot across every instance on the Redis.
func init() {
	channelTypes[core.ChannelTelegram] = wireTelegram
}

// telegramHTTP is the HTTP client of every Bot API call. It has no global
// timeout: each call is bounded by its context (long polls take ~25 s).
var telegramHTTP = &http.Client{Transport: providerTransport()}

func wireTelegram(a *app, ch config.Channel) (channelParts, error) {
	token := ch.BotToken.Value()
	if token == "" {
		return channelParts{}, errors.New("bot_token must not be empty")
	}
	apiURL := ch.APIURL
	if apiURL == "" {
		apiURL = config.DefaultTelegramAPIURL
	}
	client := telegram.NewClient(apiURL, token, telegramHTTP)
	handler := telegram.NewHandler(a.svc, ch.ID, client, a.log)
	parts := channelParts{Sender: telegram.NewSender(client, 0)}
	if ch.Mode == config.TelegramPolling {
		prefix := ""
		if ns := a.cfg.Redis.Namespace; ns != "" {
			prefix = ns + ":"
		}
		poller := telegram.NewPoller(telegram.PollerConfig{ChannelID: ch.ID, Client: client, Handler: handler,
			Redis: a.conn.Client(), KeyPrefix: prefix, Log: a.log})
		parts.Run = poller.Run
		return parts, nil
	}
	secret := ch.SecretToken.Value()
	if secret == "" {
		return channelParts{}, errors.New("secret_token must not be empty in webhook mode")
	}
	url := strings.TrimRight(a.cfg.Server.PublicURL, "/") + "/webhooks/" + ch.ID
	parts.Webhook = telegram.NewWebhook(handler, secret)
	parts.Run = func(ctx context.Context) error { return telegram.RegisterWebhook(ctx, client, url, secret, a.log) }
	return parts, nil
}
