package whatsapp

import (
	"context"
	"fmt"
	"net/url"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// MaxCaption is the longest caption the Cloud API takes on an image,
// video or document.
const MaxCaption = 1024

// sendMedia is the media object of a message sent by media id.
type sendMedia struct {
	ID       string `json:"id"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// messageTypes are the message types of the attachment kinds (a voice
// note goes as audio: the app shows an OGG/Opus one as a voice message).
var messageTypes = map[core.AttachmentKind]string{
	core.AttachmentImage: "image", core.AttachmentAudio: "audio", core.AttachmentVoice: "audio",
	core.AttachmentVideo: "video", core.AttachmentDocument: "document", core.AttachmentSticker: "sticker",
}

// sendFile uploads m.File (POST /{phone-number-id}/media, multipart:
// file, type, messaging_product) and sends it by its media id with the
// caption. Audio and stickers take no caption, and a caption over
// MaxCaption does not fit: the text then goes first as a message of its
// own. The file is checked against Limits before anything is sent.
func (s *Sender) sendFile(ctx context.Context, to string, m core.Outbound) (string, error) {
	f := m.File
	if err := Limits.CheckFile(f); err != nil {
		return "", err
	}
	typ := messageTypes[f.Kind]
	id, err := s.upload(ctx, f)
	if err != nil {
		return "", err
	}
	media := &sendMedia{ID: id}
	captioned := typ == "image" || typ == "video" || typ == "document"
	if m.Text != "" {
		if captioned && utf8.RuneCountInString(m.Text) <= MaxCaption {
			media.Caption = m.Text
		} else if _, err := s.post(ctx, sendRequest{MessagingProduct: "whatsapp", RecipientType: "individual", To: to,
			Type: "text", Text: &sendText{Body: m.Text}}); err != nil {
			return "", err
		}
	}
	if typ == "document" {
		media.Filename = f.Name
	}
	req := sendRequest{MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Type: typ}
	switch typ {
	case "image":
		req.Image = media
	case "audio":
		req.Audio = media
	case "video":
		req.Video = media
	case "document":
		req.Document = media
	case "sticker":
		req.Sticker = media
	}
	return s.post(ctx, req)
}

// upload sends the file's bytes to the Cloud API and returns its media id.
func (s *Sender) upload(ctx context.Context, f *core.OutboundFile) (string, error) {
	body, err := f.Open(ctx)
	if err != nil {
		return "", fmt.Errorf("whatsapp upload: open the file: %w", err) // the blob store: retried
	}
	defer body.Close()
	var resp struct {
		ID string `json:"id"`
	}
	mimeType := core.BaseMIME(f.MIME)
	err = s.files.PostFile(ctx, url.PathEscape(s.phoneNumberID)+"/media",
		[]meta.Part{{Name: "messaging_product", Value: "whatsapp"}, {Name: "type", Value: mimeType}},
		meta.FilePart{Field: "file", Name: f.Name, MIME: mimeType, Size: f.Size, Body: body}, &resp)
	if err != nil {
		return "", meta.Classify(err)
	}
	if resp.ID == "" {
		return "", &core.DeliveryError{Permanent: true, Code: "no_media_id", Reason: "the Cloud API took the upload but returned no media id"}
	}
	return resp.ID, nil
}
