package report

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	s "github.com/cubedhq/cubed/internal/schema"
)

// DataVersionTable is the client table that counts rewrites per table.
const DataVersionTable = "data_version"

// Models returns the report engine's client models: data_version, one row
// per table a command rewrites. Reports expose the sum of their tables'
// versions as meta.data_version and in their ETag.
func Models() []*s.Model {
	return []*s.Model{{
		Name: DataVersionTable, DB: s.Client, App: "report", NoID: true, VerboseName: "data version",
		Fields: []s.Field{
			{Name: "table_name", Type: s.Text, MaxLength: 63, PrimaryKey: true, Verbose: "table", Help: "A table commands rewrite."},
			s.BigIntF("version").DefInt(0).Doc("version", "Incremented by every rewrite of the table."),
			s.DateTimeF("updated").Doc("updated", "When the table was last rewritten."),
		},
	}}
}

// Bump records a rewrite of table. Commands call it in the transaction of
// their rewrite, so readers see the new rows and the new version together.
func Bump(ctx context.Context, q db.Querier, table string) error {
	if !s.ValidIdent(table) {
		return fmt.Errorf("data version: invalid table name %q", table)
	}
	_, err := q.Exec(ctx, `INSERT INTO "data_version" ("table_name", "version", "updated") VALUES (?, 1, ?)
ON CONFLICT ("table_name") DO UPDATE SET "version" = "data_version"."version" + 1, "updated" = excluded."updated"`,
		table, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("data version %s: %w", table, err)
	}
	return nil
}

// Version returns the data version of a set of tables: the sum of their
// counters, which grows whenever any of them is rewritten.
func Version(ctx context.Context, q db.Querier, tables []string) (string, error) {
	if len(tables) == 0 {
		return "0", nil
	}
	marks := strings.Repeat("?, ", len(tables))
	args := make([]any, len(tables))
	for i, t := range tables {
		args[i] = t
	}
	var v any
	err := q.QueryRow(ctx, `SELECT COALESCE(SUM("version"), 0) FROM "data_version" WHERE "table_name" IN (`+marks[:len(marks)-2]+`)`, args...).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("data version: %w", err)
	}
	f, _ := toFloat(v)
	return strconv.FormatInt(int64(f), 10), nil
}
