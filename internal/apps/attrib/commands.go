package attrib

import (
	"context"
	"fmt"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/report"
)

// Names of the attrib app's pipeline commands (spec/domain.md §11).
const (
	CmdImportOfflineSales = "import_offline_sales"
	CmdSessionize         = "sessionize"
	CmdClassifyChannels   = "classify_channels"
	CmdBuildSales         = "build_sales"
	CmdBuildTouchpoints   = "build_touchpoints"
	CmdAttributeSales     = "attribute_sales"
	CmdCleanup            = "cleanup"
)

// VisitChannel is the logical table classify_channels writes: the
// classification columns of visit (channel_id, pattern_id, campaign_id,
// segment). Declaring it apart from visit keeps the dependency graph of
// spec/domain.md §11: readers of the channels depend on classification,
// readers of raw visits on sessionize only.
const VisitChannel = "visit_channel"

// Commands returns the attrib app's pipeline commands. Each is daily and
// per account, and idempotent per local day: it replaces exactly that
// day's output in one transaction. Their reads and writes are the table
// of spec/domain.md §11, so the derived graph is the spec's. Configuration
// tables that no command writes (channel, attribution_model, goal, ...)
// are read where needed without being declared when the spec's table
// does not list them; they add no edge either way.
func Commands() []command.Command {
	return []command.Command{
		{
			Name: CmdImportOfflineSales, App: "attrib",
			ReadsFrom: []string{"offline_sale_row"},
			WritesTo:  []string{"event", "visit", "visitor", "sync_id"},
			Run:       runImportOfflineSales,
		},
		{
			Name: CmdSessionize, App: "attrib",
			ReadsFrom: []string{"page_view", "event"},
			WritesTo:  []string{"visit"},
			Run:       runSessionize,
		},
		{
			Name: CmdClassifyChannels, App: "attrib",
			ReadsFrom: []string{"visit", "pattern", "channel", "segmenter_rule", "payment_referrer"},
			WritesTo:  []string{VisitChannel},
			Run:       runClassifyChannels,
		},
		{
			Name: CmdBuildSales, App: "attrib",
			ReadsFrom: []string{"event", "goal", "goal_event"},
			WritesTo:  []string{"sale"},
			Run:       runBuildSales,
		},
		{
			Name: CmdBuildTouchpoints, App: "attrib",
			ReadsFrom: []string{"sale", VisitChannel, "sync_id"},
			WritesTo:  []string{"touchpoint"},
			Run:       runBuildTouchpoints,
		},
		{
			Name: CmdAttributeSales, App: "attrib",
			ReadsFrom: []string{"touchpoint", "attribution_model"},
			WritesTo:  []string{"sale_attribution"},
			Run:       runAttributeSales,
		},
		{
			Name: CmdCleanup, App: "attrib",
			Sequential: new(false),
			Run:        runCleanup,
		},
	}
}

// day is a command's local day: [start, end) in UTC and its date.
type day struct {
	start, end time.Time
	date       string
}

func dayOf(env *command.Env) day {
	return day{start: env.Start.UTC(), end: env.End.UTC(), date: env.Date}
}

// bump records rewrites of tables for the report engine's data_version
// (its result cache and ETags), in the rewrite's transaction.
func bump(ctx context.Context, tx *db.Tx, tables ...string) error {
	for _, t := range tables {
		if err := report.Bump(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// lookbackDays is the account's attribution window, 30 days by default.
func lookbackDays(env *command.Env) int {
	if env.Account.LookbackDays > 0 {
		return env.Account.LookbackDays
	}
	return 30
}

// errf wraps a command's error with its account and day.
func errf(env *command.Env, cmd string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s %s: %w", cmd, env.Account.Token, env.Date, err)
}
