package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

const fileCols = `id, message_id, conversation_id, channel_id, kind, content_type, size, name, status, error,
	blob_key, thumbnail_key, source_ref, source_url, source_mime, source_size, source_name, attempts, created_at, updated_at`

type fileRow struct {
	ID             string `db:"id"`
	MessageID      string `db:"message_id"`
	ConversationID string `db:"conversation_id"`
	ChannelID      string `db:"channel_id"`
	Kind           string `db:"kind"`
	ContentType    string `db:"content_type"`
	Size           int64  `db:"size"`
	Name           string `db:"name"`
	Status         string `db:"status"`
	Error          string `db:"error"`
	BlobKey        string `db:"blob_key"`
	ThumbnailKey   string `db:"thumbnail_key"`
	SourceRef      string `db:"source_ref"`
	SourceURL      string `db:"source_url"`
	SourceMIME     string `db:"source_mime"`
	SourceSize     int64  `db:"source_size"`
	SourceName     string `db:"source_name"`
	Attempts       int    `db:"attempts"`
	CreatedAt      micros `db:"created_at"`
	UpdatedAt      micros `db:"updated_at"`
}

func (r fileRow) attachment() core.Attachment {
	kind := core.AttachmentKind(r.Kind)
	return core.Attachment{ID: r.ID, MessageID: r.MessageID, ConversationID: r.ConversationID, ChannelID: r.ChannelID,
		Kind: kind, ContentType: r.ContentType, Size: r.Size, Name: r.Name, Status: core.AttachmentStatus(r.Status),
		Error: r.Error, BlobKey: r.BlobKey, ThumbnailKey: r.ThumbnailKey,
		Source: core.InboundAttachment{Kind: kind, Ref: r.SourceRef, URL: r.SourceURL, MIME: r.SourceMIME,
			Size: r.SourceSize, Name: r.SourceName},
		Attempts: r.Attempts, CreatedAt: r.CreatedAt.time(), UpdatedAt: r.UpdatedAt.time()}
}

// insertAttachments stores the attachments of messages just inserted, in
// one statement; none is no statement at all. On PostgreSQL it takes one
// array per column, like the other statements of a group commit
// (group.go): one statement text whatever the number of files, prepared
// once per connection, instead of a row-value list of 20 parameters a
// file planned afresh for every count.
func (c *conn) insertAttachments(ctx context.Context, ms []core.Message) error {
	if c.d == dialectPostgres {
		var col columns
		n := 0
		for _, m := range ms {
			for _, f := range m.Attachments {
				col.text(0, f.ID).text(1, m.ID).text(2, m.ConversationID).text(3, m.ChannelID).text(4, string(f.Kind)).
					text(5, f.ContentType).int(6, f.Size).text(7, f.Name).text(8, string(f.Status)).text(9, f.Error).
					text(10, f.BlobKey).text(11, f.ThumbnailKey).text(12, f.Source.Ref).text(13, f.Source.URL).
					text(14, f.Source.MIME).int(15, f.Source.Size).text(16, f.Source.Name).int(17, int64(f.Attempts)).
					int(18, f.CreatedAt.UnixMicro()).int(19, f.UpdatedAt.UnixMicro())
				n++
			}
		}
		if n == 0 {
			return nil
		}
		_, err := c.w.ExecContext(ctx, `INSERT INTO attachments (`+fileCols+`)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
				$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
				$16::bigint[], $17::text[], $18::integer[], $19::bigint[], $20::bigint[])`, col.args(20)...)
		return wrap0(err, fmt.Sprintf("insert %d attachments", n))
	}
	var a args
	var vals []string
	for _, m := range ms {
		for _, f := range m.Attachments {
			vals = append(vals, "("+strings.Join([]string{a.add(f.ID), a.add(m.ID), a.add(m.ConversationID),
				a.add(m.ChannelID), a.add(string(f.Kind)), a.add(f.ContentType), a.add(f.Size), a.add(f.Name),
				a.add(string(f.Status)), a.add(f.Error), a.add(f.BlobKey), a.add(f.ThumbnailKey), a.add(f.Source.Ref),
				a.add(f.Source.URL), a.add(f.Source.MIME), a.add(f.Source.Size), a.add(f.Source.Name), a.add(f.Attempts),
				a.add(f.CreatedAt.UnixMicro()), a.add(f.UpdatedAt.UnixMicro())}, ", ")+")")
		}
	}
	if len(vals) == 0 {
		return nil
	}
	if _, err := c.w.ExecContext(ctx, "INSERT INTO attachments ("+fileCols+") VALUES "+strings.Join(vals, ", "), a...); err != nil {
		return wrap(err, "insert %d attachments", len(vals))
	}
	return nil
}

