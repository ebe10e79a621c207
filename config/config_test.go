package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestDefaultIsValidAndMatchesCore(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() is invalid:\n%v", err)
	}
	got := c.Settings()
	want := core.DefaultSettings()
	if len(got.Templates) == 0 {
		t.Errorf("default templates missing")
	}
	if got.Templates[0] != (core.Template{Name: "opening", Shortcut: "/hi", Body: "Hi [Name], thanks for reaching out! I'm looking into this for you right now — give me just a moment."}) {
		t.Errorf("first default template = %+v", got.Templates[0])
	}
	got.Templates = nil
	if len(got.Bot.Knowledge) != 10 { // the demo shop's (TestDefaultKnowledgeIsEvaluated); core has none
		t.Errorf("default knowledge base has %d entries", len(got.Bot.Knowledge))
	}
	got.Bot.Knowledge = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Default().Settings() (without templates and knowledge)\n got %+v\nwant %+v", got, want)
	}
}

func TestNoFile(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "---\n", "~\n"} {
		c := mustParse(t, src, nil)
		if !reflect.DeepEqual(c.Settings(), Default().Settings()) {
			t.Errorf("%q: settings differ from the defaults", src)
		}
	}
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != ":8080" || c.Server.PublicURL != "http://localhost:8080" || c.Server.BodyLimit != 1<<20 ||
		c.Database.URL.Value() != "" || c.Redis.URL.Value() != "" || c.DataDir != "./data" ||
		c.Routing.RerouteWithin != 30*time.Second || c.Routing.Default.Mode != ModeBroadcast ||
		len(c.Routing.Default.Tiers) != 1 || len(c.Routing.Default.Tiers[0].Roles) != 0 ||
		c.Offline.DefaultETA != 15*time.Minute || !strings.Contains(c.Offline.Message, "[ETA]") ||
		c.Conversations.AbandonAfter != 15*time.Minute || c.Conversations.IdleResolveAfter != 24*time.Hour {
		t.Errorf("Load(\"\") = %+v", c)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !os.IsNotExist(errUnwrapAll(err)) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
}

func errUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestSectionKeepsDefaults(t *testing.T) {
	c := mustParse(t, "bot: {max_unanswered: 5}\nserver: {addr: \":9000\"}\n", nil)
	if !c.Bot.Enabled || !reflect.DeepEqual(c.Bot.HandoffPhrases, core.DefaultHandoffPhrases()) || c.Bot.MaxUnanswered != 5 {
		t.Errorf("bot = %+v", c.Bot)
	}
	if c.Server.Addr != ":9000" || c.Server.PublicURL != "http://localhost:8080" {
		t.Errorf("server = %+v", c.Server)
	}
	// A list replaces the default list; a null value keeps the default.
	c = mustParse(t, "bot:\n  handoff_phrases: [help me]\n  max_unanswered:\ntemplates: []\n", nil)
	if !reflect.DeepEqual(c.Bot.HandoffPhrases, []string{"help me"}) || c.Bot.MaxUnanswered != 2 || len(c.Templates) != 0 {
		t.Errorf("bot = %+v, templates = %v", c.Bot, c.Templates)
	}
	// Default() returns a fresh value each time.
	c.Channels[0].ID = "changed"
	if Default().Channels[0].ID != "web" {
		t.Error("Default() shares memory between calls")
	}
}

