package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/core"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
		msg    string // substring of the message
	}{
		{core.Invalid("text", "must not be empty"), 400, "invalid_request", "text: must not be empty"},
		{fmt.Errorf("email a@b is taken: %w", core.ErrDuplicate), 400, "invalid_request", "taken"},
		{fmt.Errorf("wrap: %w", core.ErrUnauthorized), 401, "unauthorized", "credentials"},
		{fmt.Errorf("accept r1 by a1: %w", core.ErrNotOffered), 403, "not_offered", "not offered"},
		{core.ErrForbidden, 403, "forbidden", "not allowed"},
		{fmt.Errorf("request r1: %w", core.ErrNotFound), 404, "not_found", "Not found"},
		{fmt.Errorf("accept: %w", core.ErrAlreadyAccepted), 409, "already_accepted", "another agent"},
		{core.ErrAtCapacity, 409, "at_capacity", "active conversations"},
		{core.ErrAgentOffline, 409, "agent_offline", "online"},
		{&core.TransitionError{What: "conversation", From: "resolved", Action: "resolve"}, 409, "invalid_transition", "cannot resolve a resolved conversation"},
		{fmt.Errorf("open: %w", &core.GoneError{Reason: "expired"}), 410, "gone", "This file could not be fetched (expired)."},
		{fmt.Errorf("upload: %w", &core.MediaLimitError{Err: core.ErrPayloadTooLarge, Message: "Files may be up to 25 MB."}), 413, "payload_too_large", "Files may be up to 25 MB."},
		{&core.MediaLimitError{Err: core.ErrUnsupportedMediaType, Message: "Files of type text/html are not accepted."}, 415, "unsupported_media_type", "Files of type text/html are not accepted."},
		{core.ErrUnsupportedMediaType, 415, "unsupported_media_type", "This type of file is not accepted."},
		{ErrPayloadTooLarge, 413, "payload_too_large", "too large"},
		{ErrMediaType, 415, "unsupported_media_type", "JSON"},
		{ErrRateLimited, 429, "rate_limited", "retry"},
		{fmt.Errorf("ping: %w", core.ErrUnavailable), 503, "unavailable", "nothing was stored"},
		{echo.ErrNotFound, 404, "not_found", "route"},
		{echo.ErrMethodNotAllowed, 405, "invalid_request", "method"},
		{echo.ErrStatusRequestEntityTooLarge, 413, "payload_too_large", "too large"},
		{errors.New("database exploded with password=hunter2"), 500, "internal", "our side"},
	}
	for _, c := range cases {
		t.Run(c.code+"/"+c.err.Error(), func(t *testing.T) {
			status, body := Classify(c.err)
			if status != c.status || body.Error.Code != c.code {
				t.Fatalf("Classify = %d %q, want %d %q", status, body.Error.Code, c.status, c.code)
			}
			if !strings.Contains(body.Error.Message, c.msg) {
				t.Errorf("message %q does not contain %q", body.Error.Message, c.msg)
			}
			if strings.Contains(body.Error.Message, "hunter2") {
				t.Errorf("internal error text leaked: %q", body.Error.Message)
			}
		})
	}
}

