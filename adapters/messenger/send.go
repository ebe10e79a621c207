package messenger

import (
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// MaxText is the longest text of one Messenger message.
const MaxText = 2000

// NewSender returns the Sender of a page: POST {graph_url}/me/messages with
// the page token. sent (may be nil) records sends for read watermarks.
func NewSender(graphURL, pageToken string, hc *http.Client, sent *meta.SentLog) core.Sender {
	return &meta.MessagingSender{Client: meta.NewClient(graphURL, pageToken, hc), MaxText: MaxText, Sent: sent}
}
