package inbox

import (
	"net/http"
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
type QueueUI struct {
	svc *core.Service
	ui  http.Handler
}

// NewQueueUI guards ui, which must serve under QueueUIPath.
func NewQueueUI(svc *core.Service, ui http.Handler) *QueueUI { return &QueueUI{svc: svc, ui: ui} }

// Register adds the routes.
func (q *QueueUI) Register(e *echo.Echo) {
	h := func(c echo.Context) error {
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
