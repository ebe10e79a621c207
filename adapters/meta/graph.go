package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// DefaultTimeout bounds one Graph API call.
const DefaultTimeout = 10 * time.Second

// Client calls the Graph API of one channel. The token travels in the
// Authorization header only, never in a URL or an error.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient returns a client for baseURL (the channel's graph_url, e.g.
// https://graph.facebook.com/v21.0) authenticating with token. hc may be
// nil: a client with DefaultTimeout is used.
func NewClient(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: hc}
}

// GraphError is an error answer of the Graph API.
type GraphError struct {
	Status    int // HTTP status
	Code      int
	Subcode   int
	Type      string
	Message   string
	Details   string // WhatsApp's error_data.details
	FBTraceID string
	Transient bool // Meta's is_transient hint
}

func (e *GraphError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph API: HTTP %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
	}
	if e.Subcode != 0 {
		fmt.Fprintf(&b, "/%d", e.Subcode)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Details != "" {
		b.WriteString(" (" + e.Details + ")")
	}
	if e.FBTraceID != "" {
		b.WriteString(" [fbtrace_id " + e.FBTraceID + "]")
	}
	return b.String()
}

// graphErrorBody is the wire form of a Graph error.
type graphErrorBody struct {
	Error struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		FBTraceID    string `json:"fbtrace_id"`
		IsTransient  bool   `json:"is_transient"`
		ErrorData    struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

// Do sends one request: path is joined to the base URL, query is added,
// body (if not nil) is sent as JSON, and a 2xx JSON answer is decoded into
// out (if not nil). Non-2xx answers are *GraphError; transport failures
// are wrapped as they come (their text names the URL, which holds no
// token).
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := c.base + "/" + strings.TrimLeft(path, "/")
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("graph API: encode request: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("graph API: build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("graph API %s %s: %w", method, path, err)
	}
	return c.answer(resp, method, path, out)
}

// answer reads a Graph API answer: a 2xx JSON body decoded into out (if
// not nil), anything else a *GraphError with its texts scrubbed.
func (c *Client) answer(resp *http.Response, method, path string, out any) error {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("graph API %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		ge := &GraphError{Status: resp.StatusCode}
		var eb graphErrorBody
		if json.Unmarshal(data, &eb) == nil {
			e := eb.Error
			ge.Code, ge.Subcode, ge.Type, ge.Message = e.Code, e.ErrorSubcode, e.Type, e.Message
			ge.Details, ge.FBTraceID, ge.Transient = e.ErrorData.Details, e.FBTraceID, e.IsTransient
		}
		// Every text of the answer is the sender's to fill: any may echo
		// the token back, and Error() prints them (fbtrace_id included).
		for _, f := range []*string{&ge.Message, &ge.Details, &ge.Type, &ge.FBTraceID} {
			*f = c.scrub(*f)
		}
		return ge
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("graph API %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// scrub replaces the access token in s by "[token]".
func (c *Client) scrub(s string) string {
	if c.token == "" {
		return s // ReplaceAll with "" would insert the mark between every byte
	}
	return strings.ReplaceAll(s, c.token, "[token]")
}

// retryableCodes are Graph error codes that mean "try again later":
// throttling, temporary unavailability, WhatsApp's rate limits.
var retryableCodes = []int{
	1, 2, // API unknown / service temporarily unavailable
	1200,                                // Messenger: temporary send message failure
	4, 17, 32, 613, 80001, 80006, 80007, // app, user, page and business rate limits
	130429, 131048, 131056, // WhatsApp throughput, spam rate and pair rate limits
	131000, 131016, 133004, // WhatsApp: something went wrong, service unavailable, server unavailable
}

// Classify turns a failed send into what core.Sender callers expect:
// retryable failures (network errors, timeouts, HTTP 5xx, 408 and 429,
// throttling and "temporarily unavailable" codes) are returned wrapped so
// the queue retries them; every other Graph refusal (131047 outside the
// 24 h window, 131026 undeliverable, 190 invalid token, 10 / 200
// permission, 100 bad parameter, 551 and 2018278 on Messenger, …) is a
// permanent *core.DeliveryError with the code and Meta's message.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var ge *GraphError
	if !errors.As(err, &ge) {
		return err // transport: timeout, refused connection, reset → retry
	}
	if ge.Status >= 500 || ge.Status == http.StatusTooManyRequests || ge.Status == http.StatusRequestTimeout ||
		ge.Transient || slices.Contains(retryableCodes, ge.Code) {
		return err
	}
	code := strconv.Itoa(ge.Code)
	if ge.Code == 0 {
		code = "http_" + strconv.Itoa(ge.Status)
	}
	reason := Join(" ", ge.Message, parenthesise(ge.Details))
	if reason == "" {
		reason = http.StatusText(ge.Status)
	}
	return &core.DeliveryError{Permanent: true, Code: code, Reason: reason}
}

func parenthesise(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// IsTimeout reports a transport timeout (for logs and tests).
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
