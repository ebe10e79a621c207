package inbox

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/ratelimit"
	"github.com/switchboard-chat/switchboard/core"
)

// Reloader re-reads the configuration; an invalid file is an error
// (errors.Is core.ErrInvalid) and the old configuration stays in force.
type Reloader func(ctx context.Context) error

// Handler serves the agent routes.
type Handler struct {
	svc     *core.Service
	reload  Reloader
	streams *httpapi.EventStreams
	// logins limits login attempts; nil: no limit.
	logins *ratelimit.Logins
	// search bounds history searches (searches.go).
	search searchLimits
}

// LimitLogins counts every login attempt under l before its password is
// checked (429 past a limit, a growing delay past the per-e-mail one).
func (h *Handler) LimitLogins(l *ratelimit.Logins) *Handler {
	h.logins = l
	return h
}

// New builds the inbox routes. reload may be nil (no config file).
func New(svc *core.Service, reload Reloader, streams *httpapi.EventStreams) *Handler {
	return &Handler{svc: svc, reload: reload, streams: streams}
}

var (
	//go:embed web/index.html
	pageHTML []byte
	//go:embed web/app.js
	appJS []byte
	//go:embed web/attachments.js
	attachmentsJS []byte
	//go:embed web/app.css
	appCSS []byte
	// The ringer (web/ring.js) plays web/ring.wav when a request is
	// offered to the agent; favicon.ico is the page's static icon, which
	// the ringer redraws with the count of offered requests. Both files
	// are generated (assets_test.go, go generate).
	//go:embed web/ring.js
	ringJS []byte
	//go:embed web/ring.wav
	ringWAV []byte
	//go:embed web/favicon.ico
	faviconICO []byte
)

// pageCSP allows the inbox's own script, styles and API calls only, so that
// no customer-written text can ever run as code in an agent's browser.
// Attachments are read with the agent's token and shown from blob: URLs.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Register adds the routes.
func (h *Handler) Register(e *echo.Echo) {
	e.GET("/inbox", httpapi.ServeAsset(httpapi.Asset{
		ContentType: echo.MIMETextHTMLCharsetUTF8, Body: pageHTML, CSP: pageCSP}))
	e.GET("/inbox/app.js", httpapi.ServeAsset(httpapi.Asset{
		ContentType: "text/javascript; charset=utf-8", Body: appJS}))
	e.GET("/inbox/attachments.js", httpapi.ServeAsset(httpapi.Asset{
		ContentType: "text/javascript; charset=utf-8", Body: attachmentsJS}))
	e.GET("/inbox/app.css", httpapi.ServeAsset(httpapi.Asset{
		ContentType: "text/css; charset=utf-8", Body: appCSS}))
	e.GET("/inbox/ring.js", httpapi.ServeAsset(httpapi.Asset{
		ContentType: "text/javascript; charset=utf-8", Body: ringJS}))
	e.GET("/inbox/ring.wav", httpapi.ServeAsset(httpapi.Asset{ContentType: "audio/wav", Body: ringWAV}))
	e.GET("/favicon.ico", httpapi.ServeAsset(httpapi.Asset{ContentType: "image/x-icon", Body: faviconICO}))
	e.POST("/v1/auth/login", h.login)
	e.GET("/v1/events", h.events)
	a := e.Group("/v1", h.agentAuth)
	a.POST("/auth/logout", h.logout)
	a.GET("/me", h.me)
	a.PATCH("/me", h.updateMe)
	a.PUT("/me/status", h.setStatus)

	a.GET("/requests", h.listRequests)
	a.GET("/requests/:id", h.getRequest)
	a.GET("/requests/:id/messages", h.requestMessages)
	a.POST("/requests/:id/accept", h.accept)
	a.POST("/requests/:id/decline", h.decline)

	a.GET("/conversations", h.listConversations)
	a.GET("/conversations/:id", h.getConversation)
	a.POST("/conversations/:id/messages", h.sendMessage)
	a.POST("/conversations/:id/attachments", h.sendAttachment)
	a.POST("/conversations/:id/resolve", h.resolve)
	a.POST("/conversations/:id/reassign", h.reassign)
	a.POST("/conversations/:id/notes", h.addNote)
	a.PUT("/conversations/:id/typing", h.typing)
	a.POST("/conversations/:id/read", h.markRead)

	a.GET("/templates", h.templates)
	a.GET("/stats", h.stats)
	a.GET("/reports/shift", h.shiftReport)
	a.POST("/reports/shift/follow-up", h.followUp)

	ad := a.Group("/admin", adminOnly)
	ad.POST("/agents", h.createAgent)
	ad.GET("/agents", h.listAgents)
	ad.PATCH("/agents/:id", h.updateAgent)
	ad.POST("/reload", h.reloadConfig)
}

