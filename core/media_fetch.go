package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Reasons an attachment fails for good that the gateway itself decides
// (the providers' are in media_io.go).
const (
	// MediaRefusedType: the bytes are a type the gateway does not keep
	// from a customer (HTML, SVG, scripts).
	MediaRefusedType = "refused_type"
	// MediaEmpty: the provider handed over no bytes.
	MediaEmpty = "empty"
	// MediaNoFetcher: the channel has no way to fetch files (it was
	// removed from the configuration, or its type fetches none).
	MediaNoFetcher = "not_fetchable"
)

// MediaSweepGrace is how long an attachment may stay pending, untouched,
// before the sweeper assumes its fetch was lost and queues it again. A
// fetch that is retrying touches it at every attempt, and its retry
// waits are shorter (queue's media:fetch spec).
const MediaSweepGrace = 10 * time.Minute

// FetchMedia is the media:fetch worker: it downloads a pending
// attachment with its channel's MediaFetcher, checks the size
// (media.max_bytes, while reading) and the type (from the bytes), scans
// it when a Scanner is set, stores it in the blob store with a thumbnail
// for images, marks it ready and tells the conversation's agent (while
// it waits, the agents its request is offered to) and visitor
// (message.updated). A file the provider can never hand over, or
// that is refused, marks the attachment failed with the reason. Anything
// transient (the provider's 5xx or 429, a timeout, the blob store or the
// scanner down) leaves it pending and returns the error, to be retried.
// An attachment that is no longer pending is left alone: a duplicate or
// stale task is a no-op.
func (s *Service) FetchMedia(ctx context.Context, attachmentID string) error {
	a, err := s.store.AttachmentByID(ctx, attachmentID)
	if isNotFound(err) {
		s.log.WarnContext(ctx, "media:fetch of an unknown attachment", "attachment_id", attachmentID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("fetch attachment %s: %w", attachmentID, err)
	}
	if a.Status != AttachmentPending {
		return nil
	}
	cm, _ := s.channelMedia(a.ChannelID)
	if cm.Fetcher == nil {
		return s.settle(ctx, a, fetched{fail: MediaNoFetcher})
	}
	if s.blobs == nil {
		return fmt.Errorf("fetch attachment %s: no blob store: %w", a.ID, ErrUnavailable)
	}
	if err := s.touchAttachment(ctx, a.ID); err != nil {
		return err
	}
	f, err := s.download(ctx, cm.Fetcher, a)
	if err != nil {
		if reason, ok := IsPermanentMedia(err); ok {
			s.log.InfoContext(ctx, "attachment failed", "attachment_id", a.ID, "channel_id", a.ChannelID, "reason", reason, "err", err)
			return s.settle(ctx, a, fetched{fail: reason})
		}
		return fmt.Errorf("fetch attachment %s on %s: %w", a.ID, a.ChannelID, err)
	}
	return s.settle(ctx, a, f)
}

// fetched is the outcome of a download: the stored file, or why the
// attachment fails.
type fetched struct {
	fail        string
	contentType string
	size        int64
	name        string
	blob, thumb string
}

// download fetches, checks and stores the file of a.
func (s *Service) download(ctx context.Context, fetcher MediaFetcher, a Attachment) (fetched, error) {
	if a.Source.Size > s.maxBytes {
		return fetched{}, PermanentMedia(MediaTooLarge, fmt.Errorf("announced %d bytes, over media.max_bytes %d", a.Source.Size, s.maxBytes))
	}
	rf, err := fetcher.FetchMedia(ctx, a.Source)
	if err != nil {
		return fetched{}, err
	}
	defer rf.Body.Close()
	if rf.Size > s.maxBytes {
		return fetched{}, PermanentMedia(MediaTooLarge, fmt.Errorf("provider says %d bytes, over media.max_bytes %d", rf.Size, s.maxBytes))
	}
	data, err := readAtMost(rf.Body, s.maxBytes)
	if errors.Is(err, ErrPayloadTooLarge) {
		return fetched{}, PermanentMedia(MediaTooLarge, err)
	}
	if err != nil {
		return fetched{}, &MediaError{Reason: "read", Err: err}
	}
	name := cmpName(a.Name, rf.Name)
	f, err := s.takeFile(ctx, data, false)
	if err != nil {
		var refused *MediaLimitError
		if errors.As(err, &refused) {
			reason := MediaRefusedType
			if errors.Is(err, ErrPayloadTooLarge) {
				reason = MediaTooLarge
			}
			return fetched{}, PermanentMedia(reason, err)
		}
		var blocked *BlockedError
		if errors.As(err, &blocked) {
			return fetched{}, PermanentMedia("blocked: "+blocked.Signature, err)
		}
		return fetched{}, err
	}
	f.name = name
	return f, nil
}

func cmpName(stored, provider string) string {
	if stored != "" {
		return stored
	}
	return ClipName(provider)
}

// BlockedError is a file the malware scanner flagged.
type BlockedError struct{ Signature string }

func (e *BlockedError) Error() string { return "blocked: " + e.Signature }

// takeFile checks a whole file and stores it: not empty, a type the
// gateway keeps (visitor: also no polyglots), scanned clean, then in the
// blob store with a thumbnail for images. It returns a *MediaLimitError
// for a refused file and a *BlockedError for an infected one, having
// stored nothing; other errors are transient.
func (s *Service) takeFile(ctx context.Context, data []byte, visitor bool) (fetched, error) {
	if len(data) == 0 {
		return fetched{}, &MediaLimitError{Err: ErrUnsupportedMediaType, Message: "The file is empty."}
	}
	if int64(len(data)) > s.maxBytes {
		return fetched{}, &MediaLimitError{Err: ErrPayloadTooLarge, Message: "Files may be up to " + FormatBytes(s.maxBytes) + "."}
	}
	j := judge(data)
	switch {
	case j.Active:
		return fetched{}, &MediaLimitError{Err: ErrUnsupportedMediaType,
			Message: "Files of type " + MediaTypeBase(j.ContentType) + " are not accepted."}
	case visitor && j.Polyglot:
		return fetched{}, &MediaLimitError{Err: ErrUnsupportedMediaType,
			Message: "The file is not the " + MediaTypeBase(j.ContentType) + " it looks like."}
	}
	if s.scanner != nil {
		res, err := s.scanner.Scan(ctx, bytes.NewReader(data))
		if err != nil {
			return fetched{}, fmt.Errorf("scan: %w: %w", ErrUnavailable, err)
		}
		if res.Infected {
			return fetched{}, &BlockedError{Signature: res.Signature}
		}
	}
	if s.blobs == nil {
		return fetched{}, fmt.Errorf("no blob store: %w", ErrUnavailable)
	}
	key, err := s.blobs.Put(ctx, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fetched{}, fmt.Errorf("store file: %w", err)
	}
	f := fetched{contentType: j.storedType(), size: int64(len(data)), blob: key}
	if !j.Polyglot {
		thumb, err := s.thumbnail(ctx, data, j)
		if ctx.Err() != nil {
			// Shut down or timed out waiting for a slot: fetched again
			// later (the file is stored once, by its hash).
			return fetched{}, fmt.Errorf("thumbnail: %w", ctx.Err())
		}
		if err != nil {
			// The file is kept; it only has no preview.
			s.log.InfoContext(ctx, "no thumbnail", "blob", key, "err", err)
		}
		if len(thumb) > 0 {
			if f.thumb, err = s.blobs.Put(ctx, bytes.NewReader(thumb), int64(len(thumb))); err != nil {
				return fetched{}, fmt.Errorf("store thumbnail: %w", err)
			}
		}
	}
	return f, nil
}

// readAtMost reads r whole, failing with ErrPayloadTooLarge as soon as
// it goes past limit bytes (a provider that said nothing of the size, or
// said too little, is cut off there).
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("file over media.max_bytes (%s): %w", FormatBytes(limit), ErrPayloadTooLarge)
	}
	return buf.Bytes(), nil
}

