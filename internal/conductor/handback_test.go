package conductor

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// A process stopping while a run is Running hands the run back: after the
// soft stop River cancels the command's context, the run returns to
// Waiting (same run, same attempt, no River job) and another process runs
// it to Success. Nothing is lost and no attempt is used up.
func TestStopHandsRunningRunsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg)
		var calls atomic.Int32
		started := make(chan struct{}, 1)
		r := command.NewRegistry()
		r.Add(command.Command{Name: "long", App: "t", Retry: command.RetryPolicy{MaxAttempts: 1, Base: time.Second, Cap: time.Second},
			Run: func(ctx context.Context, env *command.Env) error {
				if calls.Add(1) > 1 {
					return nil // the second process: quick
				}
				started <- struct{}{}
				<-ctx.Done()
				return ctx.Err()
			}})
		first := e.conductor(r, nil)
		if err := first.startRiver(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.tick(first)
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("the run did not start")
		}
		slot := e.slot("long", "a", "2026-03-01")
		// Stop with a short deadline: the soft stop gives up and River
		// cancels the running command.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_ = first.Stop(ctx)
		cancel()
		rs := e.runs(slot.id)
		if len(rs) != 1 || rs[0].status != Waiting || rs[0].attempt != 1 || rs[0].worker != "" || !strings.HasPrefix(rs[0].reason, ReasonHandedBack) {
			t.Fatalf("after stop: %+v (want the run Waiting again, attempt 1, reason %s…)", rs, ReasonHandedBack)
		}
		if n := e.count(`SELECT count(*) FROM "river_job" WHERE "id" = ? AND "state" IN ('scheduled', 'available')`, rs[0].riverJob.Int64); n != 1 {
			var state string
			_ = e.control.QueryRow(context.Background(), `SELECT "state" FROM "river_job" WHERE "id" = ?`, rs[0].riverJob.Int64).Scan(&state)
			t.Fatalf("the run's River job is %q, not runnable again", state)
		}
		if got := e.slot("long", "a", "2026-03-01").status; got != SlotWaiting {
			t.Fatalf("slot after stop: %s", got)
		}
		// Another process picks it up.
		done := make(chan RunDone, 4)
		second := e.conductor(r, withDone(done))
		e.startWorkers(second)
		e.tick(second)
		if d := waitRuns(t, done, 1, 10*time.Second)[0]; d.Status != Success || d.RunID != rs[0].id {
			t.Fatalf("second process: %+v, want run %d Success", d, rs[0].id)
		}
		if rs := e.runs(slot.id); len(rs) != 1 || rs[0].status != Success || rs[0].attempt != 1 {
			t.Fatalf("runs: %+v", rs)
		}
	})
}
