package conductor

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// A command rate-limited by a provider (HTTP 429 with Retry-After) twice,
// then successful: the same run waits (its reason says why), is run again
// by River after the pause, and succeeds at attempt 1 — no attempt used,
// no failed run recorded.
func TestRetryAfterSnoozesWithoutUsingAttempts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg)
		var calls atomic.Int32
		r := command.NewRegistry()
		r.Add(command.Command{Name: "import_costs", App: "t", Retry: command.RetryPolicy{MaxAttempts: 1, Base: time.Second, Cap: time.Second},
			Run: func(ctx context.Context, env *command.Env) error {
				if n := calls.Add(1); n <= 2 {
					return fmt.Errorf("fetch costs: %w", &integrations.RetryAfterError{Provider: "fake", After: 400 * time.Millisecond})
				}
				return nil
			}})
		done := make(chan RunDone, 10)
		c := e.conductor(r, withDone(done))
		e.startWorkers(c)
		e.tick(c)
		slot := e.slot("import_costs", "a", "2026-03-01")
		var seen runRow
		eventually(t, 10*time.Second, "the run snoozed with its reason", func() bool {
			rs := e.runs(slot.id)
			if len(rs) == 1 && rs[0].status == Waiting && strings.HasPrefix(rs[0].reason, ReasonRetryAfter) {
				seen = rs[0]
				return true
			}
			return false
		})
		if !strings.Contains(seen.reason, "rate limited") || seen.worker != "" || seen.runningAt.Valid {
			t.Errorf("snoozed run: %+v", seen)
		}
		if got := e.slot("import_costs", "a", "2026-03-01").status; got != SlotWaiting {
			t.Errorf("slot while snoozed: %s", got)
		}
		d := waitRuns(t, done, 1, 20*time.Second)[0]
		if d.Status != Success {
			t.Fatalf("run: %+v", d)
		}
		if n := calls.Load(); n != 3 {
			t.Errorf("command called %d times, want 3", n)
		}
		rs := e.runs(slot.id)
		if len(rs) != 1 || rs[0].attempt != 1 || rs[0].status != Success || rs[0].reason != "" {
			t.Errorf("runs: %+v (want one run, attempt 1, Success: retries not consumed)", rs)
		}
		if got := e.slot("import_costs", "a", "2026-03-01").status; got != SlotSuccess {
			t.Errorf("slot: %s", got)
		}
		// River's completer marks the job completed soon after Work returns.
		deadline := time.Now().Add(10 * time.Second)
		for e.count(`SELECT count(*) FROM "river_job" WHERE "state" = 'completed' AND "id" = ?`, rs[0].riverJob.Int64) != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("river job %d not completed", rs[0].riverJob.Int64)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestSnoozeFor(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want time.Duration
	}{
		{nil, 0},
		{fmt.Errorf("plain"), 0},
		{fmt.Errorf("wrapped: %w", &integrations.RetryAfterError{After: 42 * time.Second}), 42 * time.Second},
		{&integrations.RetryAfterError{After: 0}, 10 * time.Millisecond},
		{&integrations.RetryAfterError{After: 48 * time.Hour}, MaxRetryAfter},
	} {
		if got := snoozeFor(tc.err); got != tc.want {
			t.Errorf("snoozeFor(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// A run snoozed by a Retry-After does not hold its account's place: with
// max_parallel 1, another command of the account runs meanwhile.
func TestSnoozedRunDoesNotHoldItsAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		e.manage(e.account("a", "UTC"), "2026-03-01T12:00:00Z", 1)
		var calls atomic.Int32
		r := command.NewRegistry()
		r.Add(command.Command{Name: "limited", App: "t", Run: func(ctx context.Context, env *command.Env) error {
			if calls.Add(1) == 1 {
				return &integrations.RetryAfterError{Provider: "fake", After: 3 * time.Second}
			}
			return nil
		}})
		r.Add(command.Command{Name: "other", App: "t", Run: noop})
		done := make(chan RunDone, 10)
		c := e.conductor(r, withDone(done))
		e.startWorkers(c)
		e.tick(c)
		// limited (declared first) is dispatched; other waits for the
		// account's one place.
		limited := e.slot("limited", "a", "2026-03-01")
		eventually(t, 10*time.Second, "limited snoozed", func() bool {
			rs := e.runs(limited.id)
			return len(rs) == 1 && rs[0].status == Waiting && strings.HasPrefix(rs[0].reason, ReasonRetryAfter)
		})
		e.tick(c) // the engine's pass after the snooze's wake-up
		first := waitRuns(t, done, 1, 10*time.Second)[0]
		if first.Command != "other" || first.Status != Success {
			t.Fatalf("first finished run: %+v, want other's success while limited sleeps", first)
		}
		if calls.Load() != 1 {
			t.Fatalf("limited called %d times before other finished, want 1 (snoozed)", calls.Load())
		}
		if d := waitRuns(t, done, 1, 15*time.Second)[0]; d.Command != "limited" || d.Status != Success {
			t.Fatalf("then: %+v", d)
		}
	})
}
