package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/conductor"
)

// conductorFlags are the tuning flags of `cubed conductor`.
type conductorFlags struct {
	concurrency int
	engine      time.Duration
	heartbeat   time.Duration
	poll        time.Duration
	maxQueued   int
}

func (c *cli) conductorOptions(a *app.App, f conductorFlags) conductor.Options {
	return conductor.Options{
		Control: a.Control, Tenants: a.Tenants, Commands: a.Reg.Commands, Logger: a.Log,
		Concurrency: f.concurrency, EngineInterval: f.engine, HeartbeatInterval: f.heartbeat, FetchPollInterval: f.poll,
		MaxQueued: f.maxQueued,
	}
}

func (c *cli) conductorCmd() *cobra.Command {
	var f conductorFlags
	var once bool
	cmd := &cobra.Command{
		Use:   "conductor",
		Short: "Run Conductor: the engine (when elected leader) and command workers",
		Long: "Runs every account's commands on schedule. Each process runs River workers; the process River\n" +
			"elects leader also runs the engine loop (slots, runs, timeouts, retries, dispatch). On SQLite\n" +
			"run one process (or let `cubed serve` run it); on PostgreSQL run as many as you like.\n" +
			"With --once it creates what is due, works until nothing is runnable and exits: 0 when no slot\n" +
			"failed, 1 otherwise.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if f.concurrency < 0 || (once && f.concurrency == 0) {
				return apperr.Invalidf("--concurrency", strconv.Itoa(f.concurrency), "must be at least 1 (0: engine only, without --once)")
			}
			if f.maxQueued < 0 {
				return apperr.Invalidf("--max-queued", strconv.Itoa(f.maxQueued), "must be at least 0 (0: the default)")
			}
			if f.concurrency == 0 {
				f.concurrency = -1 // engine-only node
			}
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			opt := c.conductorOptions(a, f)
			if once {
				return c.conductorOnce(ctx, opt)
			}
			stop, err := conductor.Start(ctx, opt)
			if err != nil {
				return err
			}
			a.Log.Info("conductor started", "concurrency", f.concurrency)
			<-ctx.Done()
			stop()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.concurrency, "concurrency", conductor.DefaultConcurrency, "command workers in this process (0: engine only)")
	fl.BoolVar(&once, "once", false, "create what is due, work until nothing is runnable, then exit")
	fl.DurationVar(&f.engine, "engine-interval", conductor.DefaultEngineInterval, "how often the leader runs the engine loop")
	fl.DurationVar(&f.heartbeat, "heartbeat", conductor.DefaultHeartbeatInterval, "heartbeat interval of running commands (3 missed: timeout)")
	fl.IntVar(&f.maxQueued, "max-queued", 0, "runs handed to River and not yet started, across all processes (0: 4 × --concurrency, at least 8)")
	fl.DurationVar(&f.poll, "poll-interval", 50*time.Millisecond, "how often workers look for new jobs (jobs inserted by this process are seen at once)")
	cmd.AddCommand(c.conductorStatusCmd(), c.conductorTriggerCmd(), c.conductorRetryCmd(), c.conductorCancelCmd())
	return cmd
}

