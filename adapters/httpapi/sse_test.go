package httpapi

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/eventbus"
)

// sseClient reads one event stream line by line.
type sseClient struct {
	t     *testing.T
	resp  *http.Response
	lines chan string
}

func openStream(t *testing.T, url, lastID string, header ...string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	c := &sseClient{t: t, resp: resp, lines: make(chan string, 100)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return c
}

// until reads lines until one has the prefix, and returns it.
func (c *sseClient) until(prefix string) string {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("stream ended before a line starting %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			c.t.Fatalf("no line starting %q", prefix)
		}
	}
}

func TestEventStreams(t *testing.T) {
	bus := eventbus.NewMemory(eventbus.Options{})
	streams := NewEventStreams(bus)
	streams.Heartbeat = 20 * time.Millisecond
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.Default())
	e.GET("/events", func(c echo.Context) error { return streams.Serve(c, "agent:a") })
	srv := httptest.NewServer(e)
	defer srv.Close()
	ctx := context.Background()

	c := openStream(t, srv.URL+"/events", "")
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "X-Accel-Buffering": "no", "Cache-Control": "no-cache"} {
		if got := c.resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	c.until(": connected")
	if err := bus.Publish(ctx, "agent:a", "request.created", map[string]string{"id": "r1"}); err != nil {
		t.Fatal(err)
	}
	bus.Publish(ctx, "agent:b", "request.created", map[string]string{"id": "not-mine"})
	first := strings.TrimPrefix(c.until("id: "), "id: ")
	if ev := c.until("event: "); ev != "event: request.created" {
		t.Fatalf("event line %q", ev)
	}
	if d := c.until("data: "); d != `data: {"id":"r1"}` {
		t.Fatalf("data line %q", d)
	}
	c.until(": keep-alive")

	// Missed while away: replayed on reconnect, and nothing of agent b's.
	bus.Publish(ctx, "agent:a", "request.removed", map[string]string{"id": "r1"})
	bus.Publish(ctx, "agent:a", "message.created", map[string]string{"id": "m1"})
	c2 := openStream(t, srv.URL+"/events", first)
	if ev := c2.until("event: "); ev != "event: request.removed" {
		t.Fatalf("first replayed event %q, want request.removed", ev)
	}
	if d := c2.until("data: "); d != `data: {"id":"r1"}` {
		t.Fatalf("replayed data %q", d)
	}
	if ev := c2.until("event: "); ev != "event: message.created" {
		t.Fatalf("second replayed event %q", ev)
	}

	// A bad resume point is refused in the contract's format.
	resp, err := http.Get(srv.URL + "/events?last_event_id=yesterday")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad Last-Event-ID: %d, want 400", resp.StatusCode)
	}

	// Shutdown closes open streams with a retry hint.
	streams.Close()
	c2.until(": closing, reconnect")
}

// TestEventStreamTakesOverTheConnection: on HTTP/1.1 the stream takes the
// connection over and the handler returns at once (its request line is
// logged while the stream stays open); a client that goes away is dropped
// at the next heartbeat.
func TestEventStreamTakesOverTheConnection(t *testing.T) {
	bus := eventbus.NewMemory(eventbus.Options{})
	streams := NewEventStreams(bus)
	streams.Heartbeat = 20 * time.Millisecond
	var logs syncLog
	s := New(Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), CORSOrigins: []string{"*"}},
		routesFunc(func(e *echo.Echo) {
			e.GET("/v1/widget/events", func(c echo.Context) error { return streams.Serve(c, "visitor:v") })
		}))
	srv := httptest.NewServer(s.Echo)
	defer srv.Close()

	c := openStream(t, srv.URL+"/v1/widget/events", "", "Origin", "https://shop.example")
	c.until(": connected")
	for k, want := range map[string]string{"Content-Type": "text/event-stream",
		"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"} {
		if got := c.resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q (the middleware's headers go out with the stream's)", k, got, want)
		}
	}
	if !c.resp.Close {
		t.Error("the stream does not say Connection: close")
	}
	if c.resp.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the stream")
	}
	waitFor(t, "the request logged while the stream is open", func() bool {
		return strings.Contains(logs.String(), `"route":"/v1/widget/events"`)
	})
	if n := streams.Open(); n != 1 {
		t.Fatalf("Open() = %d with one stream, want 1", n)
	}
	bus.Publish(context.Background(), "visitor:v", "message.created", map[string]string{"id": "m1"})
	if d := c.until("data: "); d != `data: {"id":"m1"}` {
		t.Fatalf("data line %q", d)
	}

	c.resp.Body.Close() // the client goes away
	waitFor(t, "the stream dropped after its client went", func() bool { return streams.Open() == 0 })
}

// TestEventStreamWithoutHijack: where the connection cannot be taken over
// (HTTP/2, a recorder), the handler streams until the client goes.
func TestEventStreamWithoutHijack(t *testing.T) {
	bus := eventbus.NewMemory(eventbus.Options{})
	streams := NewEventStreams(bus)
	streams.Heartbeat = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, "GET", "/events", nil)
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(req, rec)
	done := make(chan error, 1)
	go func() { done <- streams.Serve(c, "agent:a") }()
	waitFor(t, "the stream open", func() bool { return streams.Open() == 1 })
	bus.Publish(context.Background(), "agent:a", "request.created", map[string]string{"id": "r1"})
	time.Sleep(50 * time.Millisecond) // a few heartbeats
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the client went")
	}
	body := rec.Body.String()
	for _, want := range []string{": connected", "event: request.created", `data: {"id":"r1"}`, ": keep-alive"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if rec.Header().Get("Connection") != "keep-alive" || streams.Open() != 0 {
		t.Errorf("Connection %q, Open() %d", rec.Header().Get("Connection"), streams.Open())
	}
}

// syncLog is a log sink written from the server's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
