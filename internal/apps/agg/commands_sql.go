package agg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/report"
)

// SQL helpers of the update_agg_* commands. Identifiers are constants of
// this package or come from the models' declarations; values are always
// bound.

// maxParams bounds the bound values of one statement.
const maxParams = 2000

func marks(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// queryEach runs stmt and calls scan for every row; the rows are closed
// before it returns (a transaction runs one statement at a time).
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

// replaceDay deletes table's rows of one date (dateCol = date) and writes
// rows (already sorted by their dimensions), then bumps the table's data
// version: the whole rewrite of an aggregate day.
func replaceDay(ctx context.Context, tx *db.Tx, table, dateCol, date string, cols []string, rows [][]any) error {
	if _, err := tx.Exec(ctx, `DELETE FROM `+db.QuoteIdent(table)+` WHERE `+db.QuoteIdent(dateCol)+` = ?`, date); err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	if err := insertRows(ctx, tx, table, cols, rows); err != nil {
		return err
	}
	return report.Bump(ctx, tx, table)
}

// tableExists tells whether the client database has table (tables of apps
// that may not be installed: ad costs, SEO).
func tableExists(ctx context.Context, q db.Querier, dialect, table string) (bool, error) {
	var one int
	var err error
	if dialect == db.Postgres {
		err = q.QueryRow(ctx, `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`, table).Scan(&one)
	} else {
		err = q.QueryRow(ctx, `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&one)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func idOf(n sql.NullInt64) int64 {
	if n.Valid {
		return n.Int64
	}
	return 0
}
