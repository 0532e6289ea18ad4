package agg_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apps/agg"
	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/apps/integrations/fake"
	"github.com/cubedhq/cubed/internal/apps/seopt"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/report"
	"github.com/cubedhq/cubed/internal/secret"
)

// Report fixture: 14 generated days, Google Ads costs and Search Console
// rows imported from the fake provider, the whole pipeline and the SEO
// commands run over them.
const (
	repFrom = "2024-03-01"
	repTo   = "2024-03-14"
)

type reportWorld struct {
	w      *world
	s      *shop
	eng    *report.Engine
	reg    *report.Registry
	svc    *integrations.Service
	acct   command.Account
	vstart time.Time // the range's visits: started_at in [vstart, vend)
	vend   time.Time
}

func newReportWorld(t *testing.T, tg dbtest.Target) *reportWorld {
	t.Helper()
	ctx := context.Background()
	w := newWorld(t, tg)
	s := w.account(t, "reports")
	w.generate(t, s, 7, 14, 800, date(t, repTo))
	rw := &reportWorld{w: w, s: s, eng: report.NewEngine(report.Options{}), reg: report.NewRegistry()}
	if err := rw.reg.Add(append(agg.Reports(), seopt.Reports()...)...); err != nil {
		t.Fatal(err)
	}
	loc := s.acct.Location()
	rw.vstart, rw.vend = command.DateRange(date(t, repFrom), date(t, repTo), loc)
	rw.acct = command.Account{ID: s.acct.ID, Token: s.acct.Token, Name: s.acct.Name, Country: "gb", Domain: s.acct.Domain,
		TimeZone: s.acct.TimeZone, Currency: s.acct.Currency, Location: loc}

	// Costs and search data through the integrations import code path.
	fk := fake.New(fake.Options{})
	ts := httptest.NewServer(fk)
	t.Cleanup(ts.Close)
	box, err := secret.New([]byte(strings.Repeat("r", 32)))
	if err != nil {
		t.Fatal(err)
	}
	rw.svc, err = integrations.New(integrations.Options{Config: fake.Config(ts.URL, "http://cubed.test"), Box: box, Control: w.app.Control})
	if err != nil {
		t.Fatal(err)
	}
	user, err := db.InsertID(ctx, w.app.Control, `INSERT INTO "user" ("email") VALUES (?)`, "reports@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Connect(ctx, rw.svc, integrations.Google, s.acct.ID, user); err != nil {
		t.Fatal(err)
	}
	if _, err := rw.svc.ImportAdCostsRange(ctx, integrations.Google, rw.acct, s.d, date(t, repFrom), date(t, repTo)); err != nil {
		t.Fatal(err)
	}
	if _, err := rw.svc.ImportSearchConsoleRange(ctx, rw.acct, s.d, date(t, repFrom), date(t, repTo)); err != nil {
		t.Fatal(err)
	}
	w.pipeline(t, s, repFrom, repTo)
	w.pipeline(t, s, repFrom, repTo, "update_seo_keywords", "update_seo_ranks", "update_agg_keyword_daily")
	for _, table := range []string{"ad_cost_daily", "search_console_daily", "seo_keyword_rank_daily", "sale", "touchpoint"} {
		if n := scalar[int64](t, s.d, `SELECT COUNT(*) FROM `+db.QuoteIdent(table)); n == 0 {
			t.Fatalf("fixture: %s is empty", table)
		}
	}
	return rw
}

// get runs a report through the engine as the API does and returns its
// JSON body decoded.
func (rw *reportWorld) get(t *testing.T, name, qs string) map[string]any {
	t.Helper()
	r, ok := rw.reg.Get(name)
	if !ok {
		t.Fatalf("no report %s", name)
	}
	p, err := resource.ParseQuery(qs)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rq, err := rw.eng.Prepare(ctx, report.Env{DB: rw.s.d, Loc: rw.acct.Location, AccountID: rw.acct.ID, Account: rw.acct.Token,
		Currency: rw.acct.Currency, Path: "/api/v1/" + name + "/", Now: time.Now()}, r, p)
	if err != nil {
		t.Fatalf("%s?%s: %v", name, qs, err)
	}
	res, err := rq.Run(ctx)
	if err != nil {
		t.Fatalf("%s?%s: %v", name, qs, err)
	}
	raw, err := json.Marshal(res.Body())
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	return body
}

