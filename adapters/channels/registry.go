package channels

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// Type is one channel type, as its registration file declares it. S is
// its settings struct: the configuration keys of its channels (see
// config.ChannelSpec for the tags).
type Type[S any] struct {
	// Type is the enum value: channels[].type in the configuration and
	// Channel.type in the API.
	Type core.ChannelType
	// Name is the type's name for people ("WhatsApp"); Icon its icon in
	// the inbox, an SVG image 24 units square drawn in the type's colour.
	Name, Icon string
	// Order places the type in lists (problems, the inbox, the API enum).
	Order int
	// Defaults, Check and Core are the settings' defaults, their checks and
	// what core must know of them (config.ChannelSpec).
	Defaults S
	Check    func(s S, problem func(key, format string, args ...any))
	Core     func(s S, channelID string, set *core.Settings)
	// Example is the type's entry in deploy/switchboard.example.yaml: YAML
	// lines of one channels[] item, commented, indented by two spaces.
	Example string
	// Wire builds the parts of channel id from its settings (already
	// validated and with their defaults).
	Wire func(d Deps, id string, s S) (Parts, error)
}

// Deps is what the composition root gives every channel's Wire.
type Deps struct {
	// Service receives the channel's inbound events.
	Service inbound.Ingester
	Log     *slog.Logger
	// PublicURL is the gateway's external base URL (webhook URLs that
	// are registered with the provider).
	PublicURL string
	// Redis and KeyPrefix (the namespace and ":") hold what the instances
	// of a fleet share, such as the lock of Telegram's poller.
	Redis     redis.UniversalClient
	KeyPrefix string
	// Gate bounds the webhook bodies read before their signature is
	// checked (nil: inbound.DefaultGate).
	Gate *inbound.Gate
}

// Parts is what one configured channel adds to the running system.
type Parts struct {
	// Sender sends outbound messages on the channel (required).
	Sender core.Sender
	// Typer shows the customer the agent's typing; nil: the provider has
	// no typing indicator.
	Typer core.Typer
	// Webhook receives provider callbacks at /webhooks/{id}; nil: none.
	Webhook *inbound.Webhook
	// Media is how the channel fetches the files its customers send and
	// what its provider takes in an outbound file (the zero value: no
	// fetcher, no limit of its own).
	Media core.ChannelMedia
	// Run, when set, runs in the gateway while it serves (register the
	// webhook with the provider, long-poll it, …) until ctx ends.
	Run func(ctx context.Context) error
}

// Info is a registered type as lists show it.
type Info struct {
	Type       core.ChannelType
	Name, Icon string
	// Keys are its configuration keys besides id and type.
	Keys []string
	// Example is its entry in the example configuration.
	Example string
}

type entry struct {
	info Info
	wire func(d Deps, ch config.Channel) (Parts, error)
}

var registry struct {
	mu      sync.RWMutex
	entries map[core.ChannelType]entry
}

// Register adds a channel type (from the init function of its file). It
// panics on a type registered twice or without Wire: a build mistake.
func Register[S any](t Type[S]) {
	if t.Wire == nil {
		panic(fmt.Sprintf("channels: type %q has no Wire", t.Type))
	}
	config.RegisterChannel(config.ChannelSpec[S]{Type: t.Type, Order: t.Order, Defaults: t.Defaults,
		Check: t.Check, Core: t.Core})
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.entries == nil {
		registry.entries = map[core.ChannelType]entry{}
	}
	registry.entries[t.Type] = entry{
		info: Info{Type: t.Type, Name: t.Name, Icon: t.Icon, Keys: config.ChannelKeys(t.Type), Example: t.Example},
		wire: func(d Deps, ch config.Channel) (Parts, error) {
			s, ok := ch.Settings.(S)
			if !ok {
				return Parts{}, fmt.Errorf("channel %s: settings %T are not those of %s channels", ch.ID, ch.Settings, t.Type)
			}
			return t.Wire(d, ch.ID, s)
		},
	}
}

// All lists the registered types in their order.
func All() []Info {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	var out []Info
	for _, t := range config.ChannelTypes() {
		if e, ok := registry.entries[t]; ok {
			e.info.Keys = slices.Clone(e.info.Keys)
			out = append(out, e.info)
		}
	}
	return out
}

// Wire builds the parts of one configured channel.
func Wire(d Deps, ch config.Channel) (Parts, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	registry.mu.RLock()
	e, ok := registry.entries[ch.Type]
	registry.mu.RUnlock()
	if !ok {
		return Parts{}, fmt.Errorf("channel %s: type %s is not served by this build", ch.ID, ch.Type)
	}
	parts, err := e.wire(d, ch)
	if err != nil {
		return Parts{}, fmt.Errorf("channel %s (%s): %w", ch.ID, ch.Type, err)
	}
	if parts.Sender == nil {
		return Parts{}, fmt.Errorf("channel %s (%s): no sender", ch.ID, ch.Type)
	}
	return parts, nil
}
