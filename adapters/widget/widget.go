package widget

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/core"
)

// Handler serves /v1/widget/*.
type Handler struct {
	svc     *core.Service
	streams *httpapi.EventStreams
	limits  limits
}

// New builds the widget routes on the Service.
func New(svc *core.Service, streams *httpapi.EventStreams) *Handler {
	return &Handler{svc: svc, streams: streams}
}

var (
	//go:embed web/widget.js
	widgetJS []byte
	//go:embed web/demo.html
	demoHTML []byte
)

// demoCSP lets the demo page run its own embedded widget and nothing else;
// the widget shows attachments from blob: URLs (they are read with the
// visitor token).
const demoCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; media-src blob:; " +
	"style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Register adds the routes.
func (h *Handler) Register(e *echo.Echo) {
	e.GET("/widget.js", httpapi.ServeAsset(httpapi.Asset{
		ContentType: "text/javascript; charset=utf-8", Body: widgetJS, CrossOrigin: true}))
	e.GET("/widget/demo", httpapi.ServeAsset(httpapi.Asset{
		ContentType: echo.MIMETextHTMLCharsetUTF8, Body: demoHTML, CSP: demoCSP}))
	g := e.Group("/v1/widget")
	g.POST("/sessions", h.createSession, h.limit(h.limits.sessions, nil))
	g.GET("/events", h.events)
	v := g.Group("", h.visitorAuth)
	v.POST("/messages", h.postMessage, h.limit(h.limits.messages, h.limits.messagesByVisitor))
	v.GET("/messages", h.listMessages)
	v.POST("/attachments", h.postAttachment, h.limit(h.limits.messages, h.limits.messagesByVisitor))
	v.POST("/handoff", h.handoff, h.limit(h.limits.handoffs, h.limits.handoffsByVisitor))
	v.PUT("/page", h.page, h.limit(h.limits.pages, h.limits.pagesByVisitor))
	v.PUT("/typing", h.typing, h.limit(h.limits.typing, h.limits.typingByVisitor))
	v.POST("/read", h.read, h.limit(h.limits.reads, h.limits.readsByVisitor))
}

type visitorKey struct{}

func (h *Handler) visitorAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v, err := h.svc.VisitorByToken(c.Request().Context(), httpapi.BearerToken(c))
		if err != nil {
			return err
		}
		c.Set("visitor", v)
		return next(c)
	}
}

func visitor(c echo.Context) core.Visitor { return c.Get("visitor").(core.Visitor) }

// events is the visitor's Server-Sent Events stream.
func (h *Handler) events(c echo.Context) error {
	token := httpapi.StreamToken(c)
	v, err := h.svc.VisitorByToken(c.Request().Context(), token)
	if err != nil {
		return err
	}
	release, ok := h.limits.streams.Acquire(core.HashToken(token))
	if !ok {
		return httpapi.RateLimited(c, 5*time.Second)
	}
	return h.streams.ServeTokenThen(c, core.VisitorStream(v.Customer.ID), token, release)
}

type sessionBody struct {
	ChannelID     string `json:"channel_id"`
	VisitorID     string `json:"visitor_id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	PageURL       string `json:"page_url"`
	VisitorSecret string `json:"visitor_secret"`
}

func (h *Handler) createSession(c echo.Context) error {
	var b sessionBody
	if err := httpapi.Bind(c, &b, true); err != nil {
		return err
	}
	s, err := h.svc.StartWidgetSession(c.Request().Context(), core.WidgetSessionInput(b))
	if err != nil {
		return err
	}
	httpapi.NoStore(c)
	return c.JSON(http.StatusCreated, s)
}

type textBody struct {
	Text string `json:"text"`
}

func (h *Handler) postMessage(c echo.Context) error {
	var b textBody
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	m, err := h.svc.VisitorSend(c.Request().Context(), visitor(c), b.Text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"message": m})
}

// postAttachment takes a visitor's file (multipart: file, optional text)
// into a message; the Service checks and stores it before the message.
func (h *Handler) postAttachment(c echo.Context) error {
	up, err := httpapi.ReadUpload(c, h.svc.MediaMaxBytes())
	if err != nil {
		return err
	}
	m, err := h.svc.VisitorUpload(c.Request().Context(), visitor(c), up.File, up.Text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"message": m})
}

func (h *Handler) handoff(c echo.Context) error {
	var b textBody
	if err := httpapi.Bind(c, &b, true); err != nil {
		return err
	}
	r, err := h.svc.VisitorHandoff(c.Request().Context(), visitor(c), b.Text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"request": r})
}

func (h *Handler) page(c echo.Context) error {
	var b struct {
		PageURL string `json:"page_url"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	if err := h.svc.VisitorPage(c.Request().Context(), visitor(c), b.PageURL); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// typing is PUT /v1/widget/typing {"typing": bool}: an event for the
// agent, never stored.
func (h *Handler) typing(c echo.Context) error {
	var b struct {
		Typing *bool `json:"typing"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	if b.Typing == nil {
		return core.Invalid("typing", "is required (true or false)")
	}
	if err := h.svc.VisitorTyping(c.Request().Context(), visitor(c), *b.Typing); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// read is POST /v1/widget/read {"up_to": message_id}: what the widget
// displayed; the agent's messages up to it become read.
func (h *Handler) read(c echo.Context) error {
	var b struct {
		UpTo string `json:"up_to"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	if err := h.svc.VisitorRead(c.Request().Context(), visitor(c), b.UpTo); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) listMessages(c echo.Context) error {
	th, err := h.svc.VisitorMessages(c.Request().Context(), visitor(c), c.QueryParam("after"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, th)
}

// Sender delivers on a widget channel. The widget is its own transport:
// visitors read their conversation through the poll (and event stream), so
// a stored message is sent once it is readable there, and its id is the
// provider id.
type Sender struct{}

// Send implements core.Sender.
func (Sender) Send(_ context.Context, m core.Outbound) (string, error) { return m.MessageID, nil }
