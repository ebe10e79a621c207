package meta

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// Messaging windows of the Send API: a standard reply within 24 h of the
// customer's last message, a human agent's reply (HUMAN_AGENT tag) within
// 7 days.
const (
	ResponseWindow   = 24 * time.Hour
	HumanAgentWindow = 7 * 24 * time.Hour
)

// MessagingSender sends messages with the Send API, POST
// {graph_url}/me/messages (Messenger with the page token, Instagram with
// its access token): texts, and files uploaded with the message
// (upload.go).
type MessagingSender struct {
	Client *Client
	// Files is the client of file uploads, one without an overall
	// timeout (nil: Client).
	Files *Client
	// Limits are what the channel takes in a file, checked before
	// anything is sent.
	Limits core.MediaLimits
	// MaxText is the longest text one message takes (Messenger 2000
	// characters, Instagram 1000); longer texts go out in parts.
	MaxText int
	// Now is the clock of the messaging windows (time.Now when nil).
	Now func() time.Time
}

type sendAPIRequest struct {
	Recipient     sendRecipient `json:"recipient"`
	MessagingType string        `json:"messaging_type"`
	Tag           string        `json:"tag,omitempty"`
	Message       struct {
		Text string `json:"text"`
	} `json:"message"`
}

type sendRecipient struct {
	ID string `json:"id"`
}

type sendAPIResponse struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

// Send posts m to the customer. Inside 24 h of the customer's last
// message it is a RESPONSE; up to 7 days an agent's (or the system's)
// message goes out as MESSAGE_TAG with tag HUMAN_AGENT; beyond that, or a
// bot message after 24 h, it fails for good without calling the API. The
// provider id is the mid of the (last) message.
func (s *MessagingSender) Send(ctx context.Context, m core.Outbound) (string, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	start := now()
	to := m.Customer.ChannelUserID
	if to == "" {
		return "", &core.DeliveryError{Permanent: true, Code: "no_recipient", Reason: "the customer has no id on this channel"}
	}
	var req sendAPIRequest
	req.Recipient.ID = to
	req.MessagingType = "RESPONSE"
	if seen := m.Customer.LastSeenAt; !seen.IsZero() && start.Sub(seen) > ResponseWindow {
		if start.Sub(seen) > HumanAgentWindow || m.Author == core.AuthorBot {
			return "", &core.DeliveryError{Permanent: true, Code: "outside_window",
				Reason: "the customer's last message is older than the messaging window (24 h; 7 days for a human agent's reply)"}
		}
		req.MessagingType, req.Tag = "MESSAGE_TAG", "HUMAN_AGENT"
	}
	if m.File != nil {
		return s.sendFile(ctx, req, m)
	}
	return s.sendText(ctx, req, m.Text)
}

// sendText posts text, in parts of at most MaxText characters, and
// returns the mid of the last.
func (s *MessagingSender) sendText(ctx context.Context, req sendAPIRequest, text string) (string, error) {
	var mid string
	for _, part := range split(text, s.MaxText) {
		req.Message.Text = part
		var resp sendAPIResponse
		if err := s.Client.Do(ctx, http.MethodPost, "me/messages", nil, req, &resp); err != nil {
			return "", Classify(err)
		}
		if resp.MessageID == "" {
			return "", &core.DeliveryError{Permanent: true, Code: "no_message_id", Reason: "the Send API accepted the message but returned no id"}
		}
		mid = resp.MessageID
	}
	return mid, nil
}

// split cuts text into parts of at most max characters, at a line break
// or space when there is one in the second half of a part.
func split(text string, max int) []string {
	r := []rune(text)
	if max <= 0 || len(r) <= max {
		return []string{text}
	}
	var out []string
	for len(r) > max {
		cut := max
		for i := max; i > max/2; i-- {
			if r[i] == '\n' || r[i] == ' ' {
				cut = i
				break
			}
		}
		out = append(out, strings.TrimSpace(string(r[:cut])))
		r = r[cut:]
	}
	if s := strings.TrimSpace(string(r)); s != "" {
		out = append(out, s)
	}
	return out
}

// Profile looks up a user's display name with the User Profile API:
// GET {graph_url}/{user id}?fields=… The fields are joined with spaces
// (Messenger's first_name + last_name) unless first is set, in which case
// the first non-empty field wins (Instagram's name, else username).
func (c *Client) Profile(ctx context.Context, userID string, fields []string, first bool) (string, error) {
	var out map[string]any
	q := url.Values{"fields": {strings.Join(fields, ",")}}
	if err := c.Do(ctx, http.MethodGet, url.PathEscape(userID), q, nil, &out); err != nil {
		return "", err
	}
	var parts []string
	for _, f := range fields {
		if v, _ := out[f].(string); strings.TrimSpace(v) != "" {
			parts = append(parts, strings.TrimSpace(v))
			if first {
				break
			}
		}
	}
	name := strings.Join(parts, " ")
	if r := []rune(name); len(r) > core.MaxNameLen {
		name = string(r[:core.MaxNameLen])
	}
	return name, nil
}
