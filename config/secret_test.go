package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSecretsRedacted(t *testing.T) {
	const token = "tok-ABC123-very-secret"
	c := mustParse(t, `
database: {url: "postgres://u:${PW}@db/x"}
redis: {url: "rediss://:${PW}@cache:6380"}
channels:
  - {id: wa, type: whatsapp, phone_number_id: "1", access_token: "${PW}", app_secret: "${PW}", verify_token: "${PW}"}
  - {id: fb, type: messenger, page_id: "1", page_token: "${PW}", app_secret: "${PW}", verify_token: "${PW}"}
  - {id: tg, type: telegram, bot_token: "${PW}", secret_token: "${PW}"}
`, map[string]string{"PW": token})
	if got := secret(t, c.Channels[0], "access_token"); got != token {
		t.Fatalf("Value() = %q", got)
	}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs = append(outputs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, *c), fmt.Sprintf(verb, settings(c.Channels[0])["access_token"]))
	}
	outputs = append(outputs, fmt.Sprint(c.Channels), fmt.Sprintln(c.Database.URL), c.Redis.URL.String())

	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("loaded", "config", c, "channel", c.Channels[2], "token", settings(c.Channels[2])["bot_token"])
		outputs = append(outputs, buf.String())
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	ym, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(js), string(ym))

	for i, out := range outputs {
		if strings.Contains(out, token) || strings.Contains(out, fmt.Sprintf("%x", token)) {
			t.Errorf("output %d leaks the secret: %s", i, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("output %d does not show [redacted]: %s", i, out)
		}
	}
	if NewSecret("").String() != "" || fmt.Sprint(NewSecret("")) != "" {
		t.Error("an empty secret should print as empty")
	}
	if !NewSecret("").IsZero() || NewSecret("x").IsZero() {
		t.Error("IsZero")
	}
}

func TestProblemsDoNotLeakSecrets(t *testing.T) {
	got := strings.Join(problemsOf(t, "database: {url: 'mysql://u:hunter2@db/x'}\nredis: {url: 'redis://:hunter2@[::1'}\n", nil), "\n")
	if strings.Contains(got, "hunter2") {
		t.Errorf("problems leak a secret:\n%s", got)
	}
}
