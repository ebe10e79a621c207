package meta

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-chat/switchboard/core"
)

// MessagingPayload is the Messenger Platform webhook body Messenger
// (object "page") and Instagram messaging (object "instagram") share.
type MessagingPayload struct {
	Object string           `json:"object"`
	Entry  []MessagingEntry `json:"entry"`
}

// MessagingEntry is one page's (or Instagram account's) batch.
type MessagingEntry struct {
	ID        ID          `json:"id"`
	Time      Time        `json:"time"`
	Messaging []Messaging `json:"messaging"`
	// Standby holds the events of threads another app controls (handover
	// protocol); they are customer events all the same.
	Standby []Messaging `json:"standby"`
}

// Messaging is one messaging event.
type Messaging struct {
	Sender    struct{ ID ID } `json:"sender"`
	Recipient struct{ ID ID } `json:"recipient"`
	Timestamp Time            `json:"timestamp"`
	Message   *struct {
		Mid           ID     `json:"mid"`
		Text          string `json:"text"`
		IsEcho        bool   `json:"is_echo"`
		IsDeleted     bool   `json:"is_deleted"`
		IsUnsupported bool   `json:"is_unsupported"`
		QuickReply    *struct {
			Payload string `json:"payload"`
		} `json:"quick_reply"`
		Attachments []Attachment `json:"attachments"`
		ReplyTo     *struct {
			Mid   ID `json:"mid"`
			Story *struct {
				ID  ID     `json:"id"`
				URL string `json:"url"`
			} `json:"story"`
		} `json:"reply_to"`
	} `json:"message"`
	MessageEdit *struct {
		Mid  ID     `json:"mid"`
		Text string `json:"text"`
	} `json:"message_edit"`
	Postback *struct {
		Mid     ID     `json:"mid"`
		Title   string `json:"title"`
		Payload string `json:"payload"`
	} `json:"postback"`
	Delivery *struct {
		Mids      []ID `json:"mids"`
		Mid       ID   `json:"mid"`
		Watermark Time `json:"watermark"`
	} `json:"delivery"`
	Read *struct {
		Mid       ID   `json:"mid"`
		Watermark Time `json:"watermark"`
	} `json:"read"`
	Reaction *struct{} `json:"reaction"`
	Optin    *struct{} `json:"optin"`
	Referral *struct{} `json:"referral"`
}

// Attachment is a message attachment ("[image] url" for people).
type Attachment struct {
	Type    string `json:"type"`
	Payload struct {
		URL         string `json:"url"`
		Title       string `json:"title"`
		StickerID   ID     `json:"sticker_id"`
		Coordinates *struct {
			Lat  float64 `json:"lat"`
			Long float64 `json:"long"`
		} `json:"coordinates"`
	} `json:"payload"`
}

// NormalizeMessaging turns a Messenger Platform body of the given object
// ("page" or "instagram") into events: every entry, its messaging[] and
// standby[] items. Only malformed JSON is an error.
func NormalizeMessaging(body []byte, object string) ([]core.InboundEvent, error) {
	var p MessagingPayload
	if err := Decode(body, &p); err != nil {
		return nil, err
	}
	if p.Object != object {
		return []core.InboundEvent{core.IgnoredEvent(fmt.Sprintf("object %q is not %s", p.Object, object))}, nil
	}
	var out []core.InboundEvent
	for _, e := range p.Entry {
		for _, m := range e.Messaging {
			out = append(out, messagingEvents(m)...)
		}
		for _, m := range e.Standby {
			out = append(out, messagingEvents(m)...)
		}
	}
	return out, nil
}