func TestBind(t *testing.T) {
	type body struct {
		Text   string `json:"text"`
		Online *bool  `json:"online"`
	}
	cases := []struct {
		name, ctype, body string
		optional          bool
		wantErr           error
		wantField         string
	}{
		{"ok", "application/json", `{"text":"hi"}`, false, nil, ""},
		{"charset ok", "application/json; charset=utf-8", `{"text":"hi"}`, false, nil, ""},
		{"empty required", "application/json", ``, false, core.ErrInvalid, "body"},
		{"empty optional", "", ``, true, nil, ""},
		{"not json type", "text/plain", `{"text":"hi"}`, false, ErrMediaType, ""},
		{"no type", "", `{"text":"hi"}`, false, ErrMediaType, ""},
		{"malformed", "application/json", `{"text":`, false, core.ErrInvalid, "body"},
		{"wrong type names field", "application/json", `{"text":5}`, false, core.ErrInvalid, "text"},
		{"two objects", "application/json", `{"text":"a"}{"text":"b"}`, false, core.ErrInvalid, "body"},
		{"array", "application/json", `[1]`, false, core.ErrInvalid, "body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := echo.New()
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			ctx := e.NewContext(req, httptest.NewRecorder())
			var b body
			err := Bind(ctx, &b, c.optional)
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("Bind: %v", err)
				}
				return
			}
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Bind error %v, want %v", err, c.wantErr)
			}
			var fe *core.FieldError
			if c.wantField != "" && (!errors.As(err, &fe) || fe.Field != c.wantField) {
				t.Errorf("field error %v, want field %q", err, c.wantField)
			}
		})
	}
}

func TestServer(t *testing.T) {
	var dbDown bool
	s := New(Options{
		BodyLimit:   64,
		CORSOrigins: []string{"https://shop.example"},
		Ready: map[string]Check{
			"database": func(context.Context) error {
				if dbDown {
					return core.ErrUnavailable
				}
				return nil
			},
			"redis": func(context.Context) error { return nil },
		},
	}, routesFunc(func(e *echo.Echo) {
		e.POST("/v1/echo", func(c echo.Context) error {
			var v map[string]any
			if err := Bind(c, &v, false); err != nil {
				return err
			}
			return c.JSON(200, v)
		})
		e.POST("/v1/widget/x", func(c echo.Context) error { return c.NoContent(204) })
		e.GET("/panic", func(echo.Context) error { panic("boom") })
	}))
	do := func(method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		s.Echo.ServeHTTP(rec, req)
		return rec
	}
	code := func(rec *httptest.ResponseRecorder) string {
		t.Helper()
		var b ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
			t.Fatalf("error body %q: %v", rec.Body.String(), err)
		}
		return b.Error.Code
	}
	jsonHdr := map[string]string{"Content-Type": "application/json"}

	if rec := do("GET", "/healthz", "", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ok"`) {
		t.Errorf("healthz: %d %s", rec.Code, rec.Body)
	}
	if rec := do("GET", "/readyz", "", nil); rec.Code != 200 {
		t.Errorf("readyz up: %d %s", rec.Code, rec.Body)
	}
	dbDown = true
	if rec := do("GET", "/readyz", "", nil); rec.Code != 503 || !strings.Contains(rec.Body.String(), `"database":"unavailable"`) {
		t.Errorf("readyz down: %d %s", rec.Code, rec.Body)
	}
	dbDown = false
	s.Drain()
	if rec := do("GET", "/readyz", "", nil); rec.Code != 503 || !strings.Contains(rec.Body.String(), `"draining"`) {
		t.Errorf("readyz while draining: %d %s", rec.Code, rec.Body)
	}
	if rec := do("GET", "/healthz", "", nil); rec.Code != 200 {
		t.Errorf("healthz while draining: %d", rec.Code)
	}
	if rec := do("POST", "/v1/echo", `{"a":"`+strings.Repeat("x", 100)+`"}`, jsonHdr); rec.Code != 413 || code(rec) != "payload_too_large" {
		t.Errorf("oversized: %d %s", rec.Code, rec.Body)
	}
	if rec := do("GET", "/nope", "", nil); rec.Code != 404 || code(rec) != "not_found" {
		t.Errorf("404: %d %s", rec.Code, rec.Body)
	}
	if rec := do("GET", "/v1/echo", "", nil); rec.Code != 405 || code(rec) != "invalid_request" {
		t.Errorf("405: %d %s", rec.Code, rec.Body)
	}
	if rec := do("GET", "/panic", "", nil); rec.Code != 500 || code(rec) != "internal" {
		t.Errorf("panic: %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/v1/echo", `{"a":1}`, jsonHdr); rec.Code != 200 || rec.Header().Get(echo.HeaderXRequestID) == "" {
		t.Errorf("echo: %d %s, request id %q", rec.Code, rec.Body, rec.Header().Get(echo.HeaderXRequestID))
	}
	pre := map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
	if rec := do("OPTIONS", "/v1/widget/x", "", pre); rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Errorf("widget preflight: %d %v", rec.Code, rec.Header())
	}
	if rec := do("OPTIONS", "/v1/widget/x", "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin allowed: %v", rec.Header())
	}
	// The widget reads its conversation's files with the visitor token.
	get := map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
	if rec := do("OPTIONS", "/v1/attachments/a1", "", get); rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != "https://shop.example" ||
		!strings.Contains(strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("attachment preflight: %d %v", rec.Code, rec.Header())
	}
	get["Origin"] = "https://evil.example"
	if rec := do("OPTIONS", "/v1/attachments/a1", "", get); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin allowed on attachments: %v", rec.Header())
	}
	if rec := do("POST", "/v1/echo", `{}`, map[string]string{"Origin": "https://shop.example", "Content-Type": "application/json"}); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS on a non-widget route: %v", rec.Header())
	}
}