const fullFile = `server:
  addr: "127.0.0.1:9090"
  public_url: https://chat.example.com
  body_limit: 512KiB
  visitor_ttl: 240h
  access_log: errors
database: {url: "postgres://sb:${DB_PASSWORD}@db:5432/switchboard"}
redis: {url: "redis://cache:6379/0", namespace: sb}
data_dir: /var/lib/switchboard
channels:
  - {id: web, type: widget, allowed_origins: ["https://shop.example.com"], greeting: Hello!}
  - {id: help, type: widget}
  - {id: wa, type: whatsapp, phone_number_id: 1234567890, access_token: "${WA_TOKEN}",
     app_secret: app-secret, verify_token: verify-me}
  - {id: fb, type: messenger, page_id: "42", page_token: page-token, app_secret: s, verify_token: v}
  - {id: ig, type: instagram, account_id: "17841", access_token: ig-token, app_secret: s, verify_token: v,
     graph_url: "http://graph.local"}
  - {id: tg, type: telegram, bot_token: "123:abc", mode: polling}
bot:
  enabled: false
  handoff_phrases: [operator]
  max_unanswered: 0
  min_confidence: 0.6
  knowledge:
    - {questions: [refund, money back], answer: "Refunds take 5 days."}
routing:
  reroute_within: 10s
  rules:
    - name: docs
      match: {channels: [web, help], page_url: "https://*/docs/*", keywords: [api], returning: true}
      tiers:
        - {roles: [developer], for: 1m}
        - {roles: [support, developer], for: 2m}
        - {roles: []}
    - name: wa
      match: {channels: [wa]}
      mode: direct
  default: {mode: direct, offer_timeout: 45s, tiers: [{roles: [support]}]}
agents: {default_max_chats: 6, token_ttl: 12h}
sla: {amber_after: 1m, red_after: 3m}
offline:
  message: "Back within [ETA]!"
  default_eta: 1h
  business_hours:
    timezone: America/New_York
    week: {mon-fri: "09:00-12:00,13:00-17:30", "sat,sun": closed}
conversations: {abandon_after: 5m, idle_resolve_after: 48h}
templates:
  - {name: hi, shortcut: /hi, body: "Hi [Name], I'm [Agent] on [Channel]."}
  - {name: bye, body: "Bye [FullName]"}
stats: {reading: {active_high: 0.5, pending_high: 2.5, resolved_high: 50}}
`

