package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
)

// buildGateway compiles cmd/switchboard into a temporary directory.
func buildGateway(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "switchboard")
	out, err := exec.Command("go", "build", "-o", bin, "../switchboard").CombinedOutput()
	if err != nil {
		t.Fatalf("build the gateway: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer collects a child process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const e2eAdmin, e2ePassword = "admin@loadgen-e2e.test", "loadgen-e2e-admin-password"

// backendsUnderTest is the embedded defaults, plus PostgreSQL and Redis
// (a private schema and key namespace) when the test environment names
// them.
func backendsUnderTest(t *testing.T) []genOptions {
	t.Helper()
	out := []genOptions{{}}
	db, rd := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL"), os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if db == "" || rd == "" {
		t.Log("PostgreSQL+Redis variant skipped: set SWITCHBOARD_TEST_DATABASE_URL and SWITCHBOARD_TEST_REDIS_URL to run it")
		return out
	}
	return append(out, genOptions{DatabaseURL: sqltest.Schema(t, db, "loadgen"), RedisURL: rd, Namespace: "loadgen" + randomHex(4)})
}

// startGateway writes loadgen's configuration for backend b into dir and
// runs the gateway on it (serve: gateway and workers) until the test ends.
func startGateway(t *testing.T, bin string, b genOptions, dir string) (string, *syncBuffer) {
	t.Helper()
	o := b
	o.Addr, o.ProviderAddr, o.DataDir = freeAddr(t), freeAddr(t), filepath.Join(dir, "data")
	cfgPath := filepath.Join(dir, "switchboard-load.yaml")
	var cout, cerr bytes.Buffer
	if code := run(context.Background(), []string{"config", "-out", cfgPath, "-addr", o.Addr, "-provider-addr", o.ProviderAddr,
		"-data-dir", o.DataDir, "-database-url", o.DatabaseURL, "-redis-url", o.RedisURL, "-namespace", o.Namespace}, &cout, &cerr); code != 0 {
		t.Fatalf("loadgen config: exit %d: %s", code, cerr.String())
	}
	gw := exec.Command(bin, "--config", cfgPath, "--log-level", "warn")
	gw.Env = append(os.Environ(), "SWITCHBOARD_ADMIN_EMAIL="+e2eAdmin, "SWITCHBOARD_ADMIN_PASSWORD="+e2ePassword,
		"SWITCHBOARD_BCRYPT_COST=4")
	logs := &syncBuffer{}
	gw.Stdout, gw.Stderr = logs, logs
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		gw.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { gw.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			gw.Process.Kill()
			t.Errorf("gateway did not stop on SIGTERM")
		}
	})
	return cfgPath, logs
}

