package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/switchboard-chat/switchboard/core"
)

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

// dialect is the SQL database behind a Store.
type dialect int

const (
	dialectPostgres dialect = iota + 1
	dialectSQLite
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// Options tune a Store. The zero value is fine.
type Options struct {
	// MaxOpenConns caps the connection pool: PostgreSQL connections
	// (default 16), or SQLite read connections (default 4; SQLite writes
	// always go through one connection).
	MaxOpenConns int
	// ConnMaxLifetime retires PostgreSQL connections after this age (0: never).
	ConnMaxLifetime time.Duration
	// StatementTimeout cancels PostgreSQL statements running longer (0: none).
	StatementTimeout time.Duration
	// AnalyzeEvery is how often a PostgreSQL store looks for tables that
	// grew past their statistics (Store.AnalyzeGrown); 0:
	// GrowthCheckEvery, negative: never.
	AnalyzeEvery time.Duration
	// SearchTimeout is the history search's own time limit (0: none): a
	// search by text or customer name that runs longer is cancelled and
	// answered as too broad (SearchConversations).
	SearchTimeout time.Duration
	// Logger receives migration and connection messages (default: none).
	Logger *slog.Logger
}

// SQLiteBusyTimeout is how long a SQLite statement waits for a lock held by
// another process before failing.
const SQLiteBusyTimeout = 10 * time.Second

// Store is core.Store on PostgreSQL or SQLite. It is safe for concurrent use.
type Store struct {
	conn
	wdb *sqlx.DB // writes and transactions
	rdb *sqlx.DB // reads outside transactions (the same as wdb on PostgreSQL)
	log *slog.Logger
	// keeper analyzes grown tables of a young PostgreSQL database
	// (analyze.go); nil on SQLite.
	keeper *statsKeeper
	// searchTimeout is Options.SearchTimeout.
	searchTimeout time.Duration
}

var _ core.Store = (*Store)(nil)

// SQLitePath is the database URL of the embedded SQLite database in dataDir.
func SQLitePath(dataDir string) string {
	return "sqlite:" + filepath.Join(dataDir, "switchboard.db")
}

// Open connects to the database named by rawURL and checks that it answers:
// postgres://… or postgresql://… is PostgreSQL (a search_path query
// parameter selects the schema); sqlite:PATH or a plain file path is SQLite
// (the directory is created when missing). An unreachable database is
// core.ErrUnavailable. Open does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var s *Store
	var err error
	switch {
	case rawURL == "":
		return nil, errors.New("open database: empty URL (use sqlstore.SQLitePath(dataDir) for the embedded database)")
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		s, err = openPostgres(rawURL, opts)
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(rawURL, "sqlite:")
		if strings.HasPrefix(path, "//") { // sqlite:///abs/path
			path = path[2:]
		}
		s, err = openSQLite(path, opts)
	case strings.Contains(rawURL, "://"):
		scheme, _, _ := strings.Cut(rawURL, "://")
		return nil, fmt.Errorf("open database: unsupported URL scheme %q (want postgres://, postgresql:// or sqlite:)", scheme)
	default:
		s, err = openSQLite(rawURL, opts)
	}
	if err != nil {
		return nil, err
	}
	s.log = log
	s.searchTimeout = opts.SearchTimeout
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s database: %w", s.d, err)
	}
	log.Debug("database opened", "dialect", s.d.String())
	if every := cmp.Or(opts.AnalyzeEvery, GrowthCheckEvery); s.d == dialectPostgres && every > 0 {
		kctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		s.keeper = &statsKeeper{stop: stop}
		s.keeper.wg.Go(func() { s.keepStatistics(kctx, every) })
	}
	return s, nil
}

func openPostgres(rawURL string, opts Options) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("open database: malformed PostgreSQL URL") // the URL may hold a password: not echoed
	}
	if opts.StatementTimeout > 0 { // a run-time parameter of every connection
		q := u.Query()
		q.Set("statement_timeout", strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10))
		u.RawQuery = q.Encode()
		rawURL = u.String()
	}
	db, err := sqlx.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres database: %w", err)
	}
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 16
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(opts.ConnMaxLifetime)
	return &Store{conn: conn{d: dialectPostgres, r: db, w: db, db: db, memo: &statsMemo{}}, wdb: db, rdb: db}, nil
}

