package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/config"
)

// The pipeline benchmark's reference account (internal/apps/agg
// BenchmarkPipeline) and the makespan benchmark's days.
const (
	referenceVisitors = 175000
	referenceDays     = 90
	makespanDays      = 14
)

func benchEnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkPipelineMakespan: the real pipeline over 20 generated accounts
// (CUBED_BENCH_ACCOUNTS; 14 days, CUBED_BENCH_VISITORS visitors each, four
// time zones) by `cubed conductor --once --concurrency W`
// (CUBED_BENCH_WORKERS, default 4) on SQLite, after a backfill trigger.
// It reports the makespan against spec/conductor.md §14's lower bound:
// max(the longest critical path of any account, total work ÷ workers),
// both from the runs' own durations (running_at, when the command started,
// → success_at) along the slots' recorded dependencies (same-day parents
// and previous days). It also reports the process's CPU time over the
// makespan. CUBED_BENCH_KEEP names an empty directory to keep the data in
// (its control.db holds every run's and River job's timestamps).
//
//	go test -run XXX -bench PipelineMakespan -benchtime 1x ./internal/cli/
func BenchmarkPipelineMakespan(b *testing.B) {
	accounts := benchEnvInt("CUBED_BENCH_ACCOUNTS", 20)
	// By default each account is as busy a day as the pipeline benchmark's
	// reference account (BenchmarkPipeline in internal/apps/agg: 175,000
	// visitors, about 1,000,000 hits, over 90 days), over 14 days: 27,222
	// visitors. docs/decisions.md, "The makespan benchmark's accounts".
	visitors := benchEnvInt("CUBED_BENCH_VISITORS", referenceVisitors*makespanDays/referenceDays)
	workers := benchEnvInt("CUBED_BENCH_WORKERS", 4)
	zones := []string{"Europe/London", "America/New_York", "Asia/Tokyo", "UTC"}
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		if keep := os.Getenv("CUBED_BENCH_KEEP"); keep != "" {
			dir = keep
		}
		cubed := func(args ...string) {
			var out, errb bytes.Buffer
			env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Terminal: func(io.Writer) bool { return false }}
			if code := Run(context.Background(), env, append([]string{"--data", dir}, args...)); code != 0 {
				b.Fatalf("cubed %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out.String(), errb.String())
			}
		}
		cubed("migrate")
		trigger := []string{"conductor", "trigger", "pipeline", "--from", "2026-03-01", "--to", "2026-03-14"}
		for i := 0; i < accounts; i++ {
			name := fmt.Sprintf("m%02d", i)
			cubed("account", "create", "--name", name, "--country", "gb", "--timezone", zones[i%len(zones)], "--domain", "shop.example.com")
			cubed("generate", "--account", "c-a-"+name+"-gb", "--days", strconv.Itoa(makespanDays), "--visitors", strconv.Itoa(visitors), "--seed", strconv.Itoa(100+i), "--end-date", "2026-03-14")
			trigger = append(trigger, "--account", "c-a-"+name+"-gb")
		}
		cubed(trigger...)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		cubed("conductor", "--once", "--concurrency", strconv.Itoa(workers))
		makespan, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()

		cfg := config.Defaults()
		cfg.DataDir = dir
		a, err := app.Open(context.Background(), cfg, discardLogger(), app.Registry())
		if err != nil {
			b.Fatal(err)
		}
		lb, err := makespanLowerBound(context.Background(), a, workers)
		a.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(makespan.Seconds(), "s-makespan")
		b.ReportMetric(lb.bound.Seconds(), "s-lower-bound")
		b.ReportMetric(makespan.Seconds()/lb.bound.Seconds(), "ratio")
		b.ReportMetric(lb.critical.Seconds(), "s-critical-path")
		b.ReportMetric(lb.work.Seconds(), "s-total-work")
		b.ReportMetric(float64(lb.runs), "runs")
		b.ReportMetric(cpu.Seconds(), "s-cpu")
		b.StartTimer()
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type lowerBound struct {
	work, critical, bound time.Duration
	runs                  int
}

// makespanLowerBound computes §14's lower bound from the successful runs
// and the slot dependency graph.
func makespanLowerBound(ctx context.Context, a *app.App, workers int) (lowerBound, error) {
	var lb lowerBound
	rows, err := a.Control.Query(ctx, `SELECT r."slot_id", r."running_at", r."success_at" FROM "command_run" r WHERE r."status" = 4`)
	if err != nil {
		return lb, err
	}
	dur := map[int64]time.Duration{}
	for rows.Next() {
		var slot int64
		var s, e time.Time
		if err := rows.Scan(&slot, &s, &e); err != nil {
			rows.Close()
			return lb, err
		}
		dur[slot] = e.Sub(s)
		lb.work += e.Sub(s)
		lb.runs++
	}
	rows.Close()
	parents := map[int64][]int64{}
	rows, err = a.Control.Query(ctx, `SELECT "slot_id", "depends_on_slot_id" FROM "command_slot_dependency"`)
	if err != nil {
		return lb, err
	}
	for rows.Next() {
		var c, p int64
		if err := rows.Scan(&c, &p); err != nil {
			rows.Close()
			return lb, err
		}
		parents[c] = append(parents[c], p)
	}
	rows.Close()
	// finish[s] = dur[s] + max over parents (only slots that ran count).
	finish := map[int64]time.Duration{}
	var visit func(s int64, depth int) time.Duration
	visit = func(s int64, depth int) time.Duration {
		if f, ok := finish[s]; ok || depth > 100000 {
			return f
		}
		var longest time.Duration
		for _, p := range parents[s] {
			if _, ran := dur[p]; ran {
				longest = max(longest, visit(p, depth+1))
			}
		}
		finish[s] = longest + dur[s]
		return finish[s]
	}
	for s := range dur {
		lb.critical = max(lb.critical, visit(s, 0))
	}
	lb.bound = max(lb.critical, lb.work/time.Duration(workers))
	return lb, nil
}