// TestProbes: a worker's listener answers the probes and /metrics, and
// nothing of the API.
func TestProbes(t *testing.T) {
	var redisDown bool
	m := NewMetrics()
	s := NewProbes(Options{Metrics: m, Ready: map[string]Check{
		"database": func(context.Context) error { return nil },
		"redis": func(context.Context) error {
			if redisDown {
				return core.ErrUnavailable
			}
			return nil
		},
	}})
	get := func(path string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		s.Echo.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/healthz", 200, `"ok"`},
		{"/readyz", 200, `"redis":"ok"`},
		{"/metrics", 200, "go_goroutines"},
		{"/openapi.yaml", 404, "not_found"},
		{"/v1/me", 404, "not_found"},
	} {
		if rec := get(tc.path); rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("GET %s: %d %s, want %d with %s", tc.path, rec.Code, rec.Body, tc.status, tc.body)
		}
	}
	redisDown = true
	rec := get("/readyz")
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"redis":"unavailable"`) || !strings.Contains(rec.Body.String(), "redis not answering") {
		t.Errorf("readyz with redis down: %d %s", rec.Code, rec.Body)
	}
	redisDown = false
	s.Drain()
	if rec := get("/readyz"); rec.Code != 503 || !strings.Contains(rec.Body.String(), `"draining"`) {
		t.Errorf("readyz while draining: %d %s", rec.Code, rec.Body)
	}
}

type routesFunc func(*echo.Echo)

func (f routesFunc) Register(e *echo.Echo) { f(e) }

func TestMetrics(t *testing.T) {
	m := NewMetrics()
	hooks := NewWebhooks(m)
	hooks.Replace(map[string]Webhook{"wa": webhookFunc(func(r *http.Request) error {
		switch r.Header.Get("X-Case") {
		case "unsigned":
			return core.ErrUnauthorized
		case "down":
			return core.ErrUnavailable
		}
		return nil
	})})
	s := New(Options{Metrics: m}, hooks, routesFunc(func(e *echo.Echo) {
		e.POST("/v1/requests/:id/accept", func(c echo.Context) error {
			if c.Param("id") == "taken" {
				return core.ErrAlreadyAccepted
			}
			return c.NoContent(200)
		})
	}))
	do := func(path, kase string) {
		t.Helper()
		req := httptest.NewRequest("POST", path, strings.NewReader("{}"))
		req.Header.Set("X-Case", kase)
		s.Echo.ServeHTTP(httptest.NewRecorder(), req)
	}
	do("/webhooks/wa", "")
	do("/webhooks/wa", "")
	do("/webhooks/wa", "unsigned")
	do("/webhooks/wa", "down")
	do("/webhooks/nope", "")
	do("/v1/requests/r1/accept", "")
	do("/v1/requests/taken/accept", "")
	do("/v1/requests/taken/accept", "")
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`switchboard_webhook_ingest_total{channel="wa",outcome="accepted"} 2`,
		`switchboard_webhook_ingest_total{channel="wa",outcome="unauthorized"} 1`,
		`switchboard_webhook_ingest_total{channel="wa",outcome="unavailable"} 1`,
		`switchboard_webhook_ingest_total{channel="unknown",outcome="unknown_channel"} 1`,
		`switchboard_accept_seconds_count{outcome="accepted"} 1`,
		`switchboard_accept_seconds_count{outcome="already_accepted"} 2`,
		`echo_requests_total{code="200",host="",method="POST",url="/v1/requests/:id/accept"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, `url="/metrics"`) {
		t.Error("scrapes of /metrics are counted")
	}
}