func (c *cli) conductorOnce(ctx context.Context, opt conductor.Options) error {
	cd, err := conductor.New(opt)
	if err != nil {
		return err
	}
	var bar *progress
	last := 0
	res, err := cd.RunOnce(ctx, func(done, total int) {
		if bar == nil && total > 0 {
			bar = c.progress(total, "conductor --once")
		}
		if bar != nil {
			if bar.bar != nil && total > bar.bar.GetMax() {
				bar.bar.ChangeMax(total)
			}
			bar.Add(done - last)
			last = done
		}
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "%d runs: %d slots succeeded, %d failed\n", res.Runs, res.Succeeded, res.Failed)
	if res.Failed > 0 {
		return fmt.Errorf("%d slots failed (see `cubed conductor status`)", res.Failed)
	}
	return nil
}

// newConductor builds a Conductor without workers, for control commands.
func (c *cli) newConductor(a *app.App) (*conductor.Conductor, error) {
	return conductor.New(c.conductorOptions(a, conductorFlags{concurrency: -1}))
}

// withConductor opens the migrated app, builds a Conductor that runs no
// workers (for control commands: status, trigger, retry, cancel, run) and
// calls fn with both; the app is closed after.
func (c *cli) withConductor(ctx context.Context, fn func(a *app.App, cd *conductor.Conductor) error) error {
	a, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer a.Close()
	cd, err := c.newConductor(a)
	if err != nil {
		return err
	}
	return fn(a, cd)
}

func parseDateFlag(name, v string) (time.Time, error) {
	if err := required(name, v); err != nil {
		return time.Time{}, err
	}
	d, err := command.ParseDate(v)
	if err != nil {
		return time.Time{}, apperr.Invalidf("--"+name, v, "must be a date, 2006-01-02")
	}
	return d, nil
}

func (c *cli) conductorStatusCmd() *cobra.Command {
	var account, date string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Slots by status per account, running runs with progress, waiting runs and failures",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if date != "" {
				if _, err := parseDateFlag("date", date); err != nil {
					return err
				}
			}
			return c.withConductor(ctx, func(a *app.App, cd *conductor.Conductor) error {
				report, err := cd.Status(ctx, account, date)
				if err != nil {
					return err
				}
				if len(report) == 0 {
					fmt.Fprintln(c.env.Stdout, "no slots")
					return nil
				}
				statuses := []string{conductor.SlotPending, conductor.SlotWaiting, conductor.SlotRunning, conductor.SlotSuccess, conductor.SlotFailed, conductor.SlotCancelled}
				tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ACCOUNT\t"+strings.ToUpper(strings.Join(statuses, "\t")))
				for _, r := range report {
					row := r.Account
					for _, s := range statuses {
						row += "\t" + strconv.Itoa(r.Slots[s])
					}
					fmt.Fprintln(tw, row)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				for _, r := range report {
					if len(r.Running)+len(r.Waiting)+len(r.Failures) == 0 {
						continue
					}
					fmt.Fprintf(c.env.Stdout, "\n%s\n", r.Account)
					tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
					for _, x := range r.Running {
						prog := ""
						if x.Total > 0 {
							prog = fmt.Sprintf("%d/%d (%d%%)", x.Done, x.Total, x.Done*100/x.Total)
						}
						fmt.Fprintf(tw, "  running\trun %d\t%s\t%s\tattempt %d\t%s\t%s\n", x.RunID, x.Command, x.Date, x.Attempt, prog, x.Worker)
					}
					for _, x := range r.Waiting {
						reason := x.Reason
						if reason == "" {
							reason = "queued"
						}
						fmt.Fprintf(tw, "  waiting\trun %d\t%s\t%s\tattempt %d\t%s\t\n", x.RunID, x.Command, x.Date, x.Attempt, reason)
					}
					for _, x := range r.Failures {
						fmt.Fprintf(tw, "  failed\trun %d\t%s\t%s\tattempt %d\t%s\t\n", x.RunID, x.Command, x.Date, x.Attempt, oneLine(fmt.Errorf("%s", x.Error)))
					}
					if err := tw.Flush(); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "only this account (token or id)")
	cmd.Flags().StringVar(&date, "date", "", "only slots of this local date (2006-01-02)")
	return cmd
}

func (c *cli) conductorTriggerCmd() *cobra.Command {
	var p conductor.TriggerParams
	var from, to string
	cmd := &cobra.Command{
		Use:   "trigger CMD|pipeline",
		Short: "(Re)open a command's slots (or the pipeline's) for accounts and dates",
		Long: "Opens the slots of CMD (or every command: pipeline) for the accounts and the local dates\n" +
			"--from..--to as pending, creating missing ones: manual for one day, backfill for a range.\n" +
			"Conductor then runs them as their dependencies allow. Slots with a run waiting or running\n" +
			"are left alone. --with-downstream adds every command that depends on CMD.",
		Args: exactArgs(1, "a command name or pipeline"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var err error
			if p.From, err = parseDateFlag("from", from); err != nil {
				return err
			}
			if to == "" {
				to = from
			}
			if p.To, err = parseDateFlag("to", to); err != nil {
				return err
			}
			if !p.All && len(p.Accounts) == 0 {
				return apperr.Invalidf("--account", "", "is required (or --all)")
			}
			p.Command = args[0]
			return c.withConductor(ctx, func(a *app.App, cd *conductor.Conductor) error {
				bar := c.progress(1, "trigger")
				res, err := cd.Trigger(ctx, p)
				bar.Add(1)
				bar.Finish()
				if err != nil {
					return err
				}
				fmt.Fprintf(c.env.Stdout, "%d slots pending", res.Slots)
				if res.Busy > 0 {
					fmt.Fprintf(c.env.Stdout, " (%d with a run in progress left alone)", res.Busy)
				}
				fmt.Fprintln(c.env.Stdout)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&p.Accounts, "account", nil, "account token or id (repeatable)")
	f.BoolVar(&p.All, "all", false, "every managed account")
	f.StringVar(&from, "from", "", "first local date, 2006-01-02 (required)")
	f.StringVar(&to, "to", "", "last local date (default: --from)")
	f.BoolVar(&p.WithDownstream, "with-downstream", false, "also reopen the commands that depend on CMD")
	return cmd
}

func runIDArg(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.Invalidf("RUN_ID", s, "must be a run id (a positive integer)")
	}
	return id, nil
}

func (c *cli) conductorRetryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "retry RUN_ID",
		Short: "Give a finished run's slot a new run (the old runs stay)",
		Args:  exactArgs(1, "a run id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := runIDArg(args[0])
			if err != nil {
				return err
			}
			return c.withConductor(ctx, func(a *app.App, cd *conductor.Conductor) error {
				newID, err := cd.Retry(ctx, id)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.env.Stdout, "run %d: new run %d waiting\n", id, newID)
				return nil
			})
		},
	}
}

func (c *cli) conductorCancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel RUN_ID",
		Short: "Cancel a waiting or running run and its slot",
		Args:  exactArgs(1, "a run id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := runIDArg(args[0])
			if err != nil {
				return err
			}
			return c.withConductor(ctx, func(a *app.App, cd *conductor.Conductor) error {
				if err := cd.Cancel(ctx, id); err != nil {
					return err
				}
				fmt.Fprintf(c.env.Stdout, "run %d cancelled\n", id)
				return nil
			})
		},
	}
}
