package messenger

import (
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// MaxText is the longest text of one Messenger message.
const MaxText = 2000

// NewSender returns the Sender of a page: POST {graph_url}/me/messages with
// the page token: texts, and files uploaded with the
// message, checked against Limits first. files is the client of uploads,
// one without an overall timeout (nil: hc).
func NewSender(graphURL, pageToken string, hc, files *http.Client) core.Sender {
	if files == nil {
		files = hc
	}
	return &meta.MessagingSender{Client: meta.NewClient(graphURL, pageToken, hc), Files: meta.NewClient(graphURL, pageToken, files),
		Limits: Limits, MaxText: MaxText}
}