func totals(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	tot, ok := body["meta"].(map[string]any)["totals"].(map[string]any)
	if !ok {
		t.Fatalf("no meta.totals in %v", body["meta"])
	}
	return tot
}

func objectsOf(body map[string]any) []map[string]any {
	var out []map[string]any
	for _, o := range body["objects"].([]any) {
		out = append(out, o.(map[string]any))
	}
	return out
}

// near compares a report value with a number computed from the processed
// tables; reports round money to 2 decimals and ratios to 6 places.
func near(t *testing.T, what string, got any, want float64) {
	t.Helper()
	g, ok := got.(float64)
	if !ok {
		t.Errorf("%s: got %v (%T), want %v", what, got, got, want)
		return
	}
	if math.Abs(g-want) > 0.006+1e-6*math.Abs(want) {
		t.Errorf("%s: got %v, want %v", what, g, want)
	}
}

// sumRows adds a metric over a response's rows.
func sumRows(rows []map[string]any, metric string) float64 {
	var s float64
	for _, r := range rows {
		if v, ok := r[metric].(float64); ok {
			s += v
		}
	}
	return s
}

// num runs a one-number query (NULL is 0).
func (rw *reportWorld) num(t *testing.T, stmt string, args ...any) float64 {
	t.Helper()
	var v sql.NullFloat64
	if err := rw.s.d.QueryRow(context.Background(), stmt, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	return v.Float64
}

// Direct SQL over the processed tables, independent of the aggregates.
const (
	qVisits       = `SELECT COUNT(*) FROM "visit" WHERE "started_at" >= ? AND "started_at" < ?`
	qBounces      = `SELECT COUNT(*) FROM "visit" WHERE "started_at" >= ? AND "started_at" < ? AND "is_bounce" = TRUE`
	qNewVisits    = `SELECT COUNT(*) FROM "visit" v WHERE v."started_at" >= ? AND v."started_at" < ? AND NOT EXISTS (SELECT 1 FROM "visit" p WHERE p."visitor_id" = v."visitor_id" AND (p."started_at" < v."started_at" OR (p."started_at" = v."started_at" AND p."id" < v."id")))`
	macro         = ` FROM "sale" s JOIN "goal" g ON g."id" = s."goal_id" AND g."is_macro" = TRUE WHERE s."date" >= ? AND s."date" <= ?`
	qMacroSales   = `SELECT COUNT(*)` + macro
	qMacroRevenue = `SELECT SUM(s."revenue_minor")` + macro
	qCost         = `SELECT SUM("cost_minor") FROM "ad_cost_daily" WHERE "date" >= ? AND "date" <= ?`
)

// TestReportsAgainstProcessedTables: every report of the catalogue, read
// through the engine with totals and a group_by over generated data,
// agrees with totals computed directly from the processed tables; the
// rows of additive metrics sum to the totals; derived metrics in totals
// are ratios of the sums.
func TestReportsAgainstProcessedTables(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		rw := newReportWorld(t, tg)
		t.Run("catalogue", func(t *testing.T) { reportCatalogue(t, rw) })
		t.Run("costs", func(t *testing.T) { reportCosts(t, rw) }) // last: it rewrites costs
	})
}

