package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// Channel ids of the generated configuration.
const (
	chWhatsApp  = "wa"
	chMessenger = "fb"
	chTelegram  = "tg"
	chWidget    = "web"
)

// genOptions is what `loadgen config` writes.
type genOptions struct {
	Addr         string // gateway listen address, host:port
	ProviderAddr string // the fake provider loadgen runs, host:port
	DataDir      string
	DatabaseURL  string // "" → SQLite in DataDir
	RedisURL     string // "" → embedded
	Namespace    string
	DebugAddr    string // "" → none
	MaxOpenConns int    // 0 → the gateway's default
}

// genSecrets are the generated credentials of the four channels.
type genSecrets struct {
	PhoneNumberID, WAToken, WASecret, PageID, PageToken, FBSecret, Verify, BotToken, TGSecret string
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("loadgen: crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

func newSecrets() genSecrets {
	digits := func(n int) string { // n decimal digits, the first not 0
		raw := []byte(randomHex(n))
		for i, c := range raw {
			raw[i] = '0' + c%10
		}
		raw[0] = '1' + raw[0]%9
		return string(raw[:n])
	}
	return genSecrets{
		PhoneNumberID: digits(15), WAToken: "EAALOAD" + randomHex(16), WASecret: randomHex(16),
		PageID: digits(15), PageToken: "EAALOADPAGE" + randomHex(16), FBSecret: randomHex(16),
		Verify: randomHex(8), BotToken: digits(10) + ":AAL" + randomHex(16), TGSecret: "lg_" + randomHex(16),
	}
}

// yamlString quotes s for YAML (JSON strings are valid YAML scalars).
func yamlString(s string) string { return strconv.Quote(s) }

// renderConfig is the gateway configuration for a load run: the four
// channels pointing at the fake provider, the bot on but never giving up
// by itself (only handoff phrases open requests), and agents that may
// hold many chats.
func renderConfig(o genOptions, s genSecrets) (string, error) {
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		return "", fmt.Errorf("gateway address %q: %w", o.Addr, err)
	}
	if _, _, err := net.SplitHostPort(o.ProviderAddr); err != nil {
		return "", fmt.Errorf("provider address %q: %w", o.ProviderAddr, err)
	}
	host, port, _ := net.SplitHostPort(o.Addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	provider := "http://" + o.ProviderAddr
	q := yamlString
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `loadgen config`: a gateway for load runs whose providers are\n")
	fmt.Fprintf(&b, "# loadgen's fake provider at %s. The secrets are generated; loadgen reads\n", o.ProviderAddr)
	fmt.Fprintf(&b, "# them back from this file (-config).\n")
	fmt.Fprintf(&b, "server:\n  addr: %s\n  public_url: %s\n", q(o.Addr), q("http://"+net.JoinHostPort(host, port)))
	// loadgen reads the gateway's RSS and CPU from /metrics on addr.
	fmt.Fprintf(&b, "  metrics: public\n")
	if o.DebugAddr != "" {
		fmt.Fprintf(&b, "  debug_addr: %s\n", q(o.DebugAddr))
	}
	fmt.Fprintf(&b, "data_dir: %s\n", q(o.DataDir))
	fmt.Fprintf(&b, "database:\n  url: %s\n", q(o.DatabaseURL))
	if o.MaxOpenConns > 0 {
		fmt.Fprintf(&b, "  max_open_conns: %d\n", o.MaxOpenConns)
	}
	fmt.Fprintf(&b, "redis:\n  url: %s\n  namespace: %s\n", q(o.RedisURL), q(o.Namespace))
	fmt.Fprintf(&b, "channels:\n")
	fmt.Fprintf(&b, "  - {id: %s, type: widget, allowed_origins: [\"*\"]}\n", chWidget)
	fmt.Fprintf(&b, "  - {id: %s, type: whatsapp, phone_number_id: %s, access_token: %s, app_secret: %s, verify_token: %s, graph_url: %s}\n",
		chWhatsApp, q(s.PhoneNumberID), q(s.WAToken), q(s.WASecret), q(s.Verify), q(provider+"/graph/"+chWhatsApp))
	fmt.Fprintf(&b, "  - {id: %s, type: messenger, page_id: %s, page_token: %s, app_secret: %s, verify_token: %s, graph_url: %s}\n",
		chMessenger, q(s.PageID), q(s.PageToken), q(s.FBSecret), q(s.Verify), q(provider+"/graph/"+chMessenger))
	fmt.Fprintf(&b, "  - {id: %s, type: telegram, bot_token: %s, secret_token: %s, mode: webhook, api_url: %s}\n",
		chTelegram, q(s.BotToken), q(s.TGSecret), q(provider+"/tg"))
	fmt.Fprintf(&b, "bot:\n  enabled: true\n  handoff_phrases: [%s]\n  max_unanswered: 0\n", q(handoffPhrase))
	fmt.Fprintf(&b, "  knowledge:\n    - {questions: [\"where is my order\"], answer: \"You can track your order from the link in your confirmation e-mail.\"}\n")
	fmt.Fprintf(&b, "agents:\n  default_max_chats: 100\n")
	// Every simulated visitor and agent comes from loadgen's one address:
	// the per-address and per-visitor abuse limits are off for the run.
	fmt.Fprintf(&b, "limits:\n  login: {per_email_and_address: {count: 0}, per_address: {count: 0}, per_email: {count: 0}}\n")
	fmt.Fprintf(&b, "  widget: {sessions_per_address: {count: 0}, messages_per_visitor: {count: 0}, messages_per_address: {count: 0},\n")
	fmt.Fprintf(&b, "    handoffs_per_visitor: {count: 0}, handoffs_per_address: {count: 0}, page_updates_per_visitor: {count: 0},\n")
	fmt.Fprintf(&b, "    page_updates_per_address: {count: 0}, streams_per_visitor: 0}\n")
	return b.String(), nil
}

// writeConfig writes a fresh configuration to path.
func writeConfig(path string, o genOptions) error {
	text, err := renderConfig(o, newSecrets())
	if err != nil {
		return err
	}
	if _, err := config.Parse([]byte(text), path); err != nil {
		return fmt.Errorf("generated configuration does not validate: %w", err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// target is what loadgen needs to know about the gateway: where it listens
// and each channel's id and credentials.
type target struct {
	BaseURL     string
	WhatsApp    *config.Channel
	Messenger   *config.Channel
	Telegram    *config.Channel
	Widget      *config.Channel
	DatabaseURL string // the gateway's store: a postgres URL or an SQLite file
	DebugAddr   string
}

// readTarget loads the gateway configuration at path with the gateway's
// own loader and picks the first channel of each type.
func readTarget(path string) (target, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return target{}, fmt.Errorf("read gateway config: %w", err)
	}
	t := target{BaseURL: strings.TrimRight(cfg.Server.PublicURL, "/")}
	if host, port, err := net.SplitHostPort(cfg.Server.Addr); err == nil && port != "0" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		t.BaseURL = "http://" + net.JoinHostPort(host, port)
	}
	for i := range cfg.Channels {
		ch := &cfg.Channels[i]
		var slot **config.Channel
		switch ch.Type {
		case channels.WhatsApp:
			slot = &t.WhatsApp
		case channels.Messenger:
			slot = &t.Messenger
		case channels.Telegram:
			if config.SettingsOf[channels.TelegramSettings](*ch).Mode == channels.TelegramPolling {
				continue
			}
			slot = &t.Telegram
		case core.ChannelWidget:
			slot = &t.Widget
		default:
			continue
		}
		if *slot == nil {
			*slot = ch
		}
	}
	if u := cfg.Database.URL.Value(); u != "" {
		t.DatabaseURL = u
	} else if dir := cfg.DataDir; dir != "" {
		t.DatabaseURL = "sqlite:" + strings.TrimRight(dir, "/") + "/switchboard.db"
	}
	t.DebugAddr = debugAddr(path)
	return t, nil
}

// debugMetricsURL is /metrics on the gateway's debug listener addr.
func debugMetricsURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/metrics"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/metrics"
}

// debugAddr reads server.debug_addr from the file, if the gateway's
// configuration has one (read loosely, so loadgen works with gateways
// with and without the key).
func debugAddr(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var doc struct {
		Server struct {
			DebugAddr string `yaml:"debug_addr"`
		} `yaml:"server"`
	}
	if yaml.Unmarshal(data, &doc) != nil {
		return ""
	}
	return doc.Server.DebugAddr
}