func TestFullFile(t *testing.T) {
	c := mustParse(t, fullFile, map[string]string{"DB_PASSWORD": "pw", "WA_TOKEN": "wa-token"})
	if !reflect.DeepEqual(c.Server, Server{Addr: "127.0.0.1:9090", PublicURL: "https://chat.example.com", BodyLimit: 512 << 10, VisitorTTL: 240 * time.Hour,
		AccessLog: AccessLogErrors, Metrics: MetricsDebug, TrustedProxies: []string{}}) {
		t.Errorf("server = %+v", c.Server)
	}
	if c.Database.URL.Value() != "postgres://sb:pw@db:5432/switchboard" || c.Redis.URL.Value() != "redis://cache:6379/0" || c.Redis.Namespace != "sb" {
		t.Errorf("database/redis = %q %q %q", c.Database.URL.Value(), c.Redis.URL.Value(), c.Redis.Namespace)
	}
	if c.DataDir != "/var/lib/switchboard" || len(c.Channels) != 6 {
		t.Fatalf("data_dir %q, %d channels", c.DataDir, len(c.Channels))
	}
	graph := "https://graph.facebook.com/v21.0"
	wantCh := []struct {
		id   string
		typ  core.ChannelType
		keys map[string]any
	}{
		{"web", core.ChannelWidget, map[string]any{"allowed_origins": []string{"https://shop.example.com"}, "greeting": "Hello!",
			"page_url_query_keys": []string(nil)}},
		{"help", core.ChannelWidget, map[string]any{"allowed_origins": []string{"*"}, "greeting": "", "page_url_query_keys": []string(nil)}},
		{"wa", "whatsapp", map[string]any{"phone_number_id": "1234567890", "access_token": NewSecret("wa-token"),
			"app_secret": NewSecret("app-secret"), "verify_token": NewSecret("verify-me"), "graph_url": graph}},
		{"fb", "messenger", map[string]any{"page_id": "42", "page_token": NewSecret("page-token"),
			"app_secret": NewSecret("s"), "verify_token": NewSecret("v"), "graph_url": graph}},
		{"ig", "instagram", map[string]any{"account_id": "17841", "access_token": NewSecret("ig-token"),
			"app_secret": NewSecret("s"), "verify_token": NewSecret("v"), "graph_url": "http://graph.local"}},
		{"tg", "telegram", map[string]any{"bot_token": NewSecret("123:abc"), "secret_token": NewSecret(""), "mode": "polling",
			"api_url": "https://api.telegram.org"}},
	}
	for i, w := range wantCh {
		ch := c.Channels[i]
		if ch.ID != w.id || ch.Type != w.typ || !reflect.DeepEqual(settings(ch), w.keys) {
			t.Errorf("channel %d\n got %s %s %+v\nwant %s %s %+v", i, ch.ID, ch.Type, settings(ch), w.id, w.typ, w.keys)
		}
	}
	if ch, ok := c.Channel("tg"); !ok || secret(t, ch, "bot_token") != "123:abc" {
		t.Errorf("Channel(tg) = %+v, %v", ch, ok)
	}
	if _, ok := c.Channel("nope"); ok {
		t.Error("Channel(nope) found")
	}
	wantBot := Bot{HandoffPhrases: []string{"operator"}, MinConfidence: 0.6, Knowledge: []Knowledge{{Questions: []string{"refund", "money back"}, Answer: "Refunds take 5 days."}}}
	if !reflect.DeepEqual(c.Bot, wantBot) {
		t.Errorf("bot = %+v", c.Bot)
	}
	yes := true
	wantRouting := Routing{
		RerouteWithin: 10 * time.Second,
		Rules: []Rule{
			{Name: "docs", Match: Match{Channels: []string{"web", "help"}, PageURL: "https://*/docs/*", Keywords: []string{"api"}, Returning: &yes},
				Route: Route{Mode: ModeBroadcast, Tiers: []Tier{
					{Roles: []string{"developer"}, For: time.Minute},
					{Roles: []string{"support", "developer"}, For: 2 * time.Minute},
					{Roles: []string{}},
				}}},
			{Name: "wa", Match: Match{Channels: []string{"wa"}}, Route: Route{Mode: ModeDirect, Tiers: []Tier{{Roles: []string{}}}, OfferTimeout: DefaultOfferTimeout}},
		},
		Default: Route{Mode: ModeDirect, OfferTimeout: 45 * time.Second, Tiers: []Tier{{Roles: []string{"support"}}}},
	}
	if !reflect.DeepEqual(c.Routing, wantRouting) {
		t.Errorf("routing\n got %+v\nwant %+v", c.Routing, wantRouting)
	}
	if c.Agents != (Agents{DefaultMaxChats: 6, TokenTTL: 12 * time.Hour}) || c.SLA != (SLA{time.Minute, 3 * time.Minute}) ||
		c.Conversations != (Conversations{5 * time.Minute, 48 * time.Hour}) {
		t.Errorf("agents %+v sla %+v conversations %+v", c.Agents, c.SLA, c.Conversations)
	}
	if c.Offline.Message != "Back within [ETA]!" || c.Offline.DefaultETA != time.Hour ||
		c.Offline.BusinessHours.Timezone != "America/New_York" ||
		!reflect.DeepEqual(c.Offline.BusinessHours.Week, map[string]string{"mon-fri": "09:00-12:00,13:00-17:30", "sat,sun": "closed"}) {
		t.Errorf("offline = %+v", c.Offline)
	}
	if c.Stats.Reading != (Reading{0.5, 2.5, 50}) {
		t.Errorf("stats = %+v", c.Stats)
	}

	s := c.Settings()
	want := core.Settings{
		Channels: []core.Channel{{ID: "web", Type: "widget"}, {ID: "help", Type: "widget"}, {ID: "wa", Type: "whatsapp"},
			{ID: "fb", Type: "messenger"}, {ID: "ig", Type: "instagram"}, {ID: "tg", Type: "telegram"}},
		Greetings: map[string]string{"web": "Hello!"},
		Bot: core.BotSettings{HandoffPhrases: []string{"operator"}, MinConfidence: 0.6,
			Knowledge: []core.KnowledgeEntry{{Questions: []string{"refund", "money back"}, Answer: "Refunds take 5 days."}}},
		SLA:            core.SLA{AmberAfter: time.Minute, RedAfter: 3 * time.Minute},
		DefaultMaxChat: 6,
		Templates: []core.Template{
			{Name: "hi", Shortcut: "/hi", Body: "Hi [Name], I'm [Agent] on [Channel]."},
			{Name: "bye", Body: "Bye [FullName]"},
		},
		Reading:       core.ReadingThresholds{ActiveHigh: 0.5, PendingHigh: 2.5, ResolvedHigh: 50},
		AgentTokenTTL: 12 * time.Hour,
		VisitorTTL:    240 * time.Hour,
		Routing: core.RoutingSettings{
			RerouteWithin: 10 * time.Second,
			Rules: []core.RoutingRule{
				{Name: "docs", Match: core.RuleMatch{Channels: []string{"web", "help"}, PageURL: "https://*/docs/*", Keywords: []string{"api"}, Returning: &yes},
					Route: core.Route{Mode: core.ModeBroadcast, Tiers: []core.Tier{
						{Roles: []string{"developer"}, For: time.Minute},
						{Roles: []string{"support", "developer"}, For: 2 * time.Minute},
						{Roles: []string{}},
					}}},
				{Name: "wa", Match: core.RuleMatch{Channels: []string{"wa"}}, Route: core.Route{Mode: core.ModeDirect,
					Tiers: []core.Tier{{Roles: []string{}}}, OfferTimeout: DefaultOfferTimeout}},
			},
			Default: core.Route{Mode: core.ModeDirect, OfferTimeout: 45 * time.Second, Tiers: []core.Tier{{Roles: []string{"support"}}}},
		},
		Offline:       core.OfflineSettings{Message: "Back within [ETA]!", DefaultETA: time.Hour, Hours: c.Offline.BusinessHours},
		Conversations: core.ConversationSettings{AbandonAfter: 5 * time.Minute, IdleResolveAfter: 48 * time.Hour},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Settings()\n got %+v\nwant %+v", s, want)
	}
	s.Bot.HandoffPhrases[0] = "changed"
	if c.Bot.HandoffPhrases[0] != "operator" {
		t.Error("Settings() shares the handoff phrases with the Config")
	}
}

