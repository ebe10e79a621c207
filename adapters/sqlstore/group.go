package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

// The set-based methods of core.Tx that group commit uses (ingest_group.go
// in core): one statement per step for a whole group of inbound messages.
//
// On PostgreSQL each statement takes one array per column and unnests
// them, so its text is the same whatever the group's size: every pooled
// connection prepares it once and keeps it (pgx's statement cache), and a
// group of 128 binds a dozen arrays, not 1,500 parameters of a statement
// planned afresh. SQLite, with no arrays, gets row-value lists, which use
// the same (channel, id) unique indexes.

// pairs returns "VALUES ($i, $j), …" for keys: the right side of a
// row-value IN, which SQLite accepts only as a subquery.
func (a *args) pairs(keys []core.ChannelKey) string {
	ps := make([]string, len(keys))
	for i, k := range keys {
		ps[i] = "(" + a.add(k.ChannelID) + ", " + a.add(k.ID) + ")"
	}
	return "VALUES " + strings.Join(ps, ", ")
}

// CustomersByChannelUsers reads the customers among keys and locks their
// rows (PostgreSQL; in id order, so that two groups cannot deadlock on
// their common customers).
func (c *conn) CustomersByChannelUsers(ctx context.Context, keys []core.ChannelKey) (map[core.ChannelKey]core.Customer, error) {
	var a args
	var rs []customerRow
	var q string
	if c.d == dialectPostgres {
		chans, users := make([]string, len(keys)), make([]string, len(keys))
		for i, k := range keys {
			chans[i], users[i] = k.ChannelID, k.ID
		}
		q = "SELECT " + customerCols + ` FROM customers cu
			WHERE (cu.channel_id, cu.channel_user_id) IN (SELECT * FROM unnest(` + a.add(chans) + `::text[], ` + a.add(users) + `::text[]))
			ORDER BY cu.id FOR NO KEY UPDATE` // as forUpdate
	} else {
		q = "SELECT " + customerCols + " FROM customers cu WHERE (cu.channel_id, cu.channel_user_id) IN (" + a.pairs(keys) + ") ORDER BY cu.id"
	}
	if err := sqlx.SelectContext(ctx, c.w, &rs, q, a...); err != nil {
		return nil, wrap(err, "find %d customers", len(keys))
	}
	out := make(map[core.ChannelKey]core.Customer, len(rs))
	for _, r := range rs {
		cu := r.customer()
		out[core.ChannelKey{ChannelID: cu.ChannelID, ID: cu.ChannelUserID}] = cu
	}
	return out, nil
}

// OpenConversationsOf returns each customer's newest unresolved conversation.
func (c *conn) OpenConversationsOf(ctx context.Context, customerIDs []string) (map[string]core.Conversation, error) {
	var a args
	var rs []convRow
	var in string
	if c.d == dialectPostgres {
		in = "SELECT unnest(" + a.add(customerIDs) + "::text[])"
	} else {
		in = a.in(customerIDs)
	}
	if err := sqlx.SelectContext(ctx, c.w, &rs, "SELECT "+convCols+convFrom+" WHERE c.customer_id IN ("+in+
		") AND c.status <> 'resolved' ORDER BY c.id", a...); err != nil {
		return nil, wrap(err, "open conversations of %d customers", len(customerIDs))
	}
	out := make(map[string]core.Conversation, len(rs))
	for _, r := range rs {
		cv := r.conversation()
		out[cv.CustomerID] = cv // ordered by id: the newest wins
	}
	return out, nil
}

