package widget

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// maxWidgetBytes is the size budget of the served widget script.
const maxWidgetBytes = 48 * 1024

// serve answers one GET on the widget's real routes. The asset routes read
// neither the Service nor the event streams, so none are built.
func serve(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	e := echo.New()
	New(nil, nil).Register(e)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestWebAssetsServed(t *testing.T) {
	tests := []struct {
		path        string
		contentType string
		body        []byte
		headers     map[string]string
		contains    []string
	}{
		{
			path: "/widget.js", contentType: "text/javascript", body: widgetJS,
			headers:  map[string]string{"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"},
			contains: []string{`attachShadow({ mode: "open" })`, `"switchboard-widget"`},
		},
		{
			path: "/widget/demo", contentType: "text/html", body: demoHTML,
			headers:  map[string]string{"Content-Security-Policy": demoCSP},
			contains: []string{`<script src="/widget.js" data-channel="web" async></script>`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := serve(t, tt.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200", tt.path, rec.Code)
			}
			if ct := rec.Header().Get(echo.HeaderContentType); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.contentType)
			}
			for k, v := range tt.headers {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if !bytes.Equal(rec.Body.Bytes(), tt.body) {
				t.Errorf("body is not the embedded file (%d bytes served, %d embedded)", rec.Body.Len(), len(tt.body))
			}
			for _, s := range tt.contains {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("body lacks %q", s)
				}
			}
		})
	}
}

func TestWidgetScriptBudget(t *testing.T) {
	if n := len(widgetJS); n >= maxWidgetBytes {
		t.Errorf("widget.js is %d bytes, budget %d", n, maxWidgetBytes)
	}
	if n := len(widgetJS); n < 4096 {
		t.Errorf("widget.js is only %d bytes: the placeholder, not the widget?", n)
	}
}

// TestWidgetScriptNoHTMLSinks is a cheap guard: visitor and agent text must
// only ever reach the DOM as text, so no HTML-parsing sink may appear at all.
func TestWidgetScriptNoHTMLSinks(t *testing.T) {
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
		"eval(", "new Function", "createContextualFragment", "DOMParser"} {
		if bytes.Contains(widgetJS, []byte(sink)) {
			t.Errorf("widget.js uses %s", sink)
		}
	}
}

// TestWidgetScriptHooks checks that every DOM hook of the contract shared
// with the browser tests is set somewhere in the script.
func TestWidgetScriptHooks(t *testing.T) {
	hooks := []string{
		`"data-sb": "launcher"`, `"data-sb": "panel"`, `"data-sb": "messages"`, `"data-sb": "message"`,
		`"data-sb": "greeting"`, `"data-sb": "input"`, `"data-sb": "send"`, `"data-sb": "handoff"`,
		`"data-sb": "status"`, `"data-sb-status"`, `"data-sb-ready"`, `"data-author"`, `"data-id"`,
		`role: "dialog"`, `role: "log"`, `"aria-live": "polite"`, `"aria-expanded"`,
		`:host { all: initial`, `prefers-reduced-motion`, `@media (max-width: 480px)`,
	}
	for _, h := range hooks {
		if !bytes.Contains(widgetJS, []byte(h)) {
			t.Errorf("widget.js lacks %s", h)
		}
	}
}

// TestDemoPageRunsUnderItsCSP: the demo CSP allows no inline script, so
// every script element must load a file, and no inline handler may appear.
func TestDemoPageRunsUnderItsCSP(t *testing.T) {
	for _, d := range strings.Split(demoCSP, ";") {
		if f := strings.Fields(d); len(f) > 0 && f[0] == "script-src" && slices.Contains(f, "'unsafe-inline'") {
			t.Fatalf("demo CSP allows inline scripts (%s): this test would prove nothing", demoCSP)
		}
	}
	scripts := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllSubmatch(demoHTML, -1)
	if len(scripts) == 0 {
		t.Fatal("demo page has no script element")
	}
	for _, s := range scripts {
		if !bytes.Contains(s[1], []byte("src=")) || len(bytes.TrimSpace(s[2])) > 0 {
			t.Errorf("inline script in demo page: %s", s[0])
		}
	}
	if m := regexp.MustCompile(`(?i)\son[a-z]+\s*=`).Find(demoHTML); m != nil {
		t.Errorf("inline event handler in demo page: %s", m)
	}
	for _, route := range []string{`href="#/docs"`, `href="#/product/1"`} {
		if !bytes.Contains(demoHTML, []byte(route)) {
			t.Errorf("demo page lacks navigation link %s", route)
		}
	}
}