func reportCatalogue(t *testing.T, rw *reportWorld) {
	{
		rng := "&date__gte=" + repFrom + "&date__lte=" + repTo
		vis := []any{rw.vstart, rw.vend}
		days := []any{repFrom, repTo}
		visits := rw.num(t, qVisits, vis...)
		bounces := rw.num(t, qBounces, vis...)
		newVisits := rw.num(t, qNewVisits, vis...)
		sales := rw.num(t, qMacroSales, days...)
		revenue := rw.num(t, qMacroRevenue, days...) / 100
		cost := rw.num(t, qCost, days...) / 100
		if visits == 0 || sales == 0 || cost == 0 {
			t.Fatalf("fixture: %v visits, %v sales, %v cost", visits, sales, cost)
		}
		// Every catalogue report is covered below.
		covered := map[string]bool{}
		check := func(name, qs string, fn func(t *testing.T, tot map[string]any, rows []map[string]any)) {
			covered[name] = true
			t.Run(name, func(t *testing.T) {
				body := rw.get(t, name, "limit=1000&totals=true"+rng+qs)
				rows := objectsOf(body)
				if tc := body["meta"].(map[string]any)["total_count"].(float64); int(tc) != len(rows) {
					t.Fatalf("total_count %v, %d rows (raise the limit)", tc, len(rows))
				}
				fn(t, totals(t, body), rows)
			})
		}
		additive := func(t *testing.T, tot map[string]any, rows []map[string]any, metrics ...string) {
			t.Helper()
			for _, m := range metrics {
				near(t, "rows' "+m+" sum", sumRows(rows, m), tot[m].(float64))
			}
		}

		check("report-overview", "&group_by=date", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			if len(rows) != 14 {
				t.Errorf("%d date rows, want 14", len(rows))
			}
			near(t, "visits", tot["visits"], visits)
			near(t, "sales", tot["sales"], sales)
			near(t, "revenue", tot["revenue"], revenue)
			near(t, "cost", tot["cost"], cost)
			near(t, "conversion_rate", tot["conversion_rate"], sales/visits)
			near(t, "cpa", tot["cpa"], cost/sales)
			near(t, "roas", tot["roas"], revenue/cost)
			near(t, "aov", tot["aov"], revenue/sales)
			additive(t, tot, rows, "visits", "sales", "revenue", "cost")
		})
		check("report-channel-performance", "&group_by=channel,device", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			near(t, "visits", tot["visits"], visits)
			near(t, "bounce_rate", tot["bounce_rate"], bounces/visits)
			near(t, "new_visit_rate", tot["new_visit_rate"], newVisits/visits)
			near(t, "sales", tot["sales"], sales)
			near(t, "revenue", tot["revenue"], revenue)
			near(t, "cost", tot["cost"], cost)
			near(t, "cpa", tot["cpa"], cost/sales)
			near(t, "roas", tot["roas"], revenue/cost)
			near(t, "roi", tot["roi"], (revenue-cost)/cost)
			additive(t, tot, rows, "visits", "sales", "revenue", "cost")
		})
		check("report-model-comparison", "&group_by=model,channel", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			// Per model and channel: the model's credits vs last click's,
			// straight from sale_attribution.
			type mc struct {
				model, channel int64
			}
			credit := map[mc]float64{}
			var lastClick int64
			each(t, rw.s.d, `SELECT "id" FROM "attribution_model" WHERE "code" = 'last_click'`, nil, func(r *sql.Rows) error { return r.Scan(&lastClick) })
			each(t, rw.s.d, `SELECT a."model_id", COALESCE(a."channel_id", 0), SUM(a."credit")
				FROM "sale" s JOIN "goal" g ON g."id" = s."goal_id" AND g."is_macro" = TRUE JOIN "sale_attribution" a ON a."sale_id" = s."id"
				JOIN "attribution_model" m ON m."id" = a."model_id" AND m."active" = TRUE
				WHERE s."date" >= ? AND s."date" <= ? GROUP BY a."model_id", COALESCE(a."channel_id", 0)`, days, func(r *sql.Rows) error {
				var k mc
				var v float64
				err := r.Scan(&k.model, &k.channel, &v)
				credit[k] = v
				return err
			})
			seen := 0
			for _, row := range rows {
				k := mc{int64(row["model"].(map[string]any)["id"].(float64)), 0}
				if ch, ok := row["channel"].(map[string]any)["id"].(float64); ok {
					k.channel = int64(ch)
				}
				want, lc := credit[k], credit[mc{lastClick, k.channel}]
				near(t, fmt.Sprintf("sales %v", k), row["sales"], want)
				if lc == 0 {
					if row["change_vs_last_click"] != nil {
						t.Errorf("change_vs_last_click %v: %v, want null (no last-click sales)", k, row["change_vs_last_click"])
					}
				} else {
					near(t, fmt.Sprintf("change_vs_last_click %v", k), row["change_vs_last_click"], (want-lc)/lc)
				}
				if want != 0 {
					seen++
				}
			}
			n := 0
			for _, v := range credit {
				if v != 0 {
					n++
				}
			}
			if seen != n {
				t.Errorf("%d model/channel groups with sales in the report, %d in sale_attribution", seen, n)
			}
			models := rw.num(t, `SELECT COUNT(*) FROM "attribution_model" WHERE "active" = TRUE`)
			near(t, "sales over every model", tot["sales"], sales*models)
			// Every model credits each sale once, as last click does.
			near(t, "change_vs_last_click over every model", tot["change_vs_last_click"], 0)
		})
		check("report-assisted", "&group_by=channel", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			// A sale's last touch, and each distinct (landing path,
			// channel) of its earlier touches.
			lastTouch := rw.num(t, `SELECT COUNT(DISTINCT t."sale_id") FROM "touchpoint" t JOIN "sale" s ON s."id" = t."sale_id"
				JOIN "goal" g ON g."id" = s."goal_id" AND g."is_macro" = TRUE WHERE s."date" >= ? AND s."date" <= ?`, days...)
			assisted := rw.num(t, `SELECT COUNT(*) FROM (SELECT DISTINCT t."sale_id", COALESCE(v."landing_path", ''), COALESCE(t."channel_id", 0)
				FROM "touchpoint" t JOIN "sale" s ON s."id" = t."sale_id" JOIN "goal" g ON g."id" = s."goal_id" AND g."is_macro" = TRUE
				LEFT JOIN "visit" v ON v."id" = t."visit_id"
				WHERE s."date" >= ? AND s."date" <= ? AND t."seq" < (SELECT MAX(l."seq") FROM "touchpoint" l WHERE l."sale_id" = t."sale_id")) x`, days...)
			near(t, "last_click_sales", tot["last_click_sales"], lastTouch)
			near(t, "assisted_sales", tot["assisted_sales"], assisted)
			near(t, "assist_ratio", tot["assist_ratio"], assisted/lastTouch)
			additive(t, tot, rows, "last_click_sales", "assisted_sales")
		})
		check("report-campaigns", "&group_by=campaign", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			imp := rw.num(t, `SELECT SUM("impressions") FROM "ad_cost_daily" WHERE "date" >= ? AND "date" <= ?`, days...)
			clicks := rw.num(t, `SELECT SUM("clicks") FROM "ad_cost_daily" WHERE "date" >= ? AND "date" <= ?`, days...)
			near(t, "visits", tot["visits"], visits)
			near(t, "sales", tot["sales"], sales)
			near(t, "revenue", tot["revenue"], revenue)
			near(t, "cost", tot["cost"], cost)
			near(t, "impressions", tot["impressions"], imp)
			near(t, "clicks", tot["clicks"], clicks)
			near(t, "ctr", tot["ctr"], clicks/imp)
			near(t, "cpc", tot["cpc"], cost/clicks)
			near(t, "cpa", tot["cpa"], cost/sales)
			near(t, "roas", tot["roas"], revenue/cost)
			additive(t, tot, rows, "visits", "sales", "revenue", "cost", "impressions", "clicks")
		})
		check("report-sales", "&group_by=sale", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			all := []any{repFrom, repTo}
			n := rw.num(t, `SELECT COUNT(*) FROM "sale" WHERE "date" >= ? AND "date" <= ?`, all...)
			if float64(len(rows)) != n {
				t.Errorf("%d rows, want one per sale: %v", len(rows), n)
			}
			near(t, "sales", tot["sales"], n)
			near(t, "revenue", tot["revenue"], rw.num(t, `SELECT SUM("revenue_minor") FROM "sale" WHERE "date" >= ? AND "date" <= ?`, all...)/100)
			near(t, "items", tot["items"], rw.num(t, `SELECT SUM("items") FROM "sale" WHERE "date" >= ? AND "date" <= ?`, all...))
			near(t, "touches", tot["touches"], rw.num(t, `SELECT COUNT(*) FROM "touchpoint" t JOIN "sale" s ON s."id" = t."sale_id" WHERE s."date" >= ? AND s."date" <= ?`, all...))
			secs := rw.num(t, `SELECT SUM(m) FROM (SELECT MAX(t."seconds_before_sale") AS m FROM "touchpoint" t JOIN "sale" s ON s."id" = t."sale_id"
				WHERE s."date" >= ? AND s."date" <= ? GROUP BY t."sale_id") x`, all...)
			near(t, "days_to_convert", tot["days_to_convert"], secs/86400/n)
			additive(t, tot, rows, "sales", "revenue", "items", "touches")
			// One sale, checked field by field.
			var id, goal, items int64
			var rev float64
			each(t, rw.s.d, `SELECT "id", "goal_id", "items", "revenue_minor" FROM "sale" WHERE "date" >= ? AND "date" <= ? ORDER BY "id" LIMIT 1`, all,
				func(r *sql.Rows) error { return r.Scan(&id, &goal, &items, &rev) })
			one := objectsOf(rw.get(t, "report-sales", fmt.Sprintf("sale=%d&group_by=sale,goal,first_channel,last_channel%s", id, rng)))
			if len(one) != 1 || one[0]["goal"].(map[string]any)["id"].(float64) != float64(goal) {
				t.Fatalf("sale %d: %v", id, one)
			}
			near(t, "one sale's items", one[0]["items"], float64(items))
			near(t, "one sale's revenue", one[0]["revenue"], rev/100)
		})
		check("report-paths", "&group_by=path", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			all := []any{repFrom, repTo}
			n := rw.num(t, `SELECT COUNT(*) FROM "sale" WHERE "date" >= ? AND "date" <= ?`, all...)
			touches := rw.num(t, `SELECT COUNT(*) FROM "touchpoint" t JOIN "sale" s ON s."id" = t."sale_id" WHERE s."date" >= ? AND s."date" <= ?`, all...)
			near(t, "sales", tot["sales"], n)
			near(t, "revenue", tot["revenue"], rw.num(t, `SELECT SUM("revenue_minor") FROM "sale" WHERE "date" >= ? AND "date" <= ?`, all...)/100)
			near(t, "avg_touches", tot["avg_touches"], touches/n)
			additive(t, tot, rows, "sales", "revenue")
		})
		check("report-landing-pages", "&group_by=landing_path", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			near(t, "visits", tot["visits"], visits)
			near(t, "bounce_rate", tot["bounce_rate"], bounces/visits)
			paths := rw.num(t, `SELECT COUNT(DISTINCT "landing_path") FROM "visit" WHERE "started_at" >= ? AND "started_at" < ?`, vis...)
			if float64(len(rows)) < paths {
				t.Errorf("%d landing paths, %v in the visits", len(rows), paths)
			}
			additive(t, tot, rows, "visits", "sales", "revenue")
		})
		check("report-goals", "&group_by=goal", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			byGoal := map[int64]float64{}
			each(t, rw.s.d, `SELECT "goal_id", COUNT(*) FROM "sale" WHERE "date" >= ? AND "date" <= ? GROUP BY "goal_id"`, days, func(r *sql.Rows) error {
				var g int64
				var n float64
				err := r.Scan(&g, &n)
				byGoal[g] = n
				return err
			})
			for _, row := range rows {
				g := int64(row["goal"].(map[string]any)["id"].(float64))
				near(t, fmt.Sprintf("completions of goal %d", g), row["completions"], byGoal[g])
				delete(byGoal, g)
			}
			if len(byGoal) > 0 {
				t.Errorf("goals with sales missing from the report: %v", byGoal)
			}
			near(t, "revenue", tot["revenue"], rw.num(t, `SELECT SUM("revenue_minor") FROM "sale" WHERE "date" >= ? AND "date" <= ?`, days...)/100)
			additive(t, tot, rows, "completions", "revenue")
		})
		check("report-products", "&group_by=sku", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			items := ` FROM "event_item" i JOIN "sale" s ON s."event_id" = i."event_id" JOIN "goal" g ON g."id" = s."goal_id" AND g."is_macro" = TRUE
				WHERE s."date" >= ? AND s."date" <= ?`
			near(t, "units", tot["units"], rw.num(t, `SELECT SUM(i."quantity")`+items, days...))
			near(t, "revenue", tot["revenue"], rw.num(t, `SELECT SUM(i."quantity" * i."unit_price_minor")`+items, days...)/100)
			skus := rw.num(t, `SELECT COUNT(DISTINCT i."sku")`+items, days...)
			if float64(len(rows)) != skus {
				t.Errorf("%d SKUs, %v sold", len(rows), skus)
			}
			additive(t, tot, rows, "units", "revenue", "orders")
		})
		check("report-devices-geo", "&group_by=device,country", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			near(t, "visits", tot["visits"], visits)
			near(t, "sales", tot["sales"], sales)
			near(t, "revenue", tot["revenue"], revenue)
			near(t, "conversion_rate", tot["conversion_rate"], sales/visits)
			additive(t, tot, rows, "visits", "sales", "revenue")
		})
		check("report-seo-keywords", "&group_by=keyword", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			rank := rw.num(t, `SELECT SUM("rank") FROM "seo_keyword_rank_daily" WHERE "date" >= ? AND "date" <= ?`, days...)
			ranks := rw.num(t, `SELECT COUNT(*) FROM "seo_keyword_rank_daily" WHERE "date" >= ? AND "date" <= ?`, days...)
			near(t, "avg_rank", tot["avg_rank"], rank/ranks)
			near(t, "est_traffic", tot["est_traffic"], rw.num(t, `SELECT SUM("est_traffic") FROM "seo_keyword_rank_daily" WHERE "date" >= ? AND "date" <= ?`, days...))
			kws := rw.num(t, `SELECT COUNT(DISTINCT "keyword_id") FROM "seo_keyword_rank_daily" WHERE "date" >= ? AND "date" <= ?`, days...)
			if float64(len(rows)) != kws {
				t.Errorf("%d keywords, %v ranked", len(rows), kws)
			}
			sc := ` FROM "search_console_daily" sc WHERE sc."date" >= ? AND sc."date" <= ? AND EXISTS (SELECT 1 FROM "seo_keyword" k
				JOIN "seo_keyword_rank_daily" r ON r."keyword_id" = k."id" AND r."date" = sc."date" WHERE k."keyword" = LOWER(sc."query"))`
			clicks, imp := rw.num(t, `SELECT SUM(sc."clicks")`+sc, days...), rw.num(t, `SELECT SUM(sc."impressions")`+sc, days...)
			near(t, "clicks", tot["clicks"], clicks)
			near(t, "impressions", tot["impressions"], imp)
			near(t, "ctr", tot["ctr"], clicks/imp)
			additive(t, tot, rows, "clicks", "impressions", "est_traffic")
		})
		check("report-search-console", "&group_by=query,device", func(t *testing.T, tot map[string]any, rows []map[string]any) {
			sc := ` FROM "search_console_daily" WHERE "date" >= ? AND "date" <= ?`
			clicks, imp := rw.num(t, `SELECT SUM("clicks")`+sc, days...), rw.num(t, `SELECT SUM("impressions")`+sc, days...)
			near(t, "clicks", tot["clicks"], clicks)
			near(t, "impressions", tot["impressions"], imp)
			near(t, "ctr", tot["ctr"], clicks/imp)
			near(t, "avg_position", tot["avg_position"], rw.num(t, `SELECT SUM("position_sum")`+sc, days...)/imp)
			groups := rw.num(t, `SELECT COUNT(*) FROM (SELECT DISTINCT "query", "device"`+sc+`) x`, days...)
			if float64(len(rows)) != groups {
				t.Errorf("%d rows, %v query/device pairs", len(rows), groups)
			}
			additive(t, tot, rows, "clicks", "impressions")
		})
		var missing []string
		for _, n := range rw.reg.Names() {
			if !covered[n] {
				missing = append(missing, n)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("reports without a test against the processed tables: %v", missing)
		}
	}
}

