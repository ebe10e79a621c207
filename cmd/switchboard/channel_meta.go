package main

import (
	"errors"
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/instagram"
	"github.com/switchboard-chat/switchboard/adapters/messenger"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// The Meta channels: WhatsApp Cloud API, Messenger and Instagram.
func init() {
	channelTypes[core.ChannelWhatsApp] = wireWhatsApp
	channelTypes[core.ChannelMessenger] = wireMessenger
	channelTypes[core.ChannelInstagram] = wireInstagram
}

// graphHTTP is the HTTP client of every Graph API call (one connection
// pool; each call bounded by meta.DefaultTimeout).
var graphHTTP = &http.Client{Transport: providerTransport(), Timeout: meta.DefaultTimeout}

func wireWhatsApp(a *app, ch config.Channel) (channelParts, error) {
	if ch.AppSecret.Value() == "" || ch.VerifyToken.Value() == "" || ch.AccessToken.Value() == "" || ch.PhoneNumberID == "" {
		return channelParts{}, errors.New("phone_number_id, access_token, app_secret and verify_token must not be empty")
	}
	return channelParts{
		Sender: whatsapp.NewSender(graphURL(ch), ch.PhoneNumberID, ch.AccessToken.Value(), graphHTTP),
		Webhook: whatsapp.NewWebhook(a.svc, whatsapp.Config{ChannelID: ch.ID, AppSecret: ch.AppSecret.Value(),
			VerifyToken: ch.VerifyToken.Value(), PhoneNumberID: ch.PhoneNumberID, Log: a.log}),
	}, nil
}

// wireMessenger: a read watermark marks read what the database says was
// sent up to it, whichever process sent it.
func wireMessenger(a *app, ch config.Channel) (channelParts, error) {
	if ch.AppSecret.Value() == "" || ch.VerifyToken.Value() == "" || ch.PageToken.Value() == "" {
		return channelParts{}, errors.New("page_token, app_secret and verify_token must not be empty")
	}
	return channelParts{
		Sender: messenger.NewSender(graphURL(ch), ch.PageToken.Value(), graphHTTP),
		Webhook: messenger.NewWebhook(a.svc, messenger.Config{ChannelID: ch.ID, AppSecret: ch.AppSecret.Value(),
			VerifyToken: ch.VerifyToken.Value(), GraphURL: graphURL(ch), PageToken: ch.PageToken.Value(),
			HTTP: graphHTTP, Log: a.log}),
	}, nil
}

// wireInstagram: verified with the Instagram app's own secret.
func wireInstagram(a *app, ch config.Channel) (channelParts, error) {
	if ch.AppSecret.Value() == "" || ch.VerifyToken.Value() == "" || ch.AccessToken.Value() == "" {
		return channelParts{}, errors.New("access_token, app_secret and verify_token must not be empty")
	}
	return channelParts{
		Sender: instagram.NewSender(graphURL(ch), ch.AccessToken.Value(), graphHTTP),
		Webhook: instagram.NewWebhook(a.svc, instagram.Config{ChannelID: ch.ID, AppSecret: ch.AppSecret.Value(),
			VerifyToken: ch.VerifyToken.Value(), GraphURL: graphURL(ch), AccessToken: ch.AccessToken.Value(),
			HTTP: graphHTTP, Log: a.log}),
	}, nil
}

func graphURL(ch config.Channel) string {
	if ch.GraphURL == "" {
		return config.DefaultGraphURL
	}
	return ch.GraphURL
}