// fill sets the attachments of ms, read with one statement (oldest first);
// x is the connection the messages were read with.
func (c *conn) fill(ctx context.Context, x sqlx.ExtContext, ms []core.Message) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	var a args
	var rows []fileRow
	if err := sqlx.SelectContext(ctx, x, &rows, "SELECT "+fileCols+" FROM attachments WHERE message_id IN ("+
		a.in(ids)+") ORDER BY message_id, id", a...); err != nil {
		return wrap(err, "attachments of %d messages", len(ms))
	}
	if len(rows) == 0 {
		return nil
	}
	by := make(map[string][]core.Attachment, len(rows))
	for _, r := range rows {
		by[r.MessageID] = append(by[r.MessageID], r.attachment())
	}
	for i := range ms {
		ms[i].Attachments = by[ms[i].ID]
	}
	return nil
}

// fillOne is fill for one message.
func (c *conn) fillOne(ctx context.Context, x sqlx.ExtContext, m *core.Message) error {
	ms := []core.Message{*m}
	if err := c.fill(ctx, x, ms); err != nil {
		return err
	}
	*m = ms[0]
	return nil
}

// AttachmentByID reads an attachment.
func (c *conn) AttachmentByID(ctx context.Context, id string) (core.Attachment, error) {
	return c.attachment(ctx, c.r, id, "")
}

// LockAttachment reads an attachment and locks its row (PostgreSQL; on
// SQLite the write transaction holds the database).
func (c *conn) LockAttachment(ctx context.Context, id string) (core.Attachment, error) {
	lock := ""
	if c.d == dialectPostgres {
		lock = " FOR UPDATE"
	}
	return c.attachment(ctx, c.w, id, lock)
}

func (c *conn) attachment(ctx context.Context, x sqlx.ExtContext, id, lock string) (core.Attachment, error) {
	var r fileRow
	if err := sqlx.GetContext(ctx, x, &r, "SELECT "+fileCols+" FROM attachments WHERE id = $1"+lock, id); err != nil {
		return core.Attachment{}, wrap(err, "attachment %s", id)
	}
	return r.attachment(), nil
}

// UpdateAttachment writes what a fetch learnt of the file.
func (c *conn) UpdateAttachment(ctx context.Context, a core.Attachment) error {
	n, err := exec(ctx, c.w, `UPDATE attachments SET status = $2, error = $3, content_type = $4, size = $5, name = $6,
		blob_key = $7, thumbnail_key = $8, attempts = $9, updated_at = $10 WHERE id = $1`,
		a.ID, string(a.Status), a.Error, a.ContentType, a.Size, a.Name, a.BlobKey, a.ThumbnailKey, a.Attempts,
		a.UpdatedAt.UnixMicro())
	if err != nil {
		return wrap(err, "update attachment %s", a.ID)
	}
	if n == 0 {
		return notFound("update attachment %s", a.ID)
	}
	return nil
}

// PendingAttachments lists pending attachments last touched before
// olderThan, by the partial index.
func (c *conn) PendingAttachments(ctx context.Context, olderThan time.Time, limit int) ([]string, error) {
	var a args
	q := "SELECT id FROM attachments WHERE status = 'pending' AND updated_at < " + a.add(olderThan.UnixMicro()) +
		" ORDER BY updated_at, id"
	if limit > 0 {
		q += " LIMIT " + a.add(limit)
	}
	var ids []string
	if err := sqlx.SelectContext(ctx, c.r, &ids, q, a...); err != nil {
		return nil, wrap(err, "pending attachments")
	}
	return ids, nil
}
