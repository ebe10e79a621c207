package inbox

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
)

// sendAttachment takes the assigned agent's file (multipart: file,
// optional text as its caption) into a queued message for the customer's
// channel; the Service checks it against media.max_bytes and the
// channel's limits before anything is stored.
func (h *Handler) sendAttachment(c echo.Context) error {
	up, err := httpapi.ReadUpload(c, h.svc.MediaMaxBytes())
	if err != nil {
		return err
	}
	m, err := h.svc.SendAgentFile(ctx(c), agent(c), c.Param("id"), up.File, up.Text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"message": m})
}
