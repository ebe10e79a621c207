package telegram

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/switchboard-chat/switchboard/core"
)

func ignored(u tgbotapi.Update, format string, args ...any) core.InboundEvent {
	return core.InboundEvent{Kind: core.InboundIgnored, UpdateID: int64(u.UpdateID), Why: fmt.Sprintf(format, args...)}
}

// Normalize turns an update into what the gateway does with it. It is
// pure and never panics, whatever the update holds (it never calls the
// library's FromChat/SentFrom helpers, which dereference absent fields).
//
// Only private chats are served: group, supergroup and channel updates are
// ignored, since the configuration has no key for groups yet. A chat
// without a type (old samples) counts as private when its id is positive,
// as private chat ids are.
func Normalize(u tgbotapi.Update) core.InboundEvent {
	switch {
	case u.Message != nil:
		return normalizeMessage(u, u.Message, core.InboundMessage)
	case u.EditedMessage != nil:
		return normalizeMessage(u, u.EditedMessage, core.InboundEdit)
	case u.CallbackQuery != nil:
		return normalizeCallback(u, u.CallbackQuery)
	case u.ChannelPost != nil, u.EditedChannelPost != nil:
		return ignored(u, "channel post: channels are not served")
	case u.InlineQuery != nil:
		return ignored(u, "inline_query: inline mode is not served")
	case u.ChosenInlineResult != nil:
		return ignored(u, "chosen_inline_result: inline mode is not served")
	case u.ShippingQuery != nil, u.PreCheckoutQuery != nil:
		return ignored(u, "payment update: payments are not served")
	case u.Poll != nil, u.PollAnswer != nil:
		return ignored(u, "poll update: polls are not served")
	case u.MyChatMember != nil, u.ChatMember != nil, u.ChatJoinRequest != nil:
		return ignored(u, "chat member update")
	}
	return ignored(u, "update without a kind the gateway knows")
}

// privateChat checks that c is a private chat and returns its id.
func privateChat(c *tgbotapi.Chat) (string, string) {
	switch {
	case c == nil:
		return "", "no chat"
	case c.Type == "private", c.Type == "" && c.ID > 0:
		return formatID(c.ID), ""
	case c.Type == "":
		return "", "chat without a type and a non-private id"
	default:
		return "", c.Type + " chat: only private chats are served (groups are not configurable yet)"
	}
}

func normalizeMessage(u tgbotapi.Update, m *tgbotapi.Message, kind core.InboundKind) core.InboundEvent {
	chatID, why := privateChat(m.Chat)
	if why != "" {
		return ignored(u, "%s: %s", kind, why)
	}
	if m.MessageID == 0 {
		return ignored(u, "%s without message_id", kind)
	}
	text := content(m)
	if text == "" {
		return ignored(u, "%s without content the gateway can show (service message)", kind)
	}
	ev := core.InboundEvent{Kind: kind, UpdateID: int64(u.UpdateID), UserID: chatID, Name: name(m.From, m.Chat),
		ProviderID: chatID + ":" + strconv.Itoa(m.MessageID), Text: core.ClipText(text)}
	if m.Date > 0 {
		ev.At = time.Unix(int64(m.Date), 0).UTC()
	}
	if kind == core.InboundEdit {
		ev.Name, ev.At = "", time.Time{} // an edit changes the text only
	} else if f, ok := file(m); ok {
		ev.Attachments = []core.InboundAttachment{f}
	}
	return ev
}

func normalizeCallback(u tgbotapi.Update, q *tgbotapi.CallbackQuery) core.InboundEvent {
	if q.ID == "" {
		return ignored(u, "callback_query without id")
	}
	var ev core.InboundEvent
	switch {
	case q.Message == nil:
		ev = ignored(u, "callback_query from an inline message: no chat to answer in")
	case strings.TrimSpace(q.Data) == "":
		ev = ignored(u, "callback_query without data (a game)")
	default:
		chatID, why := privateChat(q.Message.Chat)
		if why != "" {
			ev = ignored(u, "callback_query: %s", why)
			break
		}
		ev = core.InboundEvent{Kind: core.InboundMessage, UpdateID: int64(u.UpdateID), UserID: chatID, Name: name(q.From, q.Message.Chat),
			ProviderID: "cq:" + q.ID, Text: core.ClipText(q.Data)}
	}
	ev.CallbackID = q.ID
	return ev
}

// name is the customer's name: first and last name, else the username;
// the sender first, the private chat second.
func name(from *tgbotapi.User, chat *tgbotapi.Chat) string {
	if from != nil {
		if n := joinName(from.FirstName, from.LastName, from.UserName); n != "" {
			return n
		}
	}
	if chat != nil {
		return joinName(chat.FirstName, chat.LastName, chat.UserName)
	}
	return ""
}

func joinName(first, last, username string) string {
	if n := strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last)); n != "" {
		return n
	}
	return strings.TrimSpace(username)
}

// content renders a message as the text an agent reads.
func content(m *tgbotapi.Message) string {
	text := strings.TrimSpace(contentOf(m))
	if text != "" && (m.ForwardFrom != nil || m.ForwardFromChat != nil || m.ForwardSenderName != "" || m.ForwardDate != 0) {
		text = "[forwarded] " + text
	}
	return text
}