// touchAttachment counts a fetch attempt: the sweeper leaves an
// attachment being fetched alone (MediaSweepGrace).
func (s *Service) touchAttachment(ctx context.Context, id string) error {
	err := s.store.Atomic(ctx, func(tx Tx) error {
		a, err := tx.LockAttachment(ctx, id)
		if err != nil || a.Status != AttachmentPending {
			return err
		}
		a.Attempts++
		a.UpdatedAt = s.clock()
		return tx.UpdateAttachment(ctx, a)
	})
	if err != nil {
		return fmt.Errorf("count fetch attempt of attachment %s: %w", id, err)
	}
	return nil
}

// settle records the outcome of a fetch, if the attachment is still
// pending, and tells whoever sees the conversation.
func (s *Service) settle(ctx context.Context, a Attachment, f fetched) error {
	var ev after
	err := s.store.Atomic(ctx, func(tx Tx) error {
		cur, err := tx.LockAttachment(ctx, a.ID)
		if err != nil {
			return err
		}
		if cur.Status != AttachmentPending {
			return nil
		}
		if f.fail != "" {
			cur.Status, cur.Error = AttachmentFailed, f.fail
		} else {
			cur.Status, cur.Error = AttachmentReady, ""
			cur.ContentType, cur.Size, cur.BlobKey, cur.ThumbnailKey = f.contentType, f.size, f.blob, f.thumb
			if f.name != "" {
				cur.Name = f.name
			}
		}
		cur.UpdatedAt = s.clock()
		if err := tx.UpdateAttachment(ctx, cur); err != nil {
			return err
		}
		msg, conv, err := tx.MessageWithConversation(ctx, cur.MessageID)
		if err != nil {
			return err
		}
		s.messageEvents(&ev, conv, EventMessageUpdated, msg)
		return s.offeredEvents(ctx, tx, &ev, conv, EventMessageUpdated, msg)
	})
	if err != nil {
		return fmt.Errorf("settle attachment %s: %w", a.ID, err)
	}
	ev.run(ctx, s)
	return nil
}

