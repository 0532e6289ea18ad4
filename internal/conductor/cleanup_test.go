package conductor

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// tableSum hashes a control table's rows in id order.
func (e *env) tableSum(table, order string) string {
	e.t.Helper()
	_, rows := dbtest.Rows(e.t, e.control, `SELECT * FROM "`+table+`" ORDER BY `+order)
	h := sha256.New()
	for _, vals := range rows {
		fmt.Fprintf(h, "%v\n", vals)
	}
	return fmt.Sprintf("%d:%x", len(rows), h.Sum(nil))
}

func TestCleanupPrunesOldRunsIdempotently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		e := oneDay(t, tg)
		r := command.NewRegistry()
		r.Add(command.Command{Name: "noop", App: "t", Frequency: command.Manual, Sequential: new(false), Run: noop})
		r.Add(CleanupCommand())
		c := e.conductor(r, nil)
		// 11 days of runs, 2025-11-25 .. 2025-12-05, as if each ran at the
		// end of its day, each with two log lines.
		from, _ := time.Parse(time.DateOnly, "2025-11-25")
		to, _ := time.Parse(time.DateOnly, "2025-12-05")
		if _, err := c.Trigger(ctx, TriggerParams{Command: "noop", Accounts: []string{"c-a-a-gb"}, From: from, To: to}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RunOnce(ctx, nil); err != nil {
			t.Fatal(err)
		}
		e.exec(`UPDATE "command_run" SET "success_at" = (SELECT s."period_end" FROM "command_slot" s WHERE s."id" = "command_run"."slot_id"),
			"waiting_at" = (SELECT s."period_start" FROM "command_slot" s WHERE s."id" = "command_run"."slot_id")`)
		e.exec(`DELETE FROM "command_run_log"`)
		e.exec(`INSERT INTO "command_run_log" ("run_id", "seq", "at", "level", "message") SELECT "id", 1, "success_at", 'INFO', 'one' FROM "command_run"`)
		e.exec(`INSERT INTO "command_run_log" ("run_id", "seq", "at", "level", "message") SELECT "id", 2, "success_at", 'INFO', 'two' FROM "command_run"`)
		// One old slot is being retried: its finished run stays.
		busy := e.slot("noop", "a", "2025-11-26")
		e.exec(`UPDATE "command_slot" SET "status" = 'waiting' WHERE "id" = ?`, busy.id)
		if n := e.count(`SELECT count(*) FROM "command_run"`); n != 11 {
			t.Fatalf("runs before cleanup: %d", n)
		}
		slotsBefore := e.tableSum("command_slot", `"id"`)

		// The command for the slot of 2026-03-01 (ends 2026-03-02 00:00 UTC):
		// cutoff 2025-12-02 00:00, so runs of 2025-11-25..2025-11-30 go
		// (ending up to 2025-12-01 00:00), except the busy slot's.
		end, _ := time.Parse(time.RFC3339, "2026-03-02T00:00:00Z")
		cmd := CleanupCommand()
		env := command.NewEnv(command.Env{Control: e.control, Start: end.Add(-24 * time.Hour), End: end, Date: "2026-03-01"}, nil, nil)
		if err := cmd.Run(ctx, env); err != nil {
			t.Fatal(err)
		}
		var left []string
		rows, err := e.control.Query(ctx, `SELECT s."local_date" FROM "command_run" r JOIN "command_slot" s ON s."id" = r."slot_id" ORDER BY s."local_date"`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var d any
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			left = append(left, dateString(d))
		}
		rows.Close()
		want := []string{"2025-11-26", "2025-12-01", "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05"}
		if fmt.Sprint(left) != fmt.Sprint(want) {
			t.Fatalf("runs left: %v, want %v", left, want)
		}
		if n := e.count(`SELECT count(*) FROM "command_run_log"`); n != 2*len(want) {
			t.Errorf("log lines left: %d, want %d", n, 2*len(want))
		}
		if n := e.count(`SELECT count(*) FROM "command_run_log" WHERE "run_id" NOT IN (SELECT "id" FROM "command_run")`); n != 0 {
			t.Errorf("%d orphan log lines", n)
		}
		if got := e.tableSum("command_slot", `"id"`); got != slotsBefore {
			t.Errorf("slots changed: %s, was %s", got, slotsBefore)
		}
		// Twice: the same result.
		runs, logs := e.tableSum("command_run", `"id"`), e.tableSum("command_run_log", `"run_id", "seq"`)
		if err := cmd.Run(ctx, env); err != nil {
			t.Fatal(err)
		}
		if e.tableSum("command_run", `"id"`) != runs || e.tableSum("command_run_log", `"run_id", "seq"`) != logs || e.tableSum("command_slot", `"id"`) != slotsBefore {
			t.Error("a second cleanup changed something")
		}
	})
}
