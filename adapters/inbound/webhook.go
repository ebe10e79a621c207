package inbound

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/switchboard-chat/switchboard/core"
)

// Errors of receiving a webhook that core has no sentinel for; httpapi
// maps them to their statuses.
var (
	// ErrTooLarge is a body over the webhook limit (413).
	ErrTooLarge = errors.New("webhook body too large")
	// ErrNoHandshake answers a verification GET on a channel whose
	// provider sends none (405).
	ErrNoHandshake = errors.New("this channel's provider sends no webhook handshake")
)

// Channel is what a channel package provides to receive its webhooks:
// who may send them and how to read them. The Webhook does the rest.
type Channel struct {
	// ID is the channel's id (the {channel_id} of the webhook URL).
	ID string
	// Authenticate checks what the headers alone tell about the sender,
	// before a byte of the body is read: a missing, malformed or (where
	// the header is a shared secret) wrong credential is an error wrapping
	// core.ErrUnauthorized (401), and nothing is read.
	Authenticate func(h http.Header) error
	// Verify checks the raw body against the request (Meta's HMAC
	// signature over the bytes as received); a mismatch wraps
	// core.ErrUnauthorized. Nil when Authenticate proves the sender by
	// itself (Telegram's secret token): such bodies are read at once,
	// without waiting for the Gate.
	Verify func(h http.Header, body []byte) error
	// Parse turns a verified body into events. Only a body that is not
	// the provider's JSON at all is an error (400); whatever it does not
	// act on is an ignored event.
	Parse func(body []byte) ([]core.InboundEvent, error)
	// Handshake, when set, answers the provider's verification GET with
	// the text to echo (as text/plain), or an error (core.ErrForbidden).
	Handshake func(query url.Values) (string, error)
}

// Webhook receives one channel's provider callbacks: the httpapi.Webhook
// of a channel.
type Webhook struct {
	ch    Channel
	apply *Applier
	gate  *Gate
}

// NewWebhook returns the webhook of ch, applying its events with apply.
// gate bounds the unverified bodies being read (nil: DefaultGate).
func NewWebhook(ch Channel, apply *Applier, gate *Gate) *Webhook {
	if gate == nil {
		gate = DefaultGate
	}
	return &Webhook{ch: ch, apply: apply, gate: gate}
}

// Receive answers a POST: nil (200) once every event of the body is
// applied. It refuses before reading when the headers cannot be from the
// provider (401), waits for its share of the read budget while the sender
// is unproven (503 when it does not come in time), refuses a body over
// the limit (ErrTooLarge, 413) or whose signature does not match (401),
// one that is not the provider's JSON (400), and passes on what core
// answers (503 when storage is down, so the provider retries).
func (w *Webhook) Receive(r *http.Request) error {
	if err := w.ch.Authenticate(r.Header); err != nil {
		return fmt.Errorf("webhook %s: %w", w.ch.ID, err)
	}
	body, err := w.read(r)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.ch.ID, err)
	}
	events, err := w.ch.Parse(body)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.ch.ID, core.Invalid("body", "is not valid JSON: %v", err))
	}
	return w.apply.Apply(r.Context(), events)
}

// read reads the body once and, when the channel verifies bodies, checks
// it while its bytes are still counted against the read budget.
func (w *Webhook) read(r *http.Request) ([]byte, error) {
	if w.ch.Verify == nil {
		return ReadBody(r.Body, r.ContentLength, w.gate.maxBody)
	}
	n, err := w.gate.reserve(r.Context(), r.ContentLength)
	if err != nil {
		return nil, err
	}
	defer w.gate.release(n)
	body, err := ReadBody(r.Body, r.ContentLength, n)
	if err != nil {
		return nil, err
	}
	if err := w.ch.Verify(r.Header, body); err != nil {
		return nil, err
	}
	return body, nil
}

// ReadBody reads a request body of declared length (≤ 0: unknown) whole,
// and at most max bytes (≤ 0: as many as the server lets through). A
// known length is read into one buffer of that size. A body over the limit
// (max, or the server's http.MaxBytesReader) is ErrTooLarge; one that
// cannot be read is core.ErrInvalid.
func ReadBody(rd io.Reader, length, max int64) ([]byte, error) {
	if max > 0 && length > max {
		return nil, fmt.Errorf("declared %d bytes, more than %d: %w", length, max, ErrTooLarge)
	}
	var body []byte
	var err error
	if length > 0 {
		body = make([]byte, length)
		_, err = io.ReadFull(rd, body)
		if err == nil { // a body longer than declared is the server's to stop; check anyway
			var one [1]byte
			if k, _ := rd.Read(one[:]); k > 0 {
				err = fmt.Errorf("body longer than its declared %d bytes: %w", length, ErrTooLarge)
			}
		}
	} else {
		if max > 0 {
			rd = io.LimitReader(rd, max+1)
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(rd)
		body = b.Bytes()
		if err == nil && max > 0 && int64(len(body)) > max {
			err = fmt.Errorf("body over %d bytes: %w", max, ErrTooLarge)
		}
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, fmt.Errorf("body over %d bytes: %w", mbe.Limit, ErrTooLarge)
	case errors.Is(err, ErrTooLarge):
		return nil, err
	case err != nil:
		return nil, core.Invalid("body", "could not be read")
	}
	return body, nil
}

// Handshake answers the provider's verification GET: the text to echo,
// or an error (ErrNoHandshake when the provider sends none).
func (w *Webhook) Handshake(r *http.Request) (string, error) {
	if w.ch.Handshake == nil {
		return "", fmt.Errorf("webhook %s: %w", w.ch.ID, ErrNoHandshake)
	}
	challenge, err := w.ch.Handshake(r.URL.Query())
	if err != nil {
		return "", fmt.Errorf("webhook %s: %w", w.ch.ID, err)
	}
	return challenge, nil
}
