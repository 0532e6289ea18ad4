package agg

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/tenant"
)

// PipelineOptions tune RunPipeline.
type PipelineOptions struct {
	// Commands names the commands to run; empty means every scheduled
	// (not manual), per-account command of the apps attrib and agg.
	// Whatever the order given, they run in dependency order.
	Commands []string
	// Log receives the commands' lines (with command and date
	// attributes); nil discards them.
	Log *slog.Logger
	// Progress, if set, is called after each command run with the runs
	// done and the total.
	Progress func(done, total int)
}

// PipelineStats says what RunPipeline did.
type PipelineStats struct {
	Days, Runs int
	Elapsed    time.Duration
	// ByCommand is the time spent in each command over all days.
	ByCommand map[string]time.Duration
	// Order is the order the commands ran in each day.
	Order []string
}

// RunPipeline runs the processing pipeline for one account over the local
// dates from..to (inclusive; only their year, month and day count),
// in this process and without Conductor: day by day, and each day every
// command in dependency order (the graph derived from the registry), as
// Conductor's slots would run them. cleanup, which has no daily output,
// runs once, for the last day. The first error stops the run and is
// returned with the command and day. `cubed demo` calls it after
// generating data; benchmarks time it.
func RunPipeline(ctx context.Context, cmds *command.Registry, d *db.DB, acct tenant.Account, from, to time.Time, opt PipelineOptions) (PipelineStats, error) {
	start := time.Now()
	st := PipelineStats{ByCommand: map[string]time.Duration{}}
	g, err := cmds.Graph()
	if err != nil {
		return st, err
	}
	want := map[string]bool{}
	for _, n := range opt.Commands {
		if _, ok := cmds.Get(n); !ok {
			return st, fmt.Errorf("pipeline: no command %q", n)
		}
		want[n] = true
	}
	var order []*command.Command
	for _, n := range g.Order() {
		c, _ := cmds.Get(n)
		if len(want) > 0 {
			if want[n] {
				order = append(order, c)
			}
			continue
		}
		if (c.App == "attrib" || c.App == "agg") && c.Matrix == command.PerAccount && c.Frequency != command.Manual {
			order = append(order, c)
		}
	}
	for _, c := range order {
		st.Order = append(st.Order, c.Name)
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	loc := acct.Location()
	ca := command.Account{ID: acct.ID, Token: acct.Token, Name: acct.Name, Country: acct.Country, Domain: acct.Domain, DBName: acct.DBName,
		TimeZone: acct.TimeZone, Currency: acct.Currency, LookbackDays: acct.LookbackDays,
		SessionTimeoutMinutes: acct.SessionTimeoutMinutes, Location: loc}
	first := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	last := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
	if last.Before(first) {
		return st, fmt.Errorf("pipeline: %s is before %s", last.Format(time.DateOnly), first.Format(time.DateOnly))
	}
	days := int(last.Sub(first).Hours()/24) + 1
	total := 0
	for _, c := range order {
		if c.Name == "cleanup" {
			total++
		} else {
			total += days
		}
	}
	done := 0
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		st.Days++
		s, e := command.DateRange(day, day, loc)
		date := day.Format(time.DateOnly)
		for _, c := range order {
			if c.Name == "cleanup" && !day.Equal(last) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return st, err
			}
			env := command.NewEnv(command.Env{Account: ca, DB: d, Start: s, End: e, Date: date,
				Log: log.With("account", acct.Token, "command", c.Name, "date", date)}, nil, nil)
			t0 := time.Now()
			if err := c.Run(ctx, env); err != nil {
				return st, fmt.Errorf("pipeline: %s on %s: %w", c.Name, date, err)
			}
			st.ByCommand[c.Name] += time.Since(t0)
			st.Runs++
			done++
			if opt.Progress != nil {
				opt.Progress(done, total)
			}
		}
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// Slowest returns the commands by total time, slowest first.
func (s PipelineStats) Slowest() []string {
	names := make([]string, 0, len(s.ByCommand))
	for n := range s.ByCommand {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(s.ByCommand[b], s.ByCommand[a]) })
	return names
}
