package channels

import (
	"net/http"
	"strconv"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/config"
)

// graphHTTP is the HTTP client of every Graph API call (one connection
// pool; each call bounded by meta.DefaultTimeout).
var graphHTTP = &http.Client{Transport: providerTransport(), Timeout: meta.DefaultTimeout}

// mediaHTTP is the HTTP client of file downloads and uploads: no overall
// timeout (a 100 MB document takes its time), each transfer bounded by
// its context (the media:fetch and msg:deliver tasks' timeouts).
var mediaHTTP = &http.Client{Transport: providerTransport()}

// DefaultGraphURL is the Graph API of the Meta channels' graph_url.
const DefaultGraphURL = "https://graph.facebook.com/v21.0"

// MetaApp are the keys the three Meta channels share (a Meta app's).
type MetaApp struct {
	// AppSecret verifies X-Hub-Signature-256.
	AppSecret config.Secret `yaml:"app_secret" required:"true"`
	// VerifyToken answers the webhook handshake.
	VerifyToken config.Secret `yaml:"verify_token" required:"true"`
	// GraphURL is the Graph API base URL (DefaultGraphURL).
	GraphURL string `yaml:"graph_url"`
}

var metaAppDefaults = MetaApp{GraphURL: DefaultGraphURL}

// check reports a graph_url that is no URL.
func (m MetaApp) check(problem func(string, string, ...any)) {
	if err := config.CheckHTTPURL(m.GraphURL); err != nil {
		problem("graph_url", "%s", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