// messagingEvents normalises one item (a delivery may name several messages).
func messagingEvents(m Messaging) []core.InboundEvent {
	user := string(m.Sender.ID)
	at := m.Timestamp.Time
	switch {
	case m.Message != nil && m.Message.IsEcho:
		return []core.InboundEvent{core.IgnoredEvent("echo of a message sent by the page")}
	case user == "":
		return []core.InboundEvent{core.IgnoredEvent("event without sender")}
	case m.Message != nil:
		msg := m.Message
		if msg.Mid == "" {
			return []core.InboundEvent{core.IgnoredEvent("message without mid")}
		}
		if msg.IsDeleted {
			return []core.InboundEvent{{Kind: core.InboundRevoke, UserID: user, ProviderID: string(msg.Mid), At: at}}
		}
		text := msg.Text
		if text == "" && msg.QuickReply != nil {
			text = msg.QuickReply.Payload
		}
		var atts []string
		var files []core.InboundAttachment
		for _, a := range msg.Attachments {
			atts = append(atts, attachmentText(a))
			if f, ok := attachmentFile(a); ok {
				files = append(files, f)
			}
		}
		if msg.ReplyTo != nil && msg.ReplyTo.Story != nil {
			text = Join(" ", "[story reply "+msg.ReplyTo.Story.URL+"]", text)
		}
		text = core.ClipText(Join("\n", text, strings.Join(atts, "\n")))
		if text == "" && msg.IsUnsupported {
			text = "[unsupported message]"
		}
		if text == "" {
			return []core.InboundEvent{core.IgnoredEvent("message without readable content")}
		}
		return []core.InboundEvent{{Kind: core.InboundMessage, UserID: user, ProviderID: string(msg.Mid), Text: text, At: at,
			Attachments: files}}
	case m.MessageEdit != nil:
		if m.MessageEdit.Mid == "" || strings.TrimSpace(m.MessageEdit.Text) == "" {
			return []core.InboundEvent{core.IgnoredEvent("edit without mid or text")}
		}
		return []core.InboundEvent{{Kind: core.InboundEdit, UserID: user, ProviderID: string(m.MessageEdit.Mid), Text: core.ClipText(m.MessageEdit.Text), At: at}}
	case m.Postback != nil:
		text := m.Postback.Title
		if text == "" {
			text = m.Postback.Payload
		}
		if text = core.ClipText(text); text == "" {
			return []core.InboundEvent{core.IgnoredEvent("postback without title or payload")}
		}
		id := string(m.Postback.Mid)
		if id == "" { // old postbacks carry no mid: one per user and instant
			id = "postback:" + user + ":" + strconv.FormatInt(at.UnixMilli(), 10)
		}
		return []core.InboundEvent{{Kind: core.InboundMessage, UserID: user, ProviderID: id, Text: text, At: at}}
	case m.Delivery != nil:
		mids := m.Delivery.Mids
		if m.Delivery.Mid != "" {
			mids = append(mids, m.Delivery.Mid)
		}
		var out []core.InboundEvent
		for _, mid := range mids {
			if mid != "" {
				out = append(out, core.InboundEvent{Kind: core.InboundStatus, UserID: user, ProviderID: string(mid), Status: core.DeliveryDelivered, At: at})
			}
		}
		if len(out) == 0 {
			return []core.InboundEvent{core.IgnoredEvent("delivery without mids")}
		}
		return out
	case m.Read != nil:
		if m.Read.Mid != "" {
			return []core.InboundEvent{{Kind: core.InboundStatus, UserID: user, ProviderID: string(m.Read.Mid), Status: core.DeliveryRead, At: at}}
		}
		if m.Read.Watermark.IsZero() {
			return []core.InboundEvent{core.IgnoredEvent("read without mid or watermark")}
		}
		return []core.InboundEvent{{Kind: core.InboundReadUpTo, UserID: user, At: m.Read.Watermark.Time}}
	case m.Reaction != nil:
		return []core.InboundEvent{core.IgnoredEvent("reaction")}
	case m.Optin != nil:
		return []core.InboundEvent{core.IgnoredEvent("optin")}
	case m.Referral != nil:
		return []core.InboundEvent{core.IgnoredEvent("referral")}
	}
	return []core.InboundEvent{core.IgnoredEvent("event the gateway does not act on")}
}

// fileKinds are the attachment types that are files to fetch (from the
// attachment's URL); the others (location, share, story_mention,
// template, fallback) are links or cards, shown as text only.
var fileKinds = map[string]core.AttachmentKind{
	"image": core.AttachmentImage, "video": core.AttachmentVideo, "audio": core.AttachmentAudio,
	"file": core.AttachmentDocument,
}

// attachmentFile is a's file, when it is one with an http(s) URL to
// fetch it from; a file without one is named in the text only.
func attachmentFile(a Attachment) (core.InboundAttachment, bool) {
	kind, ok := fileKinds[a.Type]
	if !ok || !fetchableURL(a.Payload.URL) {
		return core.InboundAttachment{}, false
	}
	if kind == core.AttachmentImage && a.Payload.StickerID != "" {
		kind = core.AttachmentSticker
	}
	return core.InboundAttachment{Kind: kind, URL: a.Payload.URL, Name: a.Payload.Title}, true
}

// fetchableURL tells whether s is an absolute http(s) URL with a host,
// the only kind the media:fetch worker can download.
func fetchableURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// attachmentText is "[type] url" (or title, or coordinates). A file the
// gateway fetches and stores is named by its kind alone ("[image]",
// "[sticker]", "[file] title"): its signed URL expires within days and
// would only clutter the text and the search index.
func attachmentText(a Attachment) string {
	kind := a.Type
	if kind == "" {
		kind = "attachment"
	}
	if f, ok := attachmentFile(a); ok {
		if f.Kind == core.AttachmentSticker {
			kind = "sticker"
		}
		return Join(" ", "["+kind+"]", a.Payload.Title)
	}
	detail := a.Payload.URL
	if c := a.Payload.Coordinates; c != nil && detail == "" {
		detail = strconv.FormatFloat(c.Lat, 'f', -1, 64) + ", " + strconv.FormatFloat(c.Long, 'f', -1, 64)
	}
	return Join(" ", "["+kind+"]", a.Payload.Title, detail)
}
