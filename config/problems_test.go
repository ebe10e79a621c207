package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestEnvExpansion(t *testing.T) {
	env := map[string]string{"TOKEN": "s3cret", "PORT": "9000", "EMPTY": "", "YAMLISH": "a: b\n- [c]"}
	c := mustParse(t, `
server:
  addr: ":${PORT}"
  public_url: "${PUBLIC_URL:-http://localhost:8081}"
data_dir: ${DATA:-/tmp/x}
redis: {namespace: "${EMPTY:-fallback}"}
channels:
  - {id: tg, type: telegram, bot_token: "${TOKEN}", mode: polling}
offline: {message: "price: $$5, literal $${TOKEN}, within [ETA]"}
bot: {handoff_phrases: ["${YAMLISH}", "$TOKEN"]}
`, env)
	if c.Server.Addr != ":9000" {
		t.Errorf("addr = %q", c.Server.Addr)
	}
	if c.Server.PublicURL != "http://localhost:8081" {
		t.Errorf("public_url = %q", c.Server.PublicURL)
	}
	if c.DataDir != "/tmp/x" || c.Redis.Namespace != "fallback" {
		t.Errorf("data_dir %q namespace %q", c.DataDir, c.Redis.Namespace)
	}
	if got := secret(t, c.Channels[0], "bot_token"); got != "s3cret" {
		t.Errorf("bot_token = %q", got)
	}
	if c.Offline.Message != "price: $$5, literal ${TOKEN}, within [ETA]" {
		t.Errorf("message = %q", c.Offline.Message)
	}
	// An expanded value is text: it cannot add YAML structure.
	if !reflect.DeepEqual(c.Bot.HandoffPhrases, []string{"a: b\n- [c]", "$TOKEN"}) {
		t.Errorf("handoff_phrases = %q", c.Bot.HandoffPhrases)
	}
}

func TestEnvExpansionProblems(t *testing.T) {
	got := problemsOf(t, `channels:
  - id: wa
    type: whatsapp
    phone_number_id: "1"
    access_token: ${WA_TOKEN}
    app_secret: "x${}y"
    verify_token: "${UNCLOSED"
agents: {default_max_chats: "${MAX}"}
`, map[string]string{"MAX": "many"})
	want := []string{
		"test.yaml:5:19: channels[0].access_token: environment variable WA_TOKEN is not set (use ${WA_TOKEN:-default} for a default)",
		"test.yaml:6:17: channels[0].app_secret: invalid environment variable reference ${}",
		`test.yaml:7:19: channels[0].verify_token: unterminated ${ in "${UNCLOSED" (write $${ for a literal ${)`,
		`test.yaml:8:29: agents.default_max_chats: must be a whole number (got "many")`,
	}
	assertLines(t, got, want)
}

func TestUnknownKey(t *testing.T) {
	got := problemsOf(t, "server:\n  addr: \":80\"\nrouting:\n  rules:\n    - name: a\n      mdoe: direct\n      colour: red\nfoo: 1\nchanels: []\nx-anchors: {anything: [goes]}\n", nil)
	want := []string{
		`test.yaml:6:7: routing.rules[0].mdoe: unknown key "mdoe" (did you mean "mode"?)`,
		`test.yaml:7:7: routing.rules[0].colour: unknown key "colour"`,
		`test.yaml:8:1: foo: unknown key "foo"`,
		`test.yaml:9:1: chanels: unknown key "chanels" (did you mean "channels"?)`,
	}
	assertLines(t, got, want)
}

