package instagram

import (
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// MaxText is the longest text of one Instagram message.
const MaxText = 1000

// NewSender returns the Sender of an Instagram account: POST
// {graph_url}/me/messages with its access token: texts, and files uploaded with the
// message, checked against Limits first. files is the client of uploads,
// one without an overall timeout (nil: hc).
func NewSender(graphURL, accessToken string, hc, files *http.Client) core.Sender {
	if files == nil {
		files = hc
	}
	return &meta.MessagingSender{Client: meta.NewClient(graphURL, accessToken, hc), Files: meta.NewClient(graphURL, accessToken, files),
		Limits: Limits, MaxText: MaxText}
}
