package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/cubedhq/cubed/internal/db"
)

// HistoryTable records applied migrations in every database.
const HistoryTable = "cubed_migration"

// Result describes one database's migration.
type Result struct {
	From, To int
	Applied  []string
}

// ErrChecksum means an applied migration's file changed since.
var ErrChecksum = errors.New("applied migration was edited")

func historyDDL(dialect string) string {
	ts := "DATETIME"
	if dialect == db.Postgres {
		ts = "TIMESTAMPTZ"
	}
	return "CREATE TABLE IF NOT EXISTS " + HistoryTable + " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at " + ts + " NOT NULL)"
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func applied(ctx context.Context, dialect string, c querier) (map[int]string, int, error) {
	rows, err := c.QueryContext(ctx, "SELECT version, checksum FROM "+HistoryTable)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[int]string{}
	maxV := 0
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, 0, err
		}
		out[v] = sum
		if v > maxV {
			maxV = v
		}
	}
	return out, maxV, rows.Err()
}

func verify(have map[int]string, migs []Migration) error {
	for _, m := range migs {
		if sum, ok := have[m.Version]; ok && sum != m.Checksum {
			return fmt.Errorf("%s: %w (checksum differs from the one applied)", m.Name, ErrChecksum)
		}
	}
	return nil
}

// Current returns the highest applied version (0 for a fresh database).
func Current(ctx context.Context, d *db.DB) (int, error) {
	var exists bool
	var err error
	if d.Dialect() == db.Postgres {
		err = d.QueryRow(ctx, "SELECT to_regclass(?) IS NOT NULL", HistoryTable).Scan(&exists)
	} else {
		var n int
		err = d.QueryRow(ctx, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", HistoryTable).Scan(&n)
		exists = n > 0
	}
	if err != nil || !exists {
		return 0, err
	}
	var v sql.NullInt64
	if err := d.QueryRow(ctx, "SELECT max(version) FROM "+HistoryTable).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// Pending returns the migrations not yet applied.
func Pending(ctx context.Context, d *db.DB, migs []Migration) ([]Migration, int, error) {
	cur, err := Current(ctx, d)
	if err != nil {
		return nil, 0, err
	}
	var out []Migration
	for _, m := range migs {
		if m.Version > cur {
			out = append(out, m)
		}
	}
	return out, cur, nil
}

func lockKey(d *db.DB) int64 {
	h := fnv.New64a()
	h.Write([]byte("cubed-migrate"))
	return int64(h.Sum64() >> 1)
}

// Apply brings d up to the last migration. Each migration runs in its own
// transaction; a lock keeps two processes from migrating one database at
// once (a PostgreSQL advisory lock; on SQLite, BEGIN IMMEDIATE plus a
// re-check of the version inside the transaction). Re-running is a no-op.
func Apply(ctx context.Context, d *db.DB, migs []Migration) (Result, error) {
	conn, err := d.Writer().Conn(ctx)
	if err != nil {
		return Result{}, err
	}
	defer conn.Close()
	if d.Dialect() == db.Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockKey(d)); err != nil {
			return Result{}, fmt.Errorf("lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey(d)) //nolint:errcheck
	} else {
		// Table rebuilds need foreign keys off; they are checked per migration.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys=OFF"); err != nil {
			return Result{}, err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys=ON") //nolint:errcheck
	}
	if _, err := conn.ExecContext(ctx, historyDDL(d.Dialect())); err != nil {
		return Result{}, fmt.Errorf("history table: %w", err)
	}
	have, from, err := applied(ctx, d.Dialect(), conn)
	if err != nil {
		return Result{}, err
	}
	if err := verify(have, migs); err != nil {
		return Result{From: from, To: from}, err
	}
	res := Result{From: from, To: from}
	for _, m := range migs {
		if _, done := have[m.Version]; done {
			continue
		}
		ran, err := applyOne(ctx, d.Dialect(), conn, m)
		if err != nil {
			return res, fmt.Errorf("%s: %w", m.Name, err)
		}
		if ran {
			res.Applied = append(res.Applied, m.Name)
		}
		res.To = m.Version
	}
	return res, nil
}

func applyOne(ctx context.Context, dialect string, conn *sql.Conn, m Migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck
	var n int
	if err := tx.QueryRowContext(ctx, db.Rebind(dialect, "SELECT count(*) FROM "+HistoryTable+" WHERE version = ?"), m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil // another process applied it meanwhile
	}
	for i, s := range m.Statements {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return false, fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	if dialect == db.SQLite {
		rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
		if err != nil {
			return false, err
		}
		bad := rows.Next()
		rows.Close()
		if bad {
			return false, errors.New("foreign key check failed after migration")
		}
	}
	if _, err := tx.ExecContext(ctx, db.Rebind(dialect, "INSERT INTO "+HistoryTable+" (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)"),
		m.Version, m.Name, m.Checksum, time.Now().UTC()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
