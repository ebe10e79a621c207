package main

import (
	"errors"
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// The Meta channels: WhatsApp Cloud API, Messenger and Instagram.
func init() {
	channelTypes[core.ChannelWhatsApp] = wireWhatsApp
}

// graphHTTP is the HTTP client of every Graph API call (one connection
// pool; each call bounded by meta.DefaultTimeout).
var graphHTTP = &http.Client{Timeout: meta.DefaultTimeout}

func wireWhatsApp(a *app, ch config.Channel) (channelParts, error) {
	if ch.AppSecret.Value() == "" || ch.VerifyToken.Value() == "" || ch.AccessToken.Value() == "" || ch.PhoneNumberID == "" {
		return channelParts{}, errors.New("phone_number_id, access_token, app_secret and verify_token must not be empty")
	}
	return channelParts{
		Sender: whatsapp.NewSender(graphURL(ch), ch.PhoneNumberID, ch.AccessToken.Value(), graphHTTP),
		Webhook: whatsapp.NewWebhook(a.svc, whatsapp.Config{ChannelID: ch.ID, AppSecret: ch.AppSecret.Value(),
			VerifyToken: ch.VerifyToken.Value(), Log: a.log}),
	}, nil
}

func graphURL(ch config.Channel) string {
	if ch.GraphURL == "" {
		return config.DefaultGraphURL
	}
	return ch.GraphURL
}