// TestLoadgenEndToEnd runs the real gateway on the configuration loadgen
// writes and drives it for a few seconds at a low rate with three agents:
// every acknowledged message is stored exactly once, every measured path
// has samples and the JSON report parses. It asserts no timings.
func TestLoadgenEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gateway")
	}
	bin := buildGateway(t)
	for _, b := range backendsUnderTest(t) {
		name := "embedded"
		if b.DatabaseURL != "" {
			name = "postgres+redis"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath, logs := startGateway(t, bin, b, dir)

			jsonPath := filepath.Join(dir, "report.json")
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"-config", cfgPath, "-rate", "50", "-duration", "3s", "-agents", "3",
				"-handoff-share", "0.2", "-customers", "20", "-streams", "20", "-admin-email", e2eAdmin, "-admin-password", e2ePassword,
				"-drain", "20s", "-json", jsonPath, "-log-level", "warn", "-ceiling", "-ceiling-duration", "500ms", "-capacity", "100"}, &out, &errOut)
			t.Logf("loadgen output:\n%s", out.String())
			if code != 0 {
				t.Fatalf("loadgen exit %d\nstderr:\n%s\ngateway logs:\n%s", code, errOut.String(), logs.String())
			}

			data, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			var rep Report
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatalf("the JSON report does not parse: %v", err)
			}
			if c := rep.Ceiling; c == nil || c.Commits == 0 || c.CommitsPerS <= 0 || c.Conns != 16 {
				t.Errorf("ceiling: %+v, want commits over 16 connections", c)
			} else if r := rep.Ratios; math.Abs(r.IngestToCeiling-rep.Throughput/c.CommitsPerS) > 1e-9 || r.RateToCapacity != 0.5 || r.CapacityPerS != 100 {
				t.Errorf("ratios %+v: want ingest %.0f ÷ ceiling %.0f and rate 50 ÷ capacity 100", r, rep.Throughput, c.CommitsPerS)
			}
			if !strings.Contains(out.String(), "ingest ÷ ceiling:") || !strings.Contains(out.String(), "the same as:") {
				t.Errorf("the table does not give the ceiling and its ratio:\n%s", out.String())
			}
			v := rep.Verify
			if !strings.HasPrefix(v.Method, "database") || !v.OK || v.Missing != 0 || v.Duplicated != 0 || v.Checked != rep.Sent || v.Acked != rep.Acked {
				t.Errorf("exactly-once check: %+v (sent %d, acked %d)", v, rep.Sent, rep.Acked)
			}
			if rep.Sent < 100 || rep.Acked != rep.Sent {
				t.Errorf("sent %d, acknowledged %d: want about 150, all acknowledged", rep.Sent, rep.Acked)
			}
			for _, k := range kinds {
				if rep.Channels[k].Ingest.Count == 0 {
					t.Errorf("no %s messages measured", k)
				}
			}
			for _, p := range []string{pathIngest, pathSession, pathStream, pathAccept, pathReply, pathStreams} {
				if s := rep.Latency[p]; s.Count == 0 || s.P99MS < s.P50MS || s.MaxMS < s.P99MS {
					t.Errorf("%s: %+v", p, s)
				}
			}
			h := rep.Handoffs
			if h.Acked == 0 || h.SeenOnStream != h.Acked || h.Accepted != h.Acked || h.DoubleAccepts != 0 || h.Resolved != h.Accepted {
				t.Errorf("handoffs: %+v", h)
			}
			if rep.Streams.Opened != 20 || rep.Streams.OpenAtEnd != 20 {
				t.Errorf("idle streams: %+v", rep.Streams)
			}
			if rep.Provider.Bad != 0 || rep.Provider.Sends < h.Delivered {
				t.Errorf("provider: %+v", rep.Provider)
			}
			if !rep.Gateway.Available || rep.Gateway.RSSPeakMB <= 0 {
				t.Errorf("gateway figures: %+v", rep.Gateway)
			}
			if len(rep.Errors) != 0 {
				t.Errorf("errors: %v", rep.Errors)
			}
			if !strings.Contains(out.String(), "exactly-once") {
				t.Errorf("the table has no exactly-once line:\n%s", out.String())
			}

			// Contested accepts: every agent tries every request; exactly
			// one wins, the other two lose with a 409.
			out.Reset()
			errOut.Reset()
			racePath := filepath.Join(dir, "race.json")
			code = run(context.Background(), []string{"-config", cfgPath, "-rate", "10", "-duration", "2s", "-agents", "3",
				"-handoff-share", "1", "-accept", "race", "-admin-email", e2eAdmin, "-admin-password", e2ePassword,
				"-drain", "20s", "-json", racePath, "-log-level", "warn"}, &out, &errOut)
			if code != 0 {
				t.Fatalf("loadgen -accept race: exit %d\n%s\n%s", code, out.String(), errOut.String())
			}
			if data, err = os.ReadFile(racePath); err != nil {
				t.Fatal(err)
			}
			rep = Report{}
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			if h := rep.Handoffs; h.Acked == 0 || h.Accepted != h.Acked || h.DoubleAccepts != 0 || h.LostRaces != 2*h.Accepted {
				t.Errorf("contested handoffs: %+v; output:\n%s", h, out.String())
			}
			// Every accept is timed once, and again by its outcome.
			won, lost := rep.Latency[pathAcceptWon], rep.Latency[pathAcceptLost]
			if int64(won.Count) != rep.Handoffs.Accepted || int64(lost.Count) != rep.Handoffs.LostRaces || rep.Latency[pathAccept].Count != won.Count+lost.Count {
				t.Errorf("accept latencies: all %+v, won %+v, lost %+v; handoffs %+v", rep.Latency[pathAccept], won, lost, rep.Handoffs)
			}
			if !strings.Contains(out.String(), "lost (409)") {
				t.Errorf("the table shows no lost accepts:\n%s", out.String())
			}
		})
	}
}

