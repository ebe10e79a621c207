package messenger

import (
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// MaxText is the longest text of one Messenger message.
const MaxText = 2000

// NewSender returns the Sender of a page: POST {graph_url}/me/messages with
// the page token.
func NewSender(graphURL, pageToken string, hc *http.Client) core.Sender {
	return &meta.MessagingSender{Client: meta.NewClient(graphURL, pageToken, hc), MaxText: MaxText}
}
