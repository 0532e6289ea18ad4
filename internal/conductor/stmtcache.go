package conductor

import (
	"context"
	"database/sql"
	"sync"

	"github.com/cubedhq/cubed/internal/db"
)

// On SQLite a third of a run's cost was parsing SQL: the hot statements of
// workers and dispatch are prepared once on the (single-connection) writer
// pool and reused inside transactions. PostgreSQL's driver caches prepared
// statements itself.

const maxCachedStmts = 256

type stmtCache struct {
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	want map[string]bool
}

// inTx is control.InTx after preparing the statements wanted so far
// (outside any transaction: the writer has one connection).
func (c *Conductor) inTx(ctx context.Context, fn func(tx *db.Tx) error) error {
	c.prepareWanted(ctx)
	return c.control.InTx(ctx, fn)
}

func (c *Conductor) prepareWanted(ctx context.Context) {
	if c.control.Dialect() != db.SQLite {
		return
	}
	c.stmts.mu.Lock()
	var qs []string
	for q := range c.stmts.want {
		qs = append(qs, q)
	}
	c.stmts.want = nil
	c.stmts.mu.Unlock()
	for _, q := range qs {
		st, err := c.control.Writer().PrepareContext(ctx, q)
		if err != nil {
			continue // the uncached path reports errors
		}
		c.stmts.mu.Lock()
		if c.stmts.m == nil {
			c.stmts.m = map[string]*sql.Stmt{}
		}
		c.stmts.m[q] = st
		c.stmts.mu.Unlock()
	}
}

func (c *Conductor) stmt(q string) *sql.Stmt {
	if c.control.Dialect() != db.SQLite {
		return nil
	}
	c.stmts.mu.Lock()
	defer c.stmts.mu.Unlock()
	if st := c.stmts.m[q]; st != nil {
		return st
	}
	if len(c.stmts.m)+len(c.stmts.want) < maxCachedStmts {
		if c.stmts.want == nil {
			c.stmts.want = map[string]bool{}
		}
		c.stmts.want[q] = true
	}
	return nil
}

func (c *Conductor) closeStmts() {
	c.stmts.mu.Lock()
	defer c.stmts.mu.Unlock()
	for _, st := range c.stmts.m {
		st.Close()
	}
	c.stmts.m = nil
}

// cachedTx runs statements of a transaction through the cache.
type cachedTx struct {
	tx *db.Tx
	c  *Conductor
}

func (c *Conductor) cached(tx *db.Tx) db.Querier { return cachedTx{tx, c} }

func (t cachedTx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.c.stmt(q); st != nil {
		return t.tx.SQL().StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.Exec(ctx, q, args...)
}

func (t cachedTx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.c.stmt(q); st != nil {
		return t.tx.SQL().StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.Query(ctx, q, args...)
}

func (t cachedTx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.c.stmt(q); st != nil {
		return t.tx.SQL().StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRow(ctx, q, args...)
}