// offeredEvents hands a message of a conversation that waits for an
// agent to the agents its request is offered to: they may read it (the
// request panel's preview, GET /v1/requests/{id}/messages) and one of
// them may be accepting it right now. A file that becomes ready while
// its request is being accepted thus still reaches the agent who took
// it, whichever of the two commits first.
func (s *Service) offeredEvents(ctx context.Context, tx Tx, a *after, conv Conversation, typ string, m Message) error {
	if conv.AgentID != "" || conv.RequestID == "" || s.events == nil {
		return nil
	}
	req, err := tx.RequestByID(ctx, conv.RequestID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read request %s: %w", conv.RequestID, err)
	}
	for _, id := range waitingViewers(req) {
		s.publish(a, AgentStream(id), typ, m)
	}
	return nil
}

// waitingViewers are the agents who see the conversation of req, read
// while the conversation had no agent: those it is offered to while it
// is open, or the agent who accepted it between the two reads (under
// READ COMMITTED the conversation can be read before an accept commits
// and the request after it).
func waitingViewers(req Request) []string {
	switch {
	case req.Status.Open():
		return req.OfferedTo
	case req.AcceptedBy != "":
		return []string{req.AcceptedBy}
	}
	return nil
}

// queueLostFetches is the sweeper's part for attachments: the pending
// ones nobody touched for MediaSweepGrace are queued again, with a cause
// per sweep window so an older task (retried out, archived) does not
// hold the task id.
func (s *Service) queueLostFetches(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.store.PendingAttachments(ctx, now.Add(-MediaSweepGrace), 1000)
	if err != nil {
		return 0, fmt.Errorf("sweep: pending attachments: %w", err)
	}
	cause := fmt.Sprintf("sweep:%d", now.Unix()/int64(MediaSweepGrace/time.Second))
	for i, id := range ids {
		if err := s.jobs.QueueMediaFetch(ctx, id, cause); err != nil {
			return i, fmt.Errorf("sweep: enqueue media fetch %s: %w", id, err)
		}
	}
	return len(ids), nil
}

// safeName makes an uploaded file's name fit to keep and to show: the
// last path element, no control characters, clipped.
func safeName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	return ClipName(stripControls(name))
}