// reportCosts: ad costs imported from the fake Google Ads appear in
// the channel and campaign reports; cost, CPA (cost / sales) and ROAS
// (revenue / cost) per row match a hand computation from ad_cost_daily and
// sale_attribution, and in totals they are ratios of the sums, not means
// of the rows' ratios. A rewrite of the costs changes the data version, so
// the results cache does not serve the old answer.
func reportCosts(t *testing.T, rw *reportWorld) {
	{
		rng := "&date__gte=" + repFrom + "&date__lte=" + repTo + "&limit=1000&totals=true"
		days := []any{repFrom, repTo}
		type agg struct{ cost, sales, revenue float64 }
		byKey := func(col string) map[int64]*agg {
			out := map[int64]*agg{}
			get := func(k int64) *agg {
				if out[k] == nil {
					out[k] = &agg{}
				}
				return out[k]
			}
			costCol := `COALESCE(a."campaign_id", 0)`
			if col == "channel_id" {
				costCol = `COALESCE(c."channel_id", 0)`
			}
			each(t, rw.s.d, `SELECT `+costCol+`, SUM(a."cost_minor") FROM "ad_cost_daily" a LEFT JOIN "campaign" c ON c."id" = a."campaign_id"
				WHERE a."date" >= ? AND a."date" <= ? GROUP BY `+costCol, days, func(r *sql.Rows) error {
				var k int64
				var v float64
				err := r.Scan(&k, &v)
				get(k).cost += v / 100
				return err
			})
			each(t, rw.s.d, `SELECT COALESCE(a."`+col+`", 0), SUM(a."credit"), SUM(a."revenue_minor_credit")
				FROM "sale" s JOIN "goal" g ON g."id" = s."goal_id" AND g."is_macro" = TRUE JOIN "sale_attribution" a ON a."sale_id" = s."id"
				JOIN "attribution_model" m ON m."id" = a."model_id" AND m."is_default" = TRUE
				WHERE s."date" >= ? AND s."date" <= ? GROUP BY COALESCE(a."`+col+`", 0)`, days, func(r *sql.Rows) error {
				var k int64
				var sales, rev float64
				err := r.Scan(&k, &sales, &rev)
				get(k).sales += sales
				get(k).revenue += rev / 100
				return err
			})
			return out
		}
		for _, c := range []struct{ report, dim, col string }{
			{"report-channel-performance", "channel", "channel_id"},
			{"report-campaigns", "campaign", "campaign_id"},
		} {
			t.Run(c.report, func(t *testing.T) {
				want := byKey(c.col)
				body := rw.get(t, c.report, "group_by="+c.dim+rng)
				rows := objectsOf(body)
				var sum agg
				var rowRatios []float64
				withCost := 0
				for _, row := range rows {
					var k int64
					if id, ok := row[c.dim].(map[string]any)["id"].(float64); ok {
						k = int64(id)
					}
					w := want[k]
					if w == nil {
						w = &agg{}
					}
					sum.cost += w.cost
					sum.sales += w.sales
					sum.revenue += w.revenue
					near(t, fmt.Sprintf("%s %d cost", c.dim, k), row["cost"], w.cost)
					near(t, fmt.Sprintf("%s %d sales", c.dim, k), row["sales"], w.sales)
					near(t, fmt.Sprintf("%s %d revenue", c.dim, k), row["revenue"], w.revenue)
					if w.cost > 0 {
						withCost++
						near(t, fmt.Sprintf("%s %d roas", c.dim, k), row["roas"], w.revenue/w.cost)
					} else if row["roas"] != nil {
						t.Errorf("%s %d: roas %v without cost, want null", c.dim, k, row["roas"])
					}
					if w.sales > 0 {
						near(t, fmt.Sprintf("%s %d cpa", c.dim, k), row["cpa"], w.cost/w.sales)
						rowRatios = append(rowRatios, w.cost/w.sales)
					} else if row["cpa"] != nil {
						t.Errorf("%s %d: cpa %v without sales, want null", c.dim, k, row["cpa"])
					}
				}
				if withCost == 0 || len(rowRatios) < 2 {
					t.Fatalf("%d rows with imported cost, %d with sales: the fixture cannot test CPA and ROAS", withCost, len(rowRatios))
				}
				t.Logf("%d rows, %d with cost; cost %.2f, sales %.2f, revenue %.2f", len(rows), withCost, sum.cost, sum.sales, sum.revenue)
				tot := totals(t, body)
				near(t, "totals cost", tot["cost"], sum.cost)
				near(t, "totals cpa", tot["cpa"], sum.cost/sum.sales)
				near(t, "totals roas", tot["roas"], sum.revenue/sum.cost)
				var mean float64
				for _, r := range rowRatios {
					mean += r / float64(len(rowRatios))
				}
				if math.Abs(mean-sum.cost/sum.sales) < 0.01 {
					t.Errorf("the rows' mean CPA %v equals the ratio of sums %v: the fixture does not tell them apart", mean, sum.cost/sum.sales)
				}
			})
		}
		t.Run("a cost rewrite is not served from the cache", func(t *testing.T) {
			q := "selected_fields=cost" + rng
			before := rw.get(t, "report-overview", q)
			exec(t, rw.s.d, `UPDATE "ad_cost_daily" SET "cost_minor" = "cost_minor" + 12345 WHERE "date" = ? AND "id" = (SELECT MIN("id") FROM "ad_cost_daily" WHERE "date" = ?)`, repTo, repTo)
			rw.w.pipeline(t, rw.s, repTo, repTo, "update_agg_channel_daily", "update_agg_channel_monthly")
			after := rw.get(t, "report-overview", q)
			if before["meta"].(map[string]any)["data_version"] == after["meta"].(map[string]any)["data_version"] {
				t.Errorf("data_version unchanged by the rewrite: %v", after["meta"])
			}
			near(t, "cost after the rewrite", totals(t, after)["cost"], totals(t, before)["cost"].(float64)+123.45)
		})
	}
}

