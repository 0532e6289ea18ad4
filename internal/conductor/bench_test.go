package conductor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// benchDAG is a 12-command no-op DAG shaped like the pipeline: two
// imports, a chain of six, four aggregates (depth 7).
func benchDAG() *command.Registry {
	r := command.NewRegistry()
	add := func(name string, reads []string, writes string) {
		r.Add(command.Command{Name: name, App: "bench", ReadsFrom: reads, WritesTo: []string{writes}, Run: noop})
	}
	add("import_costs", nil, "cost")
	add("import_offline", nil, "event")
	add("sessionize", []string{"event"}, "visit")
	add("classify", []string{"visit"}, "visit_channel")
	add("sales", []string{"event"}, "sale")
	add("touchpoints", []string{"sale", "visit_channel"}, "touchpoint")
	add("attribute", []string{"touchpoint"}, "sale_attribution")
	add("agg_channel", []string{"sale_attribution", "cost"}, "agg_channel")
	add("agg_campaign", []string{"sale_attribution", "cost"}, "agg_campaign")
	add("agg_goal", []string{"sale_attribution"}, "agg_goal")
	add("agg_path", []string{"touchpoint"}, "agg_path")
	add("agg_channel_monthly", []string{"agg_channel"}, "agg_channel_monthly")
	return r
}

func benchAccounts() int {
	if n, err := strconv.Atoi(os.Getenv("CUBED_BENCH_ACCOUNTS")); err == nil && n > 0 {
		return n
	}
	return 1000
}

// BenchmarkDayOfThousandAccounts: 1,000 accounts (CUBED_BENCH_ACCOUNTS) ×
// the 12-command no-op DAG, one day, SQLite, one process with 4 workers:
// from slots due to all Success, as `cubed conductor --once` does it.
//
//	go test -run XXX -bench DayOfThousandAccounts -benchtime 1x ./internal/conductor/
func BenchmarkDayOfThousandAccounts(b *testing.B) {
	for b.Loop() {
		benchDay(b, dbtest.Target{Dialect: db.SQLite, DataDir: b.TempDir()})
	}
}

