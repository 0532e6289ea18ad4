package attrib

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cubedhq/cubed/internal/db"
)

// SQL helpers of the pipeline commands. Identifiers are constants of this
// package (or come from declarations); values are always bound.

// maxParams bounds the bound values of one statement (SQLite allows
// 32,766, PostgreSQL 65,535).
const maxParams = 2000

// inChunk is the number of values of one IN (...) list.
const inChunk = 500

// marks returns "?, ?, ?" for n values.
func marks(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// eachChunk calls fn with consecutive slices of at most size ids.
func eachChunk[T any](ids []T, size int, fn func(part []T) error) error {
	for i := 0; i < len(ids); i += size {
		if err := fn(ids[i:min(i+size, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// queryEach runs q and calls scan for every row; the rows are closed
// before it returns (one transaction runs one statement at a time).
func queryEach(ctx context.Context, q db.Querier, stmt string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.Query(ctx, stmt, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// insertRows writes rows (each len(cols) values) with multi-row INSERTs,
// in the order given.
func insertRows(ctx context.Context, tx *db.Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	nc := len(cols)
	per := max(1, maxParams/nc)
	quoted := make([]string, nc)
	for i, c := range cols {
		quoted[i] = db.QuoteIdent(c)
	}
	head := "INSERT INTO " + db.QuoteIdent(table) + " (" + strings.Join(quoted, ", ") + ") VALUES "
	tuple := "(" + marks(nc) + ")"
	for i := 0; i < len(rows); i += per {
		part := rows[i:min(i+per, len(rows))]
		var b strings.Builder
		b.Grow(len(head) + len(part)*(len(tuple)+2))
		b.WriteString(head)
		args := make([]any, 0, len(part)*nc)
		for j, r := range part {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, r...)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	return nil
}

// nullID is an id column value: NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// idOf reads a nullable id column (0 for NULL).
func idOf(n sql.NullInt64) int64 {
	if n.Valid {
		return n.Int64
	}
	return 0
}

// utc normalises a scanned timestamp.
func utc(t time.Time) time.Time { return t.UTC() }

// clipRunes keeps at most n characters of s (VARCHAR(n) counts characters).
func clipRunes(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
