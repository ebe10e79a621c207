package whatsapp

import (
	"context"
	"net/http"
	"net/url"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// Sender sends text messages with the Cloud API:
// POST {graph_url}/{phone_number_id}/messages with the access token as a
// Bearer token.
type Sender struct {
	client        *meta.Client
	phoneNumberID string
}

var _ core.Sender = (*Sender)(nil)

// NewSender returns the Sender of one phone number. hc may be nil.
func NewSender(graphURL, phoneNumberID, accessToken string, hc *http.Client) *Sender {
	return &Sender{client: meta.NewClient(graphURL, accessToken, hc), phoneNumberID: phoneNumberID}
}

type sendRequest struct {
	MessagingProduct string   `json:"messaging_product"`
	RecipientType    string   `json:"recipient_type"`
	To               string   `json:"to"`
	Type             string   `json:"type"`
	Text             sendText `json:"text"`
}

type sendText struct {
	Body string `json:"body"`
}

type sendResponse struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// Send posts m's text to the customer's wa_id and returns the wamid.
// Permanent refusals (131047 outside the 24 h window, 131026
// undeliverable, 190 bad token, …) are *core.DeliveryError; 5xx, 429,
// throttling codes and timeouts are returned for the queue to retry.
func (s *Sender) Send(ctx context.Context, m core.Outbound) (string, error) {
	to := m.Customer.ChannelUserID
	if to == "" {
		return "", &core.DeliveryError{Permanent: true, Code: "no_recipient", Reason: "the customer has no WhatsApp id"}
	}
	req := sendRequest{MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Type: "text",
		Text: sendText{Body: m.Text}}
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
