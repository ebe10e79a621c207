package whatsapp

import (
	"context"
	"net/http"
	"net/url"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// Sender sends messages with the Cloud API:
// POST {graph_url}/{phone_number_id}/messages with the access token as a
// Bearer token; files are uploaded first (upload.go).
type Sender struct {
	client        *meta.Client
	files         *meta.Client // uploads: a client without an overall timeout
	phoneNumberID string
}

var _ core.Sender = (*Sender)(nil)

// NewSender returns the Sender of one phone number. hc, the client of API
// calls, may be nil; files, the client of uploads, should have no overall
// timeout (nil: hc).
func NewSender(graphURL, phoneNumberID, accessToken string, hc, files *http.Client) *Sender {
	if files == nil {
		files = hc
	}
	return &Sender{client: meta.NewClient(graphURL, accessToken, hc), files: meta.NewClient(graphURL, accessToken, files),
		phoneNumberID: phoneNumberID}
}

type sendRequest struct {
	MessagingProduct string     `json:"messaging_product"`
	RecipientType    string     `json:"recipient_type"`
	To               string     `json:"to"`
	Type             string     `json:"type"`
	Text             *sendText  `json:"text,omitempty"`
	Image            *sendMedia `json:"image,omitempty"`
	Audio            *sendMedia `json:"audio,omitempty"`
	Video            *sendMedia `json:"video,omitempty"`
	Document         *sendMedia `json:"document,omitempty"`
	Sticker          *sendMedia `json:"sticker,omitempty"`
}

type sendText struct {
	Body string `json:"body"`
}

type sendResponse struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// Send posts m to the customer's wa_id (its text, or its file with the
// caption) and returns the wamid.
// Permanent refusals (131047 outside the 24 h window, 131026
// undeliverable, 190 bad token, …) are *core.DeliveryError; 5xx, 429,
// throttling codes and timeouts are returned for the queue to retry.
func (s *Sender) Send(ctx context.Context, m core.Outbound) (string, error) {
	to := m.Customer.ChannelUserID
	if to == "" {
		return "", &core.DeliveryError{Permanent: true, Code: "no_recipient", Reason: "the customer has no WhatsApp id"}
	}
	if m.File != nil {
		return s.sendFile(ctx, to, m)
	}
	return s.post(ctx, sendRequest{MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Type: "text",
		Text: &sendText{Body: m.Text}})
}

// post sends one message request and returns its wamid.
func (s *Sender) post(ctx context.Context, req sendRequest) (string, error) {
	var resp sendResponse
	err := s.client.Do(ctx, http.MethodPost, url.PathEscape(s.phoneNumberID)+"/messages", nil, req, &resp)
	if err != nil {
		return "", meta.Classify(err)
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		// Accepted but no id: sending again could duplicate the message.
		return "", &core.DeliveryError{Permanent: true, Code: "no_message_id", Reason: "the Cloud API accepted the message but returned no id"}
	}
	return resp.Messages[0].ID, nil
}
