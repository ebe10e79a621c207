package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/switchboard-chat/switchboard/core"
)

// MaxCaption is the longest caption of a file (0-1024 characters).
const MaxCaption = 1024

// fileMethods are the Bot API methods of the attachment kinds, with the
// content types each takes; any other file goes with sendDocument
// (sendPhoto takes JPEG, PNG and WebP; sendVoice OGG/Opus, MP3 and M4A;
// sendAudio MP3 and M4A; sendVideo MPEG-4; sendSticker WebP, WebM, TGS).
var fileMethods = map[core.AttachmentKind]struct {
	method string
	types  []string
}{
	core.AttachmentImage:   {"sendPhoto", []string{"image/jpeg", "image/png", "image/webp"}},
	core.AttachmentVoice:   {"sendVoice", []string{"audio/ogg", "audio/mpeg", "audio/mp4", "audio/x-m4a"}},
	core.AttachmentAudio:   {"sendAudio", []string{"audio/mpeg", "audio/mp4", "audio/x-m4a"}},
	core.AttachmentVideo:   {"sendVideo", []string{"video/mp4"}},
	core.AttachmentSticker: {"sendSticker", []string{"image/webp", "video/webm", "application/x-tgsticker"}},
}

// fileMethod is the method that sends f. An OGG/Opus recording goes as a
// voice message whatever its kind (an agent's upload of one is judged
// audio): sendAudio takes only MP3 and M4A.
func fileMethod(f *core.OutboundFile) string {
	kind := f.Kind
	if kind == core.AttachmentAudio && core.BaseMIME(f.MIME) == "audio/ogg" {
		kind = core.AttachmentVoice
	}
	if fm, ok := fileMethods[kind]; ok && slices.Contains(fm.types, core.BaseMIME(f.MIME)) {
		return fm.method
	}
	return "sendDocument"
}

// fileSend checks m.File against Limits and returns the method and the
// send of one attempt: each attempt opens the file again and uploads it as
// multipart with the caption. A caption over MaxCaption, or the text of a
// sticker (which takes none), is sent first as a message of its own.
func (s *Sender) fileSend(ctx context.Context, chatID int64, m core.Outbound) (string, func() (tgbotapi.Message, error), error) {
	f := m.File
	if err := Limits.CheckFile(f); err != nil {
		return "", nil, err
	}
	method := fileMethod(f)
	caption := m.Text
	if caption != "" && (method == "sendSticker" || utf8.RuneCountInString(caption) > MaxCaption) {
		text := m
		text.File = nil
		if _, err := s.Send(ctx, text); err != nil {
			return "", nil, err
		}
		caption = ""
	}
	send := func() (tgbotapi.Message, error) {
		body, err := f.Open(ctx)
		if err != nil {
			return tgbotapi.Message{}, fmt.Errorf("telegram %s: open the file: %w", method, err) // the blob store: retried
		}
		defer body.Close()
		// Not a ReadCloser: the library would close it, and so would we.
		file := tgbotapi.FileReader{Name: uploadName(f), Reader: struct{ io.Reader }{body}}
		return s.client.upload(ctx, method, chatID, caption, file)
	}
	return method, send, nil
}

// fileFields are the form fields of the files of the methods.
var fileFields = map[string]string{"sendPhoto": "photo", "sendDocument": "document", "sendVoice": "voice",
	"sendAudio": "audio", "sendVideo": "video", "sendSticker": "sticker"}

// upload makes one multipart call of method with the file and returns the
// message sent. It calls the library's UploadFiles itself: the error that
// Send's path returns for an upload lacks Telegram's error_code (so a 429
// would look like no 429), which is taken from the answer here.
func (c *Client) upload(ctx context.Context, method string, chatID int64, caption string, file tgbotapi.RequestFileData) (tgbotapi.Message, error) {
	bot, err := c.api(ctx)
	if err != nil {
		return tgbotapi.Message{}, err
	}
	params := tgbotapi.Params{"chat_id": strconv.FormatInt(chatID, 10)}
	params.AddNonEmpty("caption", caption)
	resp, err := bot.UploadFiles(method, params, []tgbotapi.RequestFile{{Name: fileFields[method], Data: file}})
	if err != nil {
		if te, ok := errors.AsType[*tgbotapi.Error](err); ok && te.Code == 0 && resp != nil {
			te.Code = resp.ErrorCode
		}
		return tgbotapi.Message{}, fmt.Errorf("telegram %s: %w", method, c.scrub(err))
	}
	var msg tgbotapi.Message
	if err := json.Unmarshal(resp.Result, &msg); err != nil {
		return tgbotapi.Message{}, fmt.Errorf("telegram %s: decode answer: %w", method, err)
	}
	return msg, nil
}

// uploadName is the file's name in the upload ("file" when it has none):
// Telegram shows a document's.
func uploadName(f *core.OutboundFile) string {
	if f.Name != "" {
		return f.Name
	}
	return "file"
}