func (h *Handler) agentAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := h.svc.AgentByToken(c.Request().Context(), httpapi.BearerToken(c))
		if err != nil {
			return err
		}
		c.Set("agent", a)
		return next(c)
	}
}

func adminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !agent(c).Admin {
			return core.ErrForbidden
		}
		return next(c)
	}
}

func agent(c echo.Context) core.Agent { return c.Get("agent").(core.Agent) }

func ctx(c echo.Context) context.Context { return c.Request().Context() }

// events is the agent's Server-Sent Events stream.
func (h *Handler) events(c echo.Context) error {
	token := httpapi.StreamToken(c)
	a, err := h.svc.AgentByToken(ctx(c), token)
	if err != nil {
		return err
	}
	return h.streams.ServeToken(c, core.AgentStream(a.ID), token)
}

func (h *Handler) login(c echo.Context) error {
	var b struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	// The attempt is counted before the password is checked, so parallel
	// guesses cannot all pass a limit that none of them has reached yet.
	att, wait, err := h.logins.Begin(ctx(c), b.Email, c.RealIP())
	if err != nil {
		return fmt.Errorf("login limit: %w: %w", core.ErrUnavailable, err)
	}
	if wait > 0 {
		return httpapi.RateLimited(c, wait)
	}
	if att.Delay > 0 {
		t := time.NewTimer(att.Delay)
		select {
		case <-t.C:
		case <-ctx(c).Done():
			t.Stop()
			return fmt.Errorf("login: %w", ctx(c).Err())
		}
	}
	token, a, err := h.svc.Login(ctx(c), b.Email, b.Password)
	if err != nil {
		return err
	}
	// A failed reset only leaves this attempt counted against the limits.
	_ = att.Succeeded(ctx(c))
	httpapi.NoStore(c)
	return c.JSON(http.StatusOK, map[string]any{"token": token, "agent": a})
}

