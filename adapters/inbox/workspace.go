package inbox

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/core"
)

// The agent's workspace: private notes, typing, read marks, the request
// preview and the agent's own name (core/notes.go, typing.go, unread.go,
// workspace.go).

func (h *Handler) addNote(c echo.Context) error {
	var b struct {
		Text string `json:"text"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	m, err := h.svc.AddNote(ctx(c), agent(c), c.Param("id"), b.Text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"message": m})
}

// typingBody is {"typing": bool} of both typing routes; typing is required.
type typingBody struct {
	Typing *bool `json:"typing"`
}

// bindTyping reads {"typing": bool}.
func bindTyping(c echo.Context) (bool, error) {
	var b typingBody
	if err := httpapi.Bind(c, &b, false); err != nil {
		return false, err
	}
	if b.Typing == nil {
		return false, core.Invalid("typing", "is required (true or false)")
	}
	return *b.Typing, nil
}

func (h *Handler) typing(c echo.Context) error {
	typing, err := bindTyping(c)
	if err != nil {
		return err
	}
	if err := h.svc.AgentTyping(ctx(c), agent(c), c.Param("id"), typing); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) markRead(c echo.Context) error {
	conv, err := h.svc.MarkConversationRead(ctx(c), agent(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, conv)
}

func (h *Handler) requestMessages(c echo.Context) error {
	msgs, err := h.svc.RequestMessages(ctx(c), agent(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"messages": msgs})
}

func (h *Handler) updateMe(c echo.Context) error {
	var b struct {
		Name *string `json:"name"`
	}
	if err := httpapi.Bind(c, &b, false); err != nil {
		return err
	}
	a, err := h.svc.UpdateMe(ctx(c), agent(c), core.MePatch{Name: b.Name})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}
