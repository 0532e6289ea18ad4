package agg

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// update_agg_landing_page_daily: per landing path and channel — visits
// and bounces of the day's visits; sales_last_click and
// revenue_minor_last_click of the day's macro-goal sales by their last
// touch's visit's landing path and the touch's channel; assisted_sales:
// the day's macro-goal sales counted once for each (landing path,
// channel) of one of their earlier touches. An offline touch has landing
// path "".
func runLandingPageDaily(ctx context.Context, env *command.Env) error {
	return run(ctx, env, CmdLandingPageDaily, func(tx *db.Tx, d day) (int, error) {
		type key struct {
			path    string
			channel int64
		}
		type meas struct{ visits, bounces, sales, revenue, assisted int64 }
		out := map[key]*meas{}
		get := func(k key) *meas {
			if out[k] == nil {
				out[k] = &meas{}
			}
			return out[k]
		}
		err := db.QueryEach(ctx, tx, `SELECT v."landing_path", v."channel_id", COUNT(*), SUM(CASE WHEN v."is_bounce" THEN 1 ELSE 0 END)
			FROM "visit" v WHERE`+dayVisits+`GROUP BY v."landing_path", v."channel_id"`, []any{d.start, d.end}, func(rows *sql.Rows) error {
			var path string
			var ch sql.NullInt64
			var n, b int64
			if err := rows.Scan(&path, &ch, &n, &b); err != nil {
				return err
			}
			m := get(key{path, idOf(ch)})
			m.visits += n
			m.bounces += b
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("visits: %w", err)
		}
		type touch struct {
			k   key
			rev int64
		}
		var sale int64 = -1
		var touches []touch
		flush := func() {
			if len(touches) == 0 {
				return
			}
			last := touches[len(touches)-1]
			m := get(last.k)
			m.sales++
			m.revenue += last.rev
			var seen []key
			for _, t := range touches[:len(touches)-1] {
				if !slices.Contains(seen, t.k) {
					seen = append(seen, t.k)
					get(t.k).assisted++
				}
			}
			touches = touches[:0]
		}
		err = db.QueryEach(ctx, tx, `SELECT s."id", s."revenue_minor", t."channel_id", v."landing_path" FROM "sale" s`+macroSales+`
			JOIN "touchpoint" t ON t."sale_id" = s."id" LEFT JOIN "visit" v ON v."id" = t."visit_id"
			WHERE s."date" = ? ORDER BY s."id", t."seq"`, []any{d.date}, func(rows *sql.Rows) error {
			var id, rev int64
			var ch sql.NullInt64
			var path sql.NullString
			if err := rows.Scan(&id, &rev, &ch, &path); err != nil {
				return err
			}
			if id != sale {
				flush()
				sale = id
			}
			touches = append(touches, touch{key{path.String, idOf(ch)}, rev})
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("touchpoints: %w", err)
		}
		flush()
		rows := sortedRows(out, func(a, b key) int {
			return cmp.Or(strings.Compare(a.path, b.path), cmp.Compare(a.channel, b.channel))
		}, func(k key, m *meas) []any {
			return []any{d.date, k.path, k.channel, m.visits, m.bounces, m.sales, m.revenue, m.assisted}
		})
		return len(rows), replaceDay(ctx, tx, "agg_landing_page_daily", "date", d.date,
			[]string{"date", "landing_path", "channel_id", "visits", "bounces", "sales_last_click", "revenue_minor_last_click", "assisted_sales"}, rows)
	})
}

// update_agg_goal_daily: per goal, channel and active model — completions
// (the credits) and revenue_minor (the revenue credits) of every sale of
// the day, whatever its goal.
func runGoalDaily(ctx context.Context, env *command.Env) error {
	return run(ctx, env, CmdGoalDaily, func(tx *db.Tx, d day) (int, error) {
		type key struct{ goal, channel, model int64 }
		type meas struct{ completions, revenue float64 }
		out := map[key]*meas{}
		err := db.QueryEach(ctx, tx, `SELECT s."goal_id", a."channel_id", a."model_id", a."credit", a."revenue_minor_credit"
			FROM "sale" s JOIN "sale_attribution" a ON a."sale_id" = s."id" JOIN "attribution_model" m ON m."id" = a."model_id" AND m."active" = TRUE
			WHERE s."date" = ? ORDER BY a."sale_id", a."model_id", a."seq"`, []any{d.date}, func(rows *sql.Rows) error {
			var goal, ch sql.NullInt64
			var model int64
			var credit, rev float64
			if err := rows.Scan(&goal, &ch, &model, &credit, &rev); err != nil {
				return err
			}
			k := key{idOf(goal), idOf(ch), model}
			if out[k] == nil {
				out[k] = &meas{}
			}
			out[k].completions += credit
			out[k].revenue += rev
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("attribution: %w", err)
		}
		rows := sortedRows(out, func(a, b key) int {
			return cmp.Or(cmp.Compare(a.goal, b.goal), cmp.Compare(a.channel, b.channel), cmp.Compare(a.model, b.model))
		}, func(k key, m *meas) []any {
			return []any{d.date, k.goal, k.channel, k.model, m.completions, m.revenue}
		})
		return len(rows), replaceDay(ctx, tx, "agg_goal_daily", "date", d.date,
			[]string{"date", "goal_id", "channel_id", "model_id", "completions", "revenue_minor"}, rows)
	})
}

// Path formatting (spec/domain.md §6).
const (
	pathSep      = " > "
	pathMaxSteps = 10
	pathHead     = 4
	pathTail     = 5
	pathEllipsis = "…"
	pathUnknown  = "(unknown)"
	pathNone     = "(none)"
	pathMaxChars = 1000
)

// FormatPath renders a sale's touch channels as "SEO > PPC > Direct": at
// most 10 steps, a longer path keeping its first 4 and last 5 around "…".
// Consecutive repeats are kept (each touch is a step).
func FormatPath(names []string) string {
	if len(names) == 0 {
		return pathNone
	}
	if len(names) > pathMaxSteps {
		names = append(append(append([]string{}, names[:pathHead]...), pathEllipsis), names[len(names)-pathTail:]...)
	}
	s := strings.Join(names, pathSep)
	if utf8.RuneCountInString(s) > pathMaxChars {
		s = string([]rune(s)[:pathMaxChars])
	}
	return s
}

// update_agg_path_daily: per path and goal — the day's sales (every goal),
// their revenue_minor, touches_sum (number of touches) and
// days_to_convert_sum (first touch to sale, in days).
func runPathDaily(ctx context.Context, env *command.Env) error {
	return run(ctx, env, CmdPathDaily, func(tx *db.Tx, d day) (int, error) {
		names, _, err := channels(ctx, tx)
		if err != nil {
			return 0, err
		}
		type key struct {
			path string
			goal int64
		}
		type meas struct {
			sales, revenue, touches int64
			days                    float64
		}
		out := map[key]*meas{}
		var cur int64 = -1
		var goal, rev, firstSecs int64
		var steps []string
		flush := func() {
			if cur < 0 {
				return
			}
			k := key{FormatPath(steps), goal}
			if out[k] == nil {
				out[k] = &meas{}
			}
			m := out[k]
			m.sales++
			m.revenue += rev
			m.touches += int64(len(steps))
			m.days += float64(firstSecs) / 86400
			steps = steps[:0]
		}
		err = db.QueryEach(ctx, tx, `SELECT s."id", s."goal_id", s."revenue_minor", t."seq", t."channel_id", t."seconds_before_sale"
			FROM "sale" s LEFT JOIN "touchpoint" t ON t."sale_id" = s."id" WHERE s."date" = ? ORDER BY s."id", t."seq"`, []any{d.date},
			func(rows *sql.Rows) error {
				var id, r int64
				var g, seq, ch, secs sql.NullInt64
				if err := rows.Scan(&id, &g, &r, &seq, &ch, &secs); err != nil {
					return err
				}
				if id != cur {
					flush()
					cur, goal, rev, firstSecs = id, idOf(g), r, idOf(secs)
				}
				if seq.Valid {
					name := names[idOf(ch)]
					if name == "" {
						name = pathUnknown
					}
					steps = append(steps, name)
				}
				return nil
			})
		if err != nil {
			return 0, fmt.Errorf("touchpoints: %w", err)
		}
		flush()
		rows := sortedRows(out, func(a, b key) int {
			return cmp.Or(strings.Compare(a.path, b.path), cmp.Compare(a.goal, b.goal))
		}, func(k key, m *meas) []any {
			return []any{d.date, k.path, k.goal, m.sales, m.revenue, m.touches, m.days}
		})
		return len(rows), replaceDay(ctx, tx, "agg_path_daily", "date", d.date,
			[]string{"date", "path", "goal_id", "sales", "revenue_minor", "touches_sum", "days_to_convert_sum"}, rows)
	})
}

// update_agg_product_daily: per SKU and channel — units, revenue_minor
// (quantity × unit price) and orders (sales) of the items of the day's
// macro-goal sales, by the channel of the sale's last touch.
func runProductDaily(ctx context.Context, env *command.Env) error {
	return run(ctx, env, CmdProductDaily, func(tx *db.Tx, d day) (int, error) {
		last := map[int64]int64{} // sale -> last touch's channel
		err := db.QueryEach(ctx, tx, `SELECT t."sale_id", t."channel_id" FROM "sale" s`+macroSales+`JOIN "touchpoint" t ON t."sale_id" = s."id"
			WHERE s."date" = ? ORDER BY t."sale_id", t."seq"`, []any{d.date}, func(rows *sql.Rows) error {
			var id int64
			var ch sql.NullInt64
			if err := rows.Scan(&id, &ch); err != nil {
				return err
			}
			last[id] = idOf(ch)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("touchpoints: %w", err)
		}
		type key struct {
			sku     string
			channel int64
		}
		type meas struct {
			units, revenue int64
			orders         map[int64]bool
		}
		out := map[key]*meas{}
		err = db.QueryEach(ctx, tx, `SELECT s."id", i."sku", i."quantity", i."unit_price_minor" FROM "sale" s`+macroSales+`
			JOIN "event_item" i ON i."event_id" = s."event_id" WHERE s."date" = ? ORDER BY s."id", i."id"`, []any{d.date}, func(rows *sql.Rows) error {
			var id, qty, price int64
			var sku string
			if err := rows.Scan(&id, &sku, &qty, &price); err != nil {
				return err
			}
			k := key{sku, last[id]}
			if out[k] == nil {
				out[k] = &meas{orders: map[int64]bool{}}
			}
			m := out[k]
			m.units += qty
			m.revenue += qty * price
			m.orders[id] = true
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("items: %w", err)
		}
		rows := sortedRows(out, func(a, b key) int {
			return cmp.Or(strings.Compare(a.sku, b.sku), cmp.Compare(a.channel, b.channel))
		}, func(k key, m *meas) []any {
			return []any{d.date, k.sku, k.channel, m.units, m.revenue, int64(len(m.orders))}
		})
		return len(rows), replaceDay(ctx, tx, "agg_product_daily", "date", d.date,
			[]string{"date", "sku", "channel_id", "units", "revenue_minor", "orders"}, rows)
	})
}

// update_agg_device_geo_daily: per device and country — visits of the
// day, and sales and revenue_minor of the day's macro-goal sales by their
// converting visit's device and country ("" for a sale without a visit).
func runDeviceGeoDaily(ctx context.Context, env *command.Env) error {
	return run(ctx, env, CmdDeviceGeoDaily, func(tx *db.Tx, d day) (int, error) {
		type key struct{ device, country string }
		type meas struct{ visits, sales, revenue int64 }
		out := map[key]*meas{}
		get := func(k key) *meas {
			if out[k] == nil {
				out[k] = &meas{}
			}
			return out[k]
		}
		err := db.QueryEach(ctx, tx, `SELECT v."device", v."country", COUNT(*) FROM "visit" v WHERE`+dayVisits+`GROUP BY v."device", v."country"`,
			[]any{d.start, d.end}, func(rows *sql.Rows) error {
				var k key
				var n int64
				if err := rows.Scan(&k.device, &k.country, &n); err != nil {
					return err
				}
				get(k).visits += n
				return nil
			})
		if err != nil {
			return 0, fmt.Errorf("visits: %w", err)
		}
		err = db.QueryEach(ctx, tx, `SELECT v."device", v."country", s."revenue_minor" FROM "sale" s`+macroSales+`
			LEFT JOIN "visit" v ON v."id" = s."visit_id" WHERE s."date" = ?`, []any{d.date}, func(rows *sql.Rows) error {
			var dev, country sql.NullString
			var rev int64
			if err := rows.Scan(&dev, &country, &rev); err != nil {
				return err
			}
			m := get(key{dev.String, country.String})
			m.sales++
			m.revenue += rev
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("sales: %w", err)
		}
		rows := sortedRows(out, func(a, b key) int {
			return cmp.Or(strings.Compare(a.device, b.device), strings.Compare(a.country, b.country))
		}, func(k key, m *meas) []any {
			return []any{d.date, k.device, k.country, m.visits, m.sales, m.revenue}
		})
		return len(rows), replaceDay(ctx, tx, "agg_device_geo_daily", "date", d.date,
			[]string{"date", "device", "country", "visits", "sales", "revenue_minor"}, rows)
	})
}