func TestManyProblemsAtOnce(t *testing.T) {
	got := problemsOf(t, `server:
  addr: nope
  body_limit: lots
channels:
  - {id: web, type: widget}
  - {id: web, type: sms}
routing:
  rules:
    - name: r
      match: {channels: [tv]}
      mode: fanout
sla: {amber_after: 10m, red_after: 5m}
templates:
  - {name: t, shortcut: hi, body: "Hello [Nmae]"}
`, nil)
	want := []string{
		`test.yaml:2:9: server.addr: must be host:port or :port (got "nope")`,
		`test.yaml:3:15: server.body_limit: must be a size such as 1MiB, 512KiB or 1048576 (got "lots")`,
		`test.yaml:6:10: channels[1].id: duplicate channel id "web" (first used by channels[0])`,
		`test.yaml:6:21: channels[1].type: must be widget, whatsapp, messenger, instagram or telegram (got "sms")`,
		`test.yaml:10:26: routing.rules[0].match.channels[0]: unknown channel "tv"`,
		`test.yaml:11:13: routing.rules[0].mode: must be broadcast or direct (got "fanout")`,
		`test.yaml:12:20: sla.amber_after: amber_after (10m) must be less than red_after (5m)`,
		`test.yaml:14:25: templates[0].shortcut: must be "/" followed by a word, such as /hi (got "hi")`,
		`test.yaml:14:35: templates[0].body: unknown placeholder [Nmae] (known: [Name], [FullName], [Agent], [Channel])`,
	}
	assertLines(t, got, want)
	// Error() is the same lines joined.
	_, err := parse([]byte("server: {addr: nope}\nsla: {red_after: 1m}\n"), "f.yaml", lookupFrom(nil))
	if err.Error() != "f.yaml:1:16: server.addr: must be host:port or :port (got \"nope\")\nf.yaml:2:18: sla.red_after: amber_after (2m) must be less than red_after (1m)" {
		t.Errorf("Error() =\n%s", err)
	}
}

func TestSyntaxProblems(t *testing.T) {
	tests := []struct{ src, want string }{
		{"server: {addr: \":80\"\n", `test.yaml:1: invalid YAML: did not find expected ',' or '}'`},
		{"a: b\n\tc: d\n", "test.yaml:2: invalid YAML: found a tab character that violates indentation"},
		{"server: {}\n---\nserver: {}\n", "test.yaml:2:1: the file must hold one YAML document"},
		{"- a\n- b\n", "test.yaml:1:1: must be a mapping, not a list"},
		{"just text\n", "test.yaml:1:1: must be a mapping, not a single value"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			assertLines(t, problemsOf(t, tt.src, nil), []string{tt.want})
		})
	}
}

func TestAliasesAndMerge(t *testing.T) {
	c := mustParse(t, `
x-meta: &meta {app_secret: "${SECRET}", verify_token: v}
x-roles: &support [support]
channels:
  - {id: fb, type: messenger, page_id: "1", page_token: p, <<: *meta}
  - {id: ig, type: instagram, account_id: "2", access_token: a, <<: *meta, verify_token: own}
routing:
  default: {tiers: [{roles: *support}]}
`, map[string]string{"SECRET": "${NOT_EXPANDED_TWICE}"})
	fb, ig := c.Channels[0], c.Channels[1]
	if secret(t, fb, "app_secret") != "${NOT_EXPANDED_TWICE}" || secret(t, fb, "verify_token") != "v" {
		t.Errorf("fb = %q %q", secret(t, fb, "app_secret"), secret(t, fb, "verify_token"))
	}
	if secret(t, ig, "app_secret") != "${NOT_EXPANDED_TWICE}" || secret(t, ig, "verify_token") != "own" {
		t.Errorf("ig = %q %q", secret(t, ig, "app_secret"), secret(t, ig, "verify_token"))
	}
	if !reflect.DeepEqual(c.Routing.Default.Tiers, []Tier{{Roles: []string{"support"}}}) {
		t.Errorf("tiers = %+v", c.Routing.Default.Tiers)
	}
	got := problemsOf(t, "x-a: &a {bogus: 1}\nserver: {<<: *a, addr: \":1\"}\n", nil)
	assertLines(t, got, []string{`test.yaml:1:10: server.bogus: unknown key "bogus"`})
}

func TestBillionLaughs(t *testing.T) {
	// 100 rules × 100 tiers × 100 roles through aliases: a million values
	// from a small file must be refused, not decoded.
	hundred := func(alias string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(alias+", ", 100), ", ") + "]"
	}
	src := "x-s: &s support\n" +
		"x-t: &t {roles: " + hundred("*s") + "}\n" +
		"x-r: &r {name: r, tiers: " + hundred("*t") + "}\n" +
		"routing: {rules: " + hundred("*r") + "}\n"
	got := problemsOf(t, src, nil)
	want := []string{"test.yaml:3:32: routing.rules[7].tiers[19].roles[99]: document is too large or too deeply aliased"}
	if len(got) != 1 || !strings.Contains(got[0], "document is too large or too deeply aliased") {
		t.Errorf("problems = %q, want like %q", got, want)
	}
}

// assertLines compares problem lines exactly, showing both lists on failure.
func assertLines(t *testing.T, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
