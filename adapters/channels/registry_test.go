package channels_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

// TestWire builds every channel of the example configuration, whose
// channels are one of each registered type, and a telegram channel in
// polling mode: each has a sender, and a webhook exactly when its
// provider calls one.
func TestWire(t *testing.T) {
	for _, k := range []string{"WA_PHONE_NUMBER_ID", "WA_TOKEN", "META_APP_SECRET", "META_VERIFY_TOKEN",
		"FB_PAGE_ID", "FB_PAGE_TOKEN", "IG_ACCOUNT_ID", "IG_TOKEN", "TG_TOKEN", "TG_SECRET", "S3_ACCESS_KEY", "S3_SECRET_KEY"} {
		t.Setenv(k, "example-"+k)
	}
	cfg, err := config.Load(filepath.Join(root(t), "deploy", "switchboard.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	polling, err := config.Parse([]byte("channels: [{id: tgp, type: telegram, bot_token: 't', mode: polling}]\n"), "polling.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc := core.NewService(core.Deps{Store: memstore.New(), Logger: slog.New(slog.DiscardHandler)}, cfg.Settings())
	d := channels.Deps{Service: svc, Log: slog.New(slog.DiscardHandler), PublicURL: "https://chat.example"}
	want := map[string]struct{ webhook, run, fetcher bool }{
		"web": {}, "wa": {webhook: true, fetcher: true}, "fb": {webhook: true, fetcher: true}, "ig": {webhook: true, fetcher: true},
		"tg": {webhook: true, run: true, fetcher: true}, "tgp": {run: true, fetcher: true},
	}
	for _, ch := range append(cfg.Channels, polling.Channels...) {
		parts, err := channels.Wire(d, ch)
		if err != nil {
			t.Fatalf("%s: %v", ch.ID, err)
		}
		w := want[ch.ID]
		if parts.Sender == nil || (parts.Webhook != nil) != w.webhook || (parts.Run != nil) != w.run {
			t.Errorf("%s: sender %v, webhook %v, run %v; want webhook %v, run %v", ch.ID, parts.Sender != nil,
				parts.Webhook != nil, parts.Run != nil, w.webhook, w.run)
		}
		// Every provider's files are fetched by the worker and its
		// outbound files checked against its limits; the widget's come by
		// upload and only media.max_bytes bounds them.
		if (parts.Media.Fetcher != nil) != w.fetcher || (parts.Media.Limits.MaxBytes != nil) != w.fetcher {
			t.Errorf("%s: fetcher %v, limits %v; want both %v", ch.ID, parts.Media.Fetcher != nil, parts.Media.Limits.MaxBytes != nil, w.fetcher)
		}
	}
	if len(cfg.Channels) != len(channels.All()) {
		t.Errorf("the example has %d channels, the registry %d types", len(cfg.Channels), len(channels.All()))
	}
}

func TestWireRefuses(t *testing.T) {
	for _, c := range []struct {
		ch   config.Channel
		want string
	}{
		{config.Channel{ID: "x", Type: "sms"}, "type sms is not served by this build"},
		{config.Channel{ID: "x", Type: channels.WhatsApp, Settings: channels.TelegramSettings{}}, "are not those of whatsapp channels"},
	} {
		if _, err := channels.Wire(channels.Deps{}, c.ch); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Wire(%+v) = %v, want an error saying %q", c.ch, err, c.want)
		}
	}
}
