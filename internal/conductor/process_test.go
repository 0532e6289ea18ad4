package conductor

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// proc is a `cubed` process of the test.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// SIGKILL of a worker process on PostgreSQL: two `cubed conductor`
// processes (the test-only commands enabled), two slow slots, one per
// process; the process that is not the leader is killed while running its
// slot. Its run times out (no heartbeat), is retried on the survivor, and
// every slot succeeds exactly once, never two runs of a slot at once.
func TestSIGKILLedWorkerRunIsRetriedElsewhere(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		if tg.Dialect != db.Postgres {
			t.Skip("several processes share a database on PostgreSQL only")
		}
		bin := filepath.Join(t.TempDir(), "cubed")
		build := exec.Command("go", "build", "-o", bin, "../../cmd/cubed")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
		base := []string{"--control-dsn", tg.ControlDSN, "--data", filepath.Join(tg.DataDir, "data")}
		envv := append(os.Environ(), TestCommandsEnv+"=1", TestSleepEnv+"=2500", "CUBED_PG_DATABASE_PREFIX="+tg.PGPrefix, "CUBED_LOG_LEVEL=info")
		cubed := func(args ...string) string {
			t.Helper()
			cmd := exec.Command(bin, append(append([]string{}, base...), args...)...)
			cmd.Env = envv
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("cubed %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return string(out)
		}
		cubed("migrate")
		cubed("account", "create", "--name", "alpha", "--country", "gb")
		cubed("account", "create", "--name", "beta", "--country", "gb")

		start := func() *proc {
			ctx, cancel := context.WithCancel(context.Background())
			cmd := exec.CommandContext(ctx, bin, append(append([]string{}, base...), "conductor", "--concurrency", "1",
				"--engine-interval", "200ms", "--heartbeat", "300ms", "--poll-interval", "50ms")...)
			cmd.Env = envv
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			p := &proc{cmd: cmd}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					p.mu.Lock()
					p.lines = append(p.lines, sc.Text())
					p.mu.Unlock()
				}
			}()
			t.Cleanup(func() {
				_ = cmd.Process.Signal(os.Interrupt)
				done := make(chan struct{})
				go func() { _ = cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					cancel()
				}
				if t.Failed() {
					t.Logf("process %d output:\n%s", cmd.Process.Pid, p.output())
				}
			})
			return p
		}
		ctx := context.Background()
		control, err := db.Open(ctx, tg.ControlDSN, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer control.Close()
		count := func(q string, args ...any) int {
			var n int
			if err := control.QueryRow(ctx, q, args...).Scan(&n); err != nil {
				return -1
			}
			return n
		}
		// The first process becomes the leader before the second starts.
		leaderProc := start()
		var leader string
		eventually(t, 15*time.Second, "a leader", func() bool {
			return control.QueryRow(ctx, `SELECT "leader_id" FROM "river_leader"`).Scan(&leader) == nil && leader != ""
		})
		if !strings.Contains(leader, fmt.Sprintf("-%d-", leaderProc.cmd.Process.Pid)) {
			t.Fatalf("leader %s is not the first process", leader)
		}
		other := start()
		eventually(t, 15*time.Second, "the second process", func() bool { return strings.Contains(other.output(), "conductor started") })

		out := cubed("conductor", "trigger", "test_sleep", "--account", "c-a-alpha-gb", "--account", "c-a-beta-gb", "--from", "2026-03-01")
		if !strings.Contains(out, "2 slots pending") {
			t.Fatalf("trigger: %s", out)
		}
		// Both slow runs are running, one in each process.
		victim := fmt.Sprintf("-%d-", other.cmd.Process.Pid)
		eventually(t, 15*time.Second, "a run in each process", func() bool {
			return count(`SELECT count(DISTINCT "worker") FROM "command_run" WHERE "status" = 1`) == 2
		})
		var victimRun, victimSlot int64
		if err := control.QueryRow(ctx, `SELECT "id", "slot_id" FROM "command_run" WHERE "status" = 1 AND "worker" LIKE ?`, "%"+victim+"%").Scan(&victimRun, &victimSlot); err != nil {
			t.Fatalf("the second process's run: %v", err)
		}
		if err := other.cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "both slots to succeed", func() bool {
			return count(`SELECT count(*) FROM "command_slot" WHERE "status" = 'success'`) == 2
		})
		type run struct {
			status                int
			worker                string
			runningAt, finishedAt time.Time
		}
		rows, err := control.Query(ctx, `SELECT "status", "worker", "running_at", COALESCE("success_at", "timeout_at", "failed_at") FROM "command_run" WHERE "slot_id" = ? ORDER BY "id"`, victimSlot)
		if err != nil {
			t.Fatal(err)
		}
		var runs []run
		for rows.Next() {
			var r run
			if err := rows.Scan(&r.status, &r.worker, &r.runningAt, &r.finishedAt); err != nil {
				t.Fatal(err)
			}
			runs = append(runs, r)
		}
		rows.Close()
		if len(runs) != 2 || runs[0].status != Timeout || runs[1].status != Success {
			t.Fatalf("killed slot's runs: %+v, want Timeout then Success", runs)
		}
		if !strings.Contains(runs[1].worker, fmt.Sprintf("-%d-", leaderProc.cmd.Process.Pid)) {
			t.Fatalf("retry ran on %s, want the surviving process", runs[1].worker)
		}
		if runs[1].runningAt.Before(runs[0].finishedAt) {
			t.Fatalf("the retry started (%v) before the killed run timed out (%v)", runs[1].runningAt, runs[0].finishedAt)
		}
		if n := count(`SELECT count(*) FROM "command_run" WHERE "status" = 4`); n != 2 {
			t.Fatalf("%d successful runs, want one per slot", n)
		}
	})
}
