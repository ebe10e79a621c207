// Package s3test gives tests an S3-compatible server: the one
// SWITCHBOARD_TEST_S3_URL names (.ci/media-services starts SeaweedFS and
// sets it), else an in-process gofakes3.
package s3test

import (
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// EnvVar names the S3 server of the tests: http://ACCESS:SECRET@host:port.
const EnvVar = "SWITCHBOARD_TEST_S3_URL"

// Server is where an S3 store of a test connects; Real says it is the
// server of EnvVar rather than the in-process one.
type Server struct {
	Endpoint, AccessKey, SecretKey string
	Real                           bool
}

// FromEnv is the server EnvVar names; ok is false when it is unset. A
// value that is no http://ACCESS:SECRET@host:port fails the test.
func FromEnv(tb testing.TB) (s Server, ok bool) {
	tb.Helper()
	raw := os.Getenv(EnvVar)
	if raw == "" {
		return Server{}, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		tb.Fatalf("%s %q: want http://ACCESS:SECRET@host:port", EnvVar, raw)
	}
	secret, _ := u.User.Password()
	return Server{Endpoint: u.Scheme + "://" + u.Host, AccessKey: u.User.Username(), SecretKey: secret, Real: true}, true
}

// Start is FromEnv's server when EnvVar is set, else an in-process
// gofakes3 that closes when the test ends (and says so in the log).
func Start(tb testing.TB) Server {
	tb.Helper()
	if s, ok := FromEnv(tb); ok {
		return s
	}
	tb.Logf("%s not set: S3 runs on the in-process gofakes3 (source .ci/media-services && ensure_s3 for SeaweedFS)", EnvVar)
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	tb.Cleanup(srv.Close)
	return Server{Endpoint: srv.URL, AccessKey: "test", SecretKey: "test-secret"}
}
