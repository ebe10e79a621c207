package core

import (
	"strings"
	"time"
	"unicode/utf8"
)

// InboundKind says what an inbound event asks of the gateway.
type InboundKind string

// Inbound event kinds.
const (
	// InboundMessage is a customer message to ingest (text, a button's
	// choice, a file with its caption).
	InboundMessage InboundKind = "message"
	// InboundStatus moves the delivery state of our outbound message
	// ProviderID (sent, delivered, read, failed).
	InboundStatus InboundKind = "status"
	// InboundReadUpTo says the customer read everything we sent up to At
	// (a read watermark that names no message).
	InboundReadUpTo InboundKind = "read_up_to"
	// InboundEdit replaces the text of the customer's message ProviderID.
	InboundEdit InboundKind = "edit"
	// InboundRevoke blanks the customer's message ProviderID (deleted).
	InboundRevoke InboundKind = "revoke"
	// InboundIgnored is an event the gateway does not act on; Why says why.
	InboundIgnored InboundKind = "ignored"
)

// InboundEvent is one thing a provider reported, as a channel's parser
// normalised it from the wire: the one shape every channel hands over,
// whatever its provider's format. Parsers are pure (bytes in, events out)
// and keep texts within ClipText's limit.
type InboundEvent struct {
	Kind InboundKind `json:"kind"`
	// UpdateID is the provider's number of the notification that carried
	// the event, where it has one (Telegram's update_id); for logs.
	UpdateID int64 `json:"update_id,omitempty"`
	// UserID is the customer's id on the channel (WhatsApp wa_id, or the
	// business-scoped user id when there is no wa_id; Messenger PSID;
	// Instagram IGSID; Telegram private chat id).
	UserID string `json:"user_id,omitempty"`
	// AltUserID is a second id of the same customer (WhatsApp's
	// business-scoped user id when UserID is the wa_id).
	AltUserID string `json:"alt_user_id,omitempty"`
	// Name is the customer's name when the payload carries it.
	Name string `json:"name,omitempty"`
	// ProviderID is the message id the event is about (wamid, mid,
	// "<chat>:<message>" on Telegram): the key that deduplicates messages.
	ProviderID string    `json:"provider_id,omitempty"`
	Text       string    `json:"text,omitempty"`
	At         time.Time `json:"at,omitzero"`
	// Status and Error are set on InboundStatus.
	Status Delivery `json:"status,omitempty"`
	Error  string   `json:"error,omitempty"`
	// CallbackID, when set, is a callback (a button press) the provider
	// wants acknowledged once the event is stored, whatever its kind.
	CallbackID string `json:"callback_id,omitempty"`
	// Why explains InboundIgnored.
	Why string `json:"why,omitempty"`
	// Attachments are the files of a message, as the provider announced
	// them; Text already names them for people ("[image] caption").
	Attachments []InboundAttachment `json:"attachments,omitempty"`
}

// IgnoredEvent is an event the gateway does not act on, with its reason.
func IgnoredEvent(why string) InboundEvent { return InboundEvent{Kind: InboundIgnored, Why: why} }

// AttachmentKind is what sort of file an attachment is.
type AttachmentKind string

// Attachment kinds (the contract's Attachment.kind).
const (
	AttachmentImage    AttachmentKind = "image"
	AttachmentAudio    AttachmentKind = "audio"
	AttachmentVoice    AttachmentKind = "voice"
	AttachmentVideo    AttachmentKind = "video"
	AttachmentDocument AttachmentKind = "document"
	AttachmentSticker  AttachmentKind = "sticker"
)

// InboundAttachment is a file a provider announced with a message. It
// holds what the webhook tells, not the bytes: the file is fetched later
// with the channel's credentials, from Ref or URL.
type InboundAttachment struct {
	Kind AttachmentKind `json:"kind"`
	// Ref is the provider's reference to the file (WhatsApp media id,
	// Telegram file_id), when it is fetched through the provider's API.
	Ref string `json:"ref,omitempty"`
	// URL is where the file can be downloaded (Messenger and Instagram),
	// when the provider gives one.
	URL string `json:"url,omitempty"`
	// MIME is the provider's content type (checked against the bytes
	// once they are fetched); Size in bytes, 0 when not told.
	MIME string `json:"mime,omitempty"`
	Size int64  `json:"size,omitempty"`
	// Name is the file's name (documents), Caption the text sent with it.
	Name    string `json:"name,omitempty"`
	Caption string `json:"caption,omitempty"`
}

// ClipText makes provider text fit a message: valid UTF-8, trimmed, and
// within MaxTextLen characters (an overlong text is cut and ends in "…"),
// so one overlong message is stored shortened rather than refused.
func ClipText(text string) string {
	text = strings.TrimSpace(strings.ToValidUTF8(text, "\uFFFD"))
	if utf8.RuneCountInString(text) <= MaxTextLen {
		return text
	}
	r := []rune(text)
	return strings.TrimSpace(string(r[:MaxTextLen-1])) + "…"
}

// ClipName makes a provider's customer name fit: valid UTF-8, trimmed,
// cut to MaxNameLen characters.
func ClipName(name string) string {
	name = strings.TrimSpace(strings.ToValidUTF8(name, "\uFFFD"))
	if r := []rune(name); len(r) > MaxNameLen {
		return string(r[:MaxNameLen])
	}
	return name
}
