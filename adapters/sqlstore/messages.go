package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

const msgCols = `m.id, m.conversation_id, m.channel_id, m.author, m.agent_id, m.text, m.created_at, m.delivery,
	m.error, m.provider_id, m.processed_at, m.sent_at`

// msgReturning is msgCols for a RETURNING clause, which names the
// updated table's columns without an alias.
var msgReturning = strings.ReplaceAll(msgCols, "m.", "")

type msgRow struct {
	ID             string `db:"id"`
	ConversationID string `db:"conversation_id"`
	ChannelID      string `db:"channel_id"`
	Author         string `db:"author"`
	AgentID        ustr   `db:"agent_id"`
	Text           string `db:"text"`
	CreatedAt      micros `db:"created_at"`
	Delivery       string `db:"delivery"`
	Error          string `db:"error"`
	ProviderID     ustr   `db:"provider_id"`
	ProcessedAt    micros `db:"processed_at"`
	SentAt         micros `db:"sent_at"`
}

func (r msgRow) message() core.Message {
	return core.Message{ID: r.ID, ConversationID: r.ConversationID, ChannelID: r.ChannelID,
		Author: core.Author(r.Author), AgentID: string(r.AgentID), Text: r.Text, CreatedAt: r.CreatedAt.time(),
		Delivery: core.Delivery(r.Delivery), Error: r.Error, ProviderID: string(r.ProviderID),
		ProcessedAt: r.ProcessedAt.time(), SentAt: r.SentAt.time()}
}

// InsertMessage stores m and moves the conversation's last_message_at
// forward: InsertMessages with one message, in one statement on
// PostgreSQL (no transaction of its own) and in a transaction on SQLite. A
// customer message whose (channel, provider id) was seen before is
// ErrDuplicate; the conflict is absorbed by ON CONFLICT DO NOTHING, so a
// PostgreSQL transaction stays usable.
func (c *conn) InsertMessage(ctx context.Context, m core.Message) error {
	one := func(c *conn) error { return c.InsertMessages(ctx, []core.Message{m}) }
	var err error
	if c.d == dialectPostgres {
		err = one(c)
	} else {
		err = c.atomic(ctx, one)
	}
	if errors.Is(err, core.ErrDuplicate) {
		return fmt.Errorf("insert message %s: provider message %s/%s: %w", m.ID, m.ChannelID, m.ProviderID, core.ErrDuplicate)
	}
	return err
}

// msgConvRow is a message nested as "m." beside its conversation.
type msgConvRow struct {
	convRow
	M msgRow `db:"m"`
}

// msgColsNested is msgCols named "m.<column>", for msgConvRow.
var msgColsNested = func() string {
	cols := strings.Split(msgCols, ",")
	for i, c := range cols {
		c = strings.TrimSpace(c)
		cols[i] = c + ` AS "m.` + strings.TrimPrefix(c, "m.") + `"`
	}
	return strings.Join(cols, ", ")
}()

// MessageWithConversation reads a message, its conversation and the
// customer with one statement.
func (c *conn) MessageWithConversation(ctx context.Context, id string) (core.Message, core.Conversation, error) {
	var r msgConvRow
	err := sqlx.GetContext(ctx, c.r, &r, "SELECT "+convCols+", "+msgColsNested+convFrom+
		" JOIN messages m ON m.conversation_id = c.id WHERE m.id = $1", id)
	if err != nil {
		return core.Message{}, core.Conversation{}, wrap(err, "message %s with its conversation", id)
	}
	m := r.M.message()
	if err := c.fillOne(ctx, c.r, &m); err != nil {
		return core.Message{}, core.Conversation{}, err
	}
	return m, r.conversation(), nil
}

// MessageByID reads a message.
func (c *conn) MessageByID(ctx context.Context, id string) (core.Message, error) {
	var r msgRow
	if err := sqlx.GetContext(ctx, c.r, &r, "SELECT "+msgCols+" FROM messages m WHERE m.id = $1", id); err != nil {
		return core.Message{}, wrap(err, "message %s", id)
	}
	m := r.message()
	return m, c.fillOne(ctx, c.r, &m)
}

