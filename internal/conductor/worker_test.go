package conductor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// oneDay is the usual setup: account "a" (UTC) joined yesterday, so the
// 1 March slots are due at the clock's time.
func oneDay(t *testing.T, tg dbtest.Target, accounts ...string) *env {
	e := newEnv(t, tg, "2026-03-02T12:00:00Z")
	if len(accounts) == 0 {
		accounts = []string{"a"}
	}
	for _, a := range accounts {
		e.manage(e.account(a, "UTC"), "2026-03-01T12:00:00Z", 10)
	}
	return e
}

func withDone(ch chan RunDone) func(*Options) {
	return func(o *Options) { o.OnRunDone = func(d RunDone) { ch <- d } }
}

// settle ticks and waits for runs until nothing is waiting or running.
func settle(t *testing.T, e *env, c *Conductor, done <-chan RunDone) {
	t.Helper()
	for i := 0; i < 200; i++ {
		e.tick(c)
		if e.count(`SELECT count(*) FROM "command_run" WHERE "status" IN (0, 1)`) == 0 {
			return
		}
		waitRuns(t, done, 1, 10*time.Second)
	}
	t.Fatal("did not settle")
}

func TestFailTwiceThenSucceedWithBackoff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg)
		var calls atomic.Int32
		r := command.NewRegistry()
		r.Add(command.Command{Name: "flaky", App: "t", Run: func(ctx context.Context, env *command.Env) error {
			if n := calls.Add(1); n <= 2 {
				return fmt.Errorf("flaky attempt %d", n)
			}
			return nil
		}})
		done := make(chan RunDone, 10)
		c := e.conductor(r, withDone(done))
		e.startWorkers(c)
		policy := command.DefaultRetry()

		e.tick(c)
		if d := waitRuns(t, done, 1, 10*time.Second)[0]; d.Status != Failed || d.Error != "flaky attempt 1" {
			t.Fatalf("first run: %+v", d)
		}
		slot := e.slot("flaky", "a", "2026-03-01")
		if slot.status != SlotWaiting {
			t.Fatalf("slot after a failure with attempts left: %s", slot.status)
		}
		for attempt := 1; attempt <= 2; attempt++ {
			rs := e.runs(slot.id)
			last := rs[len(rs)-1]
			due := RetryAt(policy, last.id, attempt, last.endedAt.Time)
			backoff := due.Sub(last.endedAt.Time)
			base := 30 * time.Second * time.Duration(1<<(2*(attempt-1)))
			if backoff < base*9/10 || backoff > base*11/10 {
				t.Fatalf("backoff after attempt %d: %v, want %v ±10%%", attempt, backoff, base)
			}
			e.clock.Set(due.Add(-time.Second))
			if st := e.tick(c); st.Retried != 0 || len(e.runs(slot.id)) != attempt {
				t.Fatalf("retried %v before the backoff ended", backoff)
			}
			e.clock.Set(due)
			if st := e.tick(c); st.Retried != 1 || st.Dispatched != 1 {
				t.Fatalf("at the end of the backoff: %+v", st)
			}
			waitRuns(t, done, 1, 10*time.Second)
			rs = e.runs(slot.id)
			if got := rs[attempt].waitingAt.Time; !got.Equal(due) {
				t.Fatalf("attempt %d waiting at %v, want %v", attempt+1, got, due)
			}
		}
		rs := e.runs(slot.id)
		if statuses(rs) != "3,3,4" || rs[0].attempt != 1 || rs[1].attempt != 2 || rs[2].attempt != 3 {
			t.Fatalf("runs: %+v", rs)
		}
		if s := e.slot("flaky", "a", "2026-03-01"); s.status != SlotSuccess {
			t.Fatalf("slot: %s", s.status)
		}
	})
}

