package cli

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/conductor"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// startServe runs `cubed serve` in-process on a free port with extra
// flags and returns its address and a stop function returning the exit
// code.
func startServe(t *testing.T, h *harness, extra ...string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	full := append([]string{"--data", filepath.Join(h.tg.DataDir, "data"), "serve", "--addr", "127.0.0.1:0", "--log-level", "error"}, extra...)
	if h.tg.ControlDSN != "" {
		full = append([]string{"--control-dsn", h.tg.ControlDSN}, full...)
	}
	addrc := make(chan string, 1)
	done := make(chan int, 1)
	errb := &syncBuffer{}
	go func() {
		done <- Run(ctx, Env{Stdout: io.Discard, Stderr: errb, Registry: h.registry, Terminal: func(io.Writer) bool { return false },
			Ready: func(addr string) { addrc <- addr }}, full)
	}()
	select {
	case addr := <-addrc:
		return addr, func() int { cancel(); return <-done }
	case code := <-done:
		cancel()
		t.Fatalf("serve exited %d before listening: %s", code, errb.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve did not listen within 60 s")
	}
	return "", nil
}

// runsByStatus counts command runs in the control database.
func runsByStatus(t *testing.T, h *harness) map[string]int {
	t.Helper()
	a := openApp(t, h)
	defer a.Close()
	return runCounts(t, a.Control)
}

// runCounts counts a control database's command runs by status.
func runCounts(t *testing.T, control *db.DB) map[string]int {
	t.Helper()
	rows, err := control.Query(context.Background(), `SELECT "status", COUNT(*) FROM "command_run" GROUP BY "status"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st, n int
		if err := rows.Scan(&st, &n); err != nil {
			t.Fatal(err)
		}
		out[conductor.StatusName(st)] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// serve runs Conductor in-process: a backfill triggered from another
// command is run to completion by the serving process.
func TestServeRunsConductorInProcess(t *testing.T) {
	day := time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		{
			h := newHarness(t, tg)
			h.must("migrate")
			h.must("account", "create", "--name", "shop", "--country", "gb")
			_, stop := startServe(t, h)
			r := h.must("conductor", "trigger", "pipeline", "--account", "c-a-shop-gb", "--from", day, "--to", day)
			if !strings.Contains(r.stdout, "slot") {
				t.Fatalf("trigger printed %q", r.stdout)
			}
			want := len(strings.Fields(h.must("run", "pipeline", "--plan").stdout)) // non-empty plan
			if want == 0 {
				t.Fatal("empty pipeline plan")
			}
			deadline := time.Now().Add(90 * time.Second)
			var runs map[string]int
			for time.Now().Before(deadline) {
				runs = runsByStatus(t, h)
				if runs["success"] > 0 && runs["waiting"] == 0 && runs["running"] == 0 {
					break
				}
				time.Sleep(300 * time.Millisecond)
			}
			if code := stop(); code != 0 {
				t.Fatalf("serve exit %d", code)
			}
			if runs["success"] == 0 || runs["waiting"]+runs["running"]+runs["failed"]+runs["timeout"] != 0 {
				t.Fatalf("runs after the in-process Conductor worked: %v", runs)
			}
		}
	})
}

// With --no-conductor the same trigger is left alone.
func TestServeNoConductor(t *testing.T) {
	day := time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		{
			h := newHarness(t, tg)
			h.must("migrate")
			h.must("account", "create", "--name", "shop", "--country", "gb")
			_, stop := startServe(t, h, "--no-conductor")
			h.must("conductor", "trigger", "pipeline", "--account", "c-a-shop-gb", "--from", day, "--to", day)
			time.Sleep(3 * time.Second) // an in-process Conductor would have started runs by now
			runs := runsByStatus(t, h)
			if code := stop(); code != 0 {
				t.Fatalf("serve exit %d", code)
			}
			if runs["running"]+runs["success"]+runs["failed"] != 0 {
				t.Fatalf("serve --no-conductor ran commands: %v", runs)
			}
		}
	})
}
