package channels

import (
	"github.com/switchboard-chat/switchboard/adapters/instagram"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// Instagram is the Instagram messaging channel type.
const Instagram core.ChannelType = "instagram"

// InstagramSettings are the keys of an instagram channel: one
// professional account. Its app_secret is the Instagram app's own.
type InstagramSettings struct {
	AccessToken config.Secret `yaml:"access_token" required:"true"`
	MetaApp     `yaml:",inline"`
	AccountID   string `yaml:"account_id" required:"true"`
}

func init() {
	Register(Type[InstagramSettings]{
		Type:     Instagram,
		Name:     "Instagram",
		Icon:     `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#c026d3" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><rect x="3.5" y="3.5" width="17" height="17" rx="5"/><circle cx="12" cy="12" r="4"/><path d="M17 7h.01"/></svg>`,
		Order:    40,
		Defaults: InstagramSettings{MetaApp: metaAppDefaults},
		Check:    func(s InstagramSettings, problem func(string, string, ...any)) { s.check(problem) },
		Example: `  # Instagram direct messages (a professional account).
  - id: ig
    type: instagram
    account_id: "${IG_ACCOUNT_ID}"
    access_token: "${IG_TOKEN}"
    app_secret: "${META_APP_SECRET}"
    verify_token: "${META_VERIFY_TOKEN}"
    graph_url: "https://graph.facebook.com/v21.0"
`,
		Wire: func(d Deps, id string, s InstagramSettings) (Parts, error) {
			return Parts{
				Sender: instagram.NewSender(s.GraphURL, s.AccessToken.Value(), graphHTTP, mediaHTTP),
				Webhook: instagram.NewWebhook(d.Service, instagram.Config{ChannelID: id, AppSecret: s.AppSecret.Value(),
					VerifyToken: s.VerifyToken.Value(), GraphURL: s.GraphURL, AccessToken: s.AccessToken.Value(),
					HTTP: graphHTTP, Gate: d.Gate, Log: d.Log}),
				Media: core.ChannelMedia{Fetcher: meta.URLFetcher{HTTP: mediaHTTP}, Limits: instagram.Limits},
			}, nil
		},
	})
}
