package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// TestWriteConfig: the written file loads with the gateway's strict loader
// and validator, and readTarget gets back the same channels, secrets,
// addresses and database.
func TestWriteConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    genOptions
		db   string
	}{
		{"sqlite", genOptions{Addr: "127.0.0.1:18123", ProviderAddr: "127.0.0.1:19123", DataDir: "/tmp/lg-data"}, "sqlite:/tmp/lg-data/switchboard.db"},
		{"postgres", genOptions{Addr: ":18124", ProviderAddr: "127.0.0.1:19124", DataDir: "./d",
			DatabaseURL: "postgres://u@127.0.0.1:5432/db?sslmode=disable", RedisURL: "redis://127.0.0.1:6379/11", Namespace: "lg", MaxOpenConns: 32},
			"postgres://u@127.0.0.1:5432/db?sslmode=disable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sb.yaml")
			if err := writeConfig(path, tc.o); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatalf("the gateway refuses the file: %v", err)
			}
			types := map[core.ChannelType]int{}
			for _, ch := range cfg.Channels {
				types[ch.Type]++
			}
			for _, ty := range []core.ChannelType{core.ChannelWidget, channels.WhatsApp, channels.Messenger, channels.Telegram} {
				if types[ty] != 1 {
					t.Errorf("%d %s channels, want 1", types[ty], ty)
				}
			}
			if cfg.Bot.MaxUnanswered != 0 || !core.IsHandoff(testIDs(t).text(1, true), cfg.Bot.HandoffPhrases) ||
				core.IsHandoff(testIDs(t).text(1, false), cfg.Bot.HandoffPhrases) {
				t.Errorf("bot: %+v", cfg.Bot)
			}
			// loadgen scrapes /metrics on addr, and all its visitors and agents
			// share one address: metrics public, abuse limits off.
			if cfg.Server.Metrics != config.MetricsPublic || cfg.Limits.Widget.SessionsPerAddress.Count != 0 ||
				cfg.Limits.Login.PerAddress.Count != 0 || cfg.Limits.Widget.StreamsPerVisitor != 0 {
				t.Errorf("server.metrics %q, limits %+v", cfg.Server.Metrics, cfg.Limits)
			}
			if cfg.Database.MaxOpenConns != tc.o.MaxOpenConns || cfg.Redis.Namespace != tc.o.Namespace {
				t.Errorf("database %+v redis namespace %q", cfg.Database, cfg.Redis.Namespace)
			}
			tgt, err := readTarget(path)
			if err != nil {
				t.Fatal(err)
			}
			_, port, _ := strings.Cut(tc.o.Addr, ":")
			if tgt.BaseURL != "http://127.0.0.1:"+port || tgt.DatabaseURL != tc.db {
				t.Errorf("target %s, database %s", tgt.BaseURL, tgt.DatabaseURL)
			}
			if tgt.WhatsApp == nil || tgt.Messenger == nil || tgt.Telegram == nil || tgt.Widget == nil {
				t.Fatalf("target misses a channel: %+v", tgt)
			}
			wa, _ := cfg.Channel(tgt.WhatsApp.ID)
			got, want := config.SettingsOf[channels.WhatsAppSettings](*tgt.WhatsApp), config.SettingsOf[channels.WhatsAppSettings](wa)
			if got.AppSecret.Value() == "" || got.AppSecret != want.AppSecret ||
				config.SettingsOf[channels.TelegramSettings](*tgt.Telegram).SecretToken.Value() == "" {
				t.Error("secrets not read back")
			}
			if got := providerAddrOf(tgt); got != tc.o.ProviderAddr {
				t.Errorf("provider address %q, want %q", got, tc.o.ProviderAddr)
			}
			info, err := os.Stat(path)
			if err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("file mode %v (%v), want 0600: it holds secrets", info.Mode(), err)
			}
		})
	}
}

// TestWriteConfigFresh: every file gets its own secrets.
func TestWriteConfigFresh(t *testing.T) {
	a, b := newSecrets(), newSecrets()
	if a.WASecret == b.WASecret || a.TGSecret == b.TGSecret || a.BotToken == b.BotToken {
		t.Error("two configurations share a secret")
	}
}

func TestWriteConfigBadAddress(t *testing.T) {
	for _, o := range []genOptions{
		{Addr: "nonsense", ProviderAddr: "127.0.0.1:1"},
		{Addr: "127.0.0.1:1", ProviderAddr: "nonsense"},
	} {
		if err := writeConfig(filepath.Join(t.TempDir(), "x.yaml"), o); err == nil {
			t.Errorf("writeConfig(%+v) succeeded", o)
		}
	}
}

func TestDebugMetricsURL(t *testing.T) {
	for addr, want := range map[string]string{
		":6060":          "http://127.0.0.1:6060/metrics",
		"127.0.0.2:6061": "http://127.0.0.2:6061/metrics",
		"0.0.0.0:6062":   "http://127.0.0.1:6062/metrics",
	} {
		if got := debugMetricsURL(addr); got != want {
			t.Errorf("debugMetricsURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
