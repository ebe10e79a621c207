package whatsapp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// Normalize turns a webhook body into events, one per message and status
// of every entry and change (Meta batches). Only malformed JSON is an
// error; anything it does not act on is a KindIgnored event.
func Normalize(body []byte) ([]core.InboundEvent, error) {
	var p payload
	if err := meta.Decode(body, &p); err != nil {
		return nil, err
	}
	return normalize(p), nil
}

func normalize(p payload) []core.InboundEvent {
	if p.Object != Object {
		return []core.InboundEvent{core.IgnoredEvent(fmt.Sprintf("object %q is not %s", p.Object, Object))}
	}
	var out []core.InboundEvent
	for _, e := range p.Entry {
		for _, ch := range e.Changes {
			if ch.Field != "messages" {
				out = append(out, core.IgnoredEvent("field "+strconv.Quote(ch.Field)))
				continue
			}
			for _, m := range ch.Value.Messages {
				out = append(out, customerMessage(ch.Value.Contacts, m))
			}
			for _, s := range ch.Value.Statuses {
				out = append(out, statusEvent(s))
			}
		}
	}
	return out
}

// customerMessage normalises one customer message.
func customerMessage(contacts []contact, m message) core.InboundEvent {
	c := sender(contacts, m)
	ev := core.InboundEvent{Kind: core.InboundMessage, UserID: string(m.From), Name: strings.TrimSpace(c.Profile.Name),
		ProviderID: string(m.ID), At: m.Timestamp.Time}
	if ev.UserID == "" {
		ev.UserID = string(c.WaID)
	}
	alt := string(m.FromUserID)
	if alt == "" {
		alt = string(c.UserID)
	}
	if ev.UserID == "" { // a user without a phone number: the business-scoped id
		ev.UserID = alt
	} else if alt != ev.UserID {
		ev.AltUserID = alt
	}
	ev.Name = core.ClipName(ev.Name)
	switch m.Type {
	case "edit":
		if m.Edit == nil || m.Edit.OriginalMessageID == "" {
			return core.IgnoredEvent("edit without original_message_id")
		}
		text := ""
		if m.Edit.Message != nil {
			text = readable(*m.Edit.Message)
		}
		if text == "" {
			return core.IgnoredEvent("edit without readable text")
		}
		return core.InboundEvent{Kind: core.InboundEdit, UserID: ev.UserID, ProviderID: string(m.Edit.OriginalMessageID), Text: text, At: ev.At}
	case "revoke":
		if m.Revoke == nil || m.Revoke.OriginalMessageID == "" {
			return core.IgnoredEvent("revoke without original_message_id")
		}
		return core.InboundEvent{Kind: core.InboundRevoke, UserID: ev.UserID, ProviderID: string(m.Revoke.OriginalMessageID), At: ev.At}
	case "reaction":
		return core.IgnoredEvent("reaction")
	case "system":
		return core.IgnoredEvent("system message")
	case "ephemeral", "request_welcome":
		return core.IgnoredEvent(m.Type)
	}
	if ev.UserID == "" || ev.ProviderID == "" {
		return core.IgnoredEvent("message without sender or id")
	}
	ev.Text = readable(m)
	if ev.Text == "" {
		return core.IgnoredEvent("message without readable content")
	}
	if f, ok := file(m); ok {
		ev.Attachments = []core.InboundAttachment{f}
	}
	return ev
}

// sender picks the contacts[] entry of m's author: the one whose wa_id or
// user id matches, else the only one.
func sender(contacts []contact, m message) contact {
	for _, c := range contacts {
		if (m.From != "" && c.WaID == m.From) || (m.FromUserID != "" && c.UserID == m.FromUserID) {
			return c
		}
	}
	if len(contacts) == 1 {
		return contacts[0]
	}
	return contact{}
}

