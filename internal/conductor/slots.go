package conductor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// slotSpec is a slot to make sure of.
type slotSpec struct {
	def     int64
	account int64 // 0: matrix none
	p       command.Period
	source  string
}

const slotInsertBatch = 200

// createSlots inserts the slots that do not exist yet and links every new
// slot to the slots it depends on (parents of the same account, or
// matrix-none parents, whose period overlaps; the previous slot of its own
// definition when sequential) and to the existing slots that depend on it.
// It returns how many slots were new. Callers hold a transaction; slot
// creation is serialised across processes.
func (c *Conductor) createSlots(ctx context.Context, tx *db.Tx, specs []slotSpec, now time.Time) (int, error) {
	if len(specs) == 0 {
		return 0, nil
	}
	if err := serialise(ctx, tx, "slots"); err != nil {
		return 0, err
	}
	var maxID int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX("id"), 0) FROM "command_slot"`).Scan(&maxID); err != nil {
		return 0, fmt.Errorf("slots: %w", err)
	}
	var acct, none []slotSpec
	for _, s := range specs {
		if s.account == 0 {
			none = append(none, s)
		} else {
			acct = append(acct, s)
		}
	}
	const cols = `("definition_id", "account_id", "period_start", "period_end", "local_date", "status", "source", "priority", "updated")`
	for len(acct) > 0 {
		n := min(len(acct), slotInsertBatch)
		batch := acct[:n]
		acct = acct[n:]
		var b strings.Builder
		b.WriteString(`INSERT INTO "command_slot" ` + cols + ` VALUES `)
		args := make([]any, 0, 9*n)
		for i, s := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, s.def, s.account, ts(s.p.Start), ts(s.p.End), s.p.Date, SlotPending, s.source, priorityOf(s.source), now)
		}
		b.WriteString(` ON CONFLICT ("definition_id", "account_id", "period_start") DO NOTHING`)
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return 0, fmt.Errorf("insert slots: %w", err)
		}
	}
	for _, s := range none {
		// NULL account ids never conflict, so matrix-none slots are
		// guarded by hand (creation is serialised).
		if _, err := tx.Exec(ctx, `INSERT INTO "command_slot" `+cols+` SELECT ?, NULL, ?, ?, ?, ?, ?, ?, ?
			WHERE NOT EXISTS (SELECT 1 FROM "command_slot" WHERE "definition_id" = ? AND "account_id" IS NULL AND "period_start" = ?)`,
			s.def, ts(s.p.Start), ts(s.p.End), s.p.Date, SlotPending, s.source, priorityOf(s.source), now, s.def, ts(s.p.Start)); err != nil {
			return 0, fmt.Errorf("insert slots: %w", err)
		}
	}
	var newMax int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX("id"), 0) FROM "command_slot"`).Scan(&newMax); err != nil {
		return 0, err
	}
	if newMax == maxID {
		return 0, nil
	}
	var created int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM "command_slot" WHERE "id" > ?`, maxID).Scan(&created); err != nil {
		return 0, err
	}
	for _, q := range slotDependencySQL() {
		if _, err := tx.Exec(ctx, q, maxID); err != nil {
			return 0, fmt.Errorf("slot dependencies: %w", err)
		}
	}
	return created, nil
}

const depInsert = `INSERT INTO "command_slot_dependency" ("slot_id", "depends_on_slot_id") `
const depConflict = ` ON CONFLICT ("slot_id", "depends_on_slot_id") DO NOTHING`

// slotDependencySQL links slots with id > ? (new) to what they depend on
// and to what depends on them. Each statement can use the index on
// (definition_id, account_id, period_start).
func slotDependencySQL() []string {
	// CROSS JOIN fixes SQLite's join order (the planner would otherwise
	// search the parent slots by account only); PostgreSQL plans it as an
	// inner join.
	overlap := func(a, b string) string {
		return a + `."period_start" < ` + b + `."period_end" AND ` + a + `."period_end" > ` + b + `."period_start"`
	}
	// prev is the id of the slot right before x of the same definition and
	// account (an index walk backwards from x's start).
	prev := func(acct string) string {
		return `(SELECT y2."id" FROM "command_slot" y2 WHERE y2."definition_id" = x."definition_id" AND ` + acct + `
			AND y2."period_start" < x."period_start" ORDER BY y2."period_start" DESC LIMIT 1)`
	}
	return []string{
		// parents of the same account, for new children
		depInsert + `SELECT x."id", y."id" FROM "command_slot" x CROSS JOIN "command_definition_dependency" e CROSS JOIN "command_slot" y
			WHERE x."id" > ? AND e."child_id" = x."definition_id" AND y."definition_id" = e."parent_id" AND y."account_id" = x."account_id"
			AND ` + overlap("y", "x") + depConflict,
		// new parents, for children of the same account
		depInsert + `SELECT x."id", y."id" FROM "command_slot" y CROSS JOIN "command_definition_dependency" e CROSS JOIN "command_slot" x
			WHERE y."id" > ? AND e."parent_id" = y."definition_id" AND x."definition_id" = e."child_id" AND x."account_id" = y."account_id"
			AND ` + overlap("x", "y") + depConflict,
		// matrix-none parents, for new children (of any account or none)
		depInsert + `SELECT x."id", y."id" FROM "command_slot" x CROSS JOIN "command_definition_dependency" e CROSS JOIN "command_slot" y
			WHERE x."id" > ? AND e."child_id" = x."definition_id" AND y."definition_id" = e."parent_id" AND y."account_id" IS NULL
			AND ` + overlap("y", "x") + depConflict,
		// new matrix-none parents, for their children
		depInsert + `SELECT x."id", y."id" FROM "command_slot" y CROSS JOIN "command_definition_dependency" e CROSS JOIN "command_slot" x
			WHERE y."id" > ? AND y."account_id" IS NULL AND e."parent_id" = y."definition_id" AND x."definition_id" = e."child_id"
			AND ` + overlap("x", "y") + depConflict,
		// sequential: new slots wait for the slot before them
		depInsert + `SELECT x."id", y."id" FROM "command_slot" x CROSS JOIN "command_definition" d CROSS JOIN "command_slot" y
			WHERE x."id" > ? AND x."account_id" IS NOT NULL AND d."id" = x."definition_id" AND d."sequential" = TRUE
			AND y."id" = ` + prev(`y2."account_id" = x."account_id"`) + ` AND y."period_end" = x."period_start"` + depConflict,
		depInsert + `SELECT x."id", y."id" FROM "command_slot" x CROSS JOIN "command_definition" d CROSS JOIN "command_slot" y
			WHERE x."id" > ? AND x."account_id" IS NULL AND d."id" = x."definition_id" AND d."sequential" = TRUE
			AND y."id" = ` + prev(`y2."account_id" IS NULL`) + ` AND y."period_end" = x."period_start"` + depConflict,
		// ... and slots after new slots wait for them
		depInsert + `SELECT x."id", y."id" FROM "command_slot" y CROSS JOIN "command_definition" d CROSS JOIN "command_slot" x
			WHERE y."id" > ? AND y."account_id" IS NOT NULL AND d."id" = y."definition_id" AND d."sequential" = TRUE
			AND x."definition_id" = y."definition_id" AND x."account_id" = y."account_id" AND x."period_start" = y."period_end"` + depConflict,
		depInsert + `SELECT x."id", y."id" FROM "command_slot" y CROSS JOIN "command_definition" d CROSS JOIN "command_slot" x
			WHERE y."id" > ? AND y."account_id" IS NULL AND d."id" = y."definition_id" AND d."sequential" = TRUE
			AND x."definition_id" = y."definition_id" AND x."account_id" IS NULL AND x."period_start" = y."period_end"` + depConflict,
	}
}
