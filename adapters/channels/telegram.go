package channels

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/switchboard-chat/switchboard/adapters/telegram"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// Telegram is the Telegram bot channel type.
const Telegram core.ChannelType = "telegram"

// Telegram modes.
const (
	TelegramWebhook = "webhook"
	TelegramPolling = "polling"
)

// DefaultTelegramAPIURL is the Bot API of api_url.
const DefaultTelegramAPIURL = "https://api.telegram.org"

// TelegramSettings are the keys of a telegram channel: one bot.
type TelegramSettings struct {
	BotToken config.Secret `yaml:"bot_token" required:"true"`
	// SecretToken is given to setWebhook and checked on every update
	// (required in webhook mode).
	SecretToken config.Secret `yaml:"secret_token"`
	// Mode is TelegramWebhook (the default) or TelegramPolling.
	Mode   string `yaml:"mode"`
	APIURL string `yaml:"api_url"`
}

// telegramHTTP is the HTTP client of every Bot API call. It has no global
// timeout: each call is bounded by its context (long polls take ~25 s).
var telegramHTTP = &http.Client{Transport: providerTransport()}

var telegramSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func init() {
	Register(Type[TelegramSettings]{
		Type:     Telegram,
		Name:     "Telegram",
		Icon:     `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#0ea5e9" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 4L3 11l6 2 2 6 3-4 5 4z"/><path d="M9 13l8-6"/></svg>`,
		Order:    50,
		Defaults: TelegramSettings{Mode: TelegramWebhook, APIURL: DefaultTelegramAPIURL},
		Check: func(s TelegramSettings, problem func(string, string, ...any)) {
			switch s.Mode {
			case TelegramWebhook:
				if s.SecretToken.IsZero() {
					problem("secret_token", "is required for telegram channels in webhook mode")
				}
			case TelegramPolling:
			default:
				problem("mode", "must be webhook or polling (got %q)", s.Mode)
			}
			if v := s.SecretToken.Value(); v != "" && !telegramSecret.MatchString(v) {
				problem("secret_token", "must be 1 to 256 of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
			}
			if err := config.CheckHTTPURL(s.APIURL); err != nil {
				problem("api_url", "%s", err)
			}
		},
		Example: `  # Telegram bot.
  - id: tg
    type: telegram
    bot_token: "${TG_TOKEN}"
    secret_token: "${TG_SECRET}"       # required in webhook mode; A-Z a-z 0-9 _ -
    mode: webhook                      # webhook (default) or polling for local use
    api_url: "https://api.telegram.org"  # default
`,
		Wire: wireTelegram,
	})
}

// wireTelegram: webhook mode registers the webhook at start (Run) and
// serves POST /webhooks/{id}; polling mode serves no webhook and
// long-polls in Run, one poller per bot across every instance on the
// Redis.
func wireTelegram(d Deps, id string, s TelegramSettings) (Parts, error) {
	client := telegram.NewClient(s.APIURL, s.BotToken.Value(), telegramHTTP)
	handler := telegram.NewHandler(d.Service, id, client, d.Log)
	parts := Parts{Sender: telegram.NewSender(client, 0), Typer: telegram.NewTyper(client),
		Media: core.ChannelMedia{Fetcher: telegram.NewFetcher(client), Limits: telegram.Limits}}
	if s.Mode == TelegramPolling {
		poller := telegram.NewPoller(telegram.PollerConfig{ChannelID: id, Client: client, Handler: handler,
			Redis: d.Redis, KeyPrefix: d.KeyPrefix, Log: d.Log})
		parts.Run = poller.Run
		return parts, nil
	}
	secret := s.SecretToken.Value()
	url := strings.TrimRight(d.PublicURL, "/") + "/webhooks/" + id
	parts.Webhook = telegram.NewWebhook(handler, secret)
	parts.Run = func(ctx context.Context) error { return telegram.RegisterWebhook(ctx, client, url, secret, d.Log) }
	return parts, nil
}