func TestPanicBecomesFailedAndTheProcessGoesOn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg)
		r := command.NewRegistry()
		r.Add(
			command.Command{Name: "boom", App: "t", Retry: command.RetryPolicy{MaxAttempts: 1}, Run: func(context.Context, *command.Env) error {
				var boom []int
				return fmt.Errorf("unreachable %d", boom[len(boom)]) // index out of range: a runtime panic
			}},
			command.Command{Name: "fine", App: "t", Run: noop},
		)
		done := make(chan RunDone, 10)
		c := e.conductor(r, withDone(done))
		e.startWorkers(c)
		settle(t, e, c, done)
		s := e.slot("boom", "a", "2026-03-01")
		rs := e.runs(s.id)
		if s.status != SlotFailed || len(rs) != 1 || rs[0].status != Failed || !strings.Contains(rs[0].err, "panic: runtime error: index out of range [0] with length 0") {
			t.Fatalf("slot %s, runs %+v", s.status, rs)
		}
		var detail string
		_ = e.control.QueryRow(context.Background(), `SELECT "exit_detail" FROM "command_run" WHERE "id" = ?`, rs[0].id).Scan(&detail)
		if !strings.Contains(detail, "goroutine") {
			t.Fatalf("no stack kept: %q", detail)
		}
		if s := e.slot("fine", "a", "2026-03-01"); s.status != SlotSuccess {
			t.Fatalf("the other command: %s", s.status)
		}
	})
}

func TestTimeoutThenRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg)
		var calls atomic.Int32
		r := command.NewRegistry()
		r.Add(command.Command{Name: "slow", App: "t", Timeout: 150 * time.Millisecond, Retry: command.RetryPolicy{Base: time.Second},
			Run: func(ctx context.Context, env *command.Env) error {
				if calls.Add(1) == 1 {
					<-ctx.Done() // the first attempt hangs until its timeout
					return ctx.Err()
				}
				return nil
			}})
		done := make(chan RunDone, 10)
		c := e.conductor(r, withDone(done))
		e.startWorkers(c)
		e.tick(c)
		if d := waitRuns(t, done, 1, 10*time.Second)[0]; d.Status != Timeout || !strings.Contains(d.Error, "timeout") {
			t.Fatalf("first run: %+v", d)
		}
		e.clock.Advance(2 * time.Second)
		e.tick(c)
		if d := waitRuns(t, done, 1, 10*time.Second)[0]; d.Status != Success {
			t.Fatalf("retry: %+v", d)
		}
		s := e.slot("slow", "a", "2026-03-01")
		if rs := e.runs(s.id); statuses(rs) != "2,4" || s.status != SlotSuccess {
			t.Fatalf("runs %+v, slot %s", rs, s.status)
		}
	})
}

// A worker that stops heartbeating (killed) loses its run to a timeout;
// the retry is a new run.
func TestLostHeartbeatTimesOutThenRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg)
		r := command.NewRegistry()
		r.Add(command.Command{Name: "job", App: "t", Retry: command.RetryPolicy{Base: time.Second}, Run: noop})
		c := e.conductor(r, nil) // no workers: the run is claimed by a "dead" one
		e.tick(c)
		s := e.slot("job", "a", "2026-03-01")
		run := e.runs(s.id)[0]
		now := e.clock.Now().UTC()
		e.exec(`UPDATE "command_run" SET "status" = 1, "running_at" = ?, "heartbeat_at" = ?, "worker" = 'dead' WHERE "id" = ?`, now, now, run.id)
		e.exec(`UPDATE "command_slot" SET "status" = 'running' WHERE "id" = ?`, s.id)
		e.clock.Advance(2900 * time.Millisecond) // heartbeat interval 1 s: 3 s of silence needed
		if st := e.tick(c); st.TimedOut != 0 {
			t.Fatal("timed out too early")
		}
		e.clock.Advance(200 * time.Millisecond)
		if st := e.tick(c); st.TimedOut != 1 {
			t.Fatalf("not timed out: %+v", st)
		}
		rs := e.runs(s.id)
		if rs[0].status != Timeout || !strings.Contains(rs[0].err, "no heartbeat") {
			t.Fatalf("run: %+v", rs[0])
		}
		e.clock.Advance(1200 * time.Millisecond)
		if st := e.tick(c); st.Retried != 1 {
			t.Fatalf("no retry: %+v", st)
		}
		rs = e.runs(s.id)
		if len(rs) != 2 || rs[1].status != Waiting || rs[1].attempt != 2 {
			t.Fatalf("runs: %+v", rs)
		}
	})
}

func TestCancelRunningRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg)
		started := make(chan int64, 1)
		stopped := make(chan error, 1)
		r := command.NewRegistry()
		r.Add(command.Command{Name: "long", App: "t", Run: func(ctx context.Context, env *command.Env) error {
			started <- env.RunID
			<-ctx.Done()
			stopped <- ctx.Err()
			return ctx.Err()
		}})
		done := make(chan RunDone, 10)
		c := e.conductor(r, withDone(done))
		e.startWorkers(c)
		e.tick(c)
		var runID int64
		select {
		case runID = <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("never started")
		}
		// Cancelled from another Conductor (another process): the worker
		// notices on its next check.
		other := e.conductor(r, nil)
		if err := other.Cancel(context.Background(), runID); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-stopped:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("ctx error: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the command's context was not cancelled")
		}
		if d := waitRuns(t, done, 1, 10*time.Second)[0]; d.Status != Cancelled {
			t.Fatalf("done: %+v", d)
		}
		s := e.slot("long", "a", "2026-03-01")
		rs := e.runs(s.id)
		if s.status != SlotCancelled || statuses(rs) != "5" {
			t.Fatalf("slot %s runs %+v", s.status, rs)
		}
		if err := other.Cancel(context.Background(), runID); err == nil || !strings.Contains(err.Error(), "cancelled") {
			t.Fatalf("second cancel: %v", err)
		}
		// Retry reopens it with a new run; the old one stays.
		newID, err := c.Retry(context.Background(), runID)
		if err != nil {
			t.Fatal(err)
		}
		e.tick(c)
		if got := <-started; got != newID {
			t.Fatalf("retry ran %d, want %d", got, newID)
		}
		if err := c.Cancel(context.Background(), newID); err != nil { // same process: at once
			t.Fatal(err)
		}
		<-stopped
		waitRuns(t, done, 1, 10*time.Second)
		if rs := e.runs(s.id); statuses(rs) != "5,5" {
			t.Fatalf("runs: %+v", rs)
		}
	})
}

func TestFailedParentBlocksOnlyItsOwnChildren(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-03T12:00:00Z")
		e.manage(e.account("a", "UTC"), "2026-03-01T12:00:00Z", 10)
		e.manage(e.account("b", "UTC"), "2026-03-01T12:00:00Z", 10)
		r := command.NewRegistry()
		r.Add(
			command.Command{Name: "parent", App: "t", WritesTo: []string{"t1"}, Sequential: new(false), Retry: command.RetryPolicy{MaxAttempts: 1},
				Run: func(ctx context.Context, env *command.Env) error {
					if env.Account.Name == "a" && env.Date == "2026-03-01" {
						return errors.New("parent fails for a on 1 March")
					}
					return nil
				}},
			command.Command{Name: "child", App: "t", ReadsFrom: []string{"t1"}, WritesTo: []string{"t2"}, Sequential: new(false), Run: noop},
			command.Command{Name: "other", App: "t", WritesTo: []string{"t3"}, Run: noop},
		)
		done := make(chan RunDone, 50)
		c := e.conductor(r, withDone(done))
		e.startWorkers(c)
		settle(t, e, c, done)
		var got []string
		for _, s := range e.slots(`s."local_date" < ?`, "2026-03-03") {
			got = append(got, fmt.Sprintf("%s/%s/%s=%s", s.command, s.account, s.date[8:], s.status))
		}
		want := "child/a/01=pending other/a/01=success parent/a/01=failed child/a/02=success other/a/02=success parent/a/02=success " +
			"child/b/01=success other/b/01=success parent/b/01=success child/b/02=success other/b/02=success parent/b/02=success"
		if strings.Join(got, " ") != want {
			t.Fatalf("\n got %s\nwant %s", strings.Join(got, " "), want)
		}
	})
}

