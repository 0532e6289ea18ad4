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
