package agg

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// chanMeasures are agg_channel_daily's (and agg_channel_monthly's)
// measures, in column order.
type chanMeasures struct {
	visits, newVisits, pageViews, bounces, durationS int64
	sales, revenue                                   float64
	cost, impressions, clicks                        int64
}

func (m *chanMeasures) add(o *chanMeasures) {
	m.visits += o.visits
	m.newVisits += o.newVisits
	m.pageViews += o.pageViews
	m.bounces += o.bounces
	m.durationS += o.durationS
	m.sales += o.sales
	m.revenue += o.revenue
	m.cost += o.cost
	m.impressions += o.impressions
	m.clicks += o.clicks
}

func (m *chanMeasures) values() []any {
	return []any{m.visits, m.newVisits, m.pageViews, m.bounces, m.durationS, m.sales, m.revenue, m.cost, m.impressions, m.clicks}
}

var chanMeasureCols = []string{"visits", "new_visits", "page_views", "bounces", "duration_s", "sales", "revenue_minor", "cost_minor",
	"impressions", "clicks"}

type chanDev struct {
	channel int64
	device  string
}

type modelChanDev struct {
	model int64
	chanDev
}

// update_agg_channel_daily: per model, channel and device — visits,
// new_visits (the visitor's first visit ever), page_views, bounces and
// duration_s of the day's visits (by the visit's channel and device);
// sales and revenue_minor credited by the model to the day's macro-goal
// sales (by the touch's channel and its visit's device, "" for an offline
// touch); cost_minor, impressions and clicks of the day's ad costs (by the
// campaign's channel, device ""). Visit and cost measures are repeated on
// every active model's rows.
func runChannelDaily(ctx context.Context, env *command.Env) error {
	return run(ctx, env, CmdChannelDaily, func(tx *db.Tx, d day) (int, error) {
		models, err := activeModels(ctx, tx)
		if err != nil {
			return 0, err
		}
		shared := map[chanDev]*chanMeasures{}
		get := func(k chanDev) *chanMeasures {
			m := shared[k]
			if m == nil {
				m = &chanMeasures{}
				shared[k] = m
			}
			return m
		}
		err = db.QueryEach(ctx, tx, `SELECT v."channel_id", v."device", v."page_views", v."is_bounce", v."started_at", v."ended_at",
			CASE WHEN EXISTS (SELECT 1 FROM "visit" p WHERE p."visitor_id" = v."visitor_id"
				AND (p."started_at" < v."started_at" OR (p."started_at" = v."started_at" AND p."id" < v."id"))) THEN 0 ELSE 1 END
			FROM "visit" v WHERE`+dayVisits, []any{d.start, d.end}, func(rows *sql.Rows) error {
			var ch sql.NullInt64
			var device string
			var pv, isNew int64
			var bounce bool
			var start, end time.Time
			if err := rows.Scan(&ch, &device, &pv, &bounce, &start, &end, &isNew); err != nil {
				return err
			}
			m := get(chanDev{idOf(ch), device})
			m.visits++
			m.newVisits += isNew
			m.pageViews += pv
			if bounce {
				m.bounces++
			}
			m.durationS += max(int64(end.Sub(start)/time.Second), 0)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("visits: %w", err)
		}
		costs, err := dayCosts(ctx, tx, d)
		if err != nil {
			return 0, err
		}
		for _, c := range costs {
			m := get(chanDev{c.channel, ""})
			m.cost += c.cost
			m.impressions += c.impressions
			m.clicks += c.clicks
		}
		out := map[modelChanDev]*chanMeasures{}
		for _, model := range models {
			for k, m := range shared {
				cp := *m
				out[modelChanDev{model, k}] = &cp
			}
		}
		active := map[int64]bool{}
		for _, m := range models {
			active[m] = true
		}
		err = db.QueryEach(ctx, tx, `SELECT a."model_id", a."channel_id", v."device", a."credit", a."revenue_minor_credit"
			FROM "sale" s`+macroSales+`JOIN "sale_attribution" a ON a."sale_id" = s."id" LEFT JOIN "visit" v ON v."id" = a."visit_id"
			WHERE s."date" = ? ORDER BY a."sale_id", a."model_id", a."seq"`, []any{d.date}, func(rows *sql.Rows) error {
			var model int64
			var ch sql.NullInt64
			var device sql.NullString
			var credit, rev float64
			if err := rows.Scan(&model, &ch, &device, &credit, &rev); err != nil {
				return err
			}
			if !active[model] {
				return nil
			}
			k := modelChanDev{model, chanDev{idOf(ch), device.String}}
			m := out[k]
			if m == nil {
				m = &chanMeasures{}
				out[k] = m
			}
			m.sales += credit
			m.revenue += rev
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("attribution: %w", err)
		}
		keys := make([]modelChanDev, 0, len(out))
		for k := range out {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b modelChanDev) int {
			return cmp.Or(cmp.Compare(a.model, b.model), cmp.Compare(a.channel, b.channel), strings.Compare(a.device, b.device))
		})
		rows := make([][]any, len(keys))
		for i, k := range keys {
			rows[i] = append([]any{d.date, k.model, k.channel, k.device}, out[k].values()...)
		}
		cols := append([]string{"date", "model_id", "channel_id", "device"}, chanMeasureCols...)
		return len(rows), replaceDay(ctx, tx, "agg_channel_daily", "date", d.date, cols, rows)
	})
}

// update_agg_channel_monthly re-aggregates the local month containing the
// day from agg_channel_daily (summed over dates and devices), so the
// month row always equals the sum of its days.
func runChannelMonthly(ctx context.Context, env *command.Env) error {
	return run(ctx, env, CmdChannelMonthly, func(tx *db.Tx, d day) (int, error) {
		t, err := time.Parse(time.DateOnly, d.date)
		if err != nil {
			return 0, fmt.Errorf("date %q: %w", d.date, err)
		}
		month := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		from, to := month.Format(time.DateOnly), month.AddDate(0, 1, 0).Format(time.DateOnly)
		type key struct{ model, channel int64 }
		out := map[key]*chanMeasures{}
		var keys []key
		err = db.QueryEach(ctx, tx, `SELECT "model_id", "channel_id", `+strings.Join(quoteAll(chanMeasureCols), ", ")+` FROM "agg_channel_daily"
			WHERE "date" >= ? AND "date" < ? ORDER BY "model_id", "channel_id", "date", "device"`, []any{from, to}, func(rows *sql.Rows) error {
			var k key
			var m chanMeasures
			if err := rows.Scan(&k.model, &k.channel, &m.visits, &m.newVisits, &m.pageViews, &m.bounces, &m.durationS, &m.sales, &m.revenue,
				&m.cost, &m.impressions, &m.clicks); err != nil {
				return err
			}
			if out[k] == nil {
				out[k] = &chanMeasures{}
				keys = append(keys, k)
			}
			out[k].add(&m)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("daily rows: %w", err)
		}
		rows := make([][]any, len(keys))
		for i, k := range keys {
			rows[i] = append([]any{from, k.model, k.channel}, out[k].values()...)
		}
		cols := append([]string{"month", "model_id", "channel_id"}, chanMeasureCols...)
		return len(rows), replaceDay(ctx, tx, "agg_channel_monthly", "month", from, cols, rows)
	})
}

func quoteAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = db.QuoteIdent(c)
	}
	return out
}

