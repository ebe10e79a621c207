package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/core"
)

// SignatureHeader carries Meta's HMAC-SHA256 of the raw body, keyed with
// the app secret: "sha256=<hex>".
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns the X-Hub-Signature-256 value for body (tests, load
// generator).
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks header against the HMAC-SHA256 of the raw body
// bytes as received. Meta signs the bytes it sends (non-ASCII text as
// \uXXXX escapes), so a re-encoded body does not verify. A missing,
// malformed or wrong signature, or an empty secret, is core.ErrUnauthorized.
func VerifySignature(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return fmt.Errorf("webhook signature: no app secret configured: %w", core.ErrUnauthorized)
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return fmt.Errorf("webhook signature: missing or not sha256: %w", core.ErrUnauthorized)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("webhook signature: malformed: %w", core.ErrUnauthorized)
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("webhook signature: mismatch: %w", core.ErrUnauthorized)
	}
	return nil
}

// ReadBody reads the request body once, whole. A body over the webhook
// limit (set by the server's middleware) is httpapi.ErrPayloadTooLarge.
func ReadBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, fmt.Errorf("webhook body over %d bytes: %w", mbe.Limit, httpapi.ErrPayloadTooLarge)
	}
	if err != nil {
		return nil, fmt.Errorf("read webhook body: %w", err)
	}
	return body, nil
}

// Handshake answers Meta's verification GET: hub.mode=subscribe and a
// hub.verify_token equal to verifyToken → 200 with hub.challenge as
// text/plain; anything else (or no configured token) → core.ErrForbidden.
func Handshake(c echo.Context, verifyToken string) error {
	q := c.QueryParams()
	tok := q.Get("hub.verify_token")
	if verifyToken == "" || q.Get("hub.mode") != "subscribe" ||
		subtle.ConstantTimeCompare([]byte(tok), []byte(verifyToken)) != 1 {
		return fmt.Errorf("webhook verification refused: %w", core.ErrForbidden)
	}
	return c.String(http.StatusOK, q.Get("hub.challenge"))
}
