package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/widget"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// channelParts is what one configured channel adds to the running system.
type channelParts struct {
	// Sender sends outbound messages on the channel (required).
	Sender core.Sender
	// Webhook receives provider callbacks at /webhooks/{id}; nil: none.
	Webhook httpapi.Webhook
	// Run, when set, runs in the gateway while it serves (register the
	// webhook with the provider, long-poll it, …) until ctx ends.
	Run func(ctx context.Context) error
}

// channelWiring builds a channel's parts from its config. Each channel
// type's file adds its wiring to channelTypes.
type channelWiring func(a *app, ch config.Channel) (channelParts, error)

var channelTypes = map[core.ChannelType]channelWiring{
	core.ChannelWidget: func(*app, config.Channel) (channelParts, error) {
		return channelParts{Sender: widget.Sender{}}, nil
	},
}

// wireChannels builds every channel of cfg: senders are registered on the
// Service, webhooks replace the served set, runners are returned for the
// gateway to start.
func (a *app) wireChannels(cfg *config.Config) ([]func(context.Context) error, error) {
	hooks := map[string]httpapi.Webhook{}
	var runs []func(context.Context) error
	for _, ch := range cfg.Channels {
		wire, ok := channelTypes[ch.Type]
		if !ok {
			return nil, fmt.Errorf("channel %s: type %s is not served by this build", ch.ID, ch.Type)
		}
		parts, err := wire(a, ch)
		if err != nil {
			return nil, fmt.Errorf("channel %s (%s): %w", ch.ID, ch.Type, err)
		}
		a.svc.RegisterSender(ch.ID, meteredSender{channel: ch.ID, inner: parts.Sender, m: a.metrics})
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

// providerIdleConns is how many idle connections to one provider host the
// pool keeps: above the worker's concurrency (20 sends at once) plus the
// webhooks' profile look-ups.
const providerIdleConns = 64

// providerTransport is the connection pool of the provider API clients.
// net/http keeps two idle connections per host by default, so with a
// worker sending twenty messages at once to one host, every send past the
// second dialled (and on the real APIs TLS-handshook) a connection and
// closed it afterwards.
func providerTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * providerIdleConns
	t.MaxIdleConnsPerHost = providerIdleConns
	return t
}
