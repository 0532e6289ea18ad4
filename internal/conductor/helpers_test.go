package conductor

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/internal/tenant"
	"github.com/cubedhq/cubed/migrations"
)

// fakeClock is moved by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(s string) *fakeClock {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &fakeClock{t: t}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// testTenants lists accounts from the control table; commands get no client
// database unless the test gives one.
type testTenants struct {
	*tenant.Manager
	client func(a tenant.Account) *db.DB
}

func (t testTenants) Acquire(_ context.Context, a tenant.Account) (*db.DB, func(), error) {
	if t.client == nil {
		return nil, func() {}, nil
	}
	return t.client(a), func() {}, nil
}

// env is one test's control database with Conductor's tables.
type env struct {
	t       testing.TB
	tg      dbtest.Target
	control *db.DB
	tenants testTenants
	clock   *fakeClock
}

func newEnv(t *testing.T, tg dbtest.Target, clock string) *env {
	t.Helper()
	ctx := context.Background()
	var control *db.DB
	if tg.Dialect == db.Postgres {
		var err error
		control, err = db.Open(ctx, tg.ControlDSN, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { control.Close() })
	} else {
		control = tg.Open(t, "control")
	}
	if err := migrateAll(ctx, control); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, tg: tg, control: control, clock: newClock(clock), tenants: newTestTenants(control, tg.DataDir)}
}

// migrateAll applies the control migrations and River's.
func migrateAll(ctx context.Context, control *db.DB) error {
	migs, err := migrate.Load(migrations.FS, "control", control.Dialect())
	if err != nil {
		return err
	}
	if _, err := migrate.Apply(ctx, control, migs); err != nil {
		return err
	}
	return MigrateRiver(ctx, control)
}

func newTestTenants(control *db.DB, dataDir string) testTenants {
	return testTenants{Manager: tenant.NewManager(control, tenant.Options{DataDir: dataDir})}
}

// account inserts an account row and returns its id.
func (e *env) account(name, tz string) int64 {
	e.t.Helper()
	id, err := db.InsertID(context.Background(), e.control, `INSERT INTO "account" ("token", "name", "country", "domain", "db_name", "timezone", "currency",
		"lookback_days", "session_timeout_minutes", "active", "created", "updated") VALUES (?, ?, 'gb', '', ?, ?, 'GBP', 30, 30, TRUE, ?, ?)`,
		"c-a-"+name+"-gb", name, "cubed_a_"+name+"_gb", tz, time.Now().UTC(), time.Now().UTC())
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// manage adds the account to Conductor as added at the given instant.
func (e *env) manage(id int64, added string, maxParallel int) {
	e.t.Helper()
	at, err := time.Parse(time.RFC3339, added)
	if err != nil {
		e.t.Fatal(err)
	}
	e.exec(`INSERT INTO "command_account" ("account_id", "enabled", "max_parallel", "added") VALUES (?, TRUE, ?, ?)`, id, maxParallel, at.UTC())
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.control.Exec(context.Background(), q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.control.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *env) conductor(reg *command.Registry, mod func(*Options)) *Conductor {
	e.t.Helper()
	opt := Options{
		Control: e.control, Tenants: e.tenants, Commands: reg, Clock: e.clock, Concurrency: 4,
		EngineInterval: time.Hour, HeartbeatInterval: time.Second, CancelCheckInterval: 20 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond, SlotsAheadDays: -1,
	}
	if mod != nil {
		mod(&opt)
	}
	c, err := New(opt)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// startWorkers starts River workers without the engine loop: the test
// drives the engine with Tick.
func (e *env) startWorkers(c *Conductor) {
	e.t.Helper()
	if err := c.startRiver(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
	})
}

func (e *env) tick(c *Conductor) TickStats {
	e.t.Helper()
	st, err := c.Tick(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// slotRow is a slot as the tests read it.
type slotRow struct {
	id         int64
	command    string
	account    string
	date       string
	status     string
	start, end time.Time
}

func (e *env) slots(where string, args ...any) []slotRow {
	e.t.Helper()
	rows, err := e.control.Query(context.Background(), `SELECT s."id", d."name", COALESCE(a."name", ''), s."local_date", s."status", s."period_start", s."period_end"
		FROM "command_slot" s JOIN "command_definition" d ON d."id" = s."definition_id" LEFT JOIN "account" a ON a."id" = s."account_id"
		WHERE `+where+` ORDER BY a."name", s."period_start", d."name"`, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []slotRow
	for rows.Next() {
		var s slotRow
		var d any
		if err := rows.Scan(&s.id, &s.command, &s.account, &d, &s.status, &s.start, &s.end); err != nil {
			e.t.Fatal(err)
		}
		s.date = dateString(d)
		out = append(out, s)
	}
	return out
}

func (e *env) slot(cmd, account, date string) slotRow {
	e.t.Helper()
	ss := e.slots(`d."name" = ? AND a."name" = ? AND s."local_date" = ?`, cmd, account, date)
	if len(ss) != 1 {
		e.t.Fatalf("slot %s/%s/%s: found %d", cmd, account, date, len(ss))
	}
	return ss[0]
}

type runRow struct {
	id, slot                                int64
	attempt, status                         int
	waitingAt, runningAt, failedAt, endedAt sql.NullTime
	err, reason, worker                     string
	riverJob                                sql.NullInt64
}

func (e *env) runs(slot int64) []runRow {
	e.t.Helper()
	rows, err := e.control.Query(context.Background(), `SELECT "id", "slot_id", "attempt", "status", "waiting_at", "running_at", "failed_at",
		"success_at", "timeout_at", "cancelled_at", "error", "waiting_reason", "worker", "river_job_id"
		FROM "command_run" WHERE "slot_id" = ? ORDER BY "id"`, slot)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []runRow
	for rows.Next() {
		var r runRow
		var success, timeout, cancelled sql.NullTime
		if err := rows.Scan(&r.id, &r.slot, &r.attempt, &r.status, &r.waitingAt, &r.runningAt, &r.failedAt, &success, &timeout, &cancelled,
			&r.err, &r.reason, &r.worker, &r.riverJob); err != nil {
			e.t.Fatal(err)
		}
		for _, t := range []sql.NullTime{success, r.failedAt, timeout, cancelled} {
			if t.Valid {
				r.endedAt = t
			}
		}
		out = append(out, r)
	}
	return out
}

// eventually polls cond (for states no channel announces).
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitRuns waits for n runs to finish (OnRunDone) and returns them.
func waitRuns(t *testing.T, ch <-chan RunDone, n int, timeout time.Duration) []RunDone {
	t.Helper()
	var out []RunDone
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case d := <-ch:
			out = append(out, d)
		case <-deadline:
			t.Fatalf("waited for %d finished runs, got %d: %+v", n, len(out), out)
		}
	}
	return out
}

func noop(context.Context, *command.Env) error { return nil }

// chain declares commands a -> b -> c ... by tables.
func chainCmd(name string, reads, writes string, run func(context.Context, *command.Env) error) command.Command {
	c := command.Command{Name: name, App: "test", Run: run}
	if reads != "" {
		c.ReadsFrom = []string{reads}
	}
	if writes != "" {
		c.WritesTo = []string{writes}
	}
	if c.Run == nil {
		c.Run = noop
	}
	return c
}

func statuses(rs []runRow) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(r.status)
	}
	return s
}
