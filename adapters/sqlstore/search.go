package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/switchboard-chat/switchboard/core"
)

// ftsQuery is a term as the dialect's query text. PostgreSQL gets it for
// websearch_to_tsquery inside double quotes, so it is one phrase (adjacent
// lexemes) and or/- inside are plain words; FTS5 gets it as one
// double-quoted string, which FTS5 also matches as a phrase of its tokens
// and never parses as FTS5 syntax.
func ftsQuery(t core.SearchTerm) string {
	return `"` + t.Text + `"`
}

// SearchConversations is the store's search with its own time limit
// (Options.SearchTimeout) when it searches by text or customer name:
// PostgreSQL runs it in a read-only transaction with SET LOCAL
// statement_timeout, so the server itself stops it; SQLite under a
// context deadline, which interrupts the statement. A search stopped so
// is an invalid request that says to narrow it. Inside a transaction
// (Atomic) the search has no limit of its own.
func (s *Store) SearchConversations(ctx context.Context, q core.ConversationQuery) ([]core.Conversation, string, error) {
	field := searchField(q)
	if s.searchTimeout <= 0 || field == "" {
		return s.conn.SearchConversations(ctx, q)
	}
	var convs []core.Conversation
	var next string
	err := s.limited(ctx, func(ctx context.Context, c *conn) error {
		var err error
		convs, next, err = c.SearchConversations(ctx, q)
		return err
	})
	if err != nil && ctx.Err() == nil && timedOut(err) {
		return nil, "", core.Invalid(field, "the search ran longer than its limit (%s); narrow it with more or rarer words, a customer, a channel or dates", s.searchTimeout)
	}
	return convs, next, err
}

// limited runs the reads of fn under the search time limit: on
// PostgreSQL in a read-only transaction with SET LOCAL statement_timeout
// (the server stops the statement, whatever the client does), on SQLite
// under a context deadline (the driver interrupts the statement).
func (s *Store) limited(ctx context.Context, fn func(ctx context.Context, c *conn) error) error {
	if s.d != dialectPostgres {
		tctx, cancel := context.WithTimeout(ctx, s.searchTimeout)
		defer cancel()
		return fn(tctx, &s.conn)
	}
	tx, err := s.rdb.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return wrap(err, "search conversations: begin")
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
	ms := strconv.FormatInt(max(1, s.searchTimeout.Milliseconds()), 10)
	if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = "+ms); err != nil {
		return wrap(err, "search conversations: set its timeout")
	}
	return fn(ctx, &conn{d: s.d, r: tx, w: tx, memo: s.memo})
}

// searchField names the filter that makes q a search (q, then customer),
// or "" for a plain listing.
func searchField(q core.ConversationQuery) string {
	switch {
	case strings.TrimSpace(q.Text) != "":
		return "q"
	case strings.TrimSpace(q.Customer) != "":
		return "customer"
	}
	return ""
}

// timedOut reports a statement stopped by a timeout: PostgreSQL's
// query_canceled (statement_timeout), or SQLite's interrupt on a context
// deadline.
func timedOut(err error) bool {
	if code, ok := pgCode(err); ok {
		return code == "57014"
	}
	if code, ok := sqliteCode(err); ok && code&0xff == 9 { // SQLITE_INTERRUPT
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}
