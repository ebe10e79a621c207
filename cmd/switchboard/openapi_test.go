package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
)

// TestOpenAPIMatchesRouter builds the gateway exactly as `serve` does and
// checks that /openapi.yaml documents every route it serves, and nothing
// it does not.
func TestOpenAPIMatchesRouter(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "switchboard.yaml")
	if err := os.WriteFile(cfg, []byte("data_dir: "+dir+"\nserver: {metrics: public}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := open(context.Background(), globals{configPath: cfg}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer a.close()
	drift, err := httpapi.RouteDrift(a.gateway().Echo)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) > 0 {
		t.Fatalf("the router and openapi.yaml differ:\n%s", strings.Join(drift, "\n"))
	}
}