func contentOf(m *tgbotapi.Message) string {
	caption := strings.TrimSpace(m.Caption)
	switch {
	case strings.TrimSpace(m.Text) != "":
		return m.Text
	case len(m.Photo) > 0:
		return media("[photo]", "", caption)
	case m.Animation != nil: // before Document: a GIF comes with both
		return media("[GIF]", "", caption)
	case m.Sticker != nil:
		return media("[sticker]", m.Sticker.Emoji, "")
	case m.Document != nil:
		return media("[document]", m.Document.FileName, caption)
	case m.Voice != nil:
		return media("[voice "+duration(m.Voice.Duration)+"]", "", caption)
	case m.Audio != nil:
		return media("[audio "+duration(m.Audio.Duration)+"]", audioTitle(m.Audio), caption)
	case m.Video != nil:
		return media("[video "+duration(m.Video.Duration)+"]", "", caption)
	case m.VideoNote != nil:
		return media("[video message "+duration(m.VideoNote.Duration)+"]", "", "")
	case m.Venue != nil: // before Location: a venue comes with both
		return media("[venue]", strings.Trim(m.Venue.Title+", "+m.Venue.Address, ", ")+" "+coords(m.Venue.Location), "")
	case m.Location != nil:
		return media("[location]", coords(*m.Location), "")
	case m.Contact != nil:
		c := m.Contact
		return media("[contact]", strings.Trim(joinName(c.FirstName, c.LastName, "")+", "+c.PhoneNumber, ", "), "")
	case m.Dice != nil:
		return media(fmt.Sprintf("[dice %s %d]", m.Dice.Emoji, m.Dice.Value), "", "")
	case m.Poll != nil:
		return media("[poll]", m.Poll.Question, "")
	}
	return caption // a caption without media, or nothing
}

// media is "[label] detail — caption", leaving out what is empty.
func media(label, detail, caption string) string {
	s := label
	if detail = strings.TrimSpace(detail); detail != "" {
		s += " " + detail
	}
	switch {
	case caption == "":
	case detail != "":
		s += " — " + caption
	default:
		s += " " + caption
	}
	return s
}

func audioTitle(a *tgbotapi.Audio) string {
	switch {
	case a.Performer != "" && a.Title != "":
		return a.Performer + " – " + a.Title
	case a.Title != "":
		return a.Title
	}
	return a.FileName
}

// duration renders seconds as m:ss.
func duration(sec int) string {
	if sec < 0 {
		sec = 0
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

func coords(l tgbotapi.Location) string {
	return fmt.Sprintf("%.6f, %.6f", l.Latitude, l.Longitude)
}

// file is the attachment of a media message: its file_id (fetched with
// getFile), and what the update tells of it. The order of the cases is
// contentOf's, so the attachment is the file the text names.
func file(m *tgbotapi.Message) (core.InboundAttachment, bool) {
	a := core.InboundAttachment{Caption: core.ClipText(m.Caption)}
	switch {
	case strings.TrimSpace(m.Text) != "":
		return core.InboundAttachment{}, false
	case len(m.Photo) > 0:
		p := largestPhoto(m.Photo)
		a.Kind, a.Ref, a.Size = core.AttachmentImage, p.FileID, int64(p.FileSize)
	case m.Animation != nil:
		v := m.Animation
		a.Kind, a.Ref, a.MIME, a.Name, a.Size = core.AttachmentVideo, v.FileID, v.MimeType, v.FileName, int64(v.FileSize)
	case m.Sticker != nil:
		a.Kind, a.Ref, a.Size, a.Caption = core.AttachmentSticker, m.Sticker.FileID, int64(m.Sticker.FileSize), ""
	case m.Document != nil:
		v := m.Document
		a.Kind, a.Ref, a.MIME, a.Name, a.Size = core.AttachmentDocument, v.FileID, v.MimeType, v.FileName, int64(v.FileSize)
	case m.Voice != nil:
		v := m.Voice
		a.Kind, a.Ref, a.MIME, a.Size = core.AttachmentVoice, v.FileID, v.MimeType, int64(v.FileSize)
	case m.Audio != nil:
		v := m.Audio
		a.Kind, a.Ref, a.MIME, a.Name, a.Size = core.AttachmentAudio, v.FileID, v.MimeType, v.FileName, int64(v.FileSize)
	case m.Video != nil:
		v := m.Video
		a.Kind, a.Ref, a.MIME, a.Name, a.Size = core.AttachmentVideo, v.FileID, v.MimeType, v.FileName, int64(v.FileSize)
	case m.VideoNote != nil:
		a.Kind, a.Ref, a.Size, a.Caption = core.AttachmentVideo, m.VideoNote.FileID, int64(m.VideoNote.FileSize), ""
	}
	if a.Kind == "" || a.Ref == "" {
		return core.InboundAttachment{}, false
	}
	a.Size = max(a.Size, 0) // the tolerant decoder takes any number
	return a, true
}

// largestPhoto is the biggest of a photo's sizes: the one with the most
// bytes, else (no sizes told) the last, as Telegram lists them smallest
// first.
func largestPhoto(sizes []tgbotapi.PhotoSize) tgbotapi.PhotoSize {
	best := sizes[len(sizes)-1]
	for _, p := range sizes {
		if p.FileSize > best.FileSize || (p.FileSize == best.FileSize && p.Width*p.Height > best.Width*best.Height) {
			best = p
		}
	}
	return best
}
