package sqlstore

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

const convCols = `c.id, c.channel_id, c.customer_id, c.status, c.agent_id, c.request_id, c.page_url,
	c.created_at, c.resolved_at, c.last_message_at, c.bot_misses, ` + customerCols

const convFrom = ` FROM conversations c JOIN customers cu ON cu.id = c.customer_id`

type convRow struct {
	ID            string `db:"id"`
	ChannelID     string `db:"channel_id"`
	CustomerID    string `db:"customer_id"`
	Status        string `db:"status"`
	AgentID       ustr   `db:"agent_id"`
	RequestID     ustr   `db:"request_id"`
	PageURL       string `db:"page_url"`
	CreatedAt     micros `db:"created_at"`
	ResolvedAt    micros `db:"resolved_at"`
	LastMessageAt micros `db:"last_message_at"`
	BotMisses     int    `db:"bot_misses"`
	customerRow
}

func (r convRow) conversation() core.Conversation {
	return core.Conversation{ID: r.ID, ChannelID: r.ChannelID, CustomerID: r.CustomerID, Customer: r.customer(),
		Status: core.ConversationStatus(r.Status), AgentID: string(r.AgentID), RequestID: string(r.RequestID),
		PageURL: r.PageURL, CreatedAt: r.CreatedAt.time(), ResolvedAt: r.ResolvedAt.time(),
		LastMessageAt: r.LastMessageAt.time(), BotMisses: r.BotMisses}
}

// CreateConversation stores a new conversation.
func (c *conn) CreateConversation(ctx context.Context, cv core.Conversation) error {
	_, err := c.w.ExecContext(ctx, `INSERT INTO conversations
		(id, channel_id, customer_id, status, agent_id, request_id, page_url, created_at, resolved_at,
		 last_message_at, bot_misses)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		cv.ID, cv.ChannelID, cv.CustomerID, string(cv.Status), ns(cv.AgentID), ns(cv.RequestID), cv.PageURL,
		tm(cv.CreatedAt), tm(cv.ResolvedAt), tm(cv.LastMessageAt), cv.BotMisses)
	if err != nil {
		return wrap(err, "create conversation %s", cv.ID)
	}
	return nil
}

// UpdateConversation writes status, agent, request, page, resolution time
// and bot misses. last_message_at only moves forward: InsertMessage moves
// it, and a conversation read before the insert must not move it back.
func (c *conn) UpdateConversation(ctx context.Context, cv core.Conversation) error {
	n, err := exec(ctx, c.w, `UPDATE conversations SET status = $2, agent_id = $3, request_id = $4, page_url = $5,
		resolved_at = $6, bot_misses = $7,
		last_message_at = CASE WHEN last_message_at IS NULL OR last_message_at < $8 THEN $8 ELSE last_message_at END
		WHERE id = $1`,
		cv.ID, string(cv.Status), ns(cv.AgentID), ns(cv.RequestID), cv.PageURL, tm(cv.ResolvedAt), cv.BotMisses,
		tm(cv.LastMessageAt))
	if err != nil {
		return wrap(err, "update conversation %s", cv.ID)
	}
	if n == 0 {
		return notFound("update conversation %s", cv.ID)
	}
	return nil
}

func (c *conn) getConversation(ctx context.Context, x sqlx.QueryerContext, what, where string, a ...any) (core.Conversation, error) {
	var r convRow
	if err := sqlx.GetContext(ctx, x, &r, "SELECT "+convCols+convFrom+" WHERE "+where, a...); err != nil {
		return core.Conversation{}, wrap(err, "conversation %s", what)
	}
	return r.conversation(), nil
}

// ConversationByID reads a conversation with its customer.
func (c *conn) ConversationByID(ctx context.Context, id string) (core.Conversation, error) {
	return c.getConversation(ctx, c.r, id, "c.id = $1", id)
}

// OpenConversation is the customer's newest unresolved conversation on the channel.
func (c *conn) OpenConversation(ctx context.Context, customerID, channelID string) (core.Conversation, error) {
	return c.getConversation(ctx, c.r, "open for customer "+customerID,
		"c.customer_id = $1 AND c.channel_id = $2 AND c.status <> 'resolved' ORDER BY c.id DESC LIMIT 1",
		customerID, channelID)
}

// LatestConversation is the customer's newest conversation on the channel.
func (c *conn) LatestConversation(ctx context.Context, customerID, channelID string) (core.Conversation, error) {
	return c.getConversation(ctx, c.r, "latest for customer "+customerID,
		"c.customer_id = $1 AND c.channel_id = $2 ORDER BY c.id DESC LIMIT 1", customerID, channelID)
}

// LockConversation reads the conversation and locks its row in one
// statement. On PostgreSQL the lock waits for a concurrent writer of the
// row and then reads its newest version; the joined customer is read as
// of the statement's start, which is all a customer's few writes (name,
// visits) need.
func (c *conn) LockConversation(ctx context.Context, id string) (core.Conversation, error) {
	return c.getConversation(ctx, c.w, id, "c.id = $1"+c.lockConversations(), id)
}

// LockConversations locks and reads the conversations in id order.
func (c *conn) LockConversations(ctx context.Context, ids []string) ([]core.Conversation, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var a args
	var rs []convRow
	if err := sqlx.SelectContext(ctx, c.w, &rs, "SELECT "+convCols+convFrom+" WHERE c.id IN ("+a.in(ids)+
		") ORDER BY c.id"+c.lockConversations(), a...); err != nil {
		return nil, wrap(err, "lock %d conversations", len(ids))
	}
	out := make([]core.Conversation, len(rs))
	for i, r := range rs {
		out[i] = r.conversation()
	}
	return out, nil
}

// lockConversations is the locking clause of a conversation read (none on
// SQLite, whose write transactions hold the database).
func (c *conn) lockConversations() string {
	if c.d != dialectPostgres {
		return ""
	}
	return " FOR NO KEY UPDATE OF c"
}

// SearchConversations filters conversations, newest first, one page at a
// time; the cursor it returns is empty on the last page.
func (c *conn) SearchConversations(ctx context.Context, q core.ConversationQuery) ([]core.Conversation, string, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = core.DefaultPageSize
	}
	var a args
	where := []string{"1 = 1"}
	if q.Cursor != "" {
		last, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "c.id < "+a.add(last))
	}
	if len(q.Statuses) > 0 {
		ss := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			ss[i] = string(s)
		}
		where = append(where, "c.status IN ("+a.in(ss)+")")
	}
	if q.Channel != "" {
		where = append(where, "c.channel_id = "+a.add(q.Channel))
	}
	if q.AgentID != "" {
		where = append(where, "c.agent_id = "+a.add(q.AgentID))
	}
	if !q.From.IsZero() {
		where = append(where, "c.created_at >= "+a.add(tm(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "c.created_at < "+a.add(tm(q.To)))
	}
	if name := strings.TrimSpace(q.Customer); name != "" {
		where = append(where, `cu.name_key LIKE `+a.add("%"+escapeLike(nameKey(name))+"%")+` ESCAPE '\'`)
	}
	for _, t := range core.ParseSearch(q.Text) {
		where = append(where, c.textMatch(a.add(ftsQuery(t)), t.Not))
	}
	if q.VisibleTo != "" {
		p := a.add(q.VisibleTo)
		where = append(where, `(c.agent_id = `+p+` OR c.status = 'resolved' OR EXISTS (
			SELECT 1 FROM requests r JOIN request_offers o ON o.request_id = r.id
			WHERE r.id = c.request_id AND r.status IN ('waiting', 'declined') AND o.agent_id = `+p+`))`)
	}
	query := "SELECT " + convCols + convFrom + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY c.id DESC LIMIT " + a.add(limit+1)
	var rows []convRow
	if err := sqlx.SelectContext(ctx, c.r, &rows, query, a...); err != nil {
		return nil, "", wrap(err, "search conversations")
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = encodeCursor(rows[limit-1].ID)
	}
	out := make([]core.Conversation, len(rows))
	for i, r := range rows {
		out[i] = r.conversation()
	}
	return out, next, nil
}

