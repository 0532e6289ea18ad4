package conductor

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// independent declares n commands without dependencies.
func independent(r *command.Registry, prefix string, n int, group string) {
	for i := 1; i <= n; i++ {
		r.Add(command.Command{Name: fmt.Sprintf("%s%d", prefix, i), App: "t", Group: group, Run: noop})
	}
}

// dispatchOnly gives c a River client that inserts jobs but works none, so
// the test sees exactly what dispatch decided.
func dispatchOnly(t *testing.T, c *Conductor) {
	t.Helper()
	if err := c.newRiver(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.closeRiver)
}

// reasons counts Waiting runs by account and waiting_reason ("" =
// dispatched).
func (e *env) reasons() map[string]int {
	e.t.Helper()
	rows, err := e.control.Query(context.Background(), `SELECT COALESCE(a."name", ''), r."waiting_reason", r."river_job_id" IS NOT NULL
		FROM "command_run" r JOIN "command_slot" s ON s."id" = r."slot_id" LEFT JOIN "account" a ON a."id" = s."account_id" WHERE r."status" = 0`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var acct, reason string
		var dispatched bool
		if err := rows.Scan(&acct, &reason, &dispatched); err != nil {
			e.t.Fatal(err)
		}
		if dispatched {
			reason = "dispatched"
		}
		out[acct+":"+reason]++
	}
	return out
}

