package generate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cubedhq/cubed/internal/tenant"
)

// Demo data: 90 days of a small shop (about 170,000 hits; a few seconds).
const (
	DemoDays     = 90
	DemoVisitors = 30000
	DemoSeed     = 1
)

// EnsureDemoData generates the demo's data unless the account already has
// visits, and reports whether it generated. `cubed demo` calls it on start.
// Zero fields of opt take the demo's values: DemoDays days ending
// yesterday, DemoVisitors visitors, seed DemoSeed.
func EnsureDemoData(ctx context.Context, deps Deps, acct tenant.Account, opt Options) (bool, Summary, error) {
	d, release, err := deps.Tenants.Acquire(ctx, acct)
	if err != nil {
		return false, Summary{}, err
	}
	var one int
	err = d.QueryRow(ctx, `SELECT 1 FROM "visit" LIMIT 1`).Scan(&one)
	release()
	switch {
	case err == nil:
		return false, Summary{}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, Summary{}, fmt.Errorf("account %s: %w", acct.Token, err)
	}
	if opt.Days == 0 {
		opt.Days = DemoDays
	}
	if opt.Visitors == 0 {
		opt.Visitors = DemoVisitors
	}
	if opt.Seed == 0 {
		opt.Seed = DemoSeed
	}
	sum, err := Run(ctx, deps, acct, opt)
	return err == nil, sum, err
}
