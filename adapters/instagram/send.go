package instagram

import (
	"net/http"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// MaxText is the longest text of one Instagram message.
const MaxText = 1000

// NewSender returns the Sender of an Instagram account: POST
// {graph_url}/me/messages with its access token.
func NewSender(graphURL, accessToken string, hc *http.Client) core.Sender {
	return &meta.MessagingSender{Client: meta.NewClient(graphURL, accessToken, hc), MaxText: MaxText}
}
