package whatsapp

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// Typer shows the agent's typing with the Cloud API's typing indicator:
// POST {graph_url}/{phone_number_id}/messages marking the customer's
// newest message read, with typing_indicator {"type":"text"}. WhatsApp
// shows it until the reply or for up to 25 seconds (core.Typer).
type Typer struct {
	client        *meta.Client
	phoneNumberID string
}

var _ core.Typer = (*Typer)(nil)

// NewTyper returns the typing indicator of one phone number. hc may be nil.
func NewTyper(graphURL, phoneNumberID, accessToken string, hc *http.Client) *Typer {
	return &Typer{client: meta.NewClient(graphURL, accessToken, hc), phoneNumberID: phoneNumberID}
}

type typingRequest struct {
	MessagingProduct string          `json:"messaging_product"`
	Status           string          `json:"status"`
	MessageID        string          `json:"message_id"`
	TypingIndicator  typingIndicator `json:"typing_indicator"`
}

type typingIndicator struct {
	Type string `json:"type"`
}

// errNoMessage: the indicator goes with the read mark of a message, so a
// customer who never wrote (a conversation we opened) cannot be shown it.
var errNoMessage = errors.New("whatsapp typing indicator: the customer has no message to mark read")

// Typing marks the customer's newest message (to.ReplyTo, a wamid) read
// and shows the indicator.
func (t *Typer) Typing(ctx context.Context, to core.TypingTarget) error {
	if to.ReplyTo == "" {
		return errNoMessage
	}
	req := typingRequest{MessagingProduct: "whatsapp", Status: "read", MessageID: to.ReplyTo,
		TypingIndicator: typingIndicator{Type: "text"}}
	var resp struct {
		Success bool `json:"success"`
	}
	return t.client.Do(ctx, http.MethodPost, url.PathEscape(t.phoneNumberID)+"/messages", nil, req, &resp)
}
