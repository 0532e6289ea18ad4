package attrib

import (
	"context"
	"fmt"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// cleanup (spec/domain.md §11, retention) removes processed rows that
// nothing reaches any more: touchpoints and attribution rows of sales that
// build_sales removed (an event deleted, a goal deactivated, a duplicate
// transaction id resolved). Aggregates never read them (they join sale
// by date), so they only cost space. Raw data is kept: the spec sets no
// retention period for it. It declares no tables, so it neither waits for
// nor holds up any command.
func runCleanup(ctx context.Context, env *command.Env) error {
	var nTouch, nAttr int64
	err := env.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM "touchpoint" WHERE NOT EXISTS (SELECT 1 FROM "sale" s WHERE s."id" = "touchpoint"."sale_id")`)
		if err != nil {
			return fmt.Errorf("orphan touchpoints: %w", err)
		}
		nTouch, _ = res.RowsAffected()
		res, err = tx.Exec(ctx, `DELETE FROM "sale_attribution" WHERE NOT EXISTS (SELECT 1 FROM "sale" s WHERE s."id" = "sale_attribution"."sale_id")`)
		if err != nil {
			return fmt.Errorf("orphan attribution: %w", err)
		}
		nAttr, _ = res.RowsAffected()
		if nTouch+nAttr > 0 {
			return bump(ctx, tx, "touchpoint", "sale_attribution")
		}
		return nil
	})
	if err != nil {
		return errf(env, CmdCleanup, err)
	}
	env.Log.Info("cleaned up", "touchpoints", nTouch, "attribution_rows", nAttr)
	return nil
}
