package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apps/agg"
	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/conductor"
	"github.com/cubedhq/cubed/internal/generate"
	"github.com/cubedhq/cubed/internal/tenant"
)

// demoData gives the demo account something to look at. On first start
// (no visits yet) it generates generate.DemoDays days of data through the
// collector, connects the in-process fake provider and imports its costs
// for those days, then runs the whole pipeline over them inline, recorded
// as manual Conductor runs, so reports, costs and the Conductor page all
// have data. Later starts only reconnect the fake provider. stop shuts
// the fake provider down.
func (c *cli) demoData(ctx context.Context, a *app.App, acct tenant.Account, userID int64) (svc *integrations.Service, stop func(), err error) {
	var bar *progress
	generated, sum, err := generate.EnsureDemoData(ctx, generate.Deps{Tenants: a.Tenants}, acct, generate.Options{
		Log: a.Log,
		Progress: func(done, total int) {
			if bar == nil {
				bar = c.progress(total, "demo: generate visitors")
			}
			bar.Set(done)
		},
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return nil, func() {}, fmt.Errorf("demo data: %w", err)
	}
	days := 0
	if generated {
		days = generate.DemoDays
		fmt.Fprintf(c.env.Stdout, "demo: generated %d visits, %d page views, %d sales from %s to %s in %s\n",
			sum.Visits, sum.PageViews, sum.Sales, sum.From, sum.To, sum.Elapsed.Round(time.Millisecond))
	}
	svc, stop, err = c.demoIntegrations(ctx, a, acct, userID, days)
	if err != nil {
		return nil, func() {}, err
	}
	if !generated {
		return svc, stop, nil
	}
	if err := c.demoPipeline(ctx, a, acct, sum.From, sum.To); err != nil {
		stop()
		return nil, func() {}, err
	}
	return svc, stop, nil
}

// demoPipeline processes the local dates from..to: every day but the last
// in bulk with agg.RunPipeline (the same commands without per-run
// bookkeeping, a few seconds for the demo's 90 days), then the last day
// through Conductor's inline runner with every command, imports included,
// so its runs are recorded like `cubed run pipeline` records them and
// the Conductor page has runs to show.
func (c *cli) demoPipeline(ctx context.Context, a *app.App, acct tenant.Account, from, to string) error {
	first, err := command.ParseDate(from)
	if err != nil {
		return fmt.Errorf("demo pipeline: %w", err)
	}
	last, err := command.ParseDate(to)
	if err != nil {
		return fmt.Errorf("demo pipeline: %w", err)
	}
	start := time.Now()
	if first.Before(last) {
		d, release, err := a.Tenants.Acquire(ctx, acct)
		if err != nil {
			return err
		}
		var bar *progress
		_, err = agg.RunPipeline(ctx, a.Reg.Commands, d, acct, first, last.AddDate(0, 0, -1), agg.PipelineOptions{
			Log: a.Log,
			Progress: func(done, total int) {
				if bar == nil {
					bar = c.progress(total, "demo: pipeline")
				}
				bar.Set(done)
			},
		})
		release()
		if bar != nil {
			bar.Finish()
		}
		if err != nil {
			return fmt.Errorf("demo pipeline: %w", err)
		}
	}
	cd, err := c.newConductor(a)
	if err != nil {
		return err
	}
	p := conductor.InlineParams{Account: acct, From: last, To: last}
	if p.Commands, err = cd.Commands(conductor.Pipeline, false, false); err != nil {
		return err
	}
	if err := cd.RunInline(ctx, p); err != nil {
		return fmt.Errorf("demo pipeline: %w", err)
	}
	fmt.Fprintf(c.env.Stdout, "demo: pipeline processed %s..%s in %s (%s through Conductor)\n", from, to, time.Since(start).Round(time.Millisecond), to)
	return nil
}
