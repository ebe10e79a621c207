package inbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// get serves one request through the inbox routes.
func get(t *testing.T, path string) *http.Response {
	t.Helper()
	e := echo.New()
	New(nil, nil, nil).Register(e)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func TestWebAssetsServed(t *testing.T) {
	cases := []struct {
		path, contentType, csp string
		want                   []string
	}{
		{"/inbox", "text/html; charset=UTF-8", pageCSP, []string{`src="/inbox/attachments.js"`, `src="/inbox/app.js"`, `href="/inbox/app.css"`, `data-testid="login-form"`}},
		{"/inbox/app.js", "text/javascript; charset=utf-8", "", []string{"switchboard.inbox.token", "/v1/events?access_token="}},
		{"/inbox/attachments.js", "text/javascript; charset=utf-8", "", []string{"SwitchboardMedia", "Authorization", "URL.createObjectURL"}},
		{"/inbox/app.css", "text/css; charset=utf-8", "", []string{".view-inbox", "@media"}},
		{"/inbox/ring.js", "text/javascript; charset=utf-8", "", []string{"SwitchboardRinger", "Notification"}},
		{"/inbox/ring.wav", "audio/wav", "", []string{"RIFF", "WAVEfmt "}},
		{"/favicon.ico", "image/x-icon", "", []string{"\x00\x00\x01\x00", "PNG"}},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			res := get(t, c.path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); got != c.contentType {
				t.Errorf("Content-Type %q, want %q", got, c.contentType)
			}
			if got := res.Header.Get("Content-Security-Policy"); got != c.csp {
				t.Errorf("Content-Security-Policy %q, want %q", got, c.csp)
			}
			b := body(t, res)
			for _, w := range c.want {
				if !strings.Contains(b, w) {
					t.Errorf("%s lacks %q", c.path, w)
				}
			}
		})
	}
}

// The page runs under a CSP without 'unsafe-inline': markup that relies on
// inline code or styles would silently not work, so none may be there.
func TestPageHasNoInlineCodeOrStyles(t *testing.T) {
	page := string(pageHTML)
	cases := []struct {
		name string
		re   *regexp.Regexp
	}{
		{"script without src", regexp.MustCompile(`(?i)<script(\s[^>]*)?>`)},
		{"style element", regexp.MustCompile(`(?i)<style`)},
		{"inline event handler", regexp.MustCompile(`(?i)\son[a-z]+\s*=`)},
		{"style attribute", regexp.MustCompile(`(?i)\sstyle\s*=`)},
		{"javascript: URL", regexp.MustCompile(`(?i)javascript:`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, m := range c.re.FindAllString(page, -1) {
				if c.name == "script without src" && ownScript.MatchString(m) {
					continue
				}
				t.Errorf("index.html has %q", m)
			}
		})
	}
	if n, own := strings.Count(strings.ToLower(page), "<script"), len(ownScript.FindAllString(page, -1)); n != own {
		t.Errorf("index.html has %d script elements, %d of them the inbox's own files", n, own)
	}
	if a, b := strings.Index(page, `src="/inbox/attachments.js"`), strings.Index(page, `src="/inbox/app.js"`); a < 0 || b < a {
		t.Error("attachments.js must load before app.js, which uses it")
	}
}

// ownScript is a script element of the inbox's own files, served by Register.
var ownScript = regexp.MustCompile(`<script src="/inbox/(app|ring|attachments)\.js" defer>`)

// User text, file names included, must never be parsed as markup.
func TestScriptNeverParsesMarkup(t *testing.T) {
	for name, js := range map[string]string{"app.js": string(appJS), "ring.js": string(ringJS), "attachments.js": string(attachmentsJS)} {
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "createContextualFragment", "DOMParser"} {
			if strings.Contains(js, bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}

// The browser tests find elements only by the hooks of the DOM contract.
func TestContractHooksPresent(t *testing.T) {
	hooks := []string{
		"login-form", "login-email", "login-password", "login-submit", "login-error",
		"me-name", "status-toggle", "logout",
		"tab-inbox", "tab-history", "tab-stats", "tab-admin",
		"requests", "request", "request-name", "request-message", "request-channel", "request-wait",
		"request-page", "request-badge", "request-accept", "request-decline", "requests-empty",
		"conversations", "conversation",
		"chat", "chat-customer", "message", "message-error", "chat-input", "chat-send",
		"template-picker", "template-option", "chat-resolve", "chat-reassign-select", "chat-reassign",
		"history-form", "history-q", "history-customer", "history-from", "history-to", "history-submit", "history-result",
		"stats", "stat-active", "stat-pending", "stat-resolved-today", "stat-resolved-total", "stat-reading", "stat-agent",
		"agents", "agent-row", "agent-form", "agent-email", "agent-name", "agent-password", "agent-roles",
		"agent-max-chats", "agent-admin", "agent-submit", "agent-form-error",
		"notice",
		"attachment", "attachment-pending", "attachment-error", "attachment-image", "attachment-audio", "attachment-length",
		"attachment-video", "attachment-document", "attachment-name", "attachment-size", "media-viewer", "viewer-image",
		"viewer-close", "viewer-download", "chat-attach", "chat-file", "staged-files", "staged-file", "staged-name",
		"staged-progress", "staged-error",
	}
	src := string(pageHTML) + string(appJS)
	for _, h := range hooks {
		t.Run(h, func(t *testing.T) {
			if !strings.Contains(src, `data-testid="`+h+`"`) && !strings.Contains(src, `[data-testid=`+h+`]`) {
				t.Errorf("no element carries data-testid=%q", h)
			}
		})
	}
	checks := []struct{ name, where, want string }{
		{"notice is a status region", string(pageHTML), `data-testid="notice" role="status"`},
		{"history dates are date inputs", string(pageHTML), `data-testid="history-from" type="date"`},
		{"status toggle says whether online", string(pageHTML), `data-testid="status-toggle" type="button" aria-pressed=`},
		{"chat input is a textarea", string(pageHTML), `<textarea id="chat-input" data-testid="chat-input"`},
		{"wait level", string(pageHTML), `data-testid="request-wait" data-level="normal"`},
		{"event stream URL", string(appJS), `new EventSource('/v1/events?access_token=' + enc(S.token))`},
		{"wait thresholds", string(appJS), "AMBER_AFTER = 120"},
	}
	for _, c := range checks {
		if !strings.Contains(c.where, c.want) {
			t.Errorf("%s: missing %q", c.name, c.want)
		}
	}
}
