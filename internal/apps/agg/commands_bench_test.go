package agg_test

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/generate"
)

// BenchmarkPipeline times the whole pipeline (every attrib and agg
// command, day by day) for one SQLite account holding generated data:
// CUBED_BENCH_VISITORS visitors (default 175,000, about 1,000,000 hits)
// over CUBED_BENCH_DAYS days (default 90) ending 2025-03-31. Generation is
// not timed. Each iteration runs the pipeline over every day; the first
// does all the work, later ones find the visits already classified. Run
// it with -benchtime 1x (scripts/bench/pipeline.sh). CUBED_BENCH_DATA
// names a data directory made by `cubed generate --account c-a-bench-gb`
// (same days, end date 2025-03-31) to copy instead of generating;
// CUBED_BENCH_PRAGMAS (e.g. "cache_size=-131072") are run on the client
// database's writer connection first, for experiments.
func BenchmarkPipeline(b *testing.B) {
	visitors := envInt("CUBED_BENCH_VISITORS", 175000)
	days := envInt("CUBED_BENCH_DAYS", 90)
	end := time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)
	dir := b.TempDir()
	var w *world
	var s *shop
	var sum generate.Summary
	if from := os.Getenv("CUBED_BENCH_DATA"); from != "" {
		// A data directory made by `cubed generate --account c-a-bench-gb`
		// with the same days and end date, copied so runs start alike.
		if err := os.CopyFS(dir, os.DirFS(from)); err != nil {
			b.Fatal(err)
		}
		w = newWorld(b, dbtest.Target{Dialect: db.SQLite, DataDir: dir})
		acct, err := w.app.Tenants.Get(b.Context(), "c-a-bench-gb")
		if err != nil {
			b.Fatal(err)
		}
		d, release, err := w.app.Tenants.Acquire(b.Context(), acct)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(release)
		s = &shop{acct: acct, d: d}
		sum.From, sum.To = end.AddDate(0, 0, 1-days).Format(time.DateOnly), end.Format(time.DateOnly)
		b.Logf("data from %s, %s..%s", from, sum.From, sum.To)
	} else {
		w = newWorld(b, dbtest.Target{Dialect: db.SQLite, DataDir: dir})
		s = w.account(b, "bench")
		t0 := time.Now()
		sum = w.generate(b, s, 1, days, visitors, end)
		b.Logf("generated %d hits (%d visitors, %d visits, %d purchases) over %s..%s in %v",
			sum.Hits(), sum.Visitors, sum.Visits, sum.Sales, sum.From, sum.To, time.Since(t0).Round(time.Millisecond))
	}
	for _, p := range strings.Fields(os.Getenv("CUBED_BENCH_PRAGMAS")) {
		if _, err := s.d.Exec(b.Context(), "PRAGMA "+p); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cpu0 := cpuTime()
		st := w.pipeline(b, s, sum.From, sum.To)
		b.Logf("run %d: %d days, %d command runs in %v (process CPU %v)", i+1, st.Days, st.Runs, st.Elapsed.Round(time.Millisecond),
			(cpuTime() - cpu0).Round(time.Millisecond))
		for _, n := range st.Order {
			b.Logf("  %-30s %8.3fs", n, st.ByCommand[n].Seconds())
		}
		if i == 0 {
			for _, n := range st.Order {
				b.ReportMetric(st.ByCommand[n].Seconds(), fmt.Sprintf("s/%s", n))
			}
		}
	}
	b.StopTimer()
	var sales, touches, credits int64
	_ = s.d.QueryRow(b.Context(), `SELECT (SELECT COUNT(*) FROM "sale"), (SELECT COUNT(*) FROM "touchpoint"), (SELECT COUNT(*) FROM "sale_attribution")`).
		Scan(&sales, &touches, &credits)
	b.Logf("sales %d, touchpoints %d, attribution rows %d", sales, touches, credits)
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
