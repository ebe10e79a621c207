package config

import (
	"errors"
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
