package conductor

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// movingClock is the fake clock's instant plus the real time elapsed since
// the test began: the engine sees the test's day, and run timestamps
// still order what happened.
type movingClock struct {
	base, began time.Time
}

func (c movingClock) Now() time.Time { return c.base.Add(time.Since(c.began)) }

// River holds more jobs than the process has workers (prefetch), but no
// more commands run at once than --concurrency, and a run's running_at is
// when its command started, not when it was claimed: with one worker the
// second run, claimed while the first ran, starts after the first ended.
func TestConcurrencyBoundsCommandsDespitePrefetch(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) { placesBound(t, workers) })
	}
}

func placesBound(t *testing.T, workers int) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		{
			accounts := []string{"a", "b", "c", "d", "e", "f"}
			e := oneDay(t, tg, accounts...)
			clock := movingClock{base: e.clock.Now(), began: time.Now()}
			var mu sync.Mutex
			var running, most int
			type span struct{ start, end time.Time }
			spans := map[int64]span{} // by run id
			r := command.NewRegistry()
			r.Add(command.Command{Name: "work", App: "t", Run: func(ctx context.Context, env *command.Env) error {
				mu.Lock()
				running++
				most = max(most, running)
				start := clock.Now()
				mu.Unlock()
				time.Sleep(60 * time.Millisecond)
				mu.Lock()
				running--
				spans[env.RunID] = span{start, clock.Now()}
				mu.Unlock()
				return nil
			}})
			done := make(chan RunDone, 10)
			c := e.conductor(r, func(o *Options) {
				withDone(done)(o)
				o.Concurrency = workers
				o.Clock = clock
			})
			e.startWorkers(c)
			settle(t, e, c, done)

			if most != workers {
				t.Fatalf("%d workers: at most %d commands ran at once, want %d", workers, most, workers)
			}
			for _, a := range accounts {
				rs := e.runs(e.slot("work", a, "2026-03-01").id)
				if len(rs) != 1 || rs[0].status != Success || rs[0].attempt != 1 {
					t.Fatalf("%d workers, account %s: runs %+v, want one Success", workers, a, rs)
				}
				sp, ok := spans[rs[0].id]
				if !ok {
					t.Fatalf("run %d: its command did not run", rs[0].id)
				}
				// running_at is stamped just before the command starts
				// (stored to the microsecond).
				at := rs[0].runningAt.Time
				if at.After(sp.start) || sp.start.Sub(at) > time.Second {
					t.Fatalf("run %d: running_at %s, command started %s", rs[0].id, at, sp.start)
				}
			}
			if workers == 1 {
				// One place: the commands never overlapped, and each run's
				// running_at is after the command before it ended, though
				// the run was claimed while that command ran.
				type run struct {
					at time.Time
					span
				}
				var all []run
				for _, a := range accounts {
					rs := e.runs(e.slot("work", a, "2026-03-01").id)
					all = append(all, run{rs[0].runningAt.Time, spans[rs[0].id]})
				}
				sort.Slice(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
				for i := 1; i < len(all); i++ {
					if all[i].start.Before(all[i-1].end) {
						t.Fatalf("with one worker two commands overlapped: %v and %v", all[i-1].span, all[i].span)
					}
					if all[i].at.Before(all[i-1].end.Truncate(time.Microsecond)) {
						t.Fatalf("running_at %s is before the previous command ended (%s)", all[i].at, all[i-1].end)
					}
				}
			}
		}
	})
}

// On SQLite (prefetch), a claimed run that finds no free worker place
// within a heartbeat interval goes back to Waiting (same run, same attempt,
// reason handed_back) and runs later; on PostgreSQL (no prefetch) the run
// waits in River's queue. Nothing runs twice.
func TestRunWithoutAPlaceIsHandedBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg, "a", "b")
		gate := make(chan struct{})
		var calls atomic.Int32
		r := command.NewRegistry()
		r.Add(command.Command{Name: "gated", App: "t", Run: func(ctx context.Context, env *command.Env) error {
			calls.Add(1)
			select {
			case <-gate:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
		done := make(chan RunDone, 10)
		c := e.conductor(r, func(o *Options) {
			withDone(done)(o)
			o.Concurrency = 1
			o.HeartbeatInterval = 200 * time.Millisecond
		})
		e.startWorkers(c)
		e.tick(c)
		if tg.Dialect == db.Postgres {
			// No prefetch on PostgreSQL: River holds one job, the other
			// run waits unclaimed in River's queue.
			eventually(t, 10*time.Second, "the first command", func() bool { return calls.Load() == 1 })
			time.Sleep(3 * 200 * time.Millisecond)
			if n := e.count(`SELECT count(*) FROM "command_run" WHERE "status" = ? AND "river_job_id" IS NOT NULL AND "waiting_reason" = ''`, Waiting); n != 1 {
				t.Fatalf("%d runs wait in River's queue, want 1", n)
			}
		} else {
			// One run holds the only place; the other was fetched too,
			// claimed, and is handed back once it has waited a heartbeat
			// interval.
			eventually(t, 10*time.Second, "a run handed back", func() bool {
				return e.count(`SELECT count(*) FROM "command_run" WHERE "status" = ? AND "waiting_reason" LIKE ?`, Waiting, ReasonHandedBack+"%") == 1
			})
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("%d commands started with one place, want 1", n)
		}
		close(gate)
		settle(t, e, c, done)
		for _, a := range []string{"a", "b"} {
			rs := e.runs(e.slot("gated", a, "2026-03-01").id)
			if len(rs) != 1 || rs[0].status != Success || rs[0].attempt != 1 || strings.HasPrefix(rs[0].reason, ReasonHandedBack) {
				t.Fatalf("account %s: runs %+v, want one Success, attempt 1", a, rs)
			}
		}
		if n := calls.Load(); n != 2 {
			t.Fatalf("commands ran %d times, want 2", n)
		}
	})
}
