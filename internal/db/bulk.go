package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// MaxParams bounds the bound values of one statement written by
// InsertRows (SQLite allows 32,766; PostgreSQL 65,535).
const MaxParams = 2000

// Marks returns "?, ?, ?" for n values.
func Marks(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// QueryEach runs stmt and calls scan for every row; the rows are closed
// before it returns (a transaction runs one statement at a time).
func QueryEach(ctx context.Context, q Querier, stmt string, args []any, scan func(*sql.Rows) error) error {
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

// InsertRows writes rows (each len(cols) values) into table with
// multi-row INSERTs of at most MaxParams values, in the order given.
// table and cols are identifiers from declarations, quoted here; values
// are bound.
func InsertRows(ctx context.Context, tx *Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	nc := len(cols)
	per := max(1, MaxParams/nc)
	quoted := make([]string, nc)
	for i, c := range cols {
		quoted[i] = QuoteIdent(c)
	}
	head := "INSERT INTO " + QuoteIdent(table) + " (" + strings.Join(quoted, ", ") + ") VALUES "
	tuple := "(" + Marks(nc) + ")"
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
