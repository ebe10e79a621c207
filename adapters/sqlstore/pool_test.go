package sqlstore

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
)

// TestPostgresPoolSettings checks that the pool settings reach the
// connections: the statement timeout is a session setting and cancels a
// slow statement; the pool size is the one asked for.
func TestPostgresPoolSettings(t *testing.T) {
	base := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("set SWITCHBOARD_TEST_DATABASE_URL to run the PostgreSQL tests")
	}
	ctx := context.Background()
	s, err := Open(ctx, sqltest.Schema(t, base, "sbpool"), Options{MaxOpenConns: 3,
		ConnMaxLifetime: time.Minute, StatementTimeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	var got string
	if err := s.rdb.QueryRowContext(ctx, "SHOW statement_timeout").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "150ms" {
		t.Errorf("statement_timeout = %q, want 150ms", got)
	}
	if _, err := s.rdb.ExecContext(ctx, "SELECT pg_sleep(1)"); err == nil {
		t.Error("a 1 s statement ran past a 150 ms statement timeout")
	}
	if n := s.rdb.Stats().MaxOpenConnections; n != 3 {
		t.Errorf("max open connections = %d, want 3", n)
	}
}

// TestPostgresConcurrentMigrations starts six instances on one empty
// schema at once, as a scaled-out deployment does: the advisory lock lets
// one migrate while the others wait, and every one then finds the schema
// complete.
func TestPostgresConcurrentMigrations(t *testing.T) {
	base := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("set SWITCHBOARD_TEST_DATABASE_URL to run the PostgreSQL tests")
	}
	ctx := context.Background()
	url := sqltest.Schema(t, base, "sbmig")
	errs := make(chan error, 6)
	for range 6 {
		go func() {
			s, err := Open(ctx, url, Options{MaxOpenConns: 2})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				errs <- err
				return
			}
			_, err = s.CountAdmins(ctx) // the schema is there for everyone
			errs <- err
		}()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Errorf("instance: %v", err)
		}
	}
}
