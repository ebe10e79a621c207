package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// filled gives m its attachments, oldest first; the caller holds the lock.
func (t *tx) filled(m core.Message) core.Message {
	ids := t.d().msgFiles[m.ID]
	if len(ids) == 0 {
		m.Attachments = nil
		return m
	}
	m.Attachments = make([]core.Attachment, len(ids))
	for i, id := range ids {
		m.Attachments[i] = t.d().files[id]
	}
	return m
}

// AttachmentByID implements core.AttachmentStore.
func (t *tx) AttachmentByID(_ context.Context, id string) (core.Attachment, error) {
	defer t.read()()
	a, ok := t.d().files[id]
	if !ok {
		return core.Attachment{}, notFound("attachment", id)
	}
	return a, nil
}

// LockAttachment implements core.AttachmentStore: writers are serialised
// by Atomic already.
func (t *tx) LockAttachment(ctx context.Context, id string) (core.Attachment, error) {
	return t.AttachmentByID(ctx, id)
}

// UpdateAttachment implements core.AttachmentStore.
func (t *tx) UpdateAttachment(_ context.Context, a core.Attachment) error {
	defer t.write()()
	d := t.d()
	old, ok := d.files[a.ID]
	if !ok {
		return notFound("attachment", a.ID)
	}
	old.Status, old.Error, old.ContentType, old.Size, old.Name = a.Status, a.Error, a.ContentType, a.Size, a.Name
	old.BlobKey, old.ThumbnailKey, old.Attempts, old.UpdatedAt = a.BlobKey, a.ThumbnailKey, a.Attempts, a.UpdatedAt
	put(t, d.files, a.ID, old)
	return nil
}

// PendingAttachments implements core.AttachmentStore.
func (t *tx) PendingAttachments(_ context.Context, olderThan time.Time, limit int) ([]string, error) {
	defer t.read()()
	var due []core.Attachment
	for _, a := range t.d().files {
		if a.Status == core.AttachmentPending && a.UpdatedAt.Before(olderThan) {
			due = append(due, a)
		}
	}
	slices.SortFunc(due, func(a, b core.Attachment) int {
		return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), cmp.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	ids := make([]string, len(due))
	for i, a := range due {
		ids[i] = a.ID
	}
	return ids, nil
}