// campaignMeasures are agg_campaign_daily's measures.
type campaignMeasures struct {
	visits                    int64
	sales, revenue            float64
	cost, impressions, clicks int64
	platformConversions       float64
}

// update_agg_campaign_daily: per model, channel and campaign — visits of
// the day (by the visit's channel and campaign), sales and revenue_minor
// credited to touches of the day's macro-goal sales (by the touch's
// channel and campaign), and cost_minor, impressions, clicks and
// platform_conversions of the day's ad costs (by campaign and its
// channel). Campaign 0 holds what has no campaign. Visit and cost
// measures are repeated on every active model's rows.
func runCampaignDaily(ctx context.Context, env *command.Env) error {
	return run(ctx, env, CmdCampaignDaily, func(tx *db.Tx, d day) (int, error) {
		models, err := activeModels(ctx, tx)
		if err != nil {
			return 0, err
		}
		type chanCamp struct{ channel, campaign int64 }
		type key struct {
			model int64
			chanCamp
		}
		shared := map[chanCamp]*campaignMeasures{}
		get := func(k chanCamp) *campaignMeasures {
			if shared[k] == nil {
				shared[k] = &campaignMeasures{}
			}
			return shared[k]
		}
		err = db.QueryEach(ctx, tx, `SELECT v."channel_id", v."campaign_id", COUNT(*) FROM "visit" v WHERE`+dayVisits+`GROUP BY v."channel_id", v."campaign_id"`,
			[]any{d.start, d.end}, func(rows *sql.Rows) error {
				var ch, camp sql.NullInt64
				var n int64
				if err := rows.Scan(&ch, &camp, &n); err != nil {
					return err
				}
				get(chanCamp{idOf(ch), idOf(camp)}).visits += n
				return nil
			})
		if err != nil {
			return 0, fmt.Errorf("visits: %w", err)
		}
		costs, err := dayCosts(ctx, tx, d)
		if err != nil {
			return 0, err
		}
		for _, c := range costs {
			m := get(chanCamp{c.channel, c.campaign})
			m.cost += c.cost
			m.impressions += c.impressions
			m.clicks += c.clicks
			m.platformConversions += c.platformConversions
		}
		out := map[key]*campaignMeasures{}
		active := map[int64]bool{}
		for _, model := range models {
			active[model] = true
			for k, m := range shared {
				cp := *m
				out[key{model, k}] = &cp
			}
		}
		err = db.QueryEach(ctx, tx, `SELECT a."model_id", a."channel_id", a."campaign_id", a."credit", a."revenue_minor_credit"
			FROM "sale" s`+macroSales+`JOIN "sale_attribution" a ON a."sale_id" = s."id"
			WHERE s."date" = ? ORDER BY a."sale_id", a."model_id", a."seq"`, []any{d.date}, func(rows *sql.Rows) error {
			var model int64
			var ch, camp sql.NullInt64
			var credit, rev float64
			if err := rows.Scan(&model, &ch, &camp, &credit, &rev); err != nil {
				return err
			}
			if !active[model] {
				return nil
			}
			k := key{model, chanCamp{idOf(ch), idOf(camp)}}
			if out[k] == nil {
				out[k] = &campaignMeasures{}
			}
			out[k].sales += credit
			out[k].revenue += rev
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("attribution: %w", err)
		}
		rows := sortedRows(out, func(a, b key) int {
			return cmp.Or(cmp.Compare(a.model, b.model), cmp.Compare(a.channel, b.channel), cmp.Compare(a.campaign, b.campaign))
		}, func(k key, m *campaignMeasures) []any {
			return []any{d.date, k.model, k.channel, k.campaign, m.visits, m.sales, m.revenue, m.cost, m.impressions, m.clicks, m.platformConversions}
		})
		cols := []string{"date", "model_id", "channel_id", "campaign_id", "visits", "sales", "revenue_minor", "cost_minor", "impressions", "clicks",
			"platform_conversions"}
		return len(rows), replaceDay(ctx, tx, "agg_campaign_daily", "date", d.date, cols, rows)
	})
}