// ListMessages lists the conversation's messages after afterID, oldest
// first, at most limit (0: all).
func (c *conn) ListMessages(ctx context.Context, conversationID, afterID string, limit int) ([]core.Message, error) {
	var a args
	q := "SELECT " + msgCols + " FROM messages m WHERE m.conversation_id = " + a.add(conversationID)
	if afterID != "" {
		q += " AND m.id > " + a.add(afterID)
	}
	q += " ORDER BY m.id"
	if limit > 0 {
		q += " LIMIT " + a.add(limit)
	}
	var rows []msgRow
	if err := sqlx.SelectContext(ctx, c.r, &rows, q, a...); err != nil {
		return nil, wrap(err, "list messages of conversation %s", conversationID)
	}
	out := make([]core.Message, len(rows))
	for i, r := range rows {
		out[i] = r.message()
	}
	return out, c.fill(ctx, c.r, out)
}

// FirstCustomerMessage is the conversation's oldest customer message.
func (c *conn) FirstCustomerMessage(ctx context.Context, conversationID string) (core.Message, error) {
	var r msgRow
	err := sqlx.GetContext(ctx, c.r, &r, "SELECT "+msgCols+` FROM messages m
		WHERE m.conversation_id = $1 AND m.author = 'customer' ORDER BY m.id LIMIT 1`, conversationID)
	if err != nil {
		return core.Message{}, wrap(err, "first customer message of conversation %s", conversationID)
	}
	m := r.message()
	return m, c.fillOne(ctx, c.r, &m)
}

// UpdateDelivery records the delivery state and error text; a non-empty
// providerID is stored, an empty one keeps what is there.
func (c *conn) UpdateDelivery(ctx context.Context, id string, d core.Delivery, providerID, errText string) error {
	n, err := exec(ctx, c.w, `UPDATE messages SET delivery = $2, provider_id = COALESCE($3, provider_id), error = $4
		WHERE id = $1`, id, string(d), ns(providerID), errText)
	if err != nil {
		return wrap(err, "update delivery of message %s", id)
	}
	if n == 0 {
		return notFound("update delivery of message %s", id)
	}
	return nil
}

// RecordSent marks the messages sent in one statement; the provider id of
// each is chosen by a CASE on the message id.
func (c *conn) RecordSent(ctx context.Context, at time.Time, sent []core.SentMessage) error {
	if len(sent) == 0 {
		return nil
	}
	var a args
	q := "UPDATE messages SET delivery = " + a.add(string(core.DeliverySent)) + ", error = '', sent_at = " + a.add(tm(at)) +
		", provider_id = COALESCE(CASE id"
	ids := make([]string, len(sent))
	for i, sm := range sent {
		ids[i] = a.add(sm.ID)
		q += " WHEN " + ids[i] + " THEN " + a.add(ns(sm.ProviderID))
	}
	q += " END, provider_id) WHERE id IN (" + strings.Join(ids, ", ") + ")"
	if _, err := exec(ctx, c.w, q, a...); err != nil {
		return wrap(err, "record %d sends (first message %s)", len(sent), sent[0].ID)
	}
	return nil
}

// movedReturning returns an updated message and the agent of its
// conversation (a subquery: SQLite's RETURNING names only the updated
// table).
var movedReturning = " RETURNING " + msgReturning +
	", (SELECT c.agent_id FROM conversations c WHERE c.id = messages.conversation_id) AS conv_agent_id"

// movedRow is a message a status moved, with its conversation's agent.
type movedRow struct {
	msgRow
	ConvAgentID ustr `db:"conv_agent_id"`
}

// moved runs an UPDATE … movedReturning and returns its rows.
func (c *conn) moved(ctx context.Context, q string, a args) ([]core.MovedMessage, error) {
	var rows []movedRow
	if err := sqlx.SelectContext(ctx, c.w, &rows, q+movedReturning, a...); err != nil {
		return nil, err
	}
	msgs := make([]core.Message, len(rows))
	for i, r := range rows {
		msgs[i] = r.message()
	}
	if err := c.fill(ctx, c.w, msgs); err != nil {
		return nil, err
	}
	out := make([]core.MovedMessage, len(rows))
	for i, r := range rows {
		out[i] = core.MovedMessage{Message: msgs[i], AgentID: string(r.ConvAgentID)}
	}
	return out, nil
}

