package main

import (
	"context"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/config"
)

// wireChannels builds every channel of cfg with its type's registration
// (adapters/channels): senders and what each channel does with files
// (its fetcher and limits) are registered on the Service, webhooks
// replace the served set, runners are returned for the gateway to start.
func (a *app) wireChannels(cfg *config.Config) ([]func(context.Context) error, error) {
	prefix := ""
	if ns := cfg.Redis.Namespace; ns != "" {
		prefix = ns + ":"
	}
	deps := channels.Deps{Service: a.svc, Log: a.log, PublicURL: cfg.Server.PublicURL,
		Redis: a.conn.Client(), KeyPrefix: prefix}
	hooks := map[string]httpapi.Webhook{}
	var runs []func(context.Context) error
	for _, ch := range cfg.Channels {
		parts, err := channels.Wire(deps, ch)
		if err != nil {
			return nil, err
		}
		a.svc.RegisterSender(ch.ID, meteredSender{channel: ch.ID, inner: parts.Sender, m: a.metrics})
		a.svc.RegisterMedia(ch.ID, parts.Media)
		if parts.Typer != nil {
			a.svc.RegisterTyper(ch.ID, parts.Typer)
		}
		if parts.Webhook != nil {
			hooks[ch.ID] = parts.Webhook
		}
		if parts.Run != nil {
			runs = append(runs, parts.Run)
		}
	}
	a.webhooks.Replace(hooks)
	return runs, nil
}
