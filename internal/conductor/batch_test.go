package conductor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// The workers' group commit: requests queued while the writer is busy
// commit together, each as if alone: one that fails (or panics) is rolled
// back to its savepoint and gets its own error; the others are kept. On
// PostgreSQL every request is a transaction of its own, with the same
// outcome.
func TestWorkerTransactionsCommitTogetherEachAsIfAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg)
		ctx := context.Background()
		e.exec(`CREATE TABLE "batch_probe" ("n" INTEGER NOT NULL)`)
		c := e.conductor(command.NewRegistry(), nil)
		c.startBatcher()
		defer c.stopBatcher()
		if (c.batch != nil) != (tg.Dialect == db.SQLite) {
			t.Fatalf("committer running: %v on %s", c.batch != nil, tg.Dialect)
		}

		// Hold the writer so that the requests queue up behind it.
		hold, held := make(chan struct{}), make(chan struct{})
		holder := make(chan error, 1)
		go func() {
			holder <- e.control.InTx(ctx, func(tx *db.Tx) error {
				close(held)
				<-hold
				return nil
			})
		}()
		<-held
		const n = 24
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = c.workerTx(ctx, func(tx *db.Tx) error {
					if _, err := tx.Exec(ctx, `INSERT INTO "batch_probe" ("n") VALUES (?)`, i); err != nil {
						return err
					}
					switch {
					case i == 7:
						panic("request seven")
					case i%5 == 0:
						return fmt.Errorf("request %d refused", i)
					}
					return nil
				})
			})
		}
		// Release the writer only once every request has reached the
		// committer: the group it has taken (blocked on the writer) and
		// those still queued behind it.
		if b := c.batch; b != nil {
			deadline := time.Now().Add(10 * time.Second)
			for got := 0; got < n; got = int(b.taken.Load()) + len(b.reqs) {
				if time.Now().After(deadline) {
					close(hold)
					t.Fatalf("only %d of %d requests reached the committer", got, n)
				}
				time.Sleep(time.Millisecond)
			}
		}
		close(hold)
		if err := <-holder; err != nil {
			t.Fatal(err)
		}
		wg.Wait()

		var want []string
		for i, err := range errs {
			switch {
			case i == 7:
				if err == nil || !strings.Contains(err.Error(), "request seven") {
					t.Fatalf("request 7 panicked, got %v", err)
				}
			case i%5 == 0:
				if err == nil || err.Error() != fmt.Sprintf("request %d refused", i) {
					t.Fatalf("request %d: got %v, want its own error", i, err)
				}
			default:
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				want = append(want, fmt.Sprint(i))
			}
		}
		rows, err := e.control.Query(ctx, `SELECT "n" FROM "batch_probe" ORDER BY "n"`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprint(v))
		}
		rows.Close()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("committed %v, want %v", got, want)
		}

		// Stopped, requests run as transactions of their own.
		b := c.batch
		c.stopBatcher()
		if b != nil && b.largest < 2 {
			t.Fatalf("the queued requests were committed one by one (largest group %d)", b.largest)
		}
		err = c.workerTx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO "batch_probe" ("n") VALUES (100)`)
			return errors.Join(err, errors.New("refused"))
		})
		if err == nil || e.count(`SELECT count(*) FROM "batch_probe" WHERE "n" = 100`) != 0 {
			t.Fatalf("after stop: err %v, the refused insert must be rolled back", err)
		}
	})
}
