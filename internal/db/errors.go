package db

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Violation describes a unique-constraint violation: PostgreSQL names the
// index (Index), SQLite names the columns (Columns).
type Violation struct {
	Index   string
	Columns []string
}

// UniqueViolation reports whether err is a unique-constraint violation.
func UniqueViolation(err error) (Violation, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code == "23505" {
			return Violation{Index: pgErr.ConstraintName}, true
		}
		return Violation{}, false
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		// "UNIQUE constraint failed: channel.name, channel.x"
		msg := se.Error()
		if i := strings.LastIndex(msg, "failed: "); i >= 0 {
			msg = msg[i+len("failed: "):]
			if j := strings.Index(msg, " ("); j >= 0 {
				msg = msg[:j]
			}
			var cols []string
			for _, part := range strings.Split(msg, ",") {
				part = strings.TrimSpace(part)
				if k := strings.LastIndex(part, "."); k >= 0 {
					part = part[k+1:]
				}
				cols = append(cols, part)
			}
			return Violation{Columns: cols}, true
		}
		return Violation{}, true
	}
	return Violation{}, false
}

// Unavailable reports whether err says that a database cannot be used at
// all — missing, not a database, corrupt, unreachable, refusing
// connections — rather than that one statement failed. The API answers
// those 503 "unavailable" instead of a generic 500.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrDatabaseMissing) {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "3D000", // invalid_catalog_name: the database was dropped
			strings.HasPrefix(pgErr.Code, "08"),                                 // connection exceptions
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // shutting down, cannot connect now
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR:
			return true
		}
	}
	return false
}