func benchDay(b *testing.B, tg dbtest.Target) {
	b.StopTimer()
	e := benchEnv(b, tg)
	ctx := context.Background()
	t0 := time.Now()
	slots, due := benchSetup(b, e)
	setup := time.Since(t0)
	c, err := New(Options{Control: e.control, Tenants: e.tenants, Commands: benchDAG(), Clock: e.clock,
		Concurrency: benchInt("CUBED_BENCH_CONCURRENCY", 4), MaxQueued: benchInt("CUBED_BENCH_MAXQUEUED", 0), SlotsAheadDays: -1,
		EngineInterval: time.Second, FetchPollInterval: time.Duration(benchInt("CUBED_BENCH_POLL_MS", 50)) * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	start := time.Now()
	res, err := c.RunOnce(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if res.Succeeded != due || res.Failed != 0 {
		b.Fatalf("%+v for %d due slots (%d created)", res, due, slots)
	}
	b.ReportMetric(float64(due), "runs")
	b.ReportMetric(elapsed.Seconds(), "s/day")
	b.ReportMetric(float64(due)/elapsed.Seconds(), "runs/s")
	b.ReportMetric(setup.Seconds(), "s/setup")
	b.StartTimer()
}

// benchEnv is newEnv for benchmarks.
func benchEnv(b *testing.B, tg dbtest.Target) *env {
	b.Helper()
	e := &env{t: b, tg: tg, clock: newClock("2026-03-02T18:00:00Z")}
	ctx := context.Background()
	dsn := tg.ControlDSN
	if tg.Dialect != db.Postgres {
		dsn = filepath.Join(tg.DataDir, "control.db")
	}
	control, err := db.Open(ctx, dsn, db.Options{CreateIfMissing: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { control.Close() })
	e.control = control
	if err := migrateAll(ctx, control); err != nil {
		b.Fatal(err)
	}
	e.tenants = newTestTenants(control, tg.DataDir)
	return e
}

func benchInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// BenchmarkDayOfThousandAccountsPostgresTwoNodes: the same day on
// PostgreSQL with two Conductors (two River clients with 4 workers each, as
// two processes would run them; one is elected leader). Needs
// CUBED_TEST_POSTGRES_URL.
func BenchmarkDayOfThousandAccountsPostgresTwoNodes(b *testing.B) {
	admin := os.Getenv(dbtest.EnvPostgres)
	if admin == "" {
		b.Skip(dbtest.EnvPostgres + " is not set")
	}
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		name := fmt.Sprintf("bench%d_%d_control", time.Now().UnixNano()%1e9, i)
		dsn := createBenchDB(b, admin, name)
		tg := dbtest.Target{Dialect: db.Postgres, ControlDSN: dsn, DataDir: b.TempDir()}
		e := benchEnv(b, tg)
		slots, due := benchSetup(b, e)
		mk := func(id string) *Conductor {
			d, err := db.Open(context.Background(), dsn, db.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { d.Close() })
			c, err := New(Options{Control: d, Tenants: e.tenants, Commands: benchDAG(), Clock: e.clock, Concurrency: 4, SlotsAheadDays: -1, ID: id, MaxQueued: benchInt("CUBED_BENCH_MAXQUEUED", 32), // 4 × the 8 workers of both processes
				EngineInterval: time.Second, FetchPollInterval: time.Duration(benchInt("CUBED_BENCH_POLL_MS", 50)) * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			return c
		}
		c1, c2 := mk("bench-one"), mk("bench-two")
		b.StartTimer()
		start := time.Now()
		for _, c := range []*Conductor{c1, c2} {
			if err := c.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		for {
			var n int
			if err := e.control.QueryRow(context.Background(), `SELECT count(*) FROM "command_slot" WHERE "status" = 'success'`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			if n >= due {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		for _, c := range []*Conductor{c1, c2} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_ = c.Stop(ctx)
			cancel()
		}
		b.ReportMetric(float64(due), "runs")
		b.ReportMetric(elapsed.Seconds(), "s/day")
		b.ReportMetric(float64(due)/elapsed.Seconds(), "runs/s")
		_ = slots
		dropBenchDB(admin, name)
		b.StartTimer()
	}
}

// benchSetup creates the accounts and the day's slots; it returns the
// slots created and those due.
func benchSetup(b *testing.B, e *env) (int, int) {
	ctx := context.Background()
	n := benchAccounts()
	err := e.control.InTx(ctx, func(tx *db.Tx) error {
		for i := 0; i < n; i++ {
			id, err := db.InsertID(ctx, tx, `INSERT INTO "account" ("token", "name", "country", "domain", "db_name", "timezone", "currency",
				"lookback_days", "session_timeout_minutes", "active", "created", "updated") VALUES (?, ?, 'gb', '', ?, ?, 'GBP', 30, 30, TRUE, ?, ?)`,
				fmt.Sprintf("c-a-b%04d-gb", i), fmt.Sprintf("b%04d", i), fmt.Sprintf("cubed_a_b%04d_gb", i), []string{"UTC", "Europe/London", "America/New_York", "Asia/Tokyo"}[i%4],
				time.Now().UTC(), time.Now().UTC())
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO "command_account" ("account_id", "enabled", "max_parallel", "added") VALUES (?, TRUE, 2, ?)`,
				id, time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(Options{Control: e.control, Tenants: e.tenants, Commands: benchDAG(), Clock: e.clock, Concurrency: -1, SlotsAheadDays: -1})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	c.emu.Lock()
	slots, err := c.ensureSlots(ctx)
	c.emu.Unlock()
	if err != nil {
		b.Fatal(err)
	}
	var due int
	if err := e.control.QueryRow(ctx, `SELECT count(*) FROM "command_slot" WHERE "period_end" <= ?`, e.clock.Now().UTC()).Scan(&due); err != nil {
		b.Fatal(err)
	}
	return slots, due
}

func createBenchDB(b *testing.B, admin, name string) string {
	ctx := context.Background()
	a, err := db.Open(ctx, admin, db.Options{MaxReadConns: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Exec(ctx, "CREATE DATABASE "+db.QuoteIdent(name)); err != nil {
		b.Fatal(err)
	}
	dsn, err := db.WithDatabase(admin, name)
	if err != nil {
		b.Fatal(err)
	}
	return dsn
}

func dropBenchDB(admin, name string) {
	ctx := context.Background()
	a, err := db.Open(ctx, admin, db.Options{MaxReadConns: 1})
	if err != nil {
		return
	}
	defer a.Close()
	_, _ = a.Exec(ctx, "DROP DATABASE IF EXISTS "+db.QuoteIdent(name)+" WITH (FORCE)")
}

// BenchmarkDispatchOverhead: a sequential daily no-op command over 300
// days of one account, so each run becomes Waiting when the one before
// succeeded; it reports the p50 and p90 of Waiting → Running (dispatch,
// River's fetch, the guarded claim) on SQLite, one process.
func BenchmarkDispatchOverhead(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		tg := dbtest.Target{Dialect: db.SQLite, DataDir: b.TempDir()}
		e := benchEnv(b, tg)
		ctx := context.Background()
		id, err := db.InsertID(ctx, e.control, `INSERT INTO "account" ("token", "name", "country", "domain", "db_name", "timezone", "currency",
			"lookback_days", "session_timeout_minutes", "active", "created", "updated") VALUES ('c-a-one-gb', 'one', 'gb', '', 'cubed_a_one_gb', 'UTC', 'GBP', 30, 30, TRUE, ?, ?)`,
			time.Now().UTC(), time.Now().UTC())
		if err != nil {
			b.Fatal(err)
		}
		e.control.Exec(ctx, `INSERT INTO "command_account" ("account_id", "enabled", "max_parallel", "added") VALUES (?, TRUE, 2, ?)`, id, time.Now().UTC().AddDate(0, 0, -300)) //nolint:errcheck
		r := command.NewRegistry()
		r.Add(command.Command{Name: "step", App: "bench", Run: noop})
		c, err := New(Options{Control: e.control, Tenants: e.tenants, Commands: r, Concurrency: 4, SlotsAheadDays: -1, EngineInterval: time.Second,
			FetchPollInterval: time.Duration(benchInt("CUBED_BENCH_POLL_MS", 0)) * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := c.RunOnce(ctx, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rows, err := e.control.Query(ctx, `SELECT "waiting_at", "running_at" FROM "command_run" WHERE "status" = 4 ORDER BY "id"`)
		if err != nil {
			b.Fatal(err)
		}
		var ds []time.Duration
		for rows.Next() {
			var w, r time.Time
			if err := rows.Scan(&w, &r); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, r.Sub(w))
		}
		rows.Close()
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		if len(ds) < 100 {
			b.Fatalf("%d runs", len(ds))
		}
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms-p50")
		b.ReportMetric(float64(ds[len(ds)*9/10].Microseconds())/1000, "ms-p90")
		b.ReportMetric(float64(len(ds)), "runs")
		b.StartTimer()
	}
}
