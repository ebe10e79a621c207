package config

import (
	"errors"
	"reflect"
	"testing"
)

// lookupFrom is an environment made of m.
func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// mustParse parses src as "test.yaml" with env and fails on any problem.
func mustParse(t *testing.T, src string, env map[string]string) *Config {
	t.Helper()
	c, err := parse([]byte(src), "test.yaml", lookupFrom(env))
	if err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	return c
}

// problemsOf parses src as "test.yaml" with env and returns the problem
// lines; it fails if the file is valid or the error is not a *Problems.
func problemsOf(t *testing.T, src string, env map[string]string) []string {
	t.Helper()
	c, err := parse([]byte(src), "test.yaml", lookupFrom(env))
	if err == nil {
		t.Fatalf("parse succeeded, want problems")
	}
	if c != nil {
		t.Errorf("parse returned a Config with problems")
	}
	var probs *Problems
	if !errors.As(err, &probs) {
		t.Fatalf("error %T is not *Problems: %v", err, err)
	}
	lines := make([]string, len(probs.List))
	for i, p := range probs.List {
		lines[i] = p.String()
	}
	return lines
}

// settings maps each key of ch's settings to its value (a Secret as it
// is), for tests that cannot name the settings types of adapters/channels
// (which imports config).
func settings(ch Channel) map[string]any {
	out := map[string]any{}
	if ch.Settings == nil {
		return out
	}
	v := reflect.ValueOf(ch.Settings)
	fs := structFields(v.Type())
	for _, name := range fs.names {
		out[name] = v.FieldByIndex(fs.byName[name]).Interface()
	}
	return out
}

// secret is the text of ch's secret key.
func secret(t *testing.T, ch Channel, key string) string {
	t.Helper()
	s, ok := settings(ch)[key].(Secret)
	if !ok {
		t.Fatalf("channel %s has no secret %s: %+v", ch.ID, key, ch.Settings)
	}
	return s.Value()
}