// AdvanceDelivery moves our outbound message with the provider id to `to`
// if its delivery is one of from; the condition is in the UPDATE, so
// concurrent callbacks cannot move a state backwards.
func (c *conn) AdvanceDelivery(ctx context.Context, channelID, providerID string, from []core.Delivery, to core.Delivery, errText string) ([]core.MovedMessage, error) {
	if len(from) == 0 {
		return nil, nil
	}
	var a args
	q := "UPDATE messages SET delivery = " + a.add(string(to)) + ", error = " + a.add(errText) +
		" WHERE channel_id = " + a.add(channelID) + " AND provider_id = " + a.add(providerID) +
		" AND author <> 'customer' AND delivery IN (" + a.in(deliveries(from)) + ")"
	moved, err := c.moved(ctx, q, a)
	if err != nil {
		return nil, wrap(err, "advance delivery of %s/%s", channelID, providerID)
	}
	return moved, nil
}

// ReadUpTo marks read the sent or delivered outbound messages of the
// channel user's conversations on the channel that were sent (else
// created) at or before at: the customers key, then each conversation's
// messages by index.
func (c *conn) ReadUpTo(ctx context.Context, channelID, channelUserID string, at time.Time) ([]core.MovedMessage, error) {
	var a args
	ch := a.add(channelID)
	q := "UPDATE messages SET delivery = " + a.add(string(core.DeliveryRead)) + ", error = ''" +
		" WHERE channel_id = " + ch + " AND author <> 'customer' AND delivery IN (" +
		a.in(deliveries([]core.Delivery{core.DeliverySent, core.DeliveryDelivered})) + ")" +
		" AND COALESCE(sent_at, created_at) <= " + a.add(tm(at)) +
		" AND conversation_id IN (SELECT c.id FROM conversations c JOIN customers cu ON cu.id = c.customer_id" +
		" WHERE cu.channel_id = " + ch + " AND cu.channel_user_id = " + a.add(channelUserID) + " AND c.channel_id = " + ch + ")"
	moved, err := c.moved(ctx, q, a)
	if err != nil {
		return nil, wrap(err, "read watermark of %s/%s", channelID, channelUserID)
	}
	return moved, nil
}

// deliveries are delivery states as strings, for args.in.
func deliveries(ds []core.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}

// KeepEarlyDelivery stores a status callback for a provider id none of our
// messages carries. The insert is skipped when an outbound message has the
// id already; a kept status moves only from a state in from, decided in the
// upsert itself so that concurrent callbacks cannot move it backwards.
func (c *conn) KeepEarlyDelivery(ctx context.Context, e core.EarlyDelivery, from []core.Delivery) error {
	var a args
	a.add(e.ChannelID)
	a.add(e.ProviderID)
	a.add(string(e.Delivery))
	a.add(e.Error)
	a.add(e.At.UnixMicro())
	q := `INSERT INTO early_deliveries (channel_id, provider_id, delivery, error, kept_at)
		SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), CAST($5 AS BIGINT)
		WHERE NOT EXISTS (SELECT 1 FROM messages
			WHERE channel_id = $1 AND provider_id = $2 AND author <> 'customer')
		ON CONFLICT (channel_id, provider_id) DO UPDATE
		SET delivery = excluded.delivery, error = excluded.error, kept_at = excluded.kept_at`
	if len(from) == 0 {
		q += " WHERE FALSE"
	} else {
		q += " WHERE early_deliveries.delivery IN (" + a.in(deliveries(from)) + ")"
	}
	if _, err := c.w.ExecContext(ctx, q, a...); err != nil {
		return wrap(err, "keep early delivery status of %s/%s", e.ChannelID, e.ProviderID)
	}
	return nil
}

