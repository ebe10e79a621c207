package channels

import (
	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// WhatsApp is the WhatsApp Cloud API channel type.
const WhatsApp core.ChannelType = "whatsapp"

// WhatsAppSettings are the keys of a whatsapp channel: one phone number.
type WhatsAppSettings struct {
	PhoneNumberID string        `yaml:"phone_number_id" required:"true"`
	AccessToken   config.Secret `yaml:"access_token" required:"true"`
	MetaApp       `yaml:",inline"`
}

func init() {
	Register(Type[WhatsAppSettings]{
		Type:     WhatsApp,
		Name:     "WhatsApp",
		Icon:     `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#16a34a" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M4 20l1.3-4A8 8 0 1 1 8.5 19z"/><path d="M9 9.5c0 3 2.5 5.5 5.5 5.5l1-1.5-2-1-1 1c-1-.5-2-1.5-2.5-2.5l1-1-1-2z"/></svg>`,
		Order:    20,
		Defaults: WhatsAppSettings{MetaApp: metaAppDefaults},
		Check:    func(s WhatsAppSettings, problem func(string, string, ...any)) { s.check(problem) },
		Example: `  # WhatsApp Cloud API.
  - id: wa
    type: whatsapp
    phone_number_id: "${WA_PHONE_NUMBER_ID}"
    access_token: "${WA_TOKEN}"
    app_secret: "${META_APP_SECRET}"   # verifies X-Hub-Signature-256
    verify_token: "${META_VERIFY_TOKEN}"  # answers the webhook handshake
    graph_url: "https://graph.facebook.com/v21.0"  # default
`,
		Wire: func(d Deps, id string, s WhatsAppSettings) (Parts, error) {
			return Parts{
				Sender: whatsapp.NewSender(s.GraphURL, s.PhoneNumberID, s.AccessToken.Value(), graphHTTP, mediaHTTP),
				Typer:  whatsapp.NewTyper(s.GraphURL, s.PhoneNumberID, s.AccessToken.Value(), graphHTTP),
				Webhook: whatsapp.NewWebhook(d.Service, whatsapp.Config{ChannelID: id, AppSecret: s.AppSecret.Value(),
					VerifyToken: s.VerifyToken.Value(), PhoneNumberID: s.PhoneNumberID, Gate: d.Gate, Log: d.Log}),
				Media: core.ChannelMedia{Fetcher: whatsapp.NewFetcher(s.GraphURL, s.AccessToken.Value(), mediaHTTP), Limits: whatsapp.Limits},
			}, nil
		},
	})
}
