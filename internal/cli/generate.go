package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/generate"
)

func (c *cli) generateCmd() *cobra.Command {
	var account, endDate string
	var days, visitors int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write synthetic, reproducible tracking data into an account",
		Long: "Simulates visitors of the account's site over --days days ending on --end-date (default\n" +
			"yesterday in the account's time zone): visits from a realistic channel mix, page views,\n" +
			"add-to-cart and purchase events with items, labels, sync ids, display impressions, 5-10 %\n" +
			"offline sales (imported as a CSV) and the edge cases the pipeline must handle. The same\n" +
			"seed and end date always give the same rows; running it again changes nothing. Hits go\n" +
			"through the collector's validation and batched writes; event definitions, goals, products\n" +
			"and campaigns the data need are added when missing.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := required("account", account); err != nil {
				return err
			}
			var end time.Time
			if endDate != "" {
				t, err := time.Parse("2006-01-02", endDate)
				if err != nil {
					return apperr.Invalidf("--end-date", endDate, "must be a date such as 2025-03-31")
				}
				end = t
			}
			opt := generate.Options{Days: days, Visitors: visitors, Seed: seed, EndDate: end}
			if days < 1 || days > 3650 {
				return apperr.Invalidf("--days", fmt.Sprint(days), "must be from 1 to 3650")
			}
			if visitors < 1 || visitors > 10_000_000 {
				return apperr.Invalidf("--visitors", fmt.Sprint(visitors), "must be from 1 to 10000000")
			}
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			acct, err := a.Tenants.Get(ctx, account)
			if err != nil {
				return err
			}
			if !acct.Active {
				return apperr.Invalidf("--account", account, "is disabled")
			}
			bar := c.progress(visitors, "generating "+acct.Token)
			shown := 0
			opt.Progress = func(done, total int) {
				done = min(done, visitors)
				bar.Add(done - shown)
				shown = done
			}
			opt.Log = a.Log
			sum, err := generate.Run(ctx, generate.Deps{Tenants: a.Tenants}, acct, opt)
			bar.Finish()
			if err != nil {
				return err
			}
			rate := float64(sum.Hits()) / sum.Elapsed.Seconds()
			fmt.Fprintf(c.env.Stdout, "generated %s, %s to %s, seed %d, in %.1fs (%.0f hits/s)\n", sum.Account, sum.From, sum.To, seed, sum.Elapsed.Seconds(), rate)
			fmt.Fprintf(c.env.Stdout, "  visitors:     %d\n  visits:       %d\n  page views:   %d\n  events:       %d (%d purchases)\n  impressions:  %d\n",
				sum.Visitors, sum.Visits, sum.PageViews, sum.Events, sum.Sales, sum.Impressions)
			switch {
			case sum.OfflineWasDone:
				fmt.Fprintf(c.env.Stdout, "  offline rows: %d (already imported as upload %d)\n", sum.OfflineRows, sum.OfflineUpload)
			case sum.OfflineRows > 0:
				fmt.Fprintf(c.env.Stdout, "  offline rows: %d (upload %d)\n", sum.OfflineRows, sum.OfflineUpload)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", "", "account token, e.g. c-a-shop-gb (required)")
	f.IntVar(&days, "days", 90, "number of days, ending on --end-date")
	f.IntVar(&visitors, "visitors", 1000, "number of visitors (about 5 hits each)")
	f.Uint64Var(&seed, "seed", 1, "random seed; the same seed gives the same data")
	f.StringVar(&endDate, "end-date", "", "last day, YYYY-MM-DD (default yesterday in the account's time zone)")
	return cmd
}
