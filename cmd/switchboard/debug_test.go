package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
)

func TestDebugServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := httpapi.NewMetrics()
	addr, err := debugServer(ctx, "127.0.0.1:0", m.Registry, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()
	for _, tc := range []struct{ path, want string }{
		{"/debug/pprof/", "goroutine"},
		{"/debug/pprof/goroutine?debug=1", "goroutine profile"},
		{"/metrics", "go_goroutines"},
	} {
		resp, err := http.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: %d, body lacks %q", tc.path, resp.StatusCode, tc.want)
		}
	}
	if _, err := debugServer(ctx, addr.String(), m.Registry, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Error("a second listener on a taken address did not fail")
	}
	cancel()
	eventually(t, "debug listener closed", func() bool {
		_, err := http.Get(base + "/metrics")
		return err != nil
	})
}
