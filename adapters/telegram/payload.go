package telegram

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// ErrNotJSON reports a body that is not a JSON object at all (HTTP 400).
var ErrNotJSON = errors.New("telegram update is not a JSON object")

// Decoded is one update as far as it could be read.
type Decoded struct {
	Update tgbotapi.Update
	// LibraryErr is why the library's own decoding failed; nil when it
	// succeeded. Update then holds what the tolerant decoder recovered.
	LibraryErr error
}

// Tolerant reports whether the tolerant decoder had to step in.
func (d Decoded) Tolerant() bool { return d.LibraryErr != nil }

// Decode reads one Update. It tries the library's tgbotapi.Update first;
// when that fails on valid JSON (a field of an unexpected type: is_animated
// as 1, a numeric inline_query.id, …), it falls back to a tolerant reading
// that keeps every field normalisation uses whose type is right and drops
// the rest. Only a body that is not a JSON object is an error (ErrNotJSON).
func Decode(body []byte) (Decoded, error) {
	if !json.Valid(body) {
		return Decoded{}, fmt.Errorf("%w: not valid JSON", ErrNotJSON)
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return Decoded{}, fmt.Errorf("%w: not an object", ErrNotJSON)
	}
	var u tgbotapi.Update
	libErr := json.Unmarshal(body, &u)
	if libErr == nil {
		return Decoded{Update: u}, nil
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Decoded{}, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	return Decoded{Update: tolerantUpdate(raw), LibraryErr: libErr}, nil
}

// tolerantUpdate rebuilds the parts of an Update that normalisation reads
// from a generic JSON object. Each field is taken only when its type fits.
func tolerantUpdate(m obj) tgbotapi.Update {
	u := tgbotapi.Update{UpdateID: int(m.int("update_id"))}
	u.Message = m.obj("message").message()
	u.EditedMessage = m.obj("edited_message").message()
	u.ChannelPost = m.obj("channel_post").message()
	u.EditedChannelPost = m.obj("edited_channel_post").message()
	if cq := m.obj("callback_query"); cq != nil {
		u.CallbackQuery = &tgbotapi.CallbackQuery{ID: cq.id("id"), From: cq.obj("from").user(),
			Message: cq.obj("message").message(), InlineMessageID: cq.str("inline_message_id"),
			ChatInstance: cq.str("chat_instance"), Data: cq.str("data"), GameShortName: cq.str("game_short_name")}
	}
	if q := m.obj("inline_query"); q != nil {
		u.InlineQuery = &tgbotapi.InlineQuery{ID: q.id("id"), From: q.obj("from").user(), Query: q.str("query")}
	}
	if r := m.obj("chosen_inline_result"); r != nil {
		u.ChosenInlineResult = &tgbotapi.ChosenInlineResult{ResultID: r.id("result_id"), From: r.obj("from").user(),
			Query: r.str("query"), InlineMessageID: r.str("inline_message_id")}
	}
	// Updates we never act on: their presence is enough to name them.
	if m.obj("shipping_query") != nil {
		u.ShippingQuery = &tgbotapi.ShippingQuery{}
	}
	if m.obj("pre_checkout_query") != nil {
		u.PreCheckoutQuery = &tgbotapi.PreCheckoutQuery{}
	}
	if m.obj("poll") != nil {
		u.Poll = &tgbotapi.Poll{}
	}
	if m.obj("poll_answer") != nil {
		u.PollAnswer = &tgbotapi.PollAnswer{}
	}
	if m.obj("my_chat_member") != nil {
		u.MyChatMember = &tgbotapi.ChatMemberUpdated{}
	}
	if m.obj("chat_member") != nil {
		u.ChatMember = &tgbotapi.ChatMemberUpdated{}
	}
	if m.obj("chat_join_request") != nil {
		u.ChatJoinRequest = &tgbotapi.ChatJoinRequest{}
	}
	return u
}

// obj is a JSON object decoded with UseNumber.
type obj map[string]any

func (m obj) obj(k string) obj {
	v, _ := m[k].(map[string]any)
	return v
}

func (m obj) str(k string) string {
	s, _ := m[k].(string)
	return s
}

// int is an integer field; 0 when absent, fractional or of another type.
func (m obj) int(k string) int64 {
	n, ok := m[k].(json.Number)
	if !ok {
		return 0
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	if f, err := n.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return 0
}

func (m obj) float(k string) float64 {
	n, ok := m[k].(json.Number)
	if !ok {
		return 0
	}
	f, _ := n.Float64()
	return f
}

// id is an identifier Telegram sends as a string, accepted as a number too.
func (m obj) id(k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func (m obj) user() *tgbotapi.User {
	if m == nil {
		return nil
	}
	return &tgbotapi.User{ID: m.int("id"), FirstName: m.str("first_name"), LastName: m.str("last_name"),
		UserName: m.str("username")}
}

func (m obj) chat() *tgbotapi.Chat {
	if m == nil {
		return nil
	}
	return &tgbotapi.Chat{ID: m.int("id"), Type: m.str("type"), Title: m.str("title"), UserName: m.str("username"),
		FirstName: m.str("first_name"), LastName: m.str("last_name")}
}

func (m obj) message() *tgbotapi.Message {
	if m == nil {
		return nil
	}
	msg := &tgbotapi.Message{MessageID: int(m.int("message_id")), From: m.obj("from").user(),
		SenderChat: m.obj("sender_chat").chat(), Date: int(m.int("date")), Chat: m.obj("chat").chat(),
		ForwardFrom: m.obj("forward_from").user(), ForwardFromChat: m.obj("forward_from_chat").chat(),
		ForwardSenderName: m.str("forward_sender_name"), ForwardDate: int(m.int("forward_date")),
		Text: m.str("text"), Caption: m.str("caption")}
	if p, ok := m["photo"].([]any); ok && len(p) > 0 {
		for _, size := range p {
			ps, _ := size.(map[string]any)
			msg.Photo = append(msg.Photo, tgbotapi.PhotoSize{FileID: obj(ps).str("file_id"), FileSize: int(obj(ps).int("file_size"))})
		}
	}
	if s := m.obj("sticker"); s != nil {
		msg.Sticker = &tgbotapi.Sticker{FileID: s.str("file_id"), Emoji: s.str("emoji"), SetName: s.str("set_name"),
			FileSize: int(s.int("file_size"))}
	}
	if d := m.obj("document"); d != nil {
		msg.Document = &tgbotapi.Document{FileID: d.str("file_id"), FileName: d.str("file_name"), MimeType: d.str("mime_type"),
			FileSize: int(d.int("file_size"))}
	}
	if a := m.obj("audio"); a != nil {
		msg.Audio = &tgbotapi.Audio{FileID: a.str("file_id"), Duration: int(a.int("duration")), Performer: a.str("performer"),
			Title: a.str("title"), FileName: a.str("file_name"), MimeType: a.str("mime_type"), FileSize: int(a.int("file_size"))}
	}
	if v := m.obj("voice"); v != nil {
		msg.Voice = &tgbotapi.Voice{FileID: v.str("file_id"), Duration: int(v.int("duration")), MimeType: v.str("mime_type"),
			FileSize: int(v.int("file_size"))}
	}
	if v := m.obj("video"); v != nil {
		msg.Video = &tgbotapi.Video{FileID: v.str("file_id"), Duration: int(v.int("duration")), FileName: v.str("file_name"),
			MimeType: v.str("mime_type"), FileSize: int(v.int("file_size"))}
	}
	if v := m.obj("video_note"); v != nil {
		msg.VideoNote = &tgbotapi.VideoNote{FileID: v.str("file_id"), Duration: int(v.int("duration")), FileSize: int(v.int("file_size"))}
	}
	if a := m.obj("animation"); a != nil {
		msg.Animation = &tgbotapi.Animation{FileID: a.str("file_id"), FileName: a.str("file_name"), MimeType: a.str("mime_type"),
			FileSize: int(a.int("file_size"))}
	}
	if l := m.obj("location"); l != nil {
		msg.Location = &tgbotapi.Location{Latitude: l.float("latitude"), Longitude: l.float("longitude")}
	}
	if v := m.obj("venue"); v != nil {
		loc := v.obj("location")
		msg.Venue = &tgbotapi.Venue{Title: v.str("title"), Address: v.str("address"),
			Location: tgbotapi.Location{Latitude: loc.float("latitude"), Longitude: loc.float("longitude")}}
	}
	if c := m.obj("contact"); c != nil {
		msg.Contact = &tgbotapi.Contact{PhoneNumber: c.str("phone_number"), FirstName: c.str("first_name"),
			LastName: c.str("last_name")}
	}
	if d := m.obj("dice"); d != nil {
		msg.Dice = &tgbotapi.Dice{Emoji: d.str("emoji"), Value: int(d.int("value"))}
	}
	if p := m.obj("poll"); p != nil {
		msg.Poll = &tgbotapi.Poll{Question: p.str("question")}
	}
	return msg
}

// formatID renders a chat or user id.
func formatID(id int64) string { return strconv.FormatInt(id, 10) }
