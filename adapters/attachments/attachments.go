// Package attachments serves the files of messages: GET
// /v1/attachments/{id} and /v1/attachments/{id}/thumbnail, for an agent
// who may read the conversation or for its widget visitor.
package attachments

import (
	"errors"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/core"
)

// Handler serves attachment files.
type Handler struct{ svc *core.Service }

// New builds the routes on the Service.
func New(svc *core.Service) *Handler { return &Handler{svc: svc} }

// Register adds the routes.
func (h *Handler) Register(e *echo.Echo) {
	e.GET("/v1/attachments/:id", func(c echo.Context) error { return h.serve(c, false) })
	e.GET("/v1/attachments/:id/thumbnail", func(c echo.Context) error { return h.serve(c, true) })
}

// serve answers with the file: the token is an agent's or the visitor's
// (the Authorization header, or access_token in the query for an <img>
// or <audio> element, which cannot send headers).
func (h *Handler) serve(c echo.Context, thumbnail bool) error {
	ctx := c.Request().Context()
	token, id := httpapi.StreamToken(c), c.Param("id")
	f, err := h.open(c, token, id, thumbnail)
	if err != nil {
		return err
	}
	defer f.Blob.Close()
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, f.ContentType)
	hd.Set(echo.HeaderXContentTypeOptions, "nosniff")
	hd.Set("Content-Security-Policy", "sandbox")
	hd.Set("Cache-Control", "private, max-age=86400")
	hd.Set("ETag", `"`+f.Key+`"`)
	hd.Set("Content-Disposition", disposition(f, thumbnail))
	// ServeContent answers Range (206, Accept-Ranges), If-None-Match (304)
	// and If-Range from the ETag, and sets Content-Length.
	http.ServeContent(c.Response(), c.Request().WithContext(ctx), "", time.Time{}, f.Blob)
	return nil
}

// open authenticates the token as an agent's, else as a visitor's.
func (h *Handler) open(c echo.Context, token, id string, thumbnail bool) (core.AttachmentFile, error) {
	ctx := c.Request().Context()
	agent, err := h.svc.AgentByToken(ctx, token)
	if err == nil {
		return h.svc.AgentAttachment(ctx, agent, id, thumbnail)
	}
	if !errors.Is(err, core.ErrUnauthorized) {
		return core.AttachmentFile{}, err
	}
	v, verr := h.svc.VisitorByToken(ctx, token)
	if verr != nil {
		return core.AttachmentFile{}, verr
	}
	return h.svc.VisitorAttachment(ctx, v, id, thumbnail)
}

// disposition is inline only for the types a browser shows safely
// (core.InlineSafe), else a download with the file's name.
func disposition(f core.AttachmentFile, thumbnail bool) string {
	if thumbnail || core.InlineSafe(f.ContentType) {
		return "inline"
	}
	name := f.Attachment.Name
	if name == "" {
		name = string(f.Attachment.Kind)
		if exts, _ := mime.ExtensionsByType(core.MediaTypeBase(f.ContentType)); len(exts) > 0 {
			name += exts[0]
		}
	}
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}