func TestRateLimitedGroupIsSnoozedWithoutConsumingAttempts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg, "a", "b")
		r := command.NewRegistry()
		r.AddGroup(command.Group{Name: "api:x", RatePerMinute: 1})
		r.Add(command.Command{Name: "fetch", App: "t", Group: "api:x", Retry: command.RetryPolicy{MaxAttempts: 1}, Run: noop})
		done := make(chan RunDone, 10)
		c := e.conductor(r, func(o *Options) { o.OnRunDone = func(d RunDone) { done <- d }; o.MaxSnooze = 30 * time.Millisecond })
		e.startWorkers(c)
		// One token: both runs are handed to River, one starts, the other
		// finds no token and is snoozed.
		if st := e.tick(c); st.Dispatched != 2 {
			t.Fatalf("dispatched %d", st.Dispatched)
		}
		first := waitRuns(t, done, 1, 10*time.Second)[0]
		if first.Status != Success {
			t.Fatalf("first: %+v", first)
		}
		var snoozed runRow
		eventually(t, 10*time.Second, "a snoozed run", func() bool {
			for _, s := range e.slots(`1 = 1`) {
				if rs := e.runs(s.id); len(rs) == 1 && rs[0].status == Waiting && rs[0].reason == "group_limit:api:x" {
					snoozed = rs[0]
					job, err := c.river.JobGet(context.Background(), snoozed.riverJob.Int64)
					return err == nil && strings.Contains(string(job.Metadata), "snoozes")
				}
			}
			return false
		})
		e.clock.Advance(61 * time.Second) // a token again
		second := waitRuns(t, done, 1, 10*time.Second)[0]
		if second.Status != Success || second.RunID != snoozed.id {
			t.Fatalf("second: %+v", second)
		}
		if n := e.count(`SELECT count(*) FROM "command_run" WHERE "attempt" = 1 AND "status" = 4`); n != 2 {
			t.Fatalf("runs: want 2 successful first attempts, got %d", n)
		}
		if n := e.count(`SELECT count(*) FROM "command_run"`); n != 2 {
			t.Fatalf("%d runs, want 2 (snoozing makes no run)", n)
		}
		job, err := c.river.JobGet(context.Background(), snoozed.riverJob.Int64)
		if err != nil || job.Attempt != 1 {
			t.Fatalf("river job after snoozes: attempt %d (%v), want 1", job.Attempt, err)
		}
	})
}

func TestRunLogsBoundedAndProgress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg)
		r := command.NewRegistry()
		r.Add(command.Command{Name: "chatty", App: "t", Run: func(ctx context.Context, env *command.Env) error {
			for i := 1; i <= 1500; i++ {
				env.Log.Info("line", "i", i)
				env.Progress(int64(i), 1500)
			}
			return nil
		}})
		done := make(chan RunDone, 10)
		c := e.conductor(r, withDone(done))
		e.startWorkers(c)
		e.tick(c)
		d := waitRuns(t, done, 1, 10*time.Second)[0]
		if n := e.count(`SELECT count(*) FROM "command_run_log" WHERE "run_id" = ?`, d.RunID); n != LogLinesKept {
			t.Fatalf("%d log lines kept, want %d", n, LogLinesKept)
		}
		var msg string
		_ = e.control.QueryRow(context.Background(), `SELECT "message" FROM "command_run_log" WHERE "run_id" = ? ORDER BY "seq" LIMIT 1`, d.RunID).Scan(&msg)
		if msg != "line i=501" {
			t.Fatalf("oldest kept line: %q", msg)
		}
		if n := e.count(`SELECT "progress_done" FROM "command_run" WHERE "id" = ?`, d.RunID); n != 1500 {
			t.Fatalf("progress %d", n)
		}
	})
}
