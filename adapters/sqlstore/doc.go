// Package sqlstore implements core.Store on SQL databases with sqlx:
// PostgreSQL through pgx (driver "pgx") for production and SQLite through
// modernc.org/sqlite (driver "sqlite", no cgo) as the embedded default.
//
// Both databases run the same SQL texts with $1, $2, … placeholders;
// where a construct differs (row locks, the full-text match) the dialect
// branch is one small, explicit switch. Schema migrations are embedded
// per dialect (migrations/postgres, migrations/sqlite) and applied with
// goose by [Store.Migrate].
//
// Conventions shared by both schemas:
//   - ids are UUIDv7 strings made by core; their byte order is their
//     creation order, so "newest first" is ORDER BY id DESC;
//   - times are BIGINT unix microseconds in UTC; the zero time is NULL;
//   - agent roles are a JSON array in a TEXT column;
//   - customers.name_key is the lower-cased name (Go's Unicode folding),
//     searched with an escaped LIKE pattern.
//
// Transactions: on PostgreSQL, Atomic is one READ COMMITTED transaction and
// the Lock* methods take the row lock with SELECT … FOR NO KEY UPDATE in one
// statement and read in the next, so the read sees everything committed
// while the lock was awaited. On SQLite (WAL, busy_timeout, foreign keys)
// writes go through a single connection whose transactions begin
// IMMEDIATE, so writers queue in the process instead of failing with
// SQLITE_BUSY, while reads outside transactions use a separate pool of
// read-only connections.
//
// Full-text search (ConversationQuery.Text) reads web-search syntax (see
// core.ParseSearch): words, "quoted phrases" and -exclusions, no other
// operators (OR is a word). A conversation matches when every word or
// phrase matches at least one of its messages (a phrase within one
// message) and no excluded one matches any. PostgreSQL uses a generated
// tsvector column with the 'simple' configuration (lower-casing, no
// stemming, no stop words), a GIN index and websearch_to_tsquery of each
// quoted term; SQLite an external-content FTS5 table (unicode61 tokenizer)
// kept in sync by triggers, each term passed as a quoted FTS5 string so
// user input is never FTS syntax. Results stay newest first (no ranking).
// The tokenizers differ at the edges: PostgreSQL keeps a hyphenated word
// as a compound too, so "e-mail" does not match "e mail" there but does on
// SQLite and memstore.
//
// Errors: a missing row is core.ErrNotFound, a unique violation
// core.ErrDuplicate, a missing referenced row (foreign key) core.ErrNotFound,
// and a lost or refused connection core.ErrUnavailable, each wrapped with
// the operation and ids.
package sqlstore
