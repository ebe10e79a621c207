package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Ceiling is what the machine's database does at best with durable
// single-row commits, measured just before the load on the same database:
// the yardstick every figure of the run is also given against, because
// absolute rates move several fold between machines of the same kind.
type Ceiling struct {
	Database    string  `json:"database"` // postgres or sqlite
	Conns       int     `json:"connections"`
	DurationS   float64 `json:"duration_s"`
	Commits     int64   `json:"commits"`
	CommitsPerS float64 `json:"commits_per_s"`
	// Equivalent is the pgbench run that measures the same thing.
	Equivalent string `json:"equivalent"`
}

// Ratios are the run's figures against the ceiling and the capacity.
type Ratios struct {
	// IngestToCeiling is acknowledged messages per second ÷ the ceiling's
	// commits per second.
	IngestToCeiling float64 `json:"ingest_to_ceiling,omitempty"`
	// CapacityPerS is the closed-loop capacity an open-loop run is set
	// against (-capacity or -capacity-from), and RateToCapacity the
	// open-loop rate as a share of it.
	CapacityPerS   float64 `json:"capacity_per_s,omitempty"`
	RateToCapacity float64 `json:"rate_to_capacity,omitempty"`
	// CapacityToCeiling is that capacity ÷ the ceiling.
	CapacityToCeiling float64 `json:"capacity_to_ceiling,omitempty"`
}

// ceilingOptions say how the ceiling is measured.
type ceilingOptions struct {
	conns    int
	duration time.Duration
	run      string // names the scratch table
}

// pgbenchEquivalent is the pgbench command a PostgreSQL ceiling stands
// for: the same connections, one prepared one-row insert per transaction.
func pgbenchEquivalent(o ceilingOptions) string {
	return fmt.Sprintf(`pgbench -n -M prepared -c %d -j 2 -T %d -f <(echo "INSERT INTO ceiling(v) VALUES (1);")`,
		o.conns, int(o.duration.Round(time.Second).Seconds()))
}

// measureCeiling runs o.conns connections, each inserting one row per
// transaction (autocommit: every INSERT is its own durable commit) into a
// scratch table for o.duration, and drops the table afterwards.
func measureCeiling(ctx context.Context, dbURL string, o ceilingOptions) (Ceiling, error) {
	if dbURL == "" || dbURL == "none" {
		return Ceiling{}, errors.New("-ceiling needs the gateway's database: -verify-db or the config's database.url")
	}
	db, kind, err := openCeilingDB(dbURL)
	if err != nil {
		return Ceiling{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(o.conns + 1)
	db.SetMaxIdleConns(o.conns + 1)
	table := "loadgen_ceiling_" + strings.ToLower(o.run)
	create := "CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)"
	if _, err := db.ExecContext(ctx, create); err != nil {
		return Ceiling{}, fmt.Errorf("ceiling: create %s: %w", table, err)
	}
	defer func() {
		if _, err := db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE "+table); err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: drop %s: %v\n", table, err)
		}
	}()
	insert := "INSERT INTO " + table + " (id, v) VALUES ($1, 1)"
	if kind == "sqlite" {
		insert = "INSERT INTO " + table + " (id, v) VALUES (?, 1)"
	}
	var (
		next    atomic.Int64
		commits atomic.Int64
		wg      sync.WaitGroup
		errMu   sync.Mutex
		first   error
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if first == nil {
			first = err
		}
	}
	// Every connection is opened and its statement prepared before the
	// clock starts, as pgbench does.
	conns := make([]*sql.Conn, o.conns)
	stmts := make([]*sql.Stmt, o.conns)
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			return Ceiling{}, fmt.Errorf("ceiling: connect: %w", err)
		}
		defer c.Close()
		st, err := c.PrepareContext(ctx, insert)
		if err != nil {
			return Ceiling{}, fmt.Errorf("ceiling: prepare: %w", err)
		}
		defer st.Close()
		conns[i], stmts[i] = c, st
	}
	start := time.Now()
	runCtx, cancel := context.WithDeadline(ctx, start.Add(o.duration))
	defer cancel()
	for _, st := range stmts {
		wg.Go(func() {
			for runCtx.Err() == nil {
				if _, err := st.ExecContext(runCtx, next.Add(1)); err != nil {
					if runCtx.Err() == nil {
						fail(fmt.Errorf("ceiling: insert: %w", err))
						cancel()
					}
					return
				}
				commits.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		return Ceiling{}, first
	}
	if ctx.Err() != nil {
		return Ceiling{}, ctx.Err()
	}
	c := Ceiling{Database: kind, Conns: o.conns, DurationS: elapsed.Seconds(), Commits: commits.Load()}
	c.CommitsPerS = float64(c.Commits) / elapsed.Seconds()
	if kind == "postgres" {
		c.Equivalent = pgbenchEquivalent(o)
	} else {
		c.Equivalent = fmt.Sprintf("%d connections to the SQLite file, one INSERT per transaction (WAL, as the gateway opens it)", o.conns)
	}
	return c, nil
}

// openCeilingDB opens the gateway's database for writing: a postgres://
// URL, or its SQLite file with the pragmas the gateway's store uses.
func openCeilingDB(raw string) (*sql.DB, string, error) {
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		db, err := sql.Open("pgx", raw)
		if err != nil {
			return nil, "", fmt.Errorf("open postgres: %w", err)
		}
		return db, "postgres", nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
	path, _, _ = strings.Cut(path, "?")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, "", fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, "sqlite", nil
}

// capacityFrom reads the closed-loop capacity (acknowledged messages per
// second) from a loadgen JSON report of a closed-loop run.
func capacityFrom(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("-capacity-from: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, fmt.Errorf("-capacity-from %s: %w", path, err)
	}
	if !strings.HasPrefix(r.Mode, "closed loop") || r.Throughput <= 0 {
		return 0, fmt.Errorf("-capacity-from %s: not a closed-loop run with a throughput (mode %q)", path, r.Mode)
	}
	return r.Throughput, nil
}

// ratios sets the run's figures against the ceiling and the capacity.
func ratios(rep *Report, rate, capacity float64) Ratios {
	var r Ratios
	c := rep.Ceiling
	if c != nil && c.CommitsPerS > 0 {
		r.IngestToCeiling = rep.Throughput / c.CommitsPerS
	}
	if capacity > 0 {
		r.CapacityPerS = capacity
		if rate > 0 {
			r.RateToCapacity = rate / capacity
		}
		if c != nil && c.CommitsPerS > 0 {
			r.CapacityToCeiling = capacity / c.CommitsPerS
		}
	}
	return r
}