// TestWebhookRoutes: a channel's answers become the contract's statuses,
// including the errors of receiving that core has no sentinel for.
func TestWebhookRoutes(t *testing.T) {
	hooks := NewWebhooks(nil)
	hooks.Replace(map[string]Webhook{
		"tg": webhookFunc(func(r *http.Request) error {
			switch r.Header.Get("X-Case") {
			case "large":
				return fmt.Errorf("webhook tg: %w", inbound.ErrTooLarge)
			case "bad":
				return core.Invalid("body", "is not valid JSON")
			}
			return nil
		}),
		"wa": echoHandshake{},
	})
	s := New(Options{}, hooks)
	cases := []struct {
		method, path, kase string
		status             int
		body               string
	}{
		{"POST", "/webhooks/tg", "", 200, ""},
		{"POST", "/webhooks/tg", "large", 413, `"code":"payload_too_large"`},
		{"POST", "/webhooks/tg", "bad", 400, `"code":"invalid_request"`},
		{"POST", "/webhooks/nope", "", 404, `"code":"not_found"`},
		{"GET", "/webhooks/tg", "", 405, `"code":"invalid_request"`},
		{"GET", "/webhooks/wa?hub.challenge=42", "", 200, "42"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path+" "+c.kase, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, strings.NewReader("{}"))
			req.Header.Set("X-Case", c.kase)
			rec := httptest.NewRecorder()
			s.Echo.ServeHTTP(rec, req)
			if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.body) {
				t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body, c.status, c.body)
			}
		})
	}
}

type webhookFunc func(*http.Request) error

func (webhookFunc) Handshake(*http.Request) (string, error) { return "", inbound.ErrNoHandshake }
func (f webhookFunc) Receive(r *http.Request) error         { return f(r) }

// TestAccessLog: by default every request has its log line; with
// AccessErrorsOnly only those answered 400 or more, 5xx at ERROR.
func TestAccessLog(t *testing.T) {
	for _, c := range []struct {
		name       string
		errorsOnly bool
		want       map[string]string // path → level of its line ("" for none)
	}{
		{"all", false, map[string]string{"/ok": "INFO", "/missing": "INFO", "/broken": "ERROR"}},
		{"errors only", true, map[string]string{"/ok": "", "/missing": "INFO", "/broken": "ERROR"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			s := New(Options{Logger: slog.New(slog.NewJSONHandler(&out, nil)), AccessErrorsOnly: c.errorsOnly},
				routesFunc(func(e *echo.Echo) {
					e.GET("/ok", func(c echo.Context) error { return c.NoContent(204) })
					e.GET("/broken", func(echo.Context) error { return errors.New("store down") })
				}))
			for path, want := range c.want {
				out.Reset()
				s.Echo.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
				level := ""
				for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
					var rec map[string]any
					if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "http request" {
						level, _ = rec["level"].(string)
					}
				}
				if level != want {
					t.Errorf("%s: request line at %q, want %q (log: %s)", path, level, want, out.String())
				}
			}
		})
	}
}
