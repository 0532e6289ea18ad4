package conductor

import (
	"context"
	"fmt"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// CleanupName is the housekeeping command pruning old runs (spec §11).
const CleanupName = "conductor_cleanup"

// CleanupKeep is how long finished runs and their logs are kept.
const CleanupKeep = 90 * 24 * time.Hour

// cleanupBatch bounds each delete transaction.
const cleanupBatch = 2000

// CleanupCommand is conductor_cleanup: once a day (matrix none) it deletes
// the runs that ended more than 90 days before the end of its period, with
// their log lines, when their slot is finished. Slots are kept: they are
// the record that a period was done (deleting them would make ensure_slots
// create them again and run the period again), and they are small.
// Deterministic for a period, so running it twice changes nothing more.
func CleanupCommand() command.Command {
	return command.Command{
		Name: CleanupName, App: "conductor", Matrix: command.None, Frequency: command.Daily, Sequential: new(false),
		WritesTo: []string{"control.command_run", "control.command_run_log"},
		Timeout:  time.Hour,
		Run: func(ctx context.Context, env *command.Env) error {
			n, err := Cleanup(ctx, env.Control, env.End.Add(-CleanupKeep), env.Heartbeat)
			if err != nil {
				return err
			}
			env.Log.Info("pruned old runs", "runs", n, "before", env.End.Add(-CleanupKeep).Format(time.RFC3339))
			return nil
		},
	}
}

// Cleanup deletes finished runs (Timeout, Failed, Success, Cancelled) that
// ended before cutoff, of finished slots, with their log lines, in
// batches; beat (may be nil) is called after each batch. It returns the
// number of runs deleted.
func Cleanup(ctx context.Context, control *db.DB, cutoff time.Time, beat func()) (int, error) {
	cutoff = ts(cutoff)
	total := 0
	for {
		var ids []int64
		rows, err := control.Query(ctx, `SELECT r."id" FROM "command_run" r JOIN "command_slot" s ON s."id" = r."slot_id"
			WHERE r."status" IN (?, ?, ?, ?) AND s."status" IN ('success', 'failed', 'cancelled')
			AND COALESCE(r."success_at", r."failed_at", r."timeout_at", r."cancelled_at", r."waiting_at") < ?
			ORDER BY r."id" LIMIT `+fmt.Sprint(cleanupBatch), Timeout, Failed, Success, Cancelled, cutoff)
		if err != nil {
			return total, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return total, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, err
		}
		if len(ids) == 0 {
			return total, nil
		}
		err = control.InTx(ctx, func(tx *db.Tx) error {
			args := int64Args(ids)
			if _, err := tx.Exec(ctx, `DELETE FROM "command_run_log" WHERE "run_id" IN (`+inClause(len(ids))+`)`, args...); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `DELETE FROM "command_run" WHERE "id" IN (`+inClause(len(ids))+`)`, args...)
			return err
		})
		if err != nil {
			return total, err
		}
		total += len(ids)
		if beat != nil {
			beat()
		}
		if len(ids) < cleanupBatch {
			return total, nil
		}
	}
}
