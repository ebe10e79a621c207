package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestReadEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Env
		wantErr []string // substrings of the error; none: no error
	}{
		{name: "nothing set", env: nil, want: Env{LogFormat: "text", LogLevel: "info"}},
		{name: "everything set", env: map[string]string{
			EnvConfig: "/etc/switchboard.yaml", EnvAddr: "127.0.0.1:9090", EnvLogFormat: "json", EnvLogLevel: "debug",
			EnvAdminEmail: "boss@example.com", EnvAdminPassword: "s3cret-pass", EnvBcryptCost: "4",
		}, want: Env{Config: "/etc/switchboard.yaml", Addr: "127.0.0.1:9090", LogFormat: "json", LogLevel: "debug",
			AdminEmail: "boss@example.com", AdminPassword: NewSecret("s3cret-pass"), BcryptCost: 4}},
		{name: "port only", env: map[string]string{EnvAddr: ":0"}, want: Env{Addr: ":0", LogFormat: "text", LogLevel: "info"}},
		{name: "empty values are unset", env: map[string]string{EnvLogFormat: "", EnvBcryptCost: ""},
			want: Env{LogFormat: "text", LogLevel: "info"}},
		{name: "cost too low", env: map[string]string{EnvBcryptCost: "3"}, want: Env{LogFormat: "text", LogLevel: "info"},
			wantErr: []string{`SWITCHBOARD_BCRYPT_COST="3"`}},
		{name: "cost not a number", env: map[string]string{EnvBcryptCost: "ten", EnvAdminEmail: "a@b.c"},
			want: Env{LogFormat: "text", LogLevel: "info", AdminEmail: "a@b.c"}, wantErr: []string{`SWITCHBOARD_BCRYPT_COST="ten"`}},
		{name: "address without port, and bad cost: both named", env: map[string]string{EnvAddr: "8080", EnvBcryptCost: "32"},
			want:    Env{Addr: "8080", LogFormat: "text", LogLevel: "info"},
			wantErr: []string{`SWITCHBOARD_ADDR="8080"`, "host:port", `SWITCHBOARD_BCRYPT_COST="32"`}},
		{name: "port out of range", env: map[string]string{EnvAddr: ":70000"}, want: Env{Addr: ":70000", LogFormat: "text", LogLevel: "info"},
			wantErr: []string{`SWITCHBOARD_ADDR=":70000"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadEnv(lookupFrom(tc.env))
			if got != tc.want {
				t.Errorf("ReadEnv = %#v, want %#v", got, tc.want)
			}
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one naming %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEnvHidesAdminPassword(t *testing.T) {
	e, err := ReadEnv(lookupFrom(map[string]string{EnvAdminPassword: "hunter2-hunter2"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(f, e); strings.Contains(s, "hunter2") {
			t.Errorf("%s of Env shows the admin password: %s", f, s)
		}
	}
	if e.AdminPassword.Value() != "hunter2-hunter2" {
		t.Errorf("Value() = %q", e.AdminPassword.Value())
	}
}

func TestSetAddr(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{":9090", true}, {"127.0.0.1:0", true}, {"[::1]:8081", true}, {"localhost:8080", true},
		{"", false}, {"9090", false}, {":http", false}, {"host:", false}, {":65536", false}, {":-1", false},
	}
	for _, tc := range tests {
		c := Default()
		err := c.SetAddr(tc.addr)
		if (err == nil) != tc.ok {
			t.Errorf("SetAddr(%q) = %v, want ok %t", tc.addr, err, tc.ok)
		}
		want := ":8080"
		if tc.ok {
			want = tc.addr
		}
		if c.Server.Addr != want {
			t.Errorf("SetAddr(%q): server.addr %q, want %q", tc.addr, c.Server.Addr, want)
		}
		if tc.ok {
			if err := c.Validate(); err != nil {
				t.Errorf("SetAddr(%q) accepted an address Validate refuses: %v", tc.addr, err)
			}
		}
	}
}