// TestLoadgenMediaMix runs the real gateway (serve: its workers fetch the
// files) with half the messages carrying media on the three provider
// channels: every media message's attachment is fetched from the fake
// provider with the channel's token and becomes ready (images with a
// thumbnail), the exactly-once check counts the Messenger files that
// have no text, and the JSON report carries the share and the media
// figures. It asserts no timings.
func TestLoadgenMediaMix(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gateway")
	}
	bin := buildGateway(t)
	for _, b := range backendsUnderTest(t) {
		name := "embedded"
		if b.DatabaseURL != "" {
			name = "postgres+redis"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath, logs := startGateway(t, bin, b, dir)
			jsonPath := filepath.Join(dir, "report.json")
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"-config", cfgPath, "-rate", "40", "-duration", "3s",
				"-mix", "whatsapp=40,messenger=30,telegram=30", "-media-share", "0.5", "-customers", "20",
				"-admin-email", e2eAdmin, "-admin-password", e2ePassword, "-drain", "0s", "-media-wait", "60s",
				"-json", jsonPath, "-log-level", "warn"}, &out, &errOut)
			t.Logf("loadgen output:\n%s", out.String())
			if code != 0 {
				t.Fatalf("loadgen exit %d\nstderr:\n%s\ngateway logs:\n%s", code, errOut.String(), logs.String())
			}
			data, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			var rep Report
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatalf("the JSON report does not parse: %v", err)
			}
			m := rep.Media
			if rep.MediaShare != 0.5 || m == nil || m.Share != 0.5 {
				t.Fatalf("media share %v, media %+v: want 0.5 in both", rep.MediaShare, m)
			}
			if !m.OK || m.Acked < 20 || m.Ready != m.Acked || m.Attachments != m.Acked || m.Pending != 0 || m.Failed != 0 || m.Missing != 0 || m.Unexpected != 0 {
				t.Errorf("media: %+v; want every acknowledged media message's attachment ready", m)
			}
			images := m.ByKind[mediaWAImage] + m.ByKind[mediaTGPhoto]
			if m.Thumbnails != images {
				t.Errorf("%d thumbnails for %d images", m.Thumbnails, images)
			}
			var downloads int64
			for _, k := range mediaKinds {
				if m.ByKind[k] == 0 {
					t.Errorf("no %s message in the run: %v", k, m.ByKind)
				}
				if m.Downloads[k] < m.ByKind[k] {
					t.Errorf("%s: %d downloads for %d messages", k, m.Downloads[k], m.ByKind[k])
				}
				downloads += m.Downloads[k]
			}
			if m.Refused != 0 || m.Lookups < m.ByKind[mediaWAImage]+m.ByKind[mediaTGPhoto]+m.ByKind[mediaTGVoice] || m.BytesMB <= 0 || downloads == 0 {
				t.Errorf("provider: %d look-ups, %v downloads, %.2f MB, %d refused", m.Lookups, m.Downloads, m.BytesMB, m.Refused)
			}
			v := rep.Verify
			if !v.OK || v.Checked != rep.Sent || v.Acked != rep.Acked || rep.Acked != rep.Sent {
				t.Errorf("exactly-once check: %+v (sent %d, acked %d)", v, rep.Sent, rep.Acked)
			}
			if !strings.Contains(out.String(), "media (share 0.50): OK") {
				t.Errorf("the table has no media line:\n%s", out.String())
			}
			if !strings.Contains(string(data), `"media_share": 0.5`) || !strings.Contains(string(data), `"ready":`) {
				t.Errorf("the JSON lacks media_share or the media figures")
			}
		})
	}
}
