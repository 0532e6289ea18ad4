package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/conductor"
)

func (c *cli) runCmd() *cobra.Command {
	var account, date, from, to string
	var withDeps, plan bool
	cmd := &cobra.Command{
		Use:   "run CMD|pipeline",
		Short: "Run a command (or the whole pipeline) inline for an account and dates",
		Long: "Runs CMD in this process for the account and each local date (--date, or --from..--to),\n" +
			"recording manual slots and runs as Conductor does. pipeline runs every command, parents\n" +
			"first; --with-deps runs CMD's upstream commands first. It stops at the first failure and\n" +
			"exits 1 with its error. --plan prints the derived dependency graph and runs nothing.",
		Args: exactArgs(1, "a command name or pipeline"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if plan {
				a, err := c.open(ctx, false)
				if err != nil {
					return err
				}
				defer a.Close()
				g, err := a.Reg.Commands.Graph()
				if err != nil {
					return err
				}
				if name != conductor.Pipeline {
					if _, ok := a.Reg.Commands.Get(name); !ok {
						return apperr.Invalidf("CMD", name, "is not a command")
					}
				}
				fmt.Fprint(c.env.Stdout, g.Plan(100))
				return nil
			}
			if err := required("account", account); err != nil {
				return err
			}
			if date != "" && (from != "" || to != "") {
				return apperr.Invalidf("--date", date, "give either --date or --from/--to")
			}
			if date != "" {
				from, to = date, date
			}
			if from == "" {
				return apperr.Invalidf("--date", "", "is required (or --from and --to)")
			}
			if to == "" {
				to = from
			}
			p := conductor.InlineParams{}
			var err error
			if p.From, err = parseDateFlag("from", from); err != nil {
				return err
			}
			if p.To, err = parseDateFlag("to", to); err != nil {
				return err
			}
			return c.withConductor(ctx, func(a *app.App, cd *conductor.Conductor) error {
				if p.Commands, err = cd.Commands(name, false, withDeps); err != nil {
					return err
				}
				if p.Account, err = a.Tenants.Get(ctx, account); err != nil {
					return err
				}
				var bar *progress
				p.Progress = func(d conductor.RunDone, done, total int) {
					if bar == nil {
						bar = c.progress(total, "run "+name)
					}
					bar.Add(1)
				}
				err = cd.RunInline(ctx, p)
				if bar != nil {
					bar.Finish()
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(c.env.Stdout, "%s for %s from %s to %s: done\n", name, p.Account.Token, from, to)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", "", "account token or id (required)")
	f.StringVar(&date, "date", "", "local date, 2006-01-02")
	f.StringVar(&from, "from", "", "first local date")
	f.StringVar(&to, "to", "", "last local date (default: --from)")
	f.BoolVar(&withDeps, "with-deps", false, "run the command's upstream commands first")
	f.BoolVar(&plan, "plan", false, "print the derived dependency graph and exit")
	return cmd
}