func fmtCounts(m map[string]int) string {
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

// each runs fn on a fresh database of each dialect.
func each(fn func(t *testing.T, tg dbtest.Target)) func(t *testing.T) {
	return func(t *testing.T) { dbtest.Each(t, fn) }
}

func TestAccountLimitGroupLimitAndCapacity(t *testing.T) {
	t.Run("account limit", each(func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		e.manage(e.account("a", "UTC"), "2026-03-01T12:00:00Z", 2)
		r := command.NewRegistry()
		independent(r, "c", 5, "")
		c := e.conductor(r, nil)
		dispatchOnly(t, c)
		e.tick(c)
		if got := fmtCounts(e.reasons()); got != "a:account_limit=3 a:dispatched=2" {
			t.Fatalf("reasons: %s", got)
		}
		// A run finishing frees a place.
		e.exec(`UPDATE "command_run" SET "status" = 4 WHERE "id" = (SELECT MIN("id") FROM "command_run" WHERE "river_job_id" IS NOT NULL)`)
		e.tick(c)
		if got := fmtCounts(e.reasons()); got != "a:account_limit=2 a:dispatched=2" {
			t.Fatalf("reasons after one finished: %s", got)
		}
	}))
	t.Run("group limit", each(func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		for _, a := range []string{"a", "b", "c"} {
			e.manage(e.account(a, "UTC"), "2026-03-01T12:00:00Z", 5)
		}
		r := command.NewRegistry()
		r.AddGroup(command.Group{Name: "dbhost:db1", MaxRunning: 2})
		independent(r, "g", 1, "dbhost:db1")
		independent(r, "free", 1, "")
		c := e.conductor(r, nil)
		dispatchOnly(t, c)
		e.tick(c)
		got := e.reasons()
		if got["a:group_limit:dbhost:db1"]+got["b:group_limit:dbhost:db1"]+got["c:group_limit:dbhost:db1"] != 1 ||
			got["a:dispatched"]+got["b:dispatched"]+got["c:dispatched"] != 5 {
			t.Fatalf("reasons: %s", fmtCounts(got))
		}
		if n := e.count(`SELECT count(*) FROM "command_run" r JOIN "command_slot" s ON s."id" = r."slot_id" JOIN "command_definition" d ON d."id" = s."definition_id"
				WHERE d."name" = 'g1' AND r."river_job_id" IS NOT NULL`); n != 2 {
			t.Fatalf("group runs dispatched: %d, want 2", n)
		}
	}))
	t.Run("capacity and round robin", each(func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		for _, a := range []string{"a", "b", "c"} {
			e.manage(e.account(a, "UTC"), "2026-03-01T12:00:00Z", 10)
		}
		r := command.NewRegistry()
		independent(r, "c", 4, "")
		c := e.conductor(r, func(o *Options) { o.MaxQueued = 6 })
		dispatchOnly(t, c)
		e.tick(c)
		// Six places for twelve runs: two per account, not four for
		// the first account.
		if got := fmtCounts(e.reasons()); got != "a:capacity=2 a:dispatched=2 b:capacity=2 b:dispatched=2 c:capacity=2 c:dispatched=2" {
			t.Fatalf("reasons: %s", got)
		}
		// Account b's two runs finish: b has the fewest active runs, so
		// both freed places go to b, not to the account first in line.
		e.exec(`UPDATE "command_run" SET "status" = 4 WHERE "river_job_id" IS NOT NULL AND "slot_id" IN
				(SELECT s."id" FROM "command_slot" s JOIN "account" a ON a."id" = s."account_id" WHERE a."name" = 'b')`)
		e.tick(c)
		if got := fmtCounts(e.reasons()); got != "a:capacity=2 a:dispatched=2 b:dispatched=2 c:capacity=2 c:dispatched=2" {
			t.Fatalf("reasons after b finished two: %s", got)
		}
	}))
	t.Run("dependencies", each(func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		e.manage(e.account("a", "UTC"), "2026-03-01T12:00:00Z", 5)
		r := command.NewRegistry()
		r.Add(chainCmd("x", "", "t1", nil), chainCmd("y", "t1", "t2", nil))
		c := e.conductor(r, nil)
		dispatchOnly(t, c)
		e.tick(c)
		// A run made by hand for the child (a retry) while its parent has
		// not succeeded: it waits for its dependencies.
		y := e.slot("y", "a", "2026-03-01")
		e.exec(`INSERT INTO "command_run" ("slot_id", "attempt", "status", "waiting_at") VALUES (?, 1, 0, ?)`, y.id, e.clock.Now().UTC())
		e.exec(`UPDATE "command_slot" SET "status" = 'waiting' WHERE "id" = ?`, y.id)
		e.tick(c)
		if rs := e.runs(y.id); len(rs) != 1 || rs[0].reason != ReasonDependencies || rs[0].riverJob.Valid {
			t.Fatalf("child run: %+v", rs)
		}
	}))
	t.Run("manual before schedule", each(func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		for _, a := range []string{"a", "b"} {
			e.manage(e.account(a, "UTC"), "2026-03-01T12:00:00Z", 10)
		}
		r := command.NewRegistry()
		independent(r, "c", 2, "")
		c := e.conductor(r, func(o *Options) { o.MaxQueued = 1 })
		dispatchOnly(t, c)
		day, _ := command.ParseDate("2026-03-01")
		if _, err := c.Trigger(context.Background(), TriggerParams{Command: "c2", Accounts: []string{"c-a-b-gb"}, From: day, To: day}); err != nil {
			t.Fatal(err)
		}
		e.tick(c)
		var name, acct string
		if err := e.control.QueryRow(context.Background(), `SELECT d."name", a."name" FROM "command_run" r JOIN "command_slot" s ON s."id" = r."slot_id"
				JOIN "command_definition" d ON d."id" = s."definition_id" JOIN "account" a ON a."id" = s."account_id" WHERE r."river_job_id" IS NOT NULL`).Scan(&name, &acct); err != nil {
			t.Fatal(err)
		}
		if name != "c2" || acct != "b" {
			t.Fatalf("first dispatched: %s for %s, want the manual c2 for b", name, acct)
		}
	}))
}

