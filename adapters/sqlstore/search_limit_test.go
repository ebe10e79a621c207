package sqlstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
	"github.com/switchboard-chat/switchboard/core"
)

// TestSearchTimeLimit: a statement under the search limit is stopped by
// it, on PostgreSQL by the server (SET LOCAL statement_timeout) and on
// SQLite by the interrupt of the context deadline, and is recognised as
// timed out; the limit holds for that transaction only.
func TestSearchTimeLimit(t *testing.T) {
	ctx := context.Background()
	stores := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "s.db")}
	if base := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL"); base != "" {
		stores["postgres"] = sqltest.Schema(t, base, "sbsearchlim")
	} else {
		t.Log("PostgreSQL variant skipped: set SWITCHBOARD_TEST_DATABASE_URL to run it")
	}
	slow := map[dialect]string{
		dialectPostgres: "SELECT pg_sleep(3)",
		// Counts to a billion: far longer than the limit on any machine.
		dialectSQLite: "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1000000000) SELECT count(*) FROM r",
	}
	for name, u := range stores {
		t.Run(name, func(t *testing.T) {
			s, err := Open(ctx, u, Options{SearchTimeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			err = s.limited(ctx, func(ctx context.Context, c *conn) error {
				var n int64
				return c.r.QueryRowxContext(ctx, slow[s.d]).Scan(&n)
			})
			if err == nil || !timedOut(err) {
				t.Fatalf("a slow statement under the search limit: %v; want it stopped by the limit", err)
			}
			// The pool's connections keep no limit of their own.
			if _, err := s.rdb.ExecContext(ctx, map[dialect]string{dialectPostgres: "SELECT pg_sleep(0.3)", dialectSQLite: "SELECT 1"}[s.d]); err != nil {
				t.Fatalf("a statement after the search: %v", err)
			}
			// A search that times out is an invalid request naming its field.
			s.searchTimeout = time.Nanosecond
			_, _, err = s.SearchConversations(ctx, core.ConversationQuery{Text: "order"})
			var fe *core.FieldError
			if s.d == dialectSQLite && (!errors.As(err, &fe) || fe.Field != "q") {
				t.Fatalf("search past its limit: %v; want a q field error", err)
			}
			if err != nil && !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("search past its limit: %v; want ErrInvalid", err)
			}
		})
	}
}