// SaveCustomers inserts new customers and updates existing ones by id.
func (c *conn) SaveCustomers(ctx context.Context, cs []core.Customer) error {
	const upsert = `
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, email = excluded.email,
		visits = excluded.visits, last_seen_at = excluded.last_seen_at`
	if c.d == dialectPostgres {
		var col columns
		for _, cu := range cs {
			col.text(0, cu.ID).text(1, cu.ChannelID).text(2, cu.ChannelUserID).text(3, cu.Name).text(4, nameKey(cu.Name)).
				text(5, cu.Email).int(6, int64(cu.Visits)).time(7, cu.CreatedAt).time(8, cu.LastSeenAt)
		}
		_, err := c.w.ExecContext(ctx, `INSERT INTO customers
			(id, channel_id, channel_user_id, name, name_key, email, visits, created_at, last_seen_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::integer[], $8::bigint[], $9::bigint[])`+upsert, col.args(9)...)
		return wrap0(err, fmt.Sprintf("save %d customers", len(cs)))
	}
	var a args
	vals := make([]string, len(cs))
	for i, cu := range cs {
		vals[i] = "(" + strings.Join([]string{a.add(cu.ID), a.add(cu.ChannelID), a.add(cu.ChannelUserID), a.add(cu.Name),
			a.add(nameKey(cu.Name)), a.add(cu.Email), a.add(cu.Visits), a.add(tm(cu.CreatedAt)), a.add(tm(cu.LastSeenAt))}, ", ") + ")"
	}
	_, err := c.w.ExecContext(ctx, `INSERT INTO customers
		(id, channel_id, channel_user_id, name, name_key, email, visits, created_at, last_seen_at)
		VALUES `+strings.Join(vals, ", ")+upsert, a...)
	return wrap0(err, fmt.Sprintf("save %d customers", len(cs)))
}

// CreateConversations stores new conversations.
func (c *conn) CreateConversations(ctx context.Context, cs []core.Conversation) error {
	if c.d == dialectPostgres {
		var col columns
		for _, cv := range cs {
			col.text(0, cv.ID).text(1, cv.ChannelID).text(2, cv.CustomerID).text(3, string(cv.Status)).null(4, cv.AgentID).
				null(5, cv.RequestID).text(6, cv.PageURL).time(7, cv.CreatedAt).time(8, cv.ResolvedAt).time(9, cv.LastMessageAt).
				int(10, int64(cv.BotMisses))
		}
		_, err := c.w.ExecContext(ctx, `INSERT INTO conversations
			(id, channel_id, customer_id, status, agent_id, request_id, page_url, created_at, resolved_at,
			 last_message_at, bot_misses)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::bigint[], $9::bigint[], $10::bigint[], $11::integer[])`, col.args(11)...)
		return wrap0(err, fmt.Sprintf("create %d conversations", len(cs)))
	}
	var a args
	vals := make([]string, len(cs))
	for i, cv := range cs {
		vals[i] = "(" + strings.Join([]string{a.add(cv.ID), a.add(cv.ChannelID), a.add(cv.CustomerID), a.add(string(cv.Status)),
			a.add(ns(cv.AgentID)), a.add(ns(cv.RequestID)), a.add(cv.PageURL), a.add(tm(cv.CreatedAt)), a.add(tm(cv.ResolvedAt)),
			a.add(tm(cv.LastMessageAt)), a.add(cv.BotMisses)}, ", ") + ")"
	}
	_, err := c.w.ExecContext(ctx, `INSERT INTO conversations
		(id, channel_id, customer_id, status, agent_id, request_id, page_url, created_at, resolved_at,
		 last_message_at, bot_misses)
		VALUES `+strings.Join(vals, ", "), a...)
	return wrap0(err, fmt.Sprintf("create %d conversations", len(cs)))
}

