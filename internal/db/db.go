// Package db opens Cubed's databases on one of two dialects, SQLite (embedded
// default) and PostgreSQL (scale-out), behind one small type.
//
// Queries are written once with '?' placeholders; DB rebinds them for the
// dialect. On SQLite a DB keeps two pools: a single-connection writer whose
// transactions start with BEGIN IMMEDIATE (one writer, no SQLITE_BUSY upgrade
// deadlocks) and a reader pool; WAL lets readers run beside the writer. On
// PostgreSQL both pools are the same.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Dialect names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// ErrNotFound is returned by helpers that expect exactly one row.
var ErrNotFound = errors.New("not found")

// DB is a handle on one database (control or client) on either dialect.
type DB struct {
	dialect string
	read    *sql.DB
	write   *sql.DB
	dsn     string
	queries atomic.Int64
	stmts   *stmtCache // SQLite reader: parsed statements, reused
	stamp   *stamper   // SQLite: data_version reader (ChangeStamp)
}

// stmtCache keeps prepared statements by text. SQLite spends much of a
// small query's time parsing it; pgx caches prepared statements itself, so
// only SQLite handles use this. Bounded: past the cap, queries run
// unprepared.
type stmtCache struct {
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

const maxCachedStmts = 512

func (c *stmtCache) get(ctx context.Context, pool *sql.DB, q string) *sql.Stmt {
	c.mu.RLock()
	st := c.m[q]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st = c.m[q]; st != nil {
		return st
	}
	if len(c.m) >= maxCachedStmts {
		return nil
	}
	st, err := pool.PrepareContext(ctx, q)
	if err != nil {
		return nil // the unprepared call reports the error
	}
	c.m[q] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = map[string]*sql.Stmt{}
}

// QueryCount is the number of statements run through this handle (and its
// transactions) so far; tests use it to prove a page costs a bounded number
// of queries.
func (d *DB) QueryCount() int64 { return d.queries.Load() }

// Dialect reports "sqlite" or "postgres".
func (d *DB) Dialect() string { return d.dialect }

// DSN returns the data source the handle was opened with. It may contain
// credentials: never log it.
func (d *DB) DSN() string { return d.dsn }

// Reader returns the pool used for queries.
func (d *DB) Reader() *sql.DB { return d.read }

// Writer returns the pool used for writes and transactions.
func (d *DB) Writer() *sql.DB { return d.write }

// Close closes both pools.
func (d *DB) Close() error {
	if d.stmts != nil {
		d.stmts.close()
	}
	var err error
	if d.stamp != nil {
		err = d.stamp.close()
	}
	err = errors.Join(err, d.write.Close())
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// Rebind rewrites '?' placeholders for the dialect ($1, $2, ... on
// PostgreSQL). Question marks inside single-quoted literals or double-quoted
// identifiers are left alone.
func (d *DB) Rebind(q string) string { return Rebind(d.dialect, q) }

// Rebind rewrites '?' placeholders for dialect.
func Rebind(dialect, q string) string {
	if dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			b.WriteByte(c)
		case c == '\'' || c == '"':
			quote = c
			b.WriteByte(c)
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Exec runs a statement on the writer.
func (d *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	d.queries.Add(1)
	return d.write.ExecContext(ctx, d.Rebind(q), args...)
}

// Query runs a query on the reader.
func (d *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	d.queries.Add(1)
	if d.stmts != nil {
		if st := d.stmts.get(ctx, d.read, q); st != nil {
			return st.QueryContext(ctx, args...)
		}
	}
	return d.read.QueryContext(ctx, d.Rebind(q), args...)
}

// QueryRow runs a single-row query on the reader.
func (d *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	d.queries.Add(1)
	if d.stmts != nil {
		if st := d.stmts.get(ctx, d.read, q); st != nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	return d.read.QueryRowContext(ctx, d.Rebind(q), args...)
}

// Tx is a write transaction; its methods rebind like DB's.
type Tx struct {
	tx      *sql.Tx
	dialect string
	count   *atomic.Int64
}

// Dialect reports the transaction's dialect.
func (t *Tx) Dialect() string { return t.dialect }

// SQL returns the underlying transaction.
func (t *Tx) SQL() *sql.Tx { return t.tx }

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	t.count.Add(1)
	return t.tx.ExecContext(ctx, Rebind(t.dialect, q), args...)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	t.count.Add(1)
	return t.tx.QueryContext(ctx, Rebind(t.dialect, q), args...)
}

// QueryRow runs a single-row query in the transaction.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	t.count.Add(1)
	return t.tx.QueryRowContext(ctx, Rebind(t.dialect, q), args...)
}

// Querier is what both DB and Tx offer; read helpers take it so they work
// inside and outside transactions.
type Querier interface {
	Exec(ctx context.Context, q string, args ...any) (sql.Result, error)
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// InTx runs fn in a write transaction, committing when it returns nil and
// rolling back otherwise (also on panic, which is re-raised).
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: stx, dialect: d.dialect, count: &d.queries}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Writer is what can run a write that returns rows: a DB (on its writer
// pool) or a Tx.
type Writer interface {
	WriteRow(ctx context.Context, q string, args ...any) *sql.Row
}

// WriteRow runs a single-row write (INSERT ... RETURNING) on the writer.
func (d *DB) WriteRow(ctx context.Context, q string, args ...any) *sql.Row {
	d.queries.Add(1)
	return d.write.QueryRowContext(ctx, d.Rebind(q), args...)
}

// WriteRow runs a single-row write in the transaction.
func (t *Tx) WriteRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.QueryRow(ctx, q, args...)
}

// InsertID runs an INSERT and returns the new row's id: RETURNING id on both
// dialects (SQLite supports it since 3.35).
func InsertID(ctx context.Context, w Writer, stmt string, args ...any) (int64, error) {
	var id int64
	if err := w.WriteRow(ctx, stmt+" RETURNING id", args...).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

// Ping checks the database answers (through the reader, so a long write
// does not make a healthy database look down).
func (d *DB) Ping(ctx context.Context) error {
	var one int
	return d.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}
