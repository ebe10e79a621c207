package sqlstore

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
	"github.com/switchboard-chat/switchboard/core"
)

// TestWrapText: wrap maps the database's refusals of a text value to
// core.ErrInvalid, and nothing else that looks alike. Each error comes
// from the real database.
func TestWrapText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := func(t *testing.T, u string) *Store {
		t.Helper()
		s, err := Open(ctx, u, Options{})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		return s
	}
	type probe struct {
		name    string
		query   string
		args    []any
		invalid bool
	}
	run := func(t *testing.T, s *Store, probes []probe) {
		t.Helper()
		for _, p := range probes {
			var out any
			err := s.rdb.QueryRowxContext(ctx, p.query, p.args...).Scan(&out)
			if err == nil {
				t.Errorf("%s: no error", p.name)
				continue
			}
			got := wrap(err, "probe %s", p.name)
			if errors.Is(got, core.ErrInvalid) != p.invalid {
				t.Errorf("%s: %v: invalid %v, want %v", p.name, got, !p.invalid, p.invalid)
			}
			if !strings.HasPrefix(got.Error(), "probe "+p.name+": ") || !errors.Is(got, err) {
				t.Errorf("%s: %v lost the operation or the cause", p.name, got)
			}
		}
	}

	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		// FTS5 refuses a NUL in a MATCH query as "unterminated string"
		// (SQLITE_ERROR), exactly as it refuses a phrase whose closing
		// quote is missing: the code cannot tell the client's NUL from a
		// bug of ours, so neither is mapped (core.ParseSearch keeps NUL
		// out of search terms).
		s := open(t, SQLitePath(t.TempDir()))
		const match = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?"
		run(t, s, []probe{
			{"match with a NUL", match, []any{"\"a\x00b\""}, false},
			{"match without its closing quote", match, []any{"\"ab"}, false},
		})
		nulErr := s.rdb.QueryRowxContext(ctx, match, "\"a\x00b\"").Scan(new(any))
		quoteErr := s.rdb.QueryRowxContext(ctx, match, "\"ab").Scan(new(any))
		if nulErr == nil || quoteErr == nil || nulErr.Error() != quoteErr.Error() {
			t.Errorf("FTS5 tells a NUL (%v) from a missing quote (%v): it could be mapped", nulErr, quoteErr)
		}
	})

	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		base := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL")
		if base == "" {
			t.Skip("set SWITCHBOARD_TEST_DATABASE_URL to run it")
		}
		s := open(t, sqltest.Schema(t, base, "sbwrap"))
		run(t, s, []probe{
			{"NUL in a text parameter (22021)", "SELECT $1::text", []any{"a\x00b"}, true},
			{"bytes that are not UTF-8 (22021)", "SELECT $1::text", []any{"a\xffb"}, true},
			{`\u0000 out of JSON into text (22P05)`, "SELECT ($1::jsonb)->>'a'", []any{`{"a":"x\u0000y"}`}, true},
			{"a number that is no number (22P02)", "SELECT $1::int", []any{"seven"}, false},
			{"division by zero (22012)", "SELECT 1/0", nil, false},
		})
	})
}
