package agg

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// Names of the update_agg_* commands (spec/domain.md §11).
const (
	CmdChannelDaily     = "update_agg_channel_daily"
	CmdChannelMonthly   = "update_agg_channel_monthly"
	CmdCampaignDaily    = "update_agg_campaign_daily"
	CmdLandingPageDaily = "update_agg_landing_page_daily"
	CmdGoalDaily        = "update_agg_goal_daily"
	CmdPathDaily        = "update_agg_path_daily"
	CmdProductDaily     = "update_agg_product_daily"
	CmdKeywordDaily     = "update_agg_keyword_daily"
	CmdDeviceGeoDaily   = "update_agg_device_geo_daily"
)

// visitChannel is the logical table of classify_channels (see
// attrib.VisitChannel).
const visitChannel = "visit_channel"

// Commands returns the update_agg_* commands: daily, per account, each
// replacing exactly one local day of its aggregate table (delete + insert,
// rows sorted by their dimensions, in one transaction, with the table's
// data_version bumped), reading and writing what spec/domain.md §11 says.
//
// Rules shared by all of them:
//   - a day's visits are the visits whose started_at falls in the local
//     day; a day's sales are the sale rows with that date;
//   - "sales" and revenue measures count sales of macro goals
//     (goal.is_macro) — micro goals such as add-to-cart are sales rows for
//     the goal and path reports but would double revenue and inflate
//     conversion rates elsewhere; agg_goal_daily and agg_path_daily, which
//     have a goal dimension, count every goal;
//   - model-independent measures (visits, cost, clicks, ...) are repeated on
//     every active model's rows, so a report reads one model at a time;
//   - floating sums are added in Go in a fixed order, so a rerun writes
//     bit-identical values on both dialects.
func Commands() []command.Command {
	return []command.Command{
		{Name: CmdChannelDaily, App: "agg", ReadsFrom: []string{visitChannel, "sale_attribution", "ad_cost_daily"},
			WritesTo: []string{"agg_channel_daily"}, Run: runChannelDaily},
		{Name: CmdChannelMonthly, App: "agg", ReadsFrom: []string{"agg_channel_daily"},
			WritesTo: []string{"agg_channel_monthly"}, Run: runChannelMonthly},
		{Name: CmdCampaignDaily, App: "agg", ReadsFrom: []string{visitChannel, "sale_attribution", "ad_cost_daily"},
			WritesTo: []string{"agg_campaign_daily"}, Run: runCampaignDaily},
		{Name: CmdLandingPageDaily, App: "agg", ReadsFrom: []string{visitChannel, "touchpoint"},
			WritesTo: []string{"agg_landing_page_daily"}, Run: runLandingPageDaily},
		{Name: CmdGoalDaily, App: "agg", ReadsFrom: []string{"sale_attribution"},
			WritesTo: []string{"agg_goal_daily"}, Run: runGoalDaily},
		{Name: CmdPathDaily, App: "agg", ReadsFrom: []string{"touchpoint"},
			WritesTo: []string{"agg_path_daily"}, Run: runPathDaily},
		{Name: CmdProductDaily, App: "agg", ReadsFrom: []string{"sale", "event_item", "touchpoint"},
			WritesTo: []string{"agg_product_daily"}, Run: runProductDaily},
		{Name: CmdKeywordDaily, App: "agg", ReadsFrom: []string{"seo_keyword_rank_daily", "search_console_daily", visitChannel, "sale"},
			WritesTo: []string{"agg_keyword_daily"}, Run: runKeywordDaily},
		{Name: CmdDeviceGeoDaily, App: "agg", ReadsFrom: []string{"visit", "sale"},
			WritesTo: []string{"agg_device_geo_daily"}, Run: runDeviceGeoDaily},
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

// run runs fn in one transaction and wraps its error with the command,
// account and day.
func run(ctx context.Context, env *command.Env, name string, fn func(tx *db.Tx, d day) (int, error)) error {
	d := dayOf(env)
	n := 0
	err := env.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		n, err = fn(tx, d)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s %s: %w", name, env.Account.Token, env.Date, err)
	}
	env.Log.Info("aggregate updated", "rows", n)
	return nil
}

// Joins and conditions shared by the commands.
const (
	// macroSales restricts sale s to macro goals.
	macroSales = ` JOIN "goal" g ON g."id" = s."goal_id" AND g."is_macro" = TRUE `
	// dayVisits selects the day's visits (alias v).
	dayVisits = ` v."started_at" >= ? AND v."started_at" < ? `
)

// activeModels returns the active attribution models' ids, ascending.
func activeModels(ctx context.Context, q db.Querier) ([]int64, error) {
	var ids []int64
	err := db.QueryEach(ctx, q, `SELECT "id" FROM "attribution_model" WHERE "active" = TRUE ORDER BY "id"`, nil, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("attribution models: %w", err)
	}
	return ids, nil
}

// channels returns every channel's name by id and id by lower-case name
// (active channels win a name).
func channels(ctx context.Context, q db.Querier) (map[int64]string, map[string]int64, error) {
	names, ids := map[int64]string{}, map[string]int64{}
	err := db.QueryEach(ctx, q, `SELECT "id", "name" FROM "channel" ORDER BY "active" DESC, "id"`, nil, func(rows *sql.Rows) error {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		names[id] = name
		k := strings.ToLower(strings.TrimSpace(name))
		if _, ok := ids[k]; !ok {
			ids[k] = id
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("channels: %w", err)
	}
	return names, ids, nil
}

// costRow is one ad_cost_daily row of the day, with its channel.
type costRow struct {
	channel, campaign          int64
	impressions, clicks, cost  int64
	platformConversions        float64
	provider, externalCampaign string
}

// dayCosts reads the day's ad costs; none when ad_cost_daily does not
// exist (the integrations app is not installed). A row's channel is its
// campaign's, else the provider's usual one (PPC for Google and Microsoft
// Ads, Paid Social for Meta), else 0.
func dayCosts(ctx context.Context, tx *db.Tx, d day) ([]costRow, error) {
	ok, err := tableExists(ctx, tx, tx.Dialect(), "ad_cost_daily")
	if err != nil || !ok {
		return nil, err
	}
	_, byName, err := channels(ctx, tx)
	if err != nil {
		return nil, err
	}
	var out []costRow
	err = db.QueryEach(ctx, tx, `SELECT c."provider", c."campaign_external_id", c."campaign_id", k."channel_id", c."impressions", c."clicks",
		c."cost_minor", c."platform_conversions" FROM "ad_cost_daily" c LEFT JOIN "campaign" k ON k."id" = c."campaign_id"
		WHERE c."date" = ? ORDER BY c."provider", c."campaign_external_id"`, []any{d.date}, func(rows *sql.Rows) error {
		var r costRow
		var camp, ch sql.NullInt64
		if err := rows.Scan(&r.provider, &r.externalCampaign, &camp, &ch, &r.impressions, &r.clicks, &r.cost, &r.platformConversions); err != nil {
			return err
		}
		r.campaign, r.channel = idOf(camp), idOf(ch)
		if r.channel == 0 {
			switch r.provider {
			case "google", "microsoft_ads":
				r.channel = byName["ppc"]
			case "meta_ads":
				r.channel = byName["paid social"]
			}
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ad costs: %w", err)
	}
	return out, nil
}