// TakeEarlyDeliveries deletes and returns the early statuses of the
// (channel, provider id) keys, in one statement.
func (c *conn) TakeEarlyDeliveries(ctx context.Context, keys []core.ChannelKey) ([]core.EarlyDelivery, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var rows []struct {
		ChannelID  string `db:"channel_id"`
		ProviderID string `db:"provider_id"`
		Delivery   string `db:"delivery"`
		Error      string `db:"error"`
		KeptAt     micros `db:"kept_at"`
	}
	var a args
	err := sqlx.SelectContext(ctx, c.w, &rows, `DELETE FROM early_deliveries WHERE (channel_id, provider_id) IN (`+a.pairs(keys)+`)
		RETURNING channel_id, provider_id, delivery, error, kept_at`, a...)
	if err != nil {
		return nil, wrap(err, "take early delivery statuses of %d provider ids (first %s/%s)", len(keys), keys[0].ChannelID, keys[0].ID)
	}
	out := make([]core.EarlyDelivery, len(rows))
	for i, r := range rows {
		out[i] = core.EarlyDelivery{ChannelID: r.ChannelID, ProviderID: r.ProviderID, Delivery: core.Delivery(r.Delivery),
			Error: r.Error, At: r.KeptAt.time()}
	}
	return out, nil
}

// PurgeEarlyDeliveries deletes the early statuses kept before `before`.
func (c *conn) PurgeEarlyDeliveries(ctx context.Context, before time.Time) (int, error) {
	n, err := exec(ctx, c.w, "DELETE FROM early_deliveries WHERE kept_at < $1", before.UnixMicro())
	if err != nil {
		return 0, wrap(err, "purge early delivery statuses kept before %s", before.Format(time.RFC3339))
	}
	return int(n), nil
}

// EditInbound replaces the text of a customer message (the search index
// follows: a generated column on PostgreSQL, a trigger on SQLite).
func (c *conn) EditInbound(ctx context.Context, channelID, providerID, text string) error {
	n, err := exec(ctx, c.w, `UPDATE messages SET text = $3
		WHERE channel_id = $1 AND provider_id = $2 AND author = 'customer'`, channelID, providerID, text)
	if err != nil {
		return wrap(err, "edit message %s/%s", channelID, providerID)
	}
	if n == 0 {
		return notFound("edit message %s/%s", channelID, providerID)
	}
	return nil
}

// ClaimUnprocessed marks the bot's unprocessed customer messages among
// ids processed in one statement and returns them.
func (c *conn) ClaimUnprocessed(ctx context.Context, ids []string, at time.Time) ([]core.Message, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var a args
	q := "UPDATE messages SET processed_at = " + a.add(tm(at)) + " WHERE id IN (" + a.in(ids) +
		") AND author = 'customer' AND processed_at IS NULL RETURNING " + msgReturning
	var rs []msgRow
	if err := sqlx.SelectContext(ctx, c.w, &rs, q, a...); err != nil {
		return nil, wrap(err, "claim %d messages for the bot", len(ids))
	}
	out := make([]core.Message, len(rs))
	for i, r := range rs {
		out[i] = r.message()
	}
	return out, c.fill(ctx, c.w, out)
}

// Due lists, oldest first and at most limit of each kind (0: no limit),
// customer messages the bot has not processed, queued outbound messages,
// and open requests, each last touched before olderThan.
func (c *conn) Due(ctx context.Context, olderThan time.Time, limit int) (core.DueWork, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	var w core.DueWork
	at := tm(olderThan)
	if err := sqlx.SelectContext(ctx, c.r, &w.Unprocessed, `SELECT id FROM messages
		WHERE author = 'customer' AND processed_at IS NULL AND created_at < $1 ORDER BY created_at, id LIMIT $2`,
		at, limit); err != nil {
		return core.DueWork{}, wrap(err, "due: unprocessed messages")
	}
	if err := sqlx.SelectContext(ctx, c.r, &w.Undelivered, `SELECT id FROM messages
		WHERE delivery = 'queued' AND created_at < $1 ORDER BY created_at, id LIMIT $2`, at, limit); err != nil {
		return core.DueWork{}, wrap(err, "due: queued messages")
	}
	if err := sqlx.SelectContext(ctx, c.r, &w.OpenRequests, `SELECT id FROM requests
		WHERE status IN ('waiting', 'declined') AND updated_at < $1 ORDER BY updated_at, id LIMIT $2`,
		at, limit); err != nil {
		return core.DueWork{}, wrap(err, "due: open requests")
	}
	return w, nil
}
