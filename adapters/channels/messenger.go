package channels

import (
	"github.com/switchboard-chat/switchboard/adapters/messenger"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// Messenger is the Facebook Messenger channel type.
const Messenger core.ChannelType = "messenger"

// MessengerSettings are the keys of a messenger channel: one Page.
type MessengerSettings struct {
	MetaApp   `yaml:",inline"`
	PageID    string        `yaml:"page_id" required:"true"`
	PageToken config.Secret `yaml:"page_token" required:"true"`
}

func init() {
	Register(Type[MessengerSettings]{
		Type:     Messenger,
		Name:     "Messenger",
		Icon:     `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#0866ff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M12 3c5 0 9 3.6 9 8.3S17 19.5 12 19.5c-1 0-2-.1-2.8-.4L5 21v-3.6C3.8 15.9 3 14 3 11.3 3 6.6 7 3 12 3z"/><path d="M7.5 13.5l3-3 2.5 2 3.5-3"/></svg>`,
		Order:    30,
		Defaults: MessengerSettings{MetaApp: metaAppDefaults},
		Check:    func(s MessengerSettings, problem func(string, string, ...any)) { s.check(problem) },
		Example: `  # Facebook Messenger (a Page).
  - id: fb
    type: messenger
    page_id: "${FB_PAGE_ID}"
    page_token: "${FB_PAGE_TOKEN}"
    app_secret: "${META_APP_SECRET}"
    verify_token: "${META_VERIFY_TOKEN}"
    graph_url: "https://graph.facebook.com/v21.0"
`,
		// A read watermark marks read what the database says was sent up
		// to it, whichever process sent it.
		Wire: func(d Deps, id string, s MessengerSettings) (Parts, error) {
			return Parts{
				Sender: messenger.NewSender(s.GraphURL, s.PageToken.Value(), graphHTTP, mediaHTTP),
				Webhook: messenger.NewWebhook(d.Service, messenger.Config{ChannelID: id, AppSecret: s.AppSecret.Value(),
					VerifyToken: s.VerifyToken.Value(), GraphURL: s.GraphURL, PageToken: s.PageToken.Value(),
					HTTP: graphHTTP, Gate: d.Gate, Log: d.Log}),
				Media: core.ChannelMedia{Fetcher: meta.URLFetcher{HTTP: mediaHTTP}, Limits: messenger.Limits},
			}, nil
		},
	})
}
