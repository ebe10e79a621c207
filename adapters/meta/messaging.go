package meta

import (
	"fmt"
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
		Coordinates *struct {
			Lat  float64 `json:"lat"`
			Long float64 `json:"long"`
		} `json:"coordinates"`
	} `json:"payload"`
}

// NormalizeMessaging turns a Messenger Platform body of the given object
// ("page" or "instagram") into events: every entry, its messaging[] and
// standby[] items. Only malformed JSON is an error.
func NormalizeMessaging(body []byte, object string) ([]Event, error) {
	var p MessagingPayload
	if err := Decode(body, &p); err != nil {
		return nil, err
	}
	if p.Object != object {
		return []Event{Ignored(fmt.Sprintf("object %q is not %s", p.Object, object))}, nil
	}
	var out []Event
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
func messagingEvents(m Messaging) []Event {
	user := string(m.Sender.ID)
	at := m.Timestamp.Time
	switch {
	case m.Message != nil && m.Message.IsEcho:
		return []Event{Ignored("echo of a message sent by the page")}
	case user == "":
		return []Event{Ignored("event without sender")}
	case m.Message != nil:
		msg := m.Message
		if msg.Mid == "" {
			return []Event{Ignored("message without mid")}
		}
		if msg.IsDeleted {
			return []Event{{Kind: KindRevoke, UserID: user, ProviderID: string(msg.Mid), At: at}}
		}
		text := msg.Text
		if text == "" && msg.QuickReply != nil {
			text = msg.QuickReply.Payload
		}
		var atts []string
		for _, a := range msg.Attachments {
			atts = append(atts, attachmentText(a))
		}
		if msg.ReplyTo != nil && msg.ReplyTo.Story != nil {
			text = Join(" ", "[story reply "+msg.ReplyTo.Story.URL+"]", text)
		}
		text = Clip(Join("\n", text, strings.Join(atts, "\n")))
		if text == "" && msg.IsUnsupported {
			text = "[unsupported message]"
		}
		if text == "" {
			return []Event{Ignored("message without readable content")}
		}
		return []Event{{Kind: KindMessage, UserID: user, ProviderID: string(msg.Mid), Text: text, At: at}}
	case m.MessageEdit != nil:
		if m.MessageEdit.Mid == "" || strings.TrimSpace(m.MessageEdit.Text) == "" {
			return []Event{Ignored("edit without mid or text")}
		}
		return []Event{{Kind: KindEdit, UserID: user, ProviderID: string(m.MessageEdit.Mid), Text: Clip(m.MessageEdit.Text), At: at}}
	case m.Postback != nil:
		text := m.Postback.Title
		if text == "" {
			text = m.Postback.Payload
		}
		if text = Clip(text); text == "" {
			return []Event{Ignored("postback without title or payload")}
		}
		id := string(m.Postback.Mid)
		if id == "" { // old postbacks carry no mid: one per user and instant
			id = "postback:" + user + ":" + strconv.FormatInt(at.UnixMilli(), 10)
		}
		return []Event{{Kind: KindMessage, UserID: user, ProviderID: id, Text: text, At: at}}
	case m.Delivery != nil:
		mids := m.Delivery.Mids
		if m.Delivery.Mid != "" {
			mids = append(mids, m.Delivery.Mid)
		}
		var out []Event
		for _, mid := range mids {
			if mid != "" {
				out = append(out, Event{Kind: KindStatus, UserID: user, ProviderID: string(mid), Status: core.DeliveryDelivered, At: at})
			}
		}
		if len(out) == 0 {
			return []Event{Ignored("delivery without mids")}
		}
		return out
	case m.Read != nil:
		if m.Read.Mid != "" {
			return []Event{{Kind: KindStatus, UserID: user, ProviderID: string(m.Read.Mid), Status: core.DeliveryRead, At: at}}
		}
		if m.Read.Watermark.IsZero() {
			return []Event{Ignored("read without mid or watermark")}
		}
		return []Event{{Kind: KindReadUpTo, UserID: user, At: m.Read.Watermark.Time}}
	case m.Reaction != nil:
		return []Event{Ignored("reaction")}
	case m.Optin != nil:
		return []Event{Ignored("optin")}
	case m.Referral != nil:
		return []Event{Ignored("referral")}
	}
	return []Event{Ignored("event the gateway does not act on")}
}

// attachmentText is "[type] url" (or title, or coordinates).
func attachmentText(a Attachment) string {
	kind := a.Type
	if kind == "" {
		kind = "attachment"
	}
	detail := a.Payload.URL
	if c := a.Payload.Coordinates; c != nil && detail == "" {
		detail = strconv.FormatFloat(c.Lat, 'f', -1, 64) + ", " + strconv.FormatFloat(c.Long, 'f', -1, 64)
	}
	return Join(" ", "["+kind+"]", a.Payload.Title, detail)
}
