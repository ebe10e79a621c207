package meta

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/core"
)

// Kind says what a normalised event asks of core.
type Kind string

// Event kinds.
const (
	// KindMessage is a customer message to ingest.
	KindMessage Kind = "message"
	// KindStatus moves the delivery state of our outbound message
	// ProviderID (sent, delivered, read, failed).
	KindStatus Kind = "status"
	// KindReadUpTo says the customer read everything we sent up to At
	// (Messenger's read watermark, which names no message).
	KindReadUpTo Kind = "read_up_to"
	// KindEdit replaces the text of the customer's message ProviderID.
	KindEdit Kind = "edit"
	// KindRevoke blanks the customer's message ProviderID (deleted).
	KindRevoke Kind = "revoke"
	// KindIgnored is an event the gateway does not act on; Why says why.
	KindIgnored Kind = "ignored"
)

// Event is one thing a webhook body reported, normalised. A channel's
// normaliser is pure: wire bytes in, events out.
type Event struct {
	Kind Kind `json:"kind"`
	// UserID is the customer's id on the channel (WhatsApp wa_id, or the
	// business-scoped user id when there is no wa_id; Messenger PSID;
	// Instagram IGSID).
	UserID string `json:"user_id,omitempty"`
	// AltUserID is a second id of the same customer (WhatsApp's
	// business-scoped user id when UserID is the wa_id).
	AltUserID string `json:"alt_user_id,omitempty"`
	// Name is the customer's name when the payload carries it.
	Name string `json:"name,omitempty"`
	// ProviderID is the message id the event is about (wamid, mid).
	ProviderID string    `json:"provider_id,omitempty"`
	Text       string    `json:"text,omitempty"`
	At         time.Time `json:"at,omitzero"`
	// Status and Error are set on KindStatus.
	Status core.Delivery `json:"status,omitempty"`
	Error  string        `json:"error,omitempty"`
	// Why explains KindIgnored.
	Why string `json:"why,omitempty"`
}

// Ignored is an ignored event with its reason.
func Ignored(why string) Event { return Event{Kind: KindIgnored, Why: why} }

// Clip trims text and keeps it within core.MaxTextLen characters, so one
// overlong message is stored (shortened) rather than refused.
func Clip(text string) string {
	text = strings.TrimSpace(strings.ToValidUTF8(text, "\uFFFD"))
	if utf8.RuneCountInString(text) <= core.MaxTextLen {
		return text
	}
	r := []rune(text)
	return strings.TrimSpace(string(r[:core.MaxTextLen-1])) + "…"
}

// Join joins the non-empty parts with sep.
func Join(sep string, parts ...string) string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
