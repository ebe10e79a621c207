package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
)

// ceilingDatabases are an SQLite file, plus a private PostgreSQL schema
// when the test environment names a database.
func ceilingDatabases(t *testing.T) map[string]string {
	t.Helper()
	dbs := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "switchboard.db")}
	if base := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL"); base != "" {
		dbs["postgres"] = sqltest.Schema(t, base, "ceiling")
	} else {
		t.Log("PostgreSQL variant skipped: set SWITCHBOARD_TEST_DATABASE_URL to run it")
	}
	return dbs
}

// TestMeasureCeiling commits rows on both databases, counts every one of
// them, and leaves no scratch table behind.
func TestMeasureCeiling(t *testing.T) {
	for kind, url := range ceilingDatabases(t) {
		t.Run(kind, func(t *testing.T) {
			o := ceilingOptions{conns: 4, duration: 300 * time.Millisecond, run: "t" + randomHex(4)}
			c, err := measureCeiling(context.Background(), url, o)
			if err != nil {
				t.Fatal(err)
			}
			if c.Database != kind || c.Conns != 4 || c.Commits == 0 || c.DurationS < 0.3 {
				t.Errorf("ceiling %+v: want %s, 4 connections, commits over at least 0.3 s", c, kind)
			}
			if got := float64(c.Commits) / c.DurationS; got != c.CommitsPerS {
				t.Errorf("commits/s %v, want commits ÷ duration = %v", c.CommitsPerS, got)
			}
			if kind == "postgres" && !strings.Contains(c.Equivalent, "pgbench -n -M prepared -c 4 ") {
				t.Errorf("equivalent %q does not name the pgbench run", c.Equivalent)
			}
			db, drv, err := openCeilingDB(url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if n := countTables(t, db, drv, "loadgen_ceiling_"+o.run); n != 0 {
				t.Errorf("the scratch table is still there (%d)", n)
			}
		})
	}
}

func countTables(t *testing.T, db *sql.DB, drv, name string) int {
	t.Helper()
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if drv == "postgres" {
		q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	}
	var n int
	if err := db.QueryRow(q, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMeasureCeilingNeedsADatabase(t *testing.T) {
	for _, url := range []string{"", "none"} {
		if _, err := measureCeiling(context.Background(), url, ceilingOptions{conns: 1, duration: time.Millisecond, run: "x"}); err == nil {
			t.Errorf("measureCeiling(%q): no error", url)
		}
	}
}

func TestCapacityFrom(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, r Report) string {
		t.Helper()
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	closed := write("closed.json", Report{Mode: "closed loop with 256 senders", Throughput: 2450.5})
	open := write("open.json", Report{Mode: "open loop at 1000 messages/s", Throughput: 990})
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		want    float64
		wantErr string
	}{
		{closed, 2450.5, ""},
		{open, 0, "not a closed-loop run"},
		{filepath.Join(dir, "bad.json"), 0, "bad.json"},
		{filepath.Join(dir, "missing.json"), 0, "no such file"},
	}
	for _, tc := range tests {
		got, err := capacityFrom(tc.path)
		if tc.wantErr == "" && (err != nil || got != tc.want) {
			t.Errorf("capacityFrom(%s) = %v, %v; want %v", tc.path, got, err, tc.want)
		}
		if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("capacityFrom(%s) error %v, want one saying %q", tc.path, err, tc.wantErr)
		}
	}
}

func TestRatios(t *testing.T) {
	tests := []struct {
		name           string
		rep            Report
		rate, capacity float64
		want           Ratios
	}{
		{"closed loop against the ceiling", Report{Throughput: 3000, Ceiling: &Ceiling{CommitsPerS: 6000}}, 0, 0, Ratios{IngestToCeiling: 0.5}},
		{"open loop at 40% of capacity", Report{Throughput: 1000, Ceiling: &Ceiling{CommitsPerS: 4000}}, 1000, 2500,
			Ratios{IngestToCeiling: 0.25, CapacityPerS: 2500, RateToCapacity: 0.4, CapacityToCeiling: 0.625}},
		{"no ceiling measured", Report{Throughput: 1000}, 500, 1000, Ratios{CapacityPerS: 1000, RateToCapacity: 0.5}},
		{"nothing to set against", Report{Throughput: 1000}, 0, 0, Ratios{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ratios(&tc.rep, tc.rate, tc.capacity); got != tc.want {
				t.Errorf("ratios = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCeilingCommand(t *testing.T) {
	var out, errOut strings.Builder
	db := filepath.Join(t.TempDir(), "c.db")
	jsonPath := filepath.Join(t.TempDir(), "c.json")
	if code := run(context.Background(), []string{"ceiling", "-database-url", db, "-duration", "200ms", "-conns", "2", "-json", jsonPath}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "single-row commits/s over 2 connections") {
		t.Errorf("output: %s", out.String())
	}
	var c Ceiling
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Commits == 0 {
		t.Errorf("JSON %s: %v", b, err)
	}
	for _, args := range [][]string{{"ceiling", "stray"}, {"ceiling", "-conns", "0"}, {"ceiling", "-nope"}} {
		if code := run(context.Background(), args, &out, &errOut); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
