package meta

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/switchboard-chat/switchboard/core"
)

// attachmentTypes are the Send API's attachment types of the kinds (a
// voice note is audio; a document is a file).
var attachmentTypes = map[core.AttachmentKind]string{
	core.AttachmentImage: "image", core.AttachmentAudio: "audio", core.AttachmentVoice: "audio",
	core.AttachmentVideo: "video", core.AttachmentDocument: "file",
}

// sendFile checks m.File against the channel's limits, sends the caption
// first (an attachment carries none) and then the file, uploaded with its
// message: a multipart POST me/messages with recipient, messaging_type
// (and tag), message={"attachment":{"type":…,"payload":{"is_reusable":
// false}}} and the bytes as filedata. The provider id is the file's mid.
func (s *MessagingSender) sendFile(ctx context.Context, req sendAPIRequest, m core.Outbound) (string, error) {
	f := m.File
	if err := s.Limits.CheckFile(f); err != nil {
		return "", err
	}
	typ, ok := attachmentTypes[f.Kind]
	if !ok {
		return "", &core.DeliveryError{Permanent: true, Code: "unsupported_media_type",
			Reason: fmt.Sprintf("%s files cannot be sent on this channel", f.Kind)}
	}
	if m.Text != "" {
		if _, err := s.sendText(ctx, req, m.Text); err != nil {
			return "", err
		}
	}
	recipient, _ := json.Marshal(req.Recipient)
	message, _ := json.Marshal(map[string]any{"attachment": map[string]any{"type": typ,
		"payload": map[string]any{"is_reusable": false}}})
	fields := []Part{{Name: "recipient", Value: string(recipient)}, {Name: "messaging_type", Value: req.MessagingType}}
	if req.Tag != "" {
		fields = append(fields, Part{Name: "tag", Value: req.Tag})
	}
	fields = append(fields, Part{Name: "message", Value: string(message)})

	body, err := f.Open(ctx)
	if err != nil {
		return "", fmt.Errorf("send API upload: open the file: %w", err) // the blob store: retried
	}
	defer body.Close()
	files := s.Files
	if files == nil {
		files = s.Client
	}
	mimeType := core.BaseMIME(f.MIME)
	var resp sendAPIResponse
	err = files.PostFile(ctx, "me/messages", fields,
		FilePart{Field: "filedata", Name: f.Name, MIME: mimeType, Size: f.Size, Body: body}, &resp)
	if err != nil {
		return "", Classify(err)
	}
	if resp.MessageID == "" {
		return "", &core.DeliveryError{Permanent: true, Code: "no_message_id", Reason: "the Send API took the file but returned no id"}
	}
	return resp.MessageID, nil
}
