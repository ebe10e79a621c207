package httpapi

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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

func openStream(t *testing.T, url, lastID string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
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
