package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore"
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
	return openMigrated(t, pgSchema(t, base))
}

func openMigrated(t *testing.T, u string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, u, sqlstore.Options{})
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

// pgSchema creates a schema sbtest_<random> and returns base with its
// search_path set to it.
func pgSchema(t *testing.T, base string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "sbtest_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", pgEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

var _ = filepath.Join
