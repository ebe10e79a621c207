package s3test

import "testing"

// TestFromEnv: the variable's forms, read into a server or refused.
func TestFromEnv(t *testing.T) {
	cases := []struct {
		raw  string
		want Server
		ok   bool
	}{
		{"", Server{}, false},
		{"http://KEY:SECRET@127.0.0.1:18333", Server{Endpoint: "http://127.0.0.1:18333", AccessKey: "KEY", SecretKey: "SECRET", Real: true}, true},
		{"https://k:s%2Fx@s3.example:443", Server{Endpoint: "https://s3.example:443", AccessKey: "k", SecretKey: "s/x", Real: true}, true},
	}
	for _, c := range cases {
		t.Setenv(EnvVar, c.raw)
		got, ok := FromEnv(t)
		if ok != c.ok || got != c.want {
			t.Errorf("%q: %+v %v, want %+v %v", c.raw, got, ok, c.want, c.ok)
		}
	}
}

// TestStartFallsBack: without the variable an in-process server answers.
func TestStartFallsBack(t *testing.T) {
	t.Setenv(EnvVar, "")
	s := Start(t)
	if s.Real || s.Endpoint == "" || s.AccessKey == "" {
		t.Fatalf("fallback server %+v", s)
	}
}
