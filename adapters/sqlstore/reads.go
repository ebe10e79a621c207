package sqlstore

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

// MarkRead moves the read mark forward with one upsert whose update only
// applies to a later mark, and reports whether a row was written.
func (c *conn) MarkRead(ctx context.Context, m core.ReadMark) (bool, error) {
	n, err := exec(ctx, c.w, `INSERT INTO conversation_reads (conversation_id, agent_id, up_to_id, read_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (conversation_id, agent_id) DO UPDATE SET up_to_id = excluded.up_to_id, read_at = excluded.read_at
		WHERE excluded.read_at > conversation_reads.read_at
		   OR (excluded.read_at = conversation_reads.read_at AND excluded.up_to_id > conversation_reads.up_to_id)`,
		m.ConversationID, m.AgentID, m.UpToID, m.At.UnixMicro())
	if err != nil {
		return false, wrap(err, "mark conversation %s read by %s", m.ConversationID, m.AgentID)
	}
	return n > 0, nil
}

// ReadMarkOf reads one read mark.
func (c *conn) ReadMarkOf(ctx context.Context, conversationID, agentID string) (core.ReadMark, error) {
	var r struct {
		UpTo string `db:"up_to_id"`
		At   micros `db:"read_at"`
	}
	err := sqlx.GetContext(ctx, c.r, &r, `SELECT up_to_id, read_at FROM conversation_reads
		WHERE conversation_id = $1 AND agent_id = $2`, conversationID, agentID)
	if err != nil {
		return core.ReadMark{}, wrap(err, "read mark of conversation %s by %s", conversationID, agentID)
	}
	return core.ReadMark{ConversationID: conversationID, AgentID: agentID, UpToID: r.UpTo, At: r.At.time()}, nil
}

// ConversationSummaries reads, in one statement, each conversation's
// unread count (the customer messages after the read mark of its agent,
// through messages_customer_time_idx) and the id of its newest message
// that is not a note (the last in id order, as ListMessages lists them:
// UUIDv7 ids sort by creation); then those messages in a second.
func (c *conn) ConversationSummaries(ctx context.Context, ids []string) (map[string]core.ConversationSummary, error) {
	out := make(map[string]core.ConversationSummary, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var a args
	var rows []struct {
		ID     string `db:"id"`
		Unread int    `db:"unread"`
		LastID string `db:"last_id"`
	}
	err := sqlx.SelectContext(ctx, c.r, &rows, `SELECT c.id,
		CASE WHEN c.agent_id IS NULL THEN 0 ELSE (SELECT COUNT(*) FROM messages m
			WHERE m.conversation_id = c.id AND m.author = 'customer'
			  AND (r.read_at IS NULL OR m.created_at > r.read_at OR (m.created_at = r.read_at AND m.id > r.up_to_id))) END AS unread,
		COALESCE((SELECT n.id FROM messages n WHERE n.conversation_id = c.id AND n.author <> 'note'
			ORDER BY n.id DESC LIMIT 1), '') AS last_id
		FROM conversations c
		LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.agent_id = c.agent_id
		WHERE c.id IN (`+a.in(ids)+`)`, a...)
	if err != nil {
		return nil, wrap(err, "summaries of %d conversations", len(ids))
	}
	var last []string
	for _, r := range rows {
		out[r.ID] = core.ConversationSummary{Unread: r.Unread}
		if r.LastID != "" {
			last = append(last, r.LastID)
		}
	}
	if len(last) == 0 {
		return out, nil
	}
	var b args
	var msgs []msgRow
	if err := sqlx.SelectContext(ctx, c.r, &msgs, "SELECT "+msgCols+" FROM messages m WHERE m.id IN ("+b.in(last)+")", b...); err != nil {
		return nil, wrap(err, "summaries: newest messages of %d conversations", len(last))
	}
	for _, m := range msgs {
		s := out[m.ConversationID]
		s.Last = m.message()
		out[m.ConversationID] = s
	}
	return out, nil
}

// LastCustomerMessage reads the conversation's newest customer message.
func (c *conn) LastCustomerMessage(ctx context.Context, conversationID string) (core.Message, error) {
	var r msgRow
	err := sqlx.GetContext(ctx, c.r, &r, "SELECT "+msgCols+` FROM messages m
		WHERE m.conversation_id = $1 AND m.author = 'customer' ORDER BY m.id DESC LIMIT 1`, conversationID)
	if err != nil {
		return core.Message{}, wrap(err, "last customer message of conversation %s", conversationID)
	}
	return r.message(), nil
}