// TestReportCatalogue: every report of spec/domain.md §12 is registered by
// the apps (so the API root and /schema/ list it) with the catalogue's
// dimensions and metrics, each with a display name and a type, and costs,
// CPA, ranks and positions marked lower-is-better.
func TestReportCatalogue(t *testing.T) {
	catalogue := []struct {
		name       string
		dimensions string
		metrics    string
	}{
		{"report-overview", "date model", "visits sales revenue cost conversion_rate cpa roas aov"},
		{"report-channel-performance", "channel device date model", "visits new_visit_rate bounce_rate sales revenue cost cpa roas roi conversion_rate"},
		{"report-model-comparison", "channel model", "sales revenue change_vs_last_click"},
		{"report-assisted", "channel", "last_click_sales assisted_sales assist_ratio"},
		{"report-campaigns", "channel campaign date model", "impressions clicks ctr cpc cost visits sales revenue cpa roas platform_conversions"},
		{"report-sales", "date goal first_channel last_channel", "revenue items touches days_to_convert"},
		{"report-paths", "path goal", "sales revenue avg_touches avg_days_to_convert"},
		{"report-landing-pages", "landing_path channel", "visits bounce_rate sales revenue conversion_rate"},
		{"report-goals", "goal channel model", "completions revenue"},
		{"report-products", "sku channel", "units revenue orders"},
		{"report-seo-keywords", "keyword market date", "avg_rank clicks impressions ctr est_traffic seo_visits seo_sales"},
		{"report-search-console", "query page country device", "clicks impressions ctr avg_position"},
		{"report-devices-geo", "device country", "visits sales revenue conversion_rate"},
	}
	lowerIsBetter := map[string]bool{"cost": true, "cpa": true, "cpc": true, "bounce_rate": true, "avg_rank": true, "avg_position": true,
		"avg_days_to_convert": true, "days_to_convert": true}
	reg := report.NewRegistry()
	var names []string
	for _, r := range app.Registry().Reports {
		names = append(names, r.Name)
		if err := reg.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if len(names) != len(catalogue) {
		t.Errorf("registered reports %v, want the %d of the catalogue", names, len(catalogue))
	}
	for _, c := range catalogue {
		t.Run(c.name, func(t *testing.T) {
			r, ok := reg.Get(c.name)
			if !ok {
				t.Fatal("not registered")
			}
			doc := report.SchemaDoc(r)
			dims, mets := doc["dimensions"].(map[string]any), doc["metrics"].(map[string]any)
			for _, d := range strings.Fields(c.dimensions) {
				m, ok := dims[d].(map[string]any)
				if !ok || m["verbose_name"] == "" || m["type"] == "" {
					t.Errorf("dimension %s: %v", d, dims[d])
				}
			}
			for _, n := range strings.Fields(c.metrics) {
				m, ok := mets[n].(map[string]any)
				if !ok || m["verbose_name"] == "" || m["type"] == "" {
					t.Errorf("metric %s: %v", n, mets[n])
					continue
				}
				if m["higher_is_better"] != !lowerIsBetter[n] {
					t.Errorf("metric %s: higher_is_better %v", n, m["higher_is_better"])
				}
			}
		})
	}
}
