package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ErrGone is an attachment whose fetch failed for good (410 gone); its
// error says why.
var ErrGone = errors.New("attachment failed")

// GoneError is the ErrGone of one attachment, with its reason.
type GoneError struct{ Reason string }

func (e *GoneError) Error() string {
	return "This file could not be fetched (" + e.Reason + ")."
}

// Is lets errors.Is(err, ErrGone) match.
func (e *GoneError) Is(target error) bool { return target == ErrGone }

// AttachmentFile is the stored file of an attachment, being served: its
// bytes (seekable, for Range requests), their type, and the key that is
// their ETag. The caller closes Blob.
type AttachmentFile struct {
	Attachment  Attachment
	Blob        Blob
	ContentType string
	// Key is the hex SHA-256 of the bytes: the same bytes, the same key.
	Key string
}

// AgentAttachment opens an attachment's file (or its thumbnail) for an
// agent who may read its conversation (as GetConversation).
func (s *Service) AgentAttachment(ctx context.Context, actor Agent, id string, thumbnail bool) (AttachmentFile, error) {
	a, conv, err := s.attachmentAndConversation(ctx, id)
	if err != nil {
		return AttachmentFile{}, err
	}
	if err := s.canView(ctx, actor, conv); err != nil {
		return AttachmentFile{}, err
	}
	return s.openAttachment(ctx, a, thumbnail)
}

// VisitorAttachment opens an attachment's file (or its thumbnail) for the
// visitor whose conversation it is in.
func (s *Service) VisitorAttachment(ctx context.Context, v Visitor, id string, thumbnail bool) (AttachmentFile, error) {
	a, conv, err := s.attachmentAndConversation(ctx, id)
	if err != nil {
		return AttachmentFile{}, err
	}
	if conv.CustomerID != v.Customer.ID {
		return AttachmentFile{}, fmt.Errorf("attachment %s is in another visitor's conversation: %w", id, ErrForbidden)
	}
	return s.openAttachment(ctx, a, thumbnail)
}

func (s *Service) attachmentAndConversation(ctx context.Context, id string) (Attachment, Conversation, error) {
	a, err := s.store.AttachmentByID(ctx, id)
	if err != nil {
		return Attachment{}, Conversation{}, fmt.Errorf("read attachment %s: %w", id, err)
	}
	conv, err := s.store.ConversationByID(ctx, a.ConversationID)
	if err != nil {
		return Attachment{}, Conversation{}, fmt.Errorf("read conversation of attachment %s: %w", id, err)
	}
	return a, conv, nil
}

// openAttachment opens the file of a ready attachment: pending is
// ErrInvalidTransition (not there yet), failed ErrGone, a thumbnail of a
// file that has none ErrNotFound.
func (s *Service) openAttachment(ctx context.Context, a Attachment, thumbnail bool) (AttachmentFile, error) {
	switch a.Status {
	case AttachmentPending:
		return AttachmentFile{}, &TransitionError{What: "attachment", From: "pending", Action: "download"}
	case AttachmentFailed:
		return AttachmentFile{}, &GoneError{Reason: a.Error}
	}
	key, ct := a.BlobKey, a.ContentType
	if thumbnail {
		if a.ThumbnailKey == "" {
			return AttachmentFile{}, fmt.Errorf("attachment %s has no thumbnail: %w", a.ID, ErrNotFound)
		}
		key, ct = a.ThumbnailKey, "image/jpeg"
	}
	if s.blobs == nil {
		return AttachmentFile{}, fmt.Errorf("open attachment %s: no blob store: %w", a.ID, ErrUnavailable)
	}
	b, err := s.blobs.Open(ctx, key)
	if isNotFound(err) {
		// The database names bytes the store does not have (a store that
		// was emptied or changed): as good as gone.
		return AttachmentFile{}, &GoneError{Reason: "missing"}
	}
	if err != nil {
		return AttachmentFile{}, fmt.Errorf("open attachment %s: %w", a.ID, err)
	}
	return AttachmentFile{Attachment: a, Blob: b, ContentType: ct, Key: key}, nil
}

// Upload is a file a person sends through the gateway (the widget's
// paperclip, an agent's attach button).
type Upload struct {
	// Name is the file's name as the browser gave it (kept for people,
	// never used to judge the type).
	Name string
	Body io.Reader
}

// VisitorUpload stores a widget visitor's file and then the message that
// carries it, as VisitorSend stores text: the file is checked (not
// empty, at most media.max_bytes, a type the gateway takes, judged from
// the bytes; no markup, no polyglot; scanned when a scanner is set) and
// kept in the blob store before the message is stored, ready. A refused
// file is ErrPayloadTooLarge or ErrUnsupportedMediaType (a
// *MediaLimitError that says why) and nothing is stored.
func (s *Service) VisitorUpload(ctx context.Context, v Visitor, up Upload, text string) (Message, error) {
	text = strings.TrimSpace(stripControls(text))
	if err := checkOptionalText("text", text); err != nil {
		return Message{}, err
	}
	a, err := s.takeUpload(ctx, up)
	if err != nil {
		return Message{}, err
	}
	return s.Ingest(ctx, Inbound{ChannelID: v.Channel.ID, ChannelUserID: v.Customer.ChannelUserID,
		Text: fileText(a, text), uploaded: []Attachment{a}})
}

// takeUpload reads, checks and stores an uploaded file, and returns its
// attachment, ready, for the message that will carry it.
func (s *Service) takeUpload(ctx context.Context, up Upload) (Attachment, error) {
	data, err := readAtMost(up.Body, s.maxBytes)
	if errors.Is(err, ErrPayloadTooLarge) {
		return Attachment{}, &MediaLimitError{Err: ErrPayloadTooLarge, Message: "Files may be up to " + FormatBytes(s.maxBytes) + "."}
	}
	if err != nil {
		return Attachment{}, Invalid("file", "could not be read: %v", err)
	}
	f, err := s.takeFile(ctx, data, true)
	var blocked *BlockedError
	if errors.As(err, &blocked) {
		s.log.WarnContext(ctx, "upload blocked by the malware scan", "signature", blocked.Signature)
		return Attachment{}, &MediaLimitError{Err: ErrUnsupportedMediaType, Message: "The file was refused by the malware scan (" + blocked.Signature + ")."}
	}
	if err != nil {
		return Attachment{}, err
	}
	kind := kindOf(f.contentType)
	name := safeName(up.Name)
	return Attachment{ID: NewID(), Kind: kind, ContentType: f.contentType, Size: f.size, Name: name,
		Status: AttachmentReady, BlobKey: f.blob, ThumbnailKey: f.thumb,
		Source: InboundAttachment{Kind: kind, MIME: f.contentType, Size: f.size, Name: name}}, nil
}

// fileText is the text of a message that carries a file, as the channels
// write it: "[image] caption", or "[document] name" without a caption.
func fileText(a Attachment, caption string) string {
	label := "[" + string(a.Kind) + "]"
	switch {
	case caption != "":
		return label + " " + caption
	case a.Name != "" && a.Kind == AttachmentDocument:
		return label + " " + a.Name
	}
	return label
}

// checkOptionalText validates a caption: empty, or text that fits a
// message with its file's label in front.
func checkOptionalText(field, text string) error {
	if text == "" {
		return nil
	}
	if err := checkText(field, text); err != nil {
		return err
	}
	if utf8.RuneCountInString(text) > MaxTextLen-32 {
		return Invalid(field, "must be at most %d characters", MaxTextLen-32)
	}
	return nil
}

// MediaMaxBytes is the largest file taken (media.max_bytes).
func (s *Service) MediaMaxBytes() int64 { return s.maxBytes }
