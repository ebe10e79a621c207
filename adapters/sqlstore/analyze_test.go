package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore"
	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
	"github.com/switchboard-chat/switchboard/core"
)

// TestAnalyzeGrown: a table of a brand-new database that grew past
// GrowthRows gets statistics from the store itself, not a minute later
// from autovacuum; tables that did not grow are left alone, and so is a
// table analyzed since.
func TestAnalyzeGrown(t *testing.T) {
	u := pgSchema(t, "sbanalyze")
	s := openMigratedWith(t, u, sqlstore.Options{AnalyzeEvery: -1}) // no keeper: the test calls it
	ctx := context.Background()
	if got, err := s.AnalyzeGrown(ctx); err != nil || len(got) != 0 {
		t.Fatalf("AnalyzeGrown on empty tables = %v, %v; want nothing", got, err)
	}
	now := time.Now().Truncate(time.Microsecond)
	cs := customers(2*sqlstore.GrowthRows, now)
	if err := s.Atomic(ctx, func(tx core.Tx) error { return tx.SaveCustomers(ctx, cs) }); err != nil {
		t.Fatal(err)
	}
	// The server publishes a backend's row counts within a second or so
	// of its transaction; until then nothing has grown.
	var analyzed []string
	deadline := time.Now().Add(15 * time.Second)
	for !slices.Contains(analyzed, "customers") && time.Now().Before(deadline) {
		got, err := s.AnalyzeGrown(ctx)
		if err != nil {
			t.Fatal(err)
		}
		analyzed = append(analyzed, got...)
		time.Sleep(100 * time.Millisecond)
	}
	if !slices.Equal(analyzed, []string{"customers"}) {
		t.Fatalf("analyzed %v, want [customers]", analyzed)
	}
	if n := statRows(t, u, "customers"); n != float64(len(cs)) {
		t.Errorf("customers' statistics: %v rows, want %d", n, len(cs))
	}
	if got, err := s.AnalyzeGrown(ctx); err != nil || len(got) != 0 {
		t.Errorf("AnalyzeGrown right after = %v, %v; want nothing", got, err)
	}
}

// TestStatisticsKeeper: an open store analyzes a grown table by itself.
func TestStatisticsKeeper(t *testing.T) {
	u := pgSchema(t, "sbkeeper")
	s := openMigratedWith(t, u, sqlstore.Options{AnalyzeEvery: 50 * time.Millisecond})
	ctx := context.Background()
	cs := customers(3*sqlstore.GrowthRows, time.Now().Truncate(time.Microsecond))
	if err := s.Atomic(ctx, func(tx core.Tx) error { return tx.SaveCustomers(ctx, cs) }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for statRows(t, u, "customers") != float64(len(cs)) {
		if time.Now().After(deadline) {
			t.Fatalf("customers not analyzed within 15 s: statistics say %v rows, want %d", statRows(t, u, "customers"), len(cs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pgSchema runs the test in parallel in a PostgreSQL schema of its own, or
// skips it without a database.
func pgSchema(t *testing.T, prefix string) string {
	t.Helper()
	t.Parallel()
	base := os.Getenv(pgEnv)
	if base == "" {
		t.Skip("PostgreSQL test skipped: set " + pgEnv)
	}
	return sqltest.Schema(t, base, prefix)
}

// customers makes n customers of channel wa.
func customers(n int, at time.Time) []core.Customer {
	cs := make([]core.Customer, n)
	for i := range cs {
		cs[i] = core.Customer{ID: core.NewID(), ChannelID: "wa", ChannelUserID: fmt.Sprintf("4915%07d", i), CreatedAt: at, LastSeenAt: at}
	}
	return cs
}

// statRows is the number of rows the statistics of table say it has (-1:
// never analyzed).
func statRows(t *testing.T, u, table string) float64 {
	t.Helper()
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n float64
	if err := db.QueryRow(`SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
