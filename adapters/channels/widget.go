package channels

import (
	"regexp"
	"slices"

	"github.com/switchboard-chat/switchboard/adapters/widget"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// WidgetSettings are the keys of a widget channel: the website chat.
type WidgetSettings struct {
	// AllowedOrigins are the sites that may embed the widget ("*": any).
	AllowedOrigins []string `yaml:"allowed_origins"`
	// Greeting is the first bot message of a session ("": core's default).
	Greeting string `yaml:"greeting"`
	// PageURLQueryKeys are the query keys kept in the page URLs the widget
	// reports (such as utm_source); every other key is dropped, since
	// pages carry tokens in their query (core.CleanPageURL).
	PageURLQueryKeys []string `yaml:"page_url_query_keys"`
}

// queryKey is a key of page_url_query_keys, as pages write it unencoded.
var queryKey = regexp.MustCompile(`^[A-Za-z0-9_.\[\]-]{1,64}$`)

func init() {
	Register(Type[WidgetSettings]{
		Type:     core.ChannelWidget, // core serves its visitors itself
		Name:     "Website widget",
		Icon:     `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#2f5bea" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M4 5h16v11H9l-5 4z"/><path d="M8 9h8M8 12h5"/></svg>`,
		Order:    10,
		Defaults: WidgetSettings{AllowedOrigins: []string{"*"}},
		Check: func(s WidgetSettings, problem func(string, string, ...any)) {
			for i, o := range s.AllowedOrigins {
				if err := config.CheckOrigin(o); err != nil {
					problem("allowed_origins["+itoa(i)+"]", "%s", err)
				}
			}
			for i, k := range s.PageURLQueryKeys {
				if !queryKey.MatchString(k) {
					problem("page_url_query_keys["+itoa(i)+"]", "must be a query key of 1 to 64 letters, digits, _, -, . or [] (got %q)", k)
				}
			}
		},
		Core: func(s WidgetSettings, id string, set *core.Settings) {
			if s.Greeting != "" {
				set.Greetings[id] = s.Greeting
			}
			if len(s.PageURLQueryKeys) > 0 {
				if set.PageQueryKeys == nil {
					set.PageQueryKeys = map[string][]string{}
				}
				set.PageQueryKeys[id] = slices.Clone(s.PageURLQueryKeys)
			}
		},
		Example: `  # Website widget.
  - id: web
    type: widget
    allowed_origins: ["*"]             # "*" or origins such as https://shop.example.com
    greeting: "Hi! How can we help?"   # first bot message; empty for none
    # Query keys kept in the page URLs agents see; every other key and any
    # fragment but a #/route is dropped (pages carry ?reset_token=… and
    # #access_token=…). Empty: none kept.
    page_url_query_keys: [utm_source, utm_medium, utm_campaign]
`,
		Wire: func(Deps, string, WidgetSettings) (Parts, error) { return Parts{Sender: widget.Sender{}}, nil },
	})
}

// WidgetOrigins lists the allowed origins of every widget channel of cfg
// (the CORS origins of the widget's routes).
func WidgetOrigins(cfg *config.Config) []string {
	var out []string
	for _, ch := range cfg.Channels {
		if ch.Type == core.ChannelWidget {
			out = append(out, config.SettingsOf[WidgetSettings](ch).AllowedOrigins...)
		}
	}
	return out
}