func TestBusinessHoursOpen(t *testing.T) {
	c := mustParse(t, fullFile, map[string]string{"DB_PASSWORD": "pw", "WA_TOKEN": "t"})
	bh := c.Offline.BusinessHours
	ny := bh.Location()
	if ny.String() != "America/New_York" {
		t.Fatalf("Location() = %v", ny)
	}
	tests := []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2025, 3, 3, 9, 0, 0, 0, ny), true},    // Monday opening
		{time.Date(2025, 3, 3, 8, 59, 0, 0, ny), false},  // before
		{time.Date(2025, 3, 3, 12, 30, 0, 0, ny), false}, // lunch
		{time.Date(2025, 3, 7, 17, 29, 0, 0, ny), true},  // Friday
		{time.Date(2025, 3, 7, 17, 30, 0, 0, ny), false}, // closing is exclusive
		{time.Date(2025, 3, 8, 11, 0, 0, 0, ny), false},  // Saturday closed
		{time.Date(2025, 3, 3, 14, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		if got := bh.Open(tt.at); got != tt.open {
			t.Errorf("Open(%v) = %v, want %v", tt.at, got, tt.open)
		}
	}
	if !(BusinessHours{}).Open(time.Now()) {
		t.Error("no week configured must mean always open")
	}
	// A BusinessHours built in code (never validated) still works.
	code := BusinessHours{Week: map[string]string{"fri-mon": "00:00-24:00"}}
	if !code.Open(time.Date(2025, 3, 9, 23, 59, 0, 0, time.UTC)) || code.Open(time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)) {
		t.Error("fri-mon (wrapping) schedule wrong")
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"1MiB", 1 << 20, true}, {"512KiB", 512 << 10, true}, {"2 GiB", 2 << 30, true}, {"1048576", 1 << 20, true},
		{"10kb", 10000, true}, {"3MB", 3000000, true}, {"7B", 7, true},
		{"", 0, false}, {"MiB", 0, false}, {"1.5MiB", 0, false}, {"-1", 0, false}, {"1TiB", 0, false},
		{"9223372036854775807GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %v, %v", tt.in, got, err)
		}
	}
	for in, want := range map[ByteSize]string{1 << 20: "1MiB", 3 << 30: "3GiB", 2048: "2KiB", 1536: "1536B", 1000: "1000B", 0: "0B"} {
		if got := in.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(in), got, want)
		}
	}
}