// readable is the text an agent sees for a message of any type.
func readable(m message) string {
	var s string
	switch m.Type {
	case "text":
		if m.Text != nil {
			s = m.Text.Body
		}
	case "image", "video", "document", "audio", "voice", "sticker":
		s = mediaText(m)
	case "interactive":
		if i := m.Interactive; i != nil {
			switch {
			case i.ButtonReply != nil:
				s = i.ButtonReply.Title
			case i.ListReply != nil:
				s = i.ListReply.Title
			case i.NfmReply != nil:
				s = meta.Join(" ", "[form reply]", i.NfmReply.Body)
			}
		}
		if s == "" {
			s = "[unsupported interactive message]"
		}
	case "button": // a template's quick-reply button
		if m.Button != nil {
			s = meta.Join(" ", m.Button.Text)
			if s == "" {
				s = m.Button.Payload
			}
		}
	case "location":
		if l := m.Location; l != nil {
			s = meta.Join(" ", "[location]", meta.Join(", ", l.Name, l.Address),
				fmt.Sprintf("(%s, %s)", ftoa(l.Latitude), ftoa(l.Longitude)), l.URL)
		}
	case "contacts":
		cards := make([]string, 0, len(m.Contacts))
		for _, c := range m.Contacts {
			name := c.Name.FormattedName
			if name == "" {
				name = meta.Join(" ", c.Name.FirstName, c.Name.LastName)
			}
			var phones []string
			for _, p := range c.Phones {
				phones = append(phones, p.Phone)
			}
			for _, e := range c.Emails {
				phones = append(phones, e.Email)
			}
			cards = append(cards, meta.Join(" ", name, strings.Join(phones, ", ")))
		}
		s = meta.Join(" ", "[contact]", meta.Join("; ", cards...))
	case "order":
		if o := m.Order; o != nil {
			items := make([]string, 0, len(o.Items))
			for _, it := range o.Items {
				items = append(items, ftoa(it.Quantity)+" × "+it.ProductRetailerID)
			}
			s = meta.Join(" ", "[order]", strings.Join(items, ", "), o.Text)
		}
	case "unsupported":
		kind := ""
		if m.Unsupported != nil {
			kind = m.Unsupported.Type
		}
		s = "[unsupported message]"
		if kind != "" {
			s = "[unsupported message: " + kind + "]"
		}
	default:
		if m.Text != nil { // an unknown type that still carries text
			s = m.Text.Body
		}
	}
	return core.ClipText(s)
}

// mediaOf is the media object of a media message and its kind ("voice"
// for an audio message recorded as a voice note); nil for other types.
func mediaOf(m message) (*media, string) {
	var md *media
	switch m.Type {
	case "image":
		md = m.Image
	case "video":
		md = m.Video
	case "document":
		md = m.Document
	case "audio":
		md = m.Audio
	case "voice":
		md = m.Voice
	case "sticker":
		md = m.Sticker
	}
	kind := m.Type
	if md != nil && kind == "audio" && md.Voice {
		kind = "voice"
	}
	return md, kind
}

// mediaText is "[kind] caption" (or the file name, or the URL, when there
// is no caption).
func mediaText(m message) string {
	md, kind := mediaOf(m)
	if md == nil {
		return "[" + kind + "]"
	}
	detail := md.Caption
	if detail == "" {
		detail = md.Filename
	}
	return meta.Join(" ", "["+kind+"]", detail)
}

// file is the attachment of a media message: its media id (fetched with
// GET /{media-id}), and what the webhook tells of it.
func file(m message) (core.InboundAttachment, bool) {
	md, kind := mediaOf(m)
	if md == nil || (md.ID == "" && md.URL == "") {
		return core.InboundAttachment{}, false
	}
	return core.InboundAttachment{Kind: core.AttachmentKind(kind), Ref: string(md.ID), URL: md.URL, MIME: md.MimeType,
		Name: md.Filename, Caption: core.ClipText(md.Caption)}, true
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// statusEvent normalises a delivery status of one of our messages.
func statusEvent(s status) core.InboundEvent {
	var to core.Delivery
	switch s.Status {
	case "sent":
		to = core.DeliverySent
	case "delivered":
		to = core.DeliveryDelivered
	case "read", "played": // played: a voice message was listened to
		to = core.DeliveryRead
	case "failed":
		to = core.DeliveryFailed
	default:
		return core.IgnoredEvent("status " + strconv.Quote(s.Status))
	}
	if s.ID == "" {
		return core.IgnoredEvent("status without message id")
	}
	ev := core.InboundEvent{Kind: core.InboundStatus, UserID: string(s.RecipientID), ProviderID: string(s.ID), Status: to, At: s.Timestamp.Time}
	if to == core.DeliveryFailed {
		var errs []string
		for _, e := range s.Errors {
			title := e.Title
			if title == "" {
				title = e.Message
			}
			errs = append(errs, meta.Join(": ", strconv.Itoa(e.Code), title))
		}
		ev.Error = strings.Join(errs, "; ")
		if ev.Error == "" {
			ev.Error = "failed"
		}
	}
	return ev
}
