package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/eventbus"
)

// echoHandshake answers the verification GET with the challenge as
// text/plain, as Meta's handshake does: a client's text, echoed.
type echoHandshake struct{}

func (echoHandshake) Handshake(r *http.Request) (string, error) {
	return r.URL.Query().Get("hub.challenge"), nil
}
func (echoHandshake) Receive(*http.Request) error { return nil }

// TestNoSniff: every answer of the server, whatever its route, status or
// content type, tells browsers not to guess the content type.
func TestNoSniff(t *testing.T) {
	hooks := NewWebhooks(nil)
	hooks.Replace(map[string]Webhook{"wa": echoHandshake{}})
	streams := NewEventStreams(eventbus.NewMemory(eventbus.Options{}))
	t.Cleanup(streams.Close)
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BodyLimit: 64, CORSOrigins: []string{"https://shop.example"}}, hooks, routesFunc(func(e *echo.Echo) {
		e.GET("/v1/thing", func(c echo.Context) error {
			return c.JSON(http.StatusOK, map[string]string{"text": "<script>alert(1)</script>"})
		})
		e.POST("/v1/widget/x", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
		e.GET("/panic", func(echo.Context) error { panic("boom") })
		e.GET("/events", func(c echo.Context) error { return streams.Serve(c, "agent:a") })
	}))

	cases := []struct {
		name, method, path string
		hdr                map[string]string
		body               string
		status             int
		ctype              string // prefix of the Content-Type
	}{
		{"JSON route", "GET", "/v1/thing", nil, "", 200, "application/json"},
		{"health probe", "GET", "/healthz", nil, "", 200, "application/json"},
		{"no route (Echo's 404)", "GET", "/nope", nil, "", 404, "application/json"},
		{"wrong method (405)", "DELETE", "/v1/thing", nil, "", 405, "application/json"},
		{"handler panic (500)", "GET", "/panic", nil, "", 500, "application/json"},
		{"oversized body (413)", "POST", "/v1/widget/x", map[string]string{"Content-Type": "application/json"}, `{"a":"` + strings.Repeat("x", 100) + `"}`, 413, "application/json"},
		{"bad resume point (400)", "GET", "/events?last_event_id=1--1", nil, "", 400, "application/json"},
		{"webhook handshake echo", "GET", "/webhooks/wa?hub.challenge=%3Chtml%3E", nil, "", 200, "text/plain"},
		{"unknown webhook (404)", "GET", "/webhooks/nope", nil, "", 404, "application/json"},
		{"CORS preflight", "OPTIONS", "/v1/widget/x", map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}, "", 204, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			for k, v := range c.hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.Echo.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, c.status, rec.Body)
			}
			if got := rec.Header().Get(echo.HeaderContentType); !strings.HasPrefix(got, c.ctype) {
				t.Errorf("Content-Type %q, want %q", got, c.ctype)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
		})
	}

	// An event stream, over a real connection: its headers go out before
	// any event.
	t.Run("event stream", func(t *testing.T) {
		srv := httptest.NewServer(s.Echo)
		t.Cleanup(srv.Close)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("open stream: %v", err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Fatalf("stream: %d %q", resp.StatusCode, ct)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("X-Content-Type-Options %q, want nosniff", got)
		}
	})
}
