package core

import (
	"context"
	"encoding/json"
	"time"
)

// AttachmentStatus is where an attachment's file stands.
type AttachmentStatus string

// Attachment states: an inbound file starts pending (announced by the
// provider, not fetched yet), then becomes ready (stored in the blob
// store) or failed (for good, with the reason in Error).
const (
	AttachmentPending AttachmentStatus = "pending"
	AttachmentReady   AttachmentStatus = "ready"
	AttachmentFailed  AttachmentStatus = "failed"
)

// Attachment is a file of a message: a customer's photo, voice note,
// video, document or sticker, or an agent's upload. The bytes live in the
// blob store under BlobKey; the database keeps what the gateway knows of
// the file and where it came from.
type Attachment struct {
	ID             string
	MessageID      string
	ConversationID string
	ChannelID      string
	Kind           AttachmentKind
	// ContentType is the type judged from the bytes once the file is
	// stored; while pending, the provider's word (not trusted for serving).
	ContentType string
	// Size in bytes: the stored file's, or the provider's announcement
	// while pending; 0 when not known.
	Size   int64
	Name   string
	Status AttachmentStatus
	// Error says why the attachment failed (expired, too_large,
	// not_found, blocked: <signature>, …).
	Error string
	// BlobKey is the hex SHA-256 of the stored bytes (the blob store's
	// content address); ThumbnailKey that of the JPEG preview of an image,
	// when there is one.
	BlobKey      string
	ThumbnailKey string
	// Source is what the provider announced: the reference or URL the
	// worker fetches, with the provider's type and size.
	Source InboundAttachment
	// Attempts counts the fetches tried so far.
	Attempts  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AttachmentURL is the path that serves an attachment's file.
func AttachmentURL(id string) string { return "/v1/attachments/" + id }

// MarshalJSON renders the contract's Attachment object.
func (a Attachment) MarshalJSON() ([]byte, error) {
	var size *int64
	if a.Size > 0 {
		size = &a.Size
	}
	var thumb *string
	if a.Status == AttachmentReady && a.ThumbnailKey != "" {
		t := AttachmentURL(a.ID) + "/thumbnail"
		thumb = &t
	}
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	return json.Marshal(struct {
		ID           string           `json:"id"`
		Kind         AttachmentKind   `json:"kind"`
		ContentType  string           `json:"content_type"`
		Size         *int64           `json:"size"`
		Name         *string          `json:"name"`
		Status       AttachmentStatus `json:"status"`
		Error        *string          `json:"error"`
		URL          string           `json:"url"`
		ThumbnailURL *string          `json:"thumbnail_url"`
	}{a.ID, a.Kind, ct, size, optString(a.Name), a.Status, optString(a.Error), AttachmentURL(a.ID), thumb})
}

// pendingAttachment is the attachment of message m that a provider
// announced: pending until the worker fetches it.
func pendingAttachment(m Message, src InboundAttachment, at time.Time) Attachment {
	src.Caption = "" // the caption is the message's text
	return Attachment{ID: NewID(), MessageID: m.ID, ConversationID: m.ConversationID, ChannelID: m.ChannelID,
		Kind: src.Kind, ContentType: src.MIME, Size: max(src.Size, 0), Name: ClipName(src.Name),
		Status: AttachmentPending, Source: src, CreatedAt: at, UpdatedAt: at}
}

// AttachmentStore persists attachments. They are inserted with their
// message (MessageStore.InsertMessage and InsertMessages store
// Message.Attachments in the same transaction), and every message read
// fills Message.Attachments, oldest first.
type AttachmentStore interface {
	AttachmentByID(ctx context.Context, id string) (Attachment, error)
	// LockAttachment reads the attachment and locks its row until the
	// transaction ends.
	LockAttachment(ctx context.Context, id string) (Attachment, error)
	// UpdateAttachment writes the status, error, content type, size, name,
	// blob and thumbnail keys, attempts and UpdatedAt of an existing
	// attachment.
	UpdateAttachment(ctx context.Context, a Attachment) error
	// PendingAttachments lists the ids of pending attachments last
	// touched before olderThan, oldest first, at most limit (0: no
	// limit): the fetches the sweeper makes sure are queued.
	PendingAttachments(ctx context.Context, olderThan time.Time, limit int) ([]string, error)
}
