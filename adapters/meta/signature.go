package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

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

// CheckSignatureHeader tells, before the body is read, whether header can
// be a signature at all: "sha256=" and 64 hex digits, with an app secret
// configured to check it. Anything else is core.ErrUnauthorized.
func CheckSignatureHeader(secret []byte, header string) error {
	_, err := signature(secret, header)
	return err
}

// signature decodes header's digest.
func signature(secret []byte, header string) ([]byte, error) {
	if len(secret) == 0 {
		return nil, fmt.Errorf("webhook signature: no app secret configured: %w", core.ErrUnauthorized)
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return nil, fmt.Errorf("webhook signature: missing or not sha256: %w", core.ErrUnauthorized)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return nil, fmt.Errorf("webhook signature: malformed: %w", core.ErrUnauthorized)
	}
	return got, nil
}

// VerifySignature checks header against the HMAC-SHA256 of the raw body
// bytes as received. Meta signs the bytes it sends (non-ASCII text as
// \uXXXX escapes), so a re-encoded body does not verify. A missing,
// malformed or wrong signature, or an empty secret, is core.ErrUnauthorized.
func VerifySignature(secret, body []byte, header string) error {
	got, err := signature(secret, header)
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("webhook signature: mismatch: %w", core.ErrUnauthorized)
	}
	return nil
}

// Handshake answers Meta's verification GET: hub.mode=subscribe and a
// hub.verify_token equal to verifyToken → the hub.challenge to echo;
// anything else (or no configured token) → core.ErrForbidden.
func Handshake(q url.Values, verifyToken string) (string, error) {
	tok := q.Get("hub.verify_token")
	if verifyToken == "" || q.Get("hub.mode") != "subscribe" ||
		subtle.ConstantTimeCompare([]byte(tok), []byte(verifyToken)) != 1 {
		return "", fmt.Errorf("webhook verification refused: %w", core.ErrForbidden)
	}
	return q.Get("hub.challenge"), nil
}