// Two Conductors (two River clients, as two processes) on one PostgreSQL
// database work 1,000 slots: each succeeds exactly once, and no two runs
// of a slot overlap.
func TestTwoConductorsNeverRunOneSlotTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		if tg.Dialect != db.Postgres {
			t.Skip("two processes share a database on PostgreSQL only (SQLite: one process)")
		}
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		for i := 0; i < 20; i++ {
			id := e.account(fmt.Sprintf("a%02d", i), "UTC")
			e.exec(`INSERT INTO "command_account" ("account_id", "enabled", "max_parallel", "added") VALUES (?, TRUE, 8, ?)`, id, time.Now().UTC().AddDate(0, 0, -50))
		}
		var mu sync.Mutex
		active := map[int64]int{}
		ran := map[int64]int{}
		overlap := 0
		r := command.NewRegistry()
		r.Add(command.Command{Name: "noop", App: "t", Sequential: new(false), Run: func(ctx context.Context, env *command.Env) error {
			mu.Lock()
			active[env.SlotID]++
			ran[env.SlotID]++
			if active[env.SlotID] > 1 {
				overlap++
			}
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			active[env.SlotID]--
			mu.Unlock()
			return nil
		}})
		mk := func(name string) *Conductor {
			c, err := New(Options{Control: openAnother(t, tg), Tenants: e.tenants, Commands: r, Concurrency: 4, ID: name,
				EngineInterval: 200 * time.Millisecond, HeartbeatInterval: time.Second, FetchPollInterval: 20 * time.Millisecond, SlotsAheadDays: -1, MaxQueued: 16})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				defer cancel()
				_ = c.Stop(ctx)
			})
			return c
		}
		c1, c2 := mk("one"), mk("two")
		var due int
		eventually(t, 60*time.Second, "all due slots to succeed", func() bool {
			due = e.count(`SELECT count(*) FROM "command_slot" WHERE "period_end" <= ?`, time.Now().UTC())
			return due >= 1000 && e.count(`SELECT count(*) FROM "command_slot" WHERE "status" = 'success'`) == due
		})
		if n := e.count(`SELECT count(*) FROM "command_run"`); n != due {
			t.Fatalf("%d runs for %d slots", n, due)
		}
		if n := e.count(`SELECT count(*) FROM "command_run" WHERE "status" = 4`); n != due {
			t.Fatalf("%d successful runs for %d slots", n, due)
		}
		mu.Lock()
		defer mu.Unlock()
		if overlap != 0 || len(ran) != due {
			t.Fatalf("overlaps %d; %d slots ran, want %d", overlap, len(ran), due)
		}
		for slot, n := range ran {
			if n != 1 {
				t.Fatalf("slot %d ran %d times", slot, n)
			}
		}
		workers := e.count(`SELECT count(DISTINCT "worker") FROM "command_run"`)
		t.Logf("%d slots, %d workers used (%s, %s)", due, workers, c1.ID(), c2.ID())
		if workers != 2 {
			t.Fatalf("both processes should have worked: %d workers", workers)
		}
	})
}

// openAnother opens a second handle on the test's control database (a
// second process would).
func openAnother(t *testing.T, tg dbtest.Target) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), tg.ControlDSN, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// A worker killed between River's fetch and its claim leaves the job
// "running" in River and the run Waiting: after three heartbeat intervals
// the engine discards that job and dispatch hands the run to River again.
func TestJobFetchedByALostWorkerIsRequeued(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		e.manage(e.account("a", "UTC"), "2026-03-01T12:00:00Z", 2)
		r := command.NewRegistry()
		independent(r, "c", 1, "")
		c := e.conductor(r, nil)
		dispatchOnly(t, c)
		e.tick(c)
		var run, job int64
		if err := e.control.QueryRow(context.Background(), `SELECT "id", "river_job_id" FROM "command_run" WHERE "river_job_id" IS NOT NULL`).Scan(&run, &job); err != nil {
			t.Fatal(err)
		}
		// Fetched just now: left alone.
		now := e.clock.Now()
		e.exec(`UPDATE "river_job" SET "state" = 'running', "attempted_at" = ? WHERE "id" = ?`, now.Add(-time.Second), job)
		e.tick(c)
		if n := e.count(`SELECT count(*) FROM "command_run" WHERE "id" = ? AND "river_job_id" = ?`, run, job); n != 1 {
			t.Fatal("a freshly fetched job was requeued")
		}
		// Fetched long ago by a worker that never claimed the run.
		e.exec(`UPDATE "river_job" SET "attempted_at" = ? WHERE "id" = ?`, now.Add(-time.Hour), job)
		e.tick(c)
		if n := e.count(`SELECT count(*) FROM "river_job" WHERE "id" = ? AND "state" = 'discarded'`, job); n != 1 {
			t.Fatal("the lost worker's job was not discarded")
		}
		var again sql.NullInt64
		if err := e.control.QueryRow(context.Background(), `SELECT "river_job_id" FROM "command_run" WHERE "id" = ? AND "status" = ?`, run, Waiting).Scan(&again); err != nil {
			t.Fatal(err)
		}
		if !again.Valid || again.Int64 == job {
			t.Fatalf("run %d has job %v after requeue, want a new one (old %d)", run, again, job)
		}
	})
}
