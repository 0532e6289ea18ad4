package agg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/report"
)

// SQL helpers of the update_agg_* commands. Identifiers are constants of
// this package or come from the models' declarations; values are always
// bound.

// replaceDay deletes table's rows of one date (dateCol = date) and writes
// rows (already sorted by their dimensions), then bumps the table's data
// version: the whole rewrite of an aggregate day.
func replaceDay(ctx context.Context, tx *db.Tx, table, dateCol, date string, cols []string, rows [][]any) error {
	if _, err := tx.Exec(ctx, `DELETE FROM `+db.QuoteIdent(table)+` WHERE `+db.QuoteIdent(dateCol)+` = ?`, date); err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	if err := db.InsertRows(ctx, tx, table, cols, rows); err != nil {
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

// sortedRows returns one row per entry of m, ordered by key: aggregates
// are written sorted by their dimensions.
func sortedRows[K comparable, V any](m map[K]V, compare func(a, b K) int, row func(K, V) []any) [][]any {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare)
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = row(k, m[k])
	}
	return rows
}