// textMatch is the condition that conversation c has a message matching
// the full-text query in placeholder p (see ftsQuery), or with not, that
// none of its messages does. PostgreSQL plans the correlated EXISTS as a
// semi-join, either through the GIN index (rare words) or walking the
// newest conversations and checking their messages (common words); FTS5
// answers best as one MATCH for the set of matching conversations.
func (c *conn) textMatch(p string, not bool) string {
	if c.d == dialectPostgres {
		m := "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.tsv @@ websearch_to_tsquery('simple', " + p + "))"
		if not {
			return "NOT " + m
		}
		return m
	}
	m := "c.id IN (SELECT m.conversation_id FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid WHERE messages_fts MATCH " + p + ")"
	if not {
		return "NOT " + m
	}
	return m
}

func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeCursor(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", core.Invalid("cursor", "is not a cursor this server issued")
	}
	if _, err := uuid.Parse(string(b)); err != nil {
		return "", core.Invalid("cursor", "is not a cursor this server issued")
	}
	return string(b), nil
}

// IdleConversations lists active conversations whose last message is
// before `before`, oldest first.
func (c *conn) IdleConversations(ctx context.Context, before time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	var ids []string
	if err := sqlx.SelectContext(ctx, c.r, &ids, `SELECT id FROM conversations
		WHERE status = 'active' AND last_message_at < $1 ORDER BY last_message_at, id LIMIT $2`,
		tm(before), limit); err != nil {
		return nil, wrap(err, "idle conversations")
	}
	return ids, nil
}
