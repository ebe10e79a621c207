package inbox

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/core"
)

// QueueUIPath is where Asynq's monitoring UI is served.
const QueueUIPath = "/admin/queues"

const queueCookie = "sb_queues"

// QueueUI serves a web UI (asynqmon) to admins only. A browser opens it
// once as /admin/queues?access_token=<admin token>; the token then rides in
// an HttpOnly, SameSite=Strict cookie limited to this path, so the UI's
// own requests are authenticated too.
//
// SameSite does not stop a page of the same site (another port or
// subdomain of the host) from sending that cookie, so every request that
// changes something (any method but GET, HEAD and OPTIONS) must come from
// the UI's own origin: its Origin header (or, without one, Sec-Fetch-Site)
// must say so, else 403. Every answer forbids framing and carries a
// Content-Security-Policy that allows the UI's own scripts only.
type QueueUI struct {
	svc *core.Service
	ui  http.Handler
	csp string
}

// NewQueueUI guards ui, which must serve under QueueUIPath.
func NewQueueUI(svc *core.Service, ui http.Handler) *QueueUI {
	return &QueueUI{svc: svc, ui: ui, csp: queueCSP(ui)}
}

// inlineScript matches the UI page's inline scripts (those without src).
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// queueCSP is the UI's policy: its own files, plus the inline scripts of
// its page by their hashes (read from the page itself, so a new asynqmon
// release keeps working) and the web fonts its page links to.
func queueCSP(ui http.Handler) string {
	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, QueueUIPath, nil))
	scripts := "'self'"
	for _, m := range inlineScript.FindAllStringSubmatch(rec.Body.String(), -1) {
		sum := sha256.Sum256([]byte(m[1]))
		scripts += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'self'; script-src " + scripts + "; style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; " +
		"font-src 'self' https://fonts.gstatic.com; img-src 'self' data:; connect-src 'self'; object-src 'none'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// sameOrigin reports whether a request that changes something comes from
// the UI's own origin (scheme, host and port).
func sameOrigin(c echo.Context) bool {
	r := c.Request()
	origin := r.Header.Get(echo.HeaderOrigin)
	if origin == "" {
		// Browsers send Origin with every cross-origin POST, PUT and
		// DELETE; without one, the fetch metadata must say same-origin.
		return r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	u, err := url.Parse(origin)
	return err == nil && u.Scheme == c.Scheme() && strings.EqualFold(u.Host, r.Host)
}

// Register adds the routes.
func (q *QueueUI) Register(e *echo.Echo) {
	h := func(c echo.Context) error {
		hdr := c.Response().Header()
		hdr.Set("Content-Security-Policy", q.csp)
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "no-referrer")
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if !sameOrigin(c) {
				return fmt.Errorf("queue UI: %s from another origin: %w", c.Request().Method, core.ErrForbidden)
			}
		}
		token := httpapi.StreamToken(c)
		if token == "" {
			if ck, err := c.Cookie(queueCookie); err == nil {
				token = ck.Value
			}
		}
		a, err := q.svc.AgentByToken(c.Request().Context(), token)
		if err != nil {
			return err
		}
		if !a.Admin {
			return core.ErrForbidden
		}
		if c.QueryParam("access_token") != "" {
			c.SetCookie(&http.Cookie{Name: queueCookie, Value: token, Path: QueueUIPath, HttpOnly: true,
				SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https", Expires: time.Now().Add(12 * time.Hour)})
			return c.Redirect(http.StatusSeeOther, QueueUIPath) // keep the token out of the address bar
		}
		q.ui.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	e.GET(QueueUIPath, h)      // the page
	e.Any(QueueUIPath+"/*", h) // its assets and API
}