func openSQLite(path string, opts Options) (*Store, error) {
	path, extra, _ := strings.Cut(path, "?")
	if path == "" {
		return nil, errors.New("open database: empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite database: create directory %s: %w", dir, err)
		}
	}
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", SQLiteBusyTimeout.Milliseconds())
	if extra != "" {
		common += "&" + extra
	}
	// One writer connection: transactions begin IMMEDIATE and queue in the
	// pool rather than fight over the database lock.
	wdb, err := sqlx.Open("sqlite", path+"?"+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	// Make the writer set WAL before any reader opens the file.
	if err := wdb.Ping(); err != nil {
		wdb.Close()
		return nil, wrap(err, "open sqlite database %s", path)
	}
	rdb, err := sqlx.Open("sqlite", path+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 4
	}
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	return &Store{conn: conn{d: dialectSQLite, r: rdb, w: wdb, db: wdb, memo: &statsMemo{}}, wdb: wdb, rdb: rdb}, nil
}

// Close stops the statistics keeper and closes the connection pools.
func (s *Store) Close() error {
	if s.keeper != nil {
		s.keeper.stop()
		s.keeper.wg.Wait()
	}
	err := s.wdb.Close()
	if s.rdb != s.wdb {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.wdb.PingContext(ctx); err != nil {
		return wrap(err, "ping %s", s.d)
	}
	if s.rdb != s.wdb {
		if err := s.rdb.PingContext(ctx); err != nil {
			return wrap(err, "ping %s readers", s.d)
		}
	}
	return nil
}

// Atomic runs fn in one transaction and commits it when fn returns nil;
// an error or a panic rolls it back. PostgreSQL: READ COMMITTED (the Lock*
// methods take row locks); SQLite: BEGIN IMMEDIATE on the single writer
// connection. fn must write through tx only: on SQLite a write through
// the Store would wait for the connection fn holds.
func (s *Store) Atomic(ctx context.Context, fn func(tx core.Tx) error) error {
	return s.atomic(ctx, func(c *conn) error { return fn(c) })
}

// Migrate applies the embedded migrations of the store's dialect.
func (s *Store) Migrate(ctx context.Context) error {
	dir, err := fs.Sub(migrations, "migrations/"+s.d.String())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithSlog(s.log)}
	gd := goose.DialectSQLite3
	if s.d == dialectPostgres {
		gd = goose.DialectPostgres
		// Serialise concurrent migrators of the same schema only.
		var schema string
		if err := s.wdb.GetContext(ctx, &schema, "SELECT current_schema()"); err != nil {
			return wrap(err, "migrate: read current schema")
		}
		h := fnv.New64a()
		h.Write([]byte("switchboard-migrate:" + schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 600))
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, s.wdb.DB, dir, opts...)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return wrap(err, "migrate %s", s.d)
	}
	return nil
}

// conn runs the store's statements outside a transaction (db set; reads on
// r, writes on w) or inside one (db nil; r and w are the transaction).
type conn struct {
	d  dialect
	r  sqlx.ExtContext
	w  sqlx.ExtContext
	db *sqlx.DB
	// memo is the Store's, shared by its transactions.
	memo *statsMemo
}

var _ core.Tx = (*conn)(nil)

// atomic runs fn in a transaction, or directly when c is one already.
func (c *conn) atomic(ctx context.Context, fn func(c *conn) error) (err error) {
	if c.db == nil {
		return fn(c)
	}
	var opts *sql.TxOptions
	if c.d == dialectPostgres {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := c.db.BeginTxx(ctx, opts)
	if err != nil {
		return wrap(err, "begin transaction")
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback() // also when fn panics
		}
	}()
	if err := fn(&conn{d: c.d, r: tx, w: tx, memo: c.memo}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		committed = true // database/sql forgets the transaction either way
		return wrap(err, "commit")
	}
	committed = true
	return nil
}

// forUpdate takes the row lock of table's row id (PostgreSQL) with one
// statement, so that the read which follows, a new statement under READ
// COMMITTED, sees whatever committed while the lock was awaited. SQLite
// needs nothing: an IMMEDIATE transaction holds the database write lock.
//
// The lock is FOR NO KEY UPDATE: it serialises the lockers of a row as
// FOR UPDATE would, but not the inserts that merely reference it (a
// foreign key check takes KEY SHARE). With FOR UPDATE, an accept holding
// its agent's row and waiting for a request deadlocked with routing that
// held the request and inserted an offer naming that agent.
func (c *conn) forUpdate(ctx context.Context, table, id string) error {
	if c.d != dialectPostgres {
		return nil
	}
	var got string
	// table is one of our own constant names, never input.
	if err := sqlx.GetContext(ctx, c.w, &got, "SELECT id FROM "+table+" WHERE id = $1 FOR NO KEY UPDATE", id); err != nil {
		return wrap(err, "lock %s %s", strings.TrimSuffix(table, "s"), id)
	}
	return nil
}
