package sqlstore

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// Statistics of a young PostgreSQL database. A brand-new database's tables
// have none, so the first plans are made for empty tables, and every
// connection keeps them in its prepared statements: a look-up by a unique
// key then scans its whole table, which grows by thousands of rows a
// second at a new deployment's first peak, until autovacuum first
// analyzes the table, a minute or more later. The store does not wait:
// every few seconds it analyzes the tables of its schema that have at
// least doubled (and hold at least GrowthRows) since their statistics were
// taken, which makes every connection plan their statements afresh. A
// table of a mature database doubles rarely, so this costs one catalog
// query per check and leaves the rest to autovacuum.

// Growth of the tables that the store analyzes itself.
const (
	// GrowthRows is the size below which a table's plans do not matter.
	GrowthRows = 1000
	// GrowthCheckEvery is how often the store looks for grown tables
	// (Options.AnalyzeEvery).
	GrowthCheckEvery = 2 * time.Second
)

// statsKeeper runs keepStatistics until the Store closes.
type statsKeeper struct {
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// keepStatistics analyzes grown tables every `every` until ctx ends.
func (s *Store) keepStatistics(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.AnalyzeGrown(ctx); err != nil && ctx.Err() == nil {
			s.log.Debug("analyze grown tables; tried again shortly", "err", err)
		}
	}
}

// AnalyzeGrown analyzes the tables of the store's schema that hold at
// least GrowthRows live rows and twice as many as their statistics say
// (never analyzed: any), and returns their names. Several processes on
// one database take turns: a table being analyzed by another is left to
// it. On SQLite, whose plans do not depend on statistics it has not been
// given, it does nothing.
func (s *Store) AnalyzeGrown(ctx context.Context) ([]string, error) {
	if s.d != dialectPostgres {
		return nil, nil
	}
	var grown []string
	if err := sqlx.SelectContext(ctx, s.wdb, &grown, `SELECT st.relname FROM pg_stat_user_tables st
		JOIN pg_class c ON c.oid = st.relid
		WHERE st.schemaname = current_schema() AND st.n_live_tup >= $1 AND st.n_live_tup >= 2 * c.reltuples
		ORDER BY st.relname`, GrowthRows); err != nil {
		return nil, wrap(err, "find grown tables")
	}
	var done []string
	for _, table := range grown {
		ok, err := s.analyze(ctx, table)
		if err != nil {
			return done, err
		}
		if ok {
			done = append(done, table)
		}
	}
	return done, nil
}

// analyze analyzes table unless another session is analyzing it through
// AnalyzeGrown.
func (s *Store) analyze(ctx context.Context, table string) (bool, error) {
	tx, err := s.wdb.BeginTxx(ctx, nil)
	if err != nil {
		return false, wrap(err, "analyze %s", table)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit a no-op
	var mine bool
	if err := tx.GetContext(ctx, &mine, `SELECT pg_try_advisory_xact_lock(hashtext('switchboard analyze ' || current_schema() || '.' || $1))`, table); err != nil {
		return false, wrap(err, "lock analyze of %s", table)
	}
	if !mine {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE "`+strings.ReplaceAll(table, `"`, `""`)+`"`); err != nil {
		return false, wrap(err, "analyze %s", table)
	}
	if err := tx.Commit(); err != nil {
		return false, wrap(err, "analyze %s", table)
	}
	s.log.Debug("analyzed a grown table", "table", table)
	return true, nil
}