// InsertMessages stores messages. A customer message whose provider id
// was stored already is left out by ON CONFLICT DO NOTHING on the unique
// index, and RETURNING tells which were: they come back as a
// *core.DuplicateMessagesError (the caller rolls the transaction back).
// The unique index finds them whatever the table's statistics, so a
// brand-new database, whose first plans are made for empty tables, is as
// fast as a warm one. On PostgreSQL the insert and the move of the
// conversations' last_message_at are one statement.
func (c *conn) InsertMessages(ctx context.Context, ms []core.Message) error {
	if len(ms) == 0 {
		return nil
	}
	const into = `INSERT INTO messages
		(id, conversation_id, channel_id, author, agent_id, text, created_at, delivery, error, provider_id, processed_at, sent_at)`
	const skip = `
		ON CONFLICT (channel_id, provider_id) WHERE author = 'customer' AND provider_id IS NOT NULL DO NOTHING`
	var stored []string
	var err error
	if c.d == dialectPostgres {
		var col columns
		for _, m := range ms {
			col.text(0, m.ID).text(1, m.ConversationID).text(2, m.ChannelID).text(3, string(m.Author)).null(4, m.AgentID).
				text(5, m.Text).time(6, m.CreatedAt).text(7, string(m.Delivery)).text(8, m.Error).null(9, m.ProviderID).
				time(10, m.ProcessedAt).time(11, m.SentAt)
		}
		insert := into + `
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
				$8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[])` + skip
		err = sqlx.SelectContext(ctx, c.w, &stored, `WITH m AS (`+insert+` RETURNING id, conversation_id, created_at),
			moved AS (UPDATE conversations c SET last_message_at = x.t
				FROM (SELECT conversation_id, max(created_at) AS t FROM m GROUP BY conversation_id) x
				WHERE c.id = x.conversation_id AND (c.last_message_at IS NULL OR c.last_message_at < x.t))
			SELECT id FROM m`, col.args(12)...)
	} else {
		var a args
		vals := make([]string, len(ms))
		for i, m := range ms {
			vals[i] = "(" + strings.Join([]string{a.add(m.ID), a.add(m.ConversationID), a.add(m.ChannelID), a.add(string(m.Author)),
				a.add(ns(m.AgentID)), a.add(m.Text), a.add(tm(m.CreatedAt)), a.add(string(m.Delivery)), a.add(m.Error),
				a.add(ns(m.ProviderID)), a.add(tm(m.ProcessedAt)), a.add(tm(m.SentAt))}, ", ") + ")"
		}
		err = sqlx.SelectContext(ctx, c.w, &stored, into+" VALUES "+strings.Join(vals, ", ")+skip+" RETURNING id", a...)
	}
	if err != nil {
		return wrap(err, "insert %d messages", len(ms))
	}
	if len(stored) != len(ms) {
		return duplicates(ms, stored)
	}
	if err := c.insertAttachments(ctx, ms); err != nil {
		return err
	}
	if c.d == dialectPostgres {
		return nil
	}
	// last_message_at moves forward, per distinct time (one in a group).
	byTime := map[int64][]string{}
	for _, m := range ms {
		t := m.CreatedAt.UnixMicro()
		byTime[t] = append(byTime[t], m.ConversationID)
	}
	for t, ids := range byTime {
		var a args
		at := a.add(t)
		if _, err := c.w.ExecContext(ctx, `UPDATE conversations SET last_message_at = `+at+`
			WHERE id IN (`+a.in(ids)+`) AND (last_message_at IS NULL OR last_message_at < `+at+`)`, a...); err != nil {
			return wrap(err, "move last message time of %d conversations", len(ids))
		}
	}
	return nil
}

// duplicates names the messages of ms that the insert left out.
func duplicates(ms []core.Message, stored []string) error {
	in := make(map[string]bool, len(stored))
	for _, id := range stored {
		in[id] = true
	}
	dup := &core.DuplicateMessagesError{}
	for _, m := range ms {
		if !in[m.ID] {
			dup.Keys = append(dup.Keys, core.ChannelKey{ChannelID: m.ChannelID, ID: m.ProviderID})
		}
	}
	return fmt.Errorf("insert %d messages: %w", len(ms), dup)
}

// wrap0 is wrap for an error that may be nil.
func wrap0(err error, what string) error {
	if err == nil {
		return nil
	}
	return wrap(err, "%s", what)
}

// columns collects a set-based statement's values column by column, as
// the arrays PostgreSQL's unnest takes: text, nullable text ("" is NULL,
// as ns), integers, and times (zero is NULL, as tm).
type columns struct {
	cols [20]any
}

func (c *columns) text(i int, v string) *columns {
	s, _ := c.cols[i].([]string)
	c.cols[i] = append(s, v)
	return c
}

func (c *columns) null(i int, v string) *columns {
	s, _ := c.cols[i].([]*string)
	var p *string
	if v != "" {
		p = &v
	}
	c.cols[i] = append(s, p)
	return c
}

func (c *columns) int(i int, v int64) *columns {
	s, _ := c.cols[i].([]int64)
	c.cols[i] = append(s, v)
	return c
}

func (c *columns) time(i int, t time.Time) *columns {
	s, _ := c.cols[i].([]*int64)
	var p *int64
	if !t.IsZero() {
		us := t.UnixMicro()
		p = &us
	}
	c.cols[i] = append(s, p)
	return c
}

// args returns the first n columns as statement arguments.
func (c *columns) args(n int) []any { return c.cols[:n] }
