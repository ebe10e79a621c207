package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/switchboard-chat/switchboard/core"
)

// wrap adds the operation to err and maps it to the core sentinels: no
// rows → ErrNotFound, unique violation → ErrDuplicate (alone: the
// database's message is dropped), foreign key
// violation → ErrNotFound, text the database cannot take (NUL) →
// ErrInvalid, lost connection → ErrUnavailable.
func wrap(err error, format string, args ...any) error {
	op := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", op, core.ErrNotFound)
	case isUnstorableText(err):
		return fmt.Errorf("%s: text contains a character that cannot be stored (NUL): %w (%w)", op, core.ErrInvalid, err)
	case isUnique(err):
		// Without the driver's text ("UNIQUE constraint failed: agents.email",
		// the constraint's name): errors of this kind reach people.
		return fmt.Errorf("%s: %w", op, core.ErrDuplicate)
	case isForeignKey(err):
		return fmt.Errorf("%s: a referenced row does not exist: %w (%w)", op, core.ErrNotFound, err)
	case isUnavailable(err):
		return fmt.Errorf("%s: %w: %w", op, core.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// notFound is the error of a statement that matched no row.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), core.ErrNotFound)
}

func sqliteCode(err error) (int, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code(), true
	}
	return 0, false
}

func pgCode(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, true
	}
	return "", false
}

func isUnique(err error) bool {
	if code, ok := pgCode(err); ok {
		return code == "23505" // unique_violation
	}
	if code, ok := sqliteCode(err); ok {
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func isForeignKey(err error) bool {
	if code, ok := pgCode(err); ok {
		return code == "23503" // foreign_key_violation
	}
	if code, ok := sqliteCode(err); ok {
		return code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// isUnstorableText reports PostgreSQL refusing a text parameter: U+0000
// (or bytes that are not UTF-8) is "invalid byte sequence for encoding"
// (22021 character_not_in_repertoire), and \u0000 turned into text is
// 22P05 untranslatable_character. The request's text is at fault, not
// the server. (SQLite stores NUL; FTS5 would refuse it in a MATCH query,
// but core.ParseSearch turns control characters into spaces, and FTS5's
// error, "unterminated string", is also that of a missing closing quote,
// a bug of ours that must stay a 500, so it is not mapped.)
func isUnstorableText(err error) bool {
	code, ok := pgCode(err)
	return ok && (code == "22021" || code == "22P05")
}

// isUnavailable reports an error of the connection rather than of the
// statement: the caller may retry later (HTTP 503).
func isUnavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) { // whatever the reason: refused, auth, no such database
		return true
	}
	if code, ok := pgCode(err); ok {
		switch {
		case strings.HasPrefix(code, "08"), // connection exception
			code == "57P01", code == "57P02", code == "57P03", // shutdown, cannot connect now
			code == "53300": // too many connections
			return true
		}
		return false
	}
	if code, ok := sqliteCode(err); ok {
		switch code & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN:
			return true
		}
		return false
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	// database/sql does not export this one.
	return strings.Contains(err.Error(), "sql: database is closed")
}
