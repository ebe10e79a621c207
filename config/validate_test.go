package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestValidationRules has one case (at least) per rule; each file holds
// exactly the problems listed.
func TestValidationRules(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"media store", "media: {store: ftp}\n", []string{
			`test.yaml:1:16: media.store: must be "local" or "s3" (got "ftp")`}},
		{"media s3 needs its keys", "media:\n  store: s3\n  s3: {endpoint: minio:9000}\n", []string{
			"test.yaml:3:7: media.s3.bucket: is required with media.store: s3",
			"test.yaml:3:7: media.s3: access_key and secret_key are required with media.store: s3",
			`test.yaml:3:18: media.s3.endpoint: must be the store's http:// or https:// URL (got "minio:9000")`}},
		{"media limit and clamd", "media: {max_bytes: 0, clamd: '127.0.0.1:3310'}\n", []string{
			"test.yaml:1:20: media.max_bytes: must be more than 0 (default 25MiB)",
			`test.yaml:1:30: media.clamd: must be tcp://host:port or unix:///path/to/clamd.ctl, or empty for no scan (got "127.0.0.1:3310")`}},
		{"at least one channel", "channels: []\n", []string{
			"test.yaml:1:11: channels: at least one channel is required"}},
		{"channel id required", "channels: [{type: widget}]\n", []string{
			"test.yaml:1:12: channels[0].id: is required"}},
		{"channel id url-safe", "channels: [{id: Web/1, type: widget}]\n", []string{
			`test.yaml:1:17: channels[0].id: must be 1 to 64 of a-z, 0-9, _ and - (got "Web/1")`}},
		{"channel ids unique", "channels:\n  - {id: a, type: widget}\n  - {id: a, type: widget}\n", []string{
			`test.yaml:3:10: channels[1].id: duplicate channel id "a" (first used by channels[0])`}},
		{"channel type required", "channels: [{id: a}]\n", []string{
			"test.yaml:1:12: channels[0].type: is required (widget, whatsapp, messenger, instagram or telegram)"}},
		{"channel type known", "channels: [{id: a, type: sms}]\n", []string{
			`test.yaml:1:26: channels[0].type: must be widget, whatsapp, messenger, instagram or telegram (got "sms")`}},
		{"whatsapp required", "channels: [{id: wa, type: whatsapp}]\n", []string{
			"test.yaml:1:12: channels[0].phone_number_id: is required for whatsapp channels",
			"test.yaml:1:12: channels[0].access_token: is required for whatsapp channels",
			"test.yaml:1:12: channels[0].app_secret: is required for whatsapp channels",
			"test.yaml:1:12: channels[0].verify_token: is required for whatsapp channels"}},
		{"messenger required", "channels: [{id: fb, type: messenger, page_id: '1'}]\n", []string{
			"test.yaml:1:12: channels[0].app_secret: is required for messenger channels",
			"test.yaml:1:12: channels[0].verify_token: is required for messenger channels",
			"test.yaml:1:12: channels[0].page_token: is required for messenger channels"}},
		{"instagram required", "channels: [{id: ig, type: instagram, access_token: t, app_secret: s, verify_token: v}]\n", []string{
			"test.yaml:1:12: channels[0].account_id: is required for instagram channels"}},
		{"telegram webhook needs secret_token", "channels: [{id: tg, type: telegram}]\n", []string{
			"test.yaml:1:12: channels[0].bot_token: is required for telegram channels",
			"test.yaml:1:12: channels[0].secret_token: is required for telegram channels in webhook mode"}},
		{"telegram secret_token charset", "channels: [{id: tg, type: telegram, bot_token: t, secret_token: 'a b'}]\n", []string{
			"test.yaml:1:65: channels[0].secret_token: must be 1 to 256 of A-Z, a-z, 0-9, _ and - (Telegram's rule)"}},
		{"telegram mode", "channels: [{id: tg, type: telegram, bot_token: t, mode: push}]\n", []string{
			`test.yaml:1:57: channels[0].mode: must be webhook or polling (got "push")`}},
		{"field of another type", "channels: [{id: w, type: widget, page_id: '1', bot_token: x}]\n", []string{
			"test.yaml:1:43: channels[0].page_id: is not a setting of widget channels",
			"test.yaml:1:59: channels[0].bot_token: is not a setting of widget channels"}},
		{"unknown key of a channel", "channels: [{id: w, type: widget, greting: hi}, {id: t, type: telegram, bot_token: t, secret_token: s, api_ur: x}]\n", []string{
			`test.yaml:1:34: channels[0].greting: unknown key "greting" (did you mean "greeting"?)`,
			`test.yaml:1:103: channels[1].api_ur: unknown key "api_ur" (did you mean "api_url"?)`}},
		{"keys of an unknown type are not judged twice", "channels: [{id: a, type: sms, page_id: '1', nope: x}]\n", []string{
			`test.yaml:1:26: channels[0].type: must be widget, whatsapp, messenger, instagram or telegram (got "sms")`,
			`test.yaml:1:45: channels[0].nope: unknown key "nope"`}},
		{"allowed origins", "channels: [{id: w, type: widget, allowed_origins: ['*', 'https://a.example', 'https://a.example/path', example.com]}]\n", []string{
			`test.yaml:1:78: channels[0].allowed_origins[2]: must be "*" or an origin such as https://example.com (got "https://a.example/path")`,
			`test.yaml:1:104: channels[0].allowed_origins[3]: must be "*" or an origin such as https://example.com (got "example.com")`}},
		{"page_url_query_keys", "channels: [{id: w, type: widget, page_url_query_keys: [utm_source, 'ids[]', '', 'a b', 'x=1']}]\n", []string{
			`test.yaml:1:77: channels[0].page_url_query_keys[2]: must be a query key of 1 to 64 letters, digits, _, -, . or [] (got "")`,
			`test.yaml:1:81: channels[0].page_url_query_keys[3]: must be a query key of 1 to 64 letters, digits, _, -, . or [] (got "a b")`,
			`test.yaml:1:88: channels[0].page_url_query_keys[4]: must be a query key of 1 to 64 letters, digits, _, -, . or [] (got "x=1")`}},
		{"graph_url parses", "channels: [{id: fb, type: messenger, page_id: '1', page_token: p, app_secret: s, verify_token: v, graph_url: 'graph.facebook.com'}]\n", []string{
			`test.yaml:1:110: channels[0].graph_url: must be an http:// or https:// URL with a host (got "graph.facebook.com")`}},
		{"api_url parses", "channels: [{id: tg, type: telegram, bot_token: t, mode: polling, api_url: 'https://%zz'}]\n", []string{
			`test.yaml:1:75: channels[0].api_url: must be an http:// or https:// URL with a host (got "https://%zz")`}},
		{"public_url parses", "server: {public_url: 'localhost:8080'}\n", []string{
			`test.yaml:1:22: server.public_url: must be an http:// or https:// URL with a host (got "localhost:8080")`}},
		{"public_url without query", "server: {public_url: 'https://x.example/?a=1'}\n", []string{
			`test.yaml:1:22: server.public_url: must not have a query or fragment (got "https://x.example/?a=1")`}},
		{"server addr", "server: {addr: ''}\n", []string{
			"test.yaml:1:16: server.addr: is required (such as :8080)"}},
		{"body_limit", "server: {body_limit: 0}\n", []string{
			"test.yaml:1:22: server.body_limit: must be a positive size such as 1MiB"}},
		{"access_log", "server: {access_log: verbose}\n", []string{
			`test.yaml:1:22: server.access_log: must be "all" or "errors" (got "verbose")`}},
		{"database url", "database: {url: 'mysql://u:hunter2@db/x'}\n", []string{
			"test.yaml:1:17: database.url: must be a postgres:// or postgresql:// URL, or empty for SQLite in data_dir"}},
		{"database pool", "database: {max_open_conns: -1, conn_max_lifetime: -1s, statement_timeout: -5s}\n", []string{
			"test.yaml:1:28: database.max_open_conns: must be between 0 (the default, 16) and 1000",
			"test.yaml:1:51: database.conn_max_lifetime: must not be negative",
			"test.yaml:1:75: database.statement_timeout: must not be negative"}},
		{"redis url", "redis: {url: 'http://cache'}\n", []string{
			"test.yaml:1:14: redis.url: must be a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL, a list of cluster addresses (host:port,host:port), or empty for the embedded Redis"}},
		{"redis cluster list", "redis: {url: 'a:6379,b'}\n", []string{
			"test.yaml:1:14: redis.url: must be a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL, a list of cluster addresses (host:port,host:port), or empty for the embedded Redis"}},
		{"data_dir", "data_dir: ''\n", []string{
			"test.yaml:1:11: data_dir: is required (the directory for SQLite and other local data)"}},
		{"rule channel exists", "routing: {rules: [{name: r, match: {channels: [web, nope]}}]}\n", []string{
			`test.yaml:1:53: routing.rules[0].match.channels[1]: unknown channel "nope"`}},
		{"page_url is a URL pattern", "routing:\n  rules:\n    - {name: a, match: {page_url: 'docs/*'}}\n    - {name: b, match: {page_url: 'ftp://shop.example/*'}}\n    - {name: c, match: {page_url: '/docs/* '}}\n    - {name: d, match: {page_url: '*/docs/[a-'}}\n", []string{
			`test.yaml:3:35: routing.rules[0].match.page_url: invalid pattern "docs/*": must be a path ("/docs/*"), start with "*" ("*/docs/*"), or be a URL ("https://shop.example/docs/*") or host and path ("shop.example/docs/*")`,
			`test.yaml:4:35: routing.rules[1].match.page_url: invalid pattern "ftp://shop.example/*": a page URL's scheme is http or https (or "*" for both)`,
			`test.yaml:5:35: routing.rules[2].match.page_url: invalid pattern "/docs/* ": has spaces at its start or end`}},
		{"rule name required and unique", "routing: {rules: [{name: a}, {name: a}, {mode: direct}]}\n", []string{
			`test.yaml:1:37: routing.rules[1].name: duplicate rule name "a" (first used by routing.rules[0])`,
			"test.yaml:1:41: routing.rules[2].name: is required"}},
		{"rule mode", "routing:\n  rules:\n    - name: r\n      mode: round-robin\n", []string{
			`test.yaml:4:13: routing.rules[0].mode: must be broadcast or direct (got "round-robin")`}},
		{"default mode", "routing: {default: {mode: all}}\n", []string{
			`test.yaml:1:27: routing.default.mode: must be broadcast or direct (got "all")`}},
		{"tier for > 0 except the last", "routing:\n  default:\n    tiers:\n      - {roles: [a]}\n      - {roles: [b], for: -1s}\n      - {roles: ['']}\n", []string{
			"test.yaml:4:9: routing.default.tiers[0].for: must be a positive duration: only the last tier may stay forever",
			"test.yaml:5:27: routing.default.tiers[1].for: must be a positive duration",
			"test.yaml:6:18: routing.default.tiers[2].roles[0]: must not be empty (use roles: [] for every agent)"}},
		{"offer_timeout", "routing:\n  rules:\n    - {name: a, mode: direct, offer_timeout: 0s}\n    - {name: b, offer_timeout: 5s}\n", []string{
			"test.yaml:3:46: routing.rules[0].offer_timeout: must be a positive duration such as 30s, 15m or 24h",
			"test.yaml:4:32: routing.rules[1].offer_timeout: only applies to mode direct"}},
		{"keywords", "routing: {rules: [{name: r, match: {keywords: [api, ' ']}}]}\n", []string{
			"test.yaml:1:53: routing.rules[0].match.keywords[1]: must not be empty"}},
		{"durations parse", "routing: {reroute_within: 30}\n", []string{
			`test.yaml:1:27: routing.reroute_within: must be a duration such as 30s, 15m or 24h (got "30")`}},
		{"durations positive", "routing: {reroute_within: 0s}\nconversations: {abandon_after: -1m, idle_resolve_after: 0s}\nagents: {token_ttl: 0s}\nserver: {visitor_ttl: -1h}\noffline: {default_eta: 0s}\n", []string{
			"test.yaml:1:27: routing.reroute_within: must be a positive duration such as 30s, 15m or 24h",
			"test.yaml:2:32: conversations.abandon_after: must be a positive duration such as 30s, 15m or 24h",
			"test.yaml:2:57: conversations.idle_resolve_after: must be a positive duration such as 30s, 15m or 24h",
			"test.yaml:3:21: agents.token_ttl: must be a positive duration such as 30s, 15m or 24h",
			"test.yaml:4:23: server.visitor_ttl: must be a positive duration such as 30s, 15m or 24h",
			"test.yaml:5:24: offline.default_eta: must be a positive duration such as 30s, 15m or 24h"}},
		{"sla amber < red", "sla:\n  red_after: 2m\n", []string{
			"test.yaml:2:14: sla.red_after: amber_after (2m) must be less than red_after (2m)"}},
		{"sla positive", "sla: {amber_after: 0s}\n", []string{
			"test.yaml:1:20: sla.amber_after: must be a positive duration such as 30s, 15m or 24h"}},
		{"timezone loads", "offline: {business_hours: {timezone: Mars/Olympus}}\n", []string{
			`test.yaml:1:38: offline.business_hours.timezone: unknown time zone "Mars/Olympus" (use an IANA name such as Europe/Berlin)`}},
		{"week days and hours parse", "offline:\n  business_hours:\n    week:\n      mon-fry: 09:00-17:00\n      sat: 9-5\n      sun: 18:00-09:00\n      tue: 10:00-11:00\n      wed: 09:00-12:00,11:00-13:00\n      thu: closed\n", []string{
			`test.yaml:4:16: offline.business_hours.week.mon-fry: unknown day "fry" (use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri or a list such as sat,sun)`,
			`test.yaml:5:12: offline.business_hours.week.sat: hours must look like 09:00-17:00 or be closed (got "9-5")`,
			`test.yaml:6:12: offline.business_hours.week.sun: closing time must be after opening time in "18:00-09:00"`,
			`test.yaml:8:12: offline.business_hours.week.wed: windows overlap in "09:00-12:00,11:00-13:00"`}},
		{"week day set twice", "offline: {business_hours: {week: {mon-fri: '09:00-17:00', wed: closed, 'sat, sun': '10:00-24:00'}}}\n", []string{
			`test.yaml:1:64: offline.business_hours.week.wed: wed is already set by "mon-fri"`}},
		{"offline message placeholders", "offline: {message: 'Back in [ETA], [Name]!'}\n", []string{
			"test.yaml:1:20: offline.message: unknown placeholder [Name] (known: [ETA])"}},
		{"offline message required", "offline: {message: ' '}\n", []string{
			"test.yaml:1:20: offline.message: is required"}},
		{"templates", "templates:\n  - {name: a, shortcut: /a, body: 'Hi [Name] from [Agent] on [Channel], [FullName]'}\n  - {name: a, shortcut: /a, body: '[Nme] [Age] [Nme]'}\n  - {name: '', shortcut: 'b c', body: ''}\n", []string{
			`test.yaml:3:12: templates[1].name: duplicate template name "a" (first used by templates[0])`,
			`test.yaml:3:25: templates[1].shortcut: duplicate shortcut "/a" (first used by templates[0])`,
			"test.yaml:3:35: templates[1].body: unknown placeholder [Nme], [Age] (known: [Name], [FullName], [Agent], [Channel])",
			"test.yaml:4:12: templates[2].name: is required",
			`test.yaml:4:26: templates[2].shortcut: must be "/" followed by a word, such as /hi (got "b c")`,
			"test.yaml:4:39: templates[2].body: is required"}},
		{"bot", "bot:\n  max_unanswered: -1\n  handoff_phrases: ['']\n  knowledge:\n    - {questions: [], answer: ''}\n    - {questions: ['', ok], answer: yes}\n", []string{
			"test.yaml:2:19: bot.max_unanswered: must be 0 (never) or more (got -1)",
			"test.yaml:3:21: bot.handoff_phrases[0]: must not be empty",
			"test.yaml:5:19: bot.knowledge[0].questions: needs at least one question",
			"test.yaml:5:31: bot.knowledge[0].answer: is required",
			"test.yaml:6:20: bot.knowledge[1].questions[0]: must not be empty"}},
		{"bot min_confidence above 1", "bot: {min_confidence: 1.5}\n", []string{
			"test.yaml:1:23: bot.min_confidence: must be more than 0 and at most 1 (got 1.5)"}},
		{"bot min_confidence 0", "bot: {min_confidence: 0}\n", []string{
			"test.yaml:1:23: bot.min_confidence: must be more than 0 and at most 1 (got 0)"}},
		{"agents", "agents: {default_max_chats: 0}\n", []string{
			"test.yaml:1:29: agents.default_max_chats: must be at least 1 (got 0)"}},
		{"stats reading", "stats: {reading: {active_high: 1.5, pending_high: 0, resolved_high: 0}}\n", []string{
			"test.yaml:1:32: stats.reading.active_high: must be a share of capacity above 0 and at most 1 (got 1.5)",
			"test.yaml:1:51: stats.reading.pending_high: must be above 0 (got 0)",
			"test.yaml:1:69: stats.reading.resolved_high: must be at least 1 (got 0)"}},
		{"wrong types", "bot: {enabled: maybe, max_unanswered: 1.5, handoff_phrases: help}\nstats: {reading: {active_high: high}}\nchannels: {id: web}\nserver: [addr]\nrouting: {rules: [{name: [a]}]}\n", []string{
			`test.yaml:1:16: bot.enabled: must be true or false (got "maybe")`,
			`test.yaml:1:39: bot.max_unanswered: must be a whole number (got "1.5")`,
			"test.yaml:1:61: bot.handoff_phrases: must be a list, not a single value",
			`test.yaml:2:32: stats.reading.active_high: must be a number (got "high")`,
			"test.yaml:3:11: channels: must be a list, not a mapping",
			"test.yaml:4:9: server: must be a mapping, not a list",
			"test.yaml:5:26: routing.rules[0].name: must be a string, not a list"}},
		{"duplicate key", "server:\n  addr: ':1'\n  addr: ':2'\noffline: {business_hours: {week: {mon: closed, mon: closed}}}\n", []string{
			"test.yaml:3:3: server.addr: duplicate key (first set at line 2)",
			"test.yaml:4:48: offline.business_hours.week.mon: duplicate key (first set at line 4)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertLines(t, problemsOf(t, tt.src, nil), tt.want)
		})
	}
}

// An empty key of another type leaves it unset, as on no channel at all.
func TestEmptyKeyOfAnotherType(t *testing.T) {
	c := mustParse(t, "channels: [{id: w, type: widget, page_id: '', bot_token: ~, allowed_origins: []}]\n", nil)
	if got := settings(c.Channels[0]); !reflect.DeepEqual(got, map[string]any{"allowed_origins": []string{}, "greeting": "",
		"page_url_query_keys": []string(nil)}) {
		t.Errorf("settings %+v", got)
	}
}

func TestValidateInCode(t *testing.T) {
	c := Default()
	c.Channels = append(c.Channels, Channel{ID: "web", Type: "widget"})
	c.SLA.RedAfter = c.SLA.AmberAfter
	err := c.Validate()
	want := `channels[1].id: duplicate channel id "web" (first used by channels[0])
sla.amber_after: amber_after (2m) must be less than red_after (2m)`
	if err == nil || err.Error() != want {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, want)
	}
	if !strings.Contains(Problem{Message: "m"}.String(), "m") {
		t.Error("Problem with no position")
	}
}