func (h *Handler) logout(c echo.Context) error {
	if err := h.svc.Logout(ctx(c), httpapi.BearerToken(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) me(c echo.Context) error {
	a, err := h.svc.Me(ctx(c), agent(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (h *Handler) setStatus(c echo.Context) error {
	var b struct {
		Online *bool `json:"online"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	if b.Online == nil {
		return core.Invalid("online", "is required (true or false)")
	}
	a, err := h.svc.SetOnline(ctx(c), agent(c), *b.Online)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (h *Handler) listRequests(c echo.Context) error {
	reqs, err := h.svc.ListRequests(ctx(c), agent(c), c.QueryParam("status"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"requests": reqs})
}

func (h *Handler) getRequest(c echo.Context) error {
	r, err := h.svc.GetRequest(ctx(c), agent(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) accept(c echo.Context) error {
	r, conv, err := h.svc.Accept(ctx(c), agent(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"request": r, "conversation": conv})
}

func (h *Handler) decline(c echo.Context) error {
	var b struct {
		Reason string `json:"reason"`
	}
	if err := httpapi.Bind(c, &b, true); err != nil {
		return err
	}
	r, err := h.svc.Decline(ctx(c), agent(c), c.Param("id"), b.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) listConversations(c echo.Context) error {
	q, err := conversationQuery(c)
	if err != nil {
		return err
	}
	release, err := h.search.begin(c, agent(c), q)
	if err != nil {
		return err
	}
	defer release()
	convs, next, err := h.svc.SearchConversations(ctx(c), agent(c), q)
	if err != nil {
		return err
	}
	out := map[string]any{"conversations": convs}
	if next != "" {
		out["next_cursor"] = next
	}
	return c.JSON(http.StatusOK, out)
}

// conversationQuery reads the history filters of GET /v1/conversations.
func conversationQuery(c echo.Context) (core.ConversationQuery, error) {
	statuses, err := core.ConversationFilter(c.QueryParam("status"))
	if err != nil {
		return core.ConversationQuery{}, err
	}
	q := core.ConversationQuery{Statuses: statuses, Text: c.QueryParam("q"), Customer: c.QueryParam("customer"),
		Channel: c.QueryParam("channel"), AgentID: c.QueryParam("agent_id"), Cursor: c.QueryParam("cursor")}
	if q.From, _, err = parseBound("from", c.QueryParam("from")); err != nil {
		return q, err
	}
	var day bool
	if q.To, day, err = parseBound("to", c.QueryParam("to")); err != nil {
		return q, err
	}
	if day {
		q.To = q.To.Add(24 * time.Hour) // a date means that whole day
	}
	if l := c.QueryParam("limit"); l != "" {
		if q.Limit, err = strconv.Atoi(l); err != nil || q.Limit < 1 {
			return q, core.Invalid("limit", "must be a positive whole number")
		}
	}
	return q, nil
}

// parseBound reads a date (YYYY-MM-DD, UTC) or an RFC 3339 time.
func parseBound(field, v string) (time.Time, bool, error) {
	if v == "" {
		return time.Time{}, false, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, false, core.Invalid(field, "must be a date (2026-11-24) or an RFC 3339 time")
	}
	return t.UTC(), false, nil
}

func (h *Handler) getConversation(c echo.Context) error {
	conv, msgs, err := h.svc.GetConversation(ctx(c), agent(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"conversation": conv, "messages": msgs})
}

func (h *Handler) sendMessage(c echo.Context) error {
	var b struct {
		Text     string `json:"text"`
		Template string `json:"template"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	m, err := h.svc.SendAgentMessage(ctx(c), agent(c), c.Param("id"), b.Text, b.Template)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"message": m})
}

func (h *Handler) resolve(c echo.Context) error {
	conv, err := h.svc.Resolve(ctx(c), agent(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, conv)
}

func (h *Handler) reassign(c echo.Context) error {
	var b struct {
		AgentID string `json:"agent_id"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	conv, err := h.svc.Reassign(ctx(c), agent(c), c.Param("id"), b.AgentID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, conv)
}

func (h *Handler) templates(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"templates": h.svc.Templates()})
}

func (h *Handler) stats(c echo.Context) error {
	st, err := h.svc.Stats(ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// window reads a report's from and to (a date or an RFC 3339 time; a
// date as `to` means to the end of that day).
func window(from, to string) (time.Time, time.Time, error) {
	f, _, err := parseBound("from", from)
	if err != nil {
		return f, f, err
	}
	t, day, err := parseBound("to", to)
	if day {
		t = t.Add(24 * time.Hour)
	}
	return f, t, err
}

func (h *Handler) shiftReport(c echo.Context) error {
	from, to, err := window(c.QueryParam("from"), c.QueryParam("to"))
	if err != nil {
		return err
	}
	missed, err := h.svc.ShiftReport(ctx(c), agent(c), from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"missed": missed})
}

func (h *Handler) followUp(c echo.Context) error {
	var b struct {
		From     string `json:"from"`
		To       string `json:"to"`
		Template string `json:"template"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	from, to, err := window(b.From, b.To)
	if err != nil {
		return err
	}
	sent, err := h.svc.SendFollowUps(ctx(c), agent(c), from, to, b.Template)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"sent": sent})
}

type agentBody struct {
	Email    *string   `json:"email"`
	Name     *string   `json:"name"`
	Password *string   `json:"password"`
	Roles    *[]string `json:"roles"`
	MaxChats *int      `json:"max_chats"`
	Admin    *bool     `json:"admin"`
	Online   *bool     `json:"online"`
	Active   *bool     `json:"active"`
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (h *Handler) createAgent(c echo.Context) error {
	var b agentBody
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	if b.MaxChats != nil && *b.MaxChats == 0 {
		return core.Invalid("max_chats", "must be between 1 and 100")
	}
	a, err := h.svc.CreateAgent(ctx(c), agent(c), core.NewAgent{Email: deref(b.Email), Name: deref(b.Name),
		Password: deref(b.Password), Roles: deref(b.Roles), MaxChats: deref(b.MaxChats), Admin: deref(b.Admin)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

func (h *Handler) listAgents(c echo.Context) error {
	agents, err := h.svc.ListAgents(ctx(c), agent(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"agents": agents})
}

func (h *Handler) updateAgent(c echo.Context) error {
	var b agentBody
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	a, err := h.svc.UpdateAgent(ctx(c), agent(c), c.Param("id"), core.AgentPatch{Email: b.Email, Name: b.Name,
		Password: b.Password, Roles: b.Roles, MaxChats: b.MaxChats, Admin: b.Admin, Online: b.Online, Active: b.Active})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (h *Handler) reloadConfig(c echo.Context) error {
	if h.reload == nil {
		return core.Invalid("config", "the server was started without a config file; there is nothing to reload")
	}
	if err := h.reload(ctx(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "reloaded"})
}
