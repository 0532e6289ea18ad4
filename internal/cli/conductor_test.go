package cli

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/registry"
)

// writeDay is an idempotent table-writing command: it replaces its day's
// row of table in the client database.
func writeDay(table string) func(ctx context.Context, env *command.Env) error {
	return func(ctx context.Context, env *command.Env) error {
		return env.DB.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` ("date" TEXT NOT NULL, "runs" INTEGER NOT NULL)`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE "date" = ?`, env.Date); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO `+table+` ("date", "runs") VALUES (?, 1)`, env.Date)
			return err
		})
	}
}

func withTestCommands() *registry.Registry {
	r := app.Registry()
	r.Commands.Add(
		command.Command{Name: "t_import", App: "t", WritesTo: []string{"t_raw"}, Run: writeDay("t_raw")},
		command.Command{Name: "t_build", App: "t", ReadsFrom: []string{"t_raw"}, WritesTo: []string{"t_agg"}, Run: writeDay("t_agg")},
		command.Command{Name: "t_fail", App: "t", Retry: command.RetryPolicy{MaxAttempts: 1}, Run: func(context.Context, *command.Env) error {
			return errors.New("t_fail always fails")
		}},
	)
	return r
}

func TestConductorAndRunCommands(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		h := newHarness(t, tg)
		h.registry = withTestCommands
		h.must("migrate")
		h.must("account", "create", "--name", "shop", "--country", "gb")

		r := h.must("run", "pipeline", "--plan")
		if !regexp.MustCompile(`t_import\s+→ t_build`).MatchString(r.stdout) || !strings.Contains(r.stdout, "order: ") {
			t.Fatalf("plan:\n%s", r.stdout)
		}
		// Inline, with the upstream command first.
		r = h.must("run", "t_build", "--account", "c-a-shop-gb", "--from", "2026-03-01", "--to", "2026-03-02", "--with-deps")
		if !strings.Contains(r.stdout, "done") {
			t.Fatalf("run: %s", r.stdout)
		}
		a := openApp(t, h)
		acct, err := a.Tenants.Get(context.Background(), "c-a-shop-gb")
		if err != nil {
			t.Fatal(err)
		}
		client, release, err := a.Tenants.Acquire(context.Background(), acct)
		if err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			var n int
			if err := a.Control.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		var rows int
		if err := client.QueryRow(context.Background(), `SELECT count(*) FROM t_agg`).Scan(&rows); err != nil || rows != 2 {
			t.Fatalf("t_agg rows %d (%v)", rows, err)
		}
		release()
		if n := count(`SELECT count(*) FROM "command_slot" WHERE "source" = 'manual' AND "status" = 'success'`); n != 4 {
			t.Fatalf("manual slots: %d", n)
		}
		// A failure exits 1 with its error.
		r = h.run("run", "t_fail", "--account", "c-a-shop-gb", "--date", "2026-03-01")
		if r.code != ExitFailure || !strings.Contains(r.stderr, "t_fail always fails") {
			t.Fatalf("failing run: exit %d, stderr %s", r.code, r.stderr)
		}
		// Bad input names the field.
		for _, c := range []struct {
			args []string
			name string
		}{
			{[]string{"run", "nope", "--account", "c-a-shop-gb", "--date", "2026-03-01"}, "nope"},
			{[]string{"run", "t_build", "--account", "c-a-shop-gb", "--date", "March"}, "March"},
			{[]string{"run", "t_build", "--date", "2026-03-01"}, "--account"},
			{[]string{"conductor", "trigger", "t_build", "--from", "2026-03-01"}, "--account"},
			{[]string{"conductor", "retry", "x"}, "x"},
			{[]string{"conductor", "cancel", "999999"}, "999999"},
			{[]string{"conductor", "--once", "--concurrency", "0"}, "--concurrency"},
			{[]string{"conductor", "--once", "--max-queued", "-1"}, "--max-queued"},
		} {
			r := h.run(c.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, c.name) {
				t.Errorf("cubed %s: exit %d, stderr %q", strings.Join(c.args, " "), r.code, r.stderr)
			}
		}

		// Trigger two days with downstream, then work them with --once.
		r = h.must("conductor", "trigger", "t_import", "--account", "c-a-shop-gb", "--from", "2026-03-01", "--to", "2026-03-02", "--with-downstream")
		if !strings.Contains(r.stdout, "4 slots pending") {
			t.Fatalf("trigger: %s", r.stdout)
		}
		r = h.must("conductor", "--once", "--concurrency", "2")
		if !strings.Contains(r.stdout, "4 slots succeeded, 0 failed") {
			t.Fatalf("--once: %s", r.stdout)
		}
		if n := count(`SELECT count(*) FROM "command_run" WHERE "status" = 4`); n != 8 {
			t.Fatalf("successful runs: %d, want 4 inline + 4 by --once", n)
		}
		r = h.must("conductor", "status", "--account", "c-a-shop-gb", "--date", "2026-03-01")
		if !regexp.MustCompile(`c-a-shop-gb\s+0\s+0\s+0\s+2\s+1\s+0`).MatchString(r.stdout) || !strings.Contains(r.stdout, "t_fail always fails") {
			t.Fatalf("status:\n%s", r.stdout)
		}

		// A failing slot makes --once exit 1; retry and cancel act on runs.
		h.must("conductor", "trigger", "t_fail", "--account", "c-a-shop-gb", "--from", "2026-03-01")
		r = h.run("conductor", "--once")
		if r.code != ExitFailure || !strings.Contains(r.stderr, "1 slots failed") {
			t.Fatalf("--once with a failure: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		var failed int64
		if err := a.Control.QueryRow(context.Background(), `SELECT MAX("id") FROM "command_run" WHERE "status" = 3`).Scan(&failed); err != nil {
			t.Fatal(err)
		}
		r = h.must("conductor", "retry", strconv.FormatInt(failed, 10))
		m := regexp.MustCompile(`new run (\d+) waiting`).FindStringSubmatch(r.stdout)
		if m == nil {
			t.Fatalf("retry: %s", r.stdout)
		}
		h.must("conductor", "cancel", m[1])
		if n := count(`SELECT count(*) FROM "command_run" WHERE "id" = ? AND "status" = 5`, m[1]); n != 1 {
			t.Fatal("retried run not cancelled")
		}
		a.Close()
	})
}
