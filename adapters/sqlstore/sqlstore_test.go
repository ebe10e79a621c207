package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore"
	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/storetest"
)

// pgEnv names the PostgreSQL database the tests may use.
const pgEnv = "SWITCHBOARD_TEST_DATABASE_URL"

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, openSQLite)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	base := os.Getenv(pgEnv)
	if base == "" {
		t.Skip("PostgreSQL contract tests skipped: set " + pgEnv + " (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	storetest.Run(t, func(t *testing.T) core.Store { return openPostgres(t, base) })
}

// openSQLite opens a migrated SQLite database in a temporary directory.
func openSQLite(t *testing.T) core.Store {
	t.Helper()
	return openMigrated(t, sqlstore.SQLitePath(t.TempDir()))
}

// openPostgres opens a migrated store in a schema of its own, dropped when
// the test ends: other packages may share the database, and earlier runs
// may have left data behind.
func openPostgres(t *testing.T, base string) core.Store {
	t.Helper()
	return openMigrated(t, sqltest.Schema(t, base, "sbtest"))
}

func openMigrated(t testing.TB, u string) *sqlstore.Store {
	t.Helper()
	return openMigratedWith(t, u, sqlstore.Options{})
}

func openMigratedWith(t testing.TB, u string, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, u, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func TestOpenURLs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for _, u := range []string{
		sqlstore.SQLitePath(filepath.Join(dir, "a")),                          // sqlite:PATH, directory created
		filepath.Join(dir, "b", "plain.db"),                                   // a plain path
		"sqlite://" + filepath.Join(dir, "c.db"),                              // sqlite:///abs/path
		"sqlite:" + filepath.Join(dir, "d.db") + "?_pragma=cache_size(-4000)", // extra parameters
	} {
		s, err := sqlstore.Open(ctx, u, sqlstore.Options{MaxOpenConns: 2})
		if err != nil {
			t.Errorf("open %s: %v", u, err)
			continue
		}
		if err := s.Migrate(ctx); err != nil {
			t.Errorf("migrate %s: %v", u, err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Errorf("migrate %s again: %v", u, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("close %s: %v", u, err)
		}
	}
	if got, want := sqlstore.SQLitePath("/var/lib/sb"), "sqlite:/var/lib/sb/switchboard.db"; got != want {
		t.Errorf("SQLitePath: %s, want %s", got, want)
	}
	for _, u := range []string{"", "mysql://user:pw@host/db", "sqlite:"} {
		if s, err := sqlstore.Open(ctx, u, sqlstore.Options{}); err == nil {
			s.Close()
			t.Errorf("open %q: no error", u)
		}
	}
}

// TestUnavailable: a database that cannot be reached, or a closed store,
// is core.ErrUnavailable, and the password never appears in the error.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := sqlstore.Open(ctx, "postgres://switchboard:s3cret-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", sqlstore.Options{})
	if !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("unreachable PostgreSQL: %v, want ErrUnavailable", err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("the error shows the password: %v", err)
	}

	s, err := sqlstore.Open(ctx, sqlstore.SQLitePath(t.TempDir()), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Ping(ctx); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("ping a closed store: %v, want ErrUnavailable", err)
	}
	if _, err := s.AgentByID(ctx, "x"); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("read from a closed store: %v, want ErrUnavailable", err)
	}
	err = s.Atomic(ctx, func(tx core.Tx) error { return nil })
	if !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("transaction on a closed store: %v, want ErrUnavailable", err)
	}
}
