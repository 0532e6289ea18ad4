package conductor

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/cubedhq/cubed/internal/db"
)

// Group commit of the workers' transactions on SQLite.
//
// Every run takes two short write transactions of its own on the control
// database: the claim and the result. SQLite has one writer, and under load
// these transactions queued for it, each paying for its own BEGIN, its own
// COMMIT and its own WAL frames of the same hot pages (the run and slot
// tables and their status indexes). Workers hand them to one committer
// goroutine instead, which runs whatever has queued up meanwhile in one
// transaction, each request inside its own savepoint: a request that fails
// is rolled back to its savepoint alone and its error returned to its
// caller, as its own transaction would have been; the others commit. No
// request waits for a batch to fill: the committer takes what is there
// when it is free. On PostgreSQL, whose writers do not queue behind one
// another, the transactions run directly.

// maxBatch bounds the requests of one group commit.
const maxBatch = 64

type txRequest struct {
	fn   func(tx *db.Tx) error
	done chan error
}

// batcher is a running committer: requests in, closed done when it ends.
type batcher struct {
	reqs    chan *txRequest
	done    chan struct{}
	largest int          // the most requests one group held (read after done)
	taken   atomic.Int64 // requests taken from reqs so far
}

// startBatcher starts the committer (SQLite only); stopBatcher ends it
// once nothing can send to it any more.
func (c *Conductor) startBatcher() {
	if c.control.Dialect() != db.SQLite {
		return
	}
	b := &batcher{reqs: make(chan *txRequest, maxBatch), done: make(chan struct{})}
	go c.commitLoop(b)
	c.batchMu.Lock()
	c.batch = b
	c.batchMu.Unlock()
}

func (c *Conductor) stopBatcher() {
	c.batchMu.Lock()
	b := c.batch
	c.batch = nil
	c.batchMu.Unlock()
	if b != nil {
		close(b.reqs)
		<-b.done
	}
}

// workerTx runs fn in a write transaction of the control database: in a
// savepoint of the committer's next group on SQLite while River runs, in a
// transaction of its own otherwise; either way a panic in fn is returned as
// its error. fn must not start a transaction, and uses its own context for
// its statements.
func (c *Conductor) workerTx(ctx context.Context, fn func(tx *db.Tx) error) error {
	c.batchMu.RLock()
	b := c.batch
	req := &txRequest{fn: fn, done: make(chan error, 1)}
	if b == nil {
		c.batchMu.RUnlock()
		return c.inTx(ctx, func(tx *db.Tx) error { return runRequest(req, tx) })
	}
	b.reqs <- req // stopBatcher takes the write lock before closing b.reqs
	c.batchMu.RUnlock()
	return <-req.done
}

func (c *Conductor) commitLoop(b *batcher) {
	defer close(b.done)
	for first := range b.reqs {
		batch := []*txRequest{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-b.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		b.largest = max(b.largest, len(batch))
		b.taken.Add(int64(len(batch)))
		c.commitBatch(batch)
	}
}

// commitBatch runs the requests in one transaction, each in a savepoint,
// and answers each with its own error (or the group's, if the transaction
// itself failed and nothing was committed).
func (c *Conductor) commitBatch(batch []*txRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make([]error, len(batch))
	err := c.inTx(ctx, func(tx *db.Tx) error {
		if len(batch) == 1 {
			errs[0] = runRequest(batch[0], tx)
			return errs[0]
		}
		for i, r := range batch {
			if _, err := tx.Exec(ctx, `SAVEPOINT "conductor_request"`); err != nil {
				return err
			}
			if errs[i] = runRequest(r, tx); errs[i] != nil {
				if _, err := tx.Exec(ctx, `ROLLBACK TO "conductor_request"`); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `RELEASE "conductor_request"`); err != nil {
				return err
			}
		}
		return nil
	})
	for i, r := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		r.done <- errs[i]
	}
}

// runRequest calls the request's fn, turning a panic into its error (the
// committer serves every worker and must not die with one).
func runRequest(r *txRequest, tx *db.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a worker transaction: %v\n%s", p, debug.Stack())
		}
	}()
	return r.fn(tx)
}
