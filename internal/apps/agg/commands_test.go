package agg_test

import (
	"context"
	"database/sql"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/apps/agg"
	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// The generated dataset: 21 days ending 2025-04-02 in Europe/London
// (across the DST change of 2025-03-30), about 54,000 hits.
const (
	genSeed     = 1
	genDays     = 21
	genVisitors = 11000
)

var genEnd = time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)

// TestPipeline generates a dataset through the collector (cubed
// generate's engine), runs the whole pipeline over it and checks the
// invariants of spec/domain.md §14 on every day, that rerunning each
// command leaves every table byte-identical, that a pattern edit moves the
// numbers as it should, and that accounts are isolated.
func TestPipeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		w := newWorld(t, tg)
		a := w.account(t, "shop")
		t0 := time.Now()
		sum := w.generate(t, a, genSeed, genDays, genVisitors, genEnd)
		if sum.Hits() < 50000 {
			t.Fatalf("generated %d hits, want at least 50,000", sum.Hits())
		}
		t.Logf("generated %d hits (%d visits, %d sales) in %v", sum.Hits(), sum.Visits, sum.Sales, time.Since(t0).Round(time.Millisecond))
		insertCosts(t, a, sum.From, sum.To)
		st := w.pipeline(t, a, sum.From, sum.To)
		t.Logf("pipeline: %d days, %d runs in %v", st.Days, st.Runs, st.Elapsed.Round(time.Millisecond))
		for _, n := range st.Slowest()[:5] {
			t.Logf("  %-30s %v", n, st.ByCommand[n].Round(time.Millisecond))
		}
		days := dates(t, sum.From, sum.To)

		t.Run("invariants", func(t *testing.T) {
			checkInvariants(t, w, a, days)
			checkEdgeCases(t, a)
		})
		t.Run("rerun is byte-identical", func(t *testing.T) {
			for _, day := range []string{"2025-03-23", "2025-03-30", "2025-04-01"} {
				checkRerun(t, w, a, day)
			}
		})
		t.Run("pattern edit moves the numbers", func(t *testing.T) {
			checkPatternEdit(t, w, a, "2025-03-24")
		})
		t.Run("deactivated patterns leave no visit without a channel", func(t *testing.T) {
			checkDeactivation(t, w, a, "2025-03-25")
		})
		t.Run("keywords", func(t *testing.T) {
			checkKeywords(t, w, a, "2025-03-26")
		})
		t.Run("accounts are isolated", func(t *testing.T) {
			before := checksums(t, a.d, pipelineTables)
			b := w.account(t, "other")
			bs := w.generate(t, b, 2, 10, 800, genEnd)
			w.pipeline(t, b, bs.From, bs.To)
			if n := scalar[int64](t, b.d, `SELECT COUNT(*) FROM "agg_channel_daily"`); n == 0 {
				t.Fatal("account B has no aggregates")
			}
			if after := checksums(t, a.d, pipelineTables); !reflect.DeepEqual(before, after) {
				t.Errorf("account A changed when B's data changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	})
}

// insertCosts writes ad costs for every day: Google rows linked to the
// generated campaigns and a Meta row without a campaign row.
func insertCosts(t *testing.T, s *shop, from, to string) {
	t.Helper()
	brand := scalar[int64](t, s.d, `SELECT "id" FROM "campaign" WHERE "utm_campaign" = 'brand'`)
	generic := scalar[int64](t, s.d, `SELECT "id" FROM "campaign" WHERE "utm_campaign" = 'generic'`)
	now := time.Now().UTC()
	for i, day := range dates(t, from, to) {
		for _, r := range []struct {
			provider, ext string
			camp          any
			impr, clicks  int64
			cost          int64
		}{
			{"google", "1001", brand, 1000 + int64(i), 90, 4512 + int64(i)},
			{"google", "1002", generic, 3000, 150 + int64(i), 12001},
			{"meta_ads", "m-77", nil, 5000, 40, 2999},
		} {
			exec(t, s.d, `INSERT INTO "ad_cost_daily" ("date", "provider", "external_account_id", "campaign_id", "campaign_external_id", "campaign_name",
				"impressions", "clicks", "cost_minor", "platform_conversions", "platform_conversion_value_minor", "imported")
				VALUES (?, ?, 'acc-1', ?, ?, 'c', ?, ?, ?, 1.5, 0, ?)`, day, r.provider, r.camp, r.ext, r.impr, r.clicks, r.cost, now)
		}
	}
}

// dayBounds are a local day's UTC instants.
func dayBounds(t testing.TB, s *shop, day string) (time.Time, time.Time) {
	return command.DateRange(date(t, day), date(t, day), s.acct.Location())
}

func checkInvariants(t *testing.T, w *world, s *shop, days []string) {
	ctx := context.Background()
	models := map[int64]string{}
	each(t, s.d, `SELECT "id", "code" FROM "attribution_model" WHERE "active" = TRUE`, nil, func(r *sql.Rows) error {
		var id int64
		var code string
		err := r.Scan(&id, &code)
		models[id] = code
		return err
	})
	if len(models) != 7 {
		t.Fatalf("%d active models, want 7", len(models))
	}
	var lastClick int64
	for id, code := range models {
		if code == "last_click" {
			lastClick = id
		}
	}
	lookback := int64(s.acct.LookbackDays) * 86400
	var totalSales, totalVisits, offlineTouches int64
	for _, day := range days {
		start, end := dayBounds(t, s, day)
		visits := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "visit" WHERE "started_at" >= ? AND "started_at" < ?`, start, end)
		totalVisits += visits
		// 1. Every visit of the day has exactly one (existing) channel.
		if n := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "visit" v LEFT JOIN "channel" c ON c."id" = v."channel_id"
			WHERE v."started_at" >= ? AND v."started_at" < ? AND c."id" IS NULL`, start, end); n != 0 {
			t.Errorf("%s: %d visits without a channel", day, n)
		}
		nSales := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "sale" WHERE "date" = ?`, day)
		totalSales += nSales
		var macroN, macroRev int64
		if err := s.d.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(s."revenue_minor"), 0) FROM "sale" s JOIN "goal" g ON g."id" = s."goal_id"
			WHERE s."date" = ? AND g."is_macro" = TRUE`, day).Scan(&macroN, &macroRev); err != nil {
			t.Fatal(err)
		}
		// 2, 3. Credits per sale and model sum to 1, each in [0, 1];
		// revenue credits sum to the revenue.
		type sm struct{ sale, model int64 }
		credit, revCredit := map[sm]float64{}, map[sm]float64{}
		revenue := map[int64]int64{}
		each(t, s.d, `SELECT s."id", s."revenue_minor", a."model_id", a."credit", a."revenue_minor_credit" FROM "sale" s
			JOIN "sale_attribution" a ON a."sale_id" = s."id" WHERE s."date" = ? ORDER BY a."sale_id", a."model_id", a."seq"`, []any{day},
			func(r *sql.Rows) error {
				var k sm
				var rev int64
				var c, rc float64
				if err := r.Scan(&k.sale, &rev, &k.model, &c, &rc); err != nil {
					return err
				}
				if c < 0 || c > 1 {
					t.Errorf("%s: sale %d model %d: credit %v outside [0, 1]", day, k.sale, k.model, c)
				}
				credit[k] += c
				revCredit[k] += rc
				revenue[k.sale] = rev
				return nil
			})
		if int64(len(credit)) != nSales*int64(len(models)) {
			t.Errorf("%s: %d (sale, model) pairs attributed, want %d × %d", day, len(credit), nSales, len(models))
		}
		for k, c := range credit {
			if math.Abs(c-1) > 1e-9 {
				t.Errorf("%s: sale %d model %d: credits sum to %v", day, k.sale, k.model, c)
			}
			if d := math.Abs(revCredit[k] - float64(revenue[k.sale])); d > 1e-6 {
				t.Errorf("%s: sale %d model %d: revenue credited %v, revenue %d", day, k.sale, k.model, revCredit[k], revenue[k.sale])
			}
		}
		// 4, 5, 6, 8. agg_channel_daily per model.
		var costs, clicks, impr int64
		if err := s.d.QueryRow(ctx, `SELECT COALESCE(SUM("cost_minor"), 0), COALESCE(SUM("clicks"), 0), COALESCE(SUM("impressions"), 0)
			FROM "ad_cost_daily" WHERE "date" = ?`, day).Scan(&costs, &clicks, &impr); err != nil {
			t.Fatal(err)
		}
		seen := 0
		each(t, s.d, `SELECT "model_id", SUM("sales"), SUM("revenue_minor"), SUM("visits"), SUM("cost_minor"), SUM("clicks"), SUM("impressions")
			FROM "agg_channel_daily" WHERE "date" = ? GROUP BY "model_id"`, []any{day}, func(r *sql.Rows) error {
			var model, v, c, cl, im int64
			var sales, rev float64
			if err := r.Scan(&model, &sales, &rev, &v, &c, &cl, &im); err != nil {
				return err
			}
			seen++
			if math.Abs(sales-float64(macroN)) > 1e-6 {
				t.Errorf("%s model %d: agg sales %v, want %d", day, model, sales, macroN)
			}
			if math.Abs(rev-float64(macroRev)) > 1e-4 {
				t.Errorf("%s model %d: agg revenue %v, want %d", day, model, rev, macroRev)
			}
			if v != visits {
				t.Errorf("%s model %d: agg visits %d, want %d", day, model, v, visits)
			}
			if c != costs || cl != clicks || im != impr {
				t.Errorf("%s model %d: agg cost/clicks/impressions %d/%d/%d, ad_cost_daily %d/%d/%d", day, model, c, cl, im, costs, clicks, impr)
			}
			return nil
		})
		if seen != len(models) {
			t.Errorf("%s: agg_channel_daily has %d models, want %d", day, seen, len(models))
		}
		// 10. No touch after its sale; touches within lookback.
		if n := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "touchpoint" t JOIN "sale" s ON s."id" = t."sale_id"
			WHERE s."date" = ? AND (t."ts" > s."ts" OR t."seconds_before_sale" < 0 OR t."seconds_before_sale" > ?)`, day, lookback); n != 0 {
			t.Errorf("%s: %d touches after their sale or beyond the lookback", day, n)
		}
		// 12. Path counts sum to the day's sales.
		if n := scalar[int64](t, s.d, `SELECT COALESCE(SUM("sales"), 0) FROM "agg_path_daily" WHERE "date" = ?`, day); n != nSales {
			t.Errorf("%s: agg_path_daily sales %d, want %d", day, n, nSales)
		}
		// 13. last_click goes to the converting visit's channel.
		each(t, s.d, `SELECT s."id", v."channel_id", a."channel_id" FROM "sale" s JOIN "visit" v ON v."id" = s."visit_id"
			LEFT JOIN "sale_attribution" a ON a."sale_id" = s."id" AND a."model_id" = ? AND a."credit" = 1 WHERE s."date" = ?`, []any{lastClick, day},
			func(r *sql.Rows) error {
				var id int64
				var want, got sql.NullInt64
				if err := r.Scan(&id, &want, &got); err != nil {
					return err
				}
				if want != got {
					t.Errorf("%s: sale %d: last click credited to channel %v, converting visit's channel %v", day, id, got, want)
				}
				return nil
			})
		offlineTouches += scalar[int64](t, s.d, `SELECT COUNT(*) FROM "touchpoint" t JOIN "sale" s ON s."id" = t."sale_id"
			JOIN "channel" c ON c."id" = t."channel_id" WHERE s."date" = ? AND c."name" = 'Offline'`, day)
	}
	// 7. agg_channel_monthly equals agg_channel_daily summed by month.
	type mk struct {
		month         string
		model, chanID int64
	}
	type mv struct {
		visits, cost int64
		sales, rev   float64
	}
	daily, monthly := map[mk]mv{}, map[mk]mv{}
	each(t, s.d, `SELECT "date", "model_id", "channel_id", "visits", "cost_minor", "sales", "revenue_minor" FROM "agg_channel_daily"`, nil,
		func(r *sql.Rows) error {
			var d time.Time
			var k mk
			var v mv
			if err := r.Scan(&d, &k.model, &k.chanID, &v.visits, &v.cost, &v.sales, &v.rev); err != nil {
				return err
			}
			k.month = d.Format("2006-01")
			x := daily[k]
			x.visits, x.cost, x.sales, x.rev = x.visits+v.visits, x.cost+v.cost, x.sales+v.sales, x.rev+v.rev
			daily[k] = x
			return nil
		})
	each(t, s.d, `SELECT "month", "model_id", "channel_id", "visits", "cost_minor", "sales", "revenue_minor" FROM "agg_channel_monthly"`, nil,
		func(r *sql.Rows) error {
			var d time.Time
			var k mk
			var v mv
			if err := r.Scan(&d, &k.model, &k.chanID, &v.visits, &v.cost, &v.sales, &v.rev); err != nil {
				return err
			}
			if d.Day() != 1 {
				t.Errorf("monthly row dated %s", d.Format(time.DateOnly))
			}
			k.month = d.Format("2006-01")
			monthly[k] = v
			return nil
		})
	if len(daily) != len(monthly) {
		t.Errorf("monthly has %d rows, daily sums to %d", len(monthly), len(daily))
	}
	for k, want := range daily {
		got := monthly[k]
		if got.visits != want.visits || got.cost != want.cost || math.Abs(got.sales-want.sales) > 1e-6 || math.Abs(got.rev-want.rev) > 1e-4 {
			t.Errorf("monthly %+v = %+v, daily sum %+v", k, got, want)
		}
	}
	// 11. Each transaction id is at most one sale.
	if n := scalar[int64](t, s.d, `SELECT COUNT(*) FROM (SELECT "transaction_id" FROM "sale" GROUP BY "transaction_id" HAVING COUNT(*) > 1) x`); n != 0 {
		t.Errorf("%d transaction ids with several sales", n)
	}
	if totalSales == 0 || totalVisits == 0 || offlineTouches == 0 {
		t.Errorf("dataset too thin: %d sales, %d visits, %d offline touches", totalSales, totalVisits, offlineTouches)
	}
	t.Logf("checked %d days: %d visits, %d sales, %d offline touches", len(days), totalVisits, totalSales, offlineTouches)
}

// checkEdgeCases looks at the generator's edge cases (spec/domain.md §13).
func checkEdgeCases(t *testing.T, s *shop) {
	// A duplicate transaction id (reloaded thank-you page, reused a day
	// later) is one sale: the earliest event.
	var saleHit, firstHit string
	if err := s.d.QueryRow(context.Background(), `SELECT e."hit_id" FROM "sale" s JOIN "event" e ON e."id" = s."event_id" WHERE s."transaction_id" = 'T1-dup'`).
		Scan(&saleHit); err != nil {
		t.Fatalf("the duplicated transaction has no sale: %v", err)
	}
	firstHit = scalar[string](t, s.d, `SELECT "hit_id" FROM "event" WHERE "transaction_id" = 'T1-dup' ORDER BY "ts", "hit_id" LIMIT 1`)
	if n := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "event" WHERE "transaction_id" = 'T1-dup'`); n < 2 || saleHit != firstHit {
		t.Errorf("T1-dup: %d events; sale on %s, earliest %s", n, saleHit, firstHit)
	}
	// Back from PayPal after the session expired: the visit keeps PPC,
	// which gets the last click.
	if ch := scalar[string](t, s.d, `SELECT c."name" FROM "sale" s JOIN "visit" v ON v."id" = s."visit_id" JOIN "channel" c ON c."id" = v."channel_id"
		WHERE s."transaction_id" = 'T1-paypal'`); ch != "PPC" {
		t.Errorf("payment-referrer visit has channel %s, want PPC (the previous visit's)", ch)
	}
	// A sale with no prior visit: one touch, on its own visit.
	var n, sameVisit int64
	if err := s.d.QueryRow(context.Background(), `SELECT COUNT(*), SUM(CASE WHEN t."visit_id" = s."visit_id" THEN 1 ELSE 0 END) FROM "sale" s
		JOIN "touchpoint" t ON t."sale_id" = s."id" WHERE s."transaction_id" = 'T1-novisit'`).Scan(&n, &sameVisit); err != nil {
		t.Fatal(err)
	}
	if n != 1 || sameVisit != 1 {
		t.Errorf("sale without prior visit: %d touches, %d on its own visit", n, sameVisit)
	}
	// A direct-only journey: three Direct touches.
	if p := scalar[string](t, s.d, `SELECT p."path" FROM "agg_path_daily" p JOIN "sale" s ON s."date" = p."date" AND s."transaction_id" = 'T1-direct'
		WHERE p."path" LIKE 'Direct%' ORDER BY LENGTH(p."path") DESC LIMIT 1`); p != "Direct > Direct > Direct" {
		t.Errorf("direct-only journey path %q", p)
	}
}

// physical maps a command's WritesTo to the tables it changes.
func physical(c *command.Command) []string {
	var out []string
	for _, w := range c.WritesTo {
		if w == attrib.VisitChannel {
			w = "visit"
		}
		out = append(out, w)
	}
	switch c.Name {
	case attrib.CmdImportOfflineSales:
		out = append(out, "offline_sale_row", "event_item")
	case attrib.CmdSessionize:
		out = append(out, "page_view", "event", "label")
	case attrib.CmdCleanup:
		out = append(out, "touchpoint", "sale_attribution")
	}
	return out
}

// checkRerun runs every pipeline command again for day, checking after
// each that the tables it writes are unchanged, then that nothing at all
// changed.
func checkRerun(t *testing.T, w *world, s *shop, day string) {
	before := checksums(t, s.d, pipelineTables)
	g, err := w.app.Reg.Commands.Graph()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range g.Order() {
		c, _ := w.app.Reg.Commands.Get(name)
		if c.App != "attrib" && c.App != "agg" {
			continue
		}
		tables := physical(c)
		w.runOne(t, s, s.acct, name, day)
		after := checksums(t, s.d, tables)
		for _, tb := range tables {
			if after[tb] != before[tb] {
				t.Errorf("%s on %s changed %s: %s -> %s", name, day, tb, before[tb], after[tb])
			}
		}
	}
	if after := checksums(t, s.d, pipelineTables); !reflect.DeepEqual(before, after) {
		t.Errorf("rerun of %s changed tables:\nbefore %v\nafter  %v", day, before, after)
	}
}

// rerunFrom reruns cmd and everything downstream of it for day.
func rerunFrom(t *testing.T, w *world, s *shop, cmd, day string) {
	g, err := w.app.Reg.Commands.Graph()
	if err != nil {
		t.Fatal(err)
	}
	w.runOne(t, s, s.acct, cmd, day)
	for _, name := range g.Downstream(cmd) {
		w.runOne(t, s, s.acct, name, day)
	}
}

// channelTotals are last_click measures of agg_channel_daily by channel
// name for a day.
func channelTotals(t *testing.T, s *shop, day string) (visits map[string]int64, sales map[string]float64) {
	visits, sales = map[string]int64{}, map[string]float64{}
	each(t, s.d, `SELECT c."name", SUM(a."visits"), SUM(a."sales") FROM "agg_channel_daily" a JOIN "channel" c ON c."id" = a."channel_id"
		JOIN "attribution_model" m ON m."id" = a."model_id" AND m."code" = 'last_click' WHERE a."date" = ? GROUP BY c."name"`, []any{day},
		func(r *sql.Rows) error {
			var n string
			var v int64
			var sl float64
			err := r.Scan(&n, &v, &sl)
			visits[n], sales[n] = v, sl
			return err
		})
	return visits, sales
}

// checkPatternEdit adds a pattern sending bing.com to Email, reruns the
// day's classification and everything downstream, and checks that the
// day's organic Bing visits, and the sales whose last touch is one of
// them, moved from SEO to Email.
func checkPatternEdit(t *testing.T, w *world, s *shop, day string) {
	start, end := dayBounds(t, s, day)
	moved := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "visit" v JOIN "channel" c ON c."id" = v."channel_id"
		WHERE v."started_at" >= ? AND v."started_at" < ? AND c."name" = 'SEO' AND v."referrer_host" LIKE '%bing.com'`, start, end)
	movedSales := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "sale" s JOIN "goal" g ON g."id" = s."goal_id" AND g."is_macro" = TRUE
		JOIN "touchpoint" t ON t."sale_id" = s."id" AND t."seq" = (SELECT MAX(t2."seq") FROM "touchpoint" t2 WHERE t2."sale_id" = s."id")
		JOIN "visit" v ON v."id" = t."visit_id" JOIN "channel" c ON c."id" = v."channel_id"
		WHERE s."date" = ? AND v."started_at" >= ? AND c."name" = 'SEO' AND v."referrer_host" LIKE '%bing.com'`, day, start)
	if moved == 0 {
		t.Fatalf("%s has no organic Bing visit to move", day)
	}
	v0, s0 := channelTotals(t, s, day)
	email := scalar[int64](t, s.d, `SELECT "id" FROM "channel" WHERE "name" = 'Email'`)
	exec(t, s.d, `INSERT INTO "pattern" ("channel_id", "pattern", "match_on", "priority", "is_default", "active", "created", "updated")
		VALUES (?, ?, 'referrer', 1, FALSE, TRUE, ?, ?)`, email, `(^|\.)bing\.com$`, time.Now().UTC(), time.Now().UTC())
	rerunFrom(t, w, s, attrib.CmdClassifyChannels, day)
	v1, s1 := channelTotals(t, s, day)
	if v1["SEO"] != v0["SEO"]-moved || v1["Email"] != v0["Email"]+moved {
		t.Errorf("visits SEO %d -> %d, Email %d -> %d; want %d moved", v0["SEO"], v1["SEO"], v0["Email"], v1["Email"], moved)
	}
	if math.Abs(s1["Email"]-s0["Email"]-float64(movedSales)) > 1e-9 || math.Abs(s0["SEO"]-s1["SEO"]-float64(movedSales)) > 1e-9 {
		t.Errorf("last-click sales SEO %v -> %v, Email %v -> %v; want %d moved", s0["SEO"], s1["SEO"], s0["Email"], s1["Email"], movedSales)
	}
	t.Logf("%s: %d visits and %d last-click sales moved from SEO to Email", day, moved, movedSales)
	checkInvariants(t, w, s, []string{day})
}

// checkDeactivation deactivates every SEO pattern and reclassifies a day:
// every visit keeps a channel (search-engine referrals become Referral).
func checkDeactivation(t *testing.T, w *world, s *shop, day string) {
	exec(t, s.d, `UPDATE "pattern" SET "active" = FALSE WHERE "channel_id" = (SELECT "id" FROM "channel" WHERE "name" = 'SEO')`)
	rerunFrom(t, w, s, attrib.CmdClassifyChannels, day)
	start, end := dayBounds(t, s, day)
	if n := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "visit" WHERE "started_at" >= ? AND "started_at" < ? AND "channel_id" IS NULL`, start, end); n != 0 {
		t.Errorf("%d visits without a channel after deactivating patterns", n)
	}
	if n := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "visit" v JOIN "channel" c ON c."id" = v."channel_id"
		WHERE v."started_at" >= ? AND v."started_at" < ? AND c."name" = 'SEO'`, start, end); n != 0 {
		t.Errorf("%d SEO visits with no SEO pattern left", n)
	}
	checkInvariants(t, w, s, []string{day})
}

// The derived dependency graph of the pipeline commands is the one of
// spec/domain.md §11.
func TestDerivedGraphMatchesSpec(t *testing.T) {
	reg := command.NewRegistry()
	reg.Add(attrib.Commands()...)
	reg.Add(agg.Commands()...)
	stub := func(context.Context, *command.Env) error { return nil }
	reg.Add( // the other apps' commands, as §11 declares them
		command.Command{Name: "import_ad_costs", App: "integrations", ReadsFrom: []string{"control.integration_connection"}, WritesTo: []string{"ad_cost_daily"}, Run: stub},
		command.Command{Name: "import_search_console", App: "integrations", ReadsFrom: []string{"control.integration_connection"}, WritesTo: []string{"search_console_daily"}, Run: stub},
		command.Command{Name: "update_seo_keywords", App: "seopt", ReadsFrom: []string{"search_console_daily", "market"}, WritesTo: []string{"seo_keyword", "seo_keyword_rank_daily"}, Run: stub},
	)
	g, err := reg.Graph()
	if err != nil {
		t.Fatal(err)
	}
	// spec/domain.md §11, parent → children. The spec's listing omits
	// import_offline_sales → build_touchpoints, which its table implies
	// (import_offline_sales writes sync_id, build_touchpoints reads it);
	// the spec makes the derived graph authoritative.
	spec := map[string][]string{
		"import_offline_sales":     {"sessionize", "classify_channels", "build_sales", "update_agg_device_geo_daily", "build_touchpoints"},
		"sessionize":               {"classify_channels", "update_agg_device_geo_daily"},
		"classify_channels":        {"build_touchpoints", "update_agg_channel_daily", "update_agg_campaign_daily", "update_agg_landing_page_daily", "update_agg_keyword_daily"},
		"build_sales":              {"build_touchpoints", "update_agg_product_daily", "update_agg_keyword_daily", "update_agg_device_geo_daily"},
		"build_touchpoints":        {"attribute_sales", "update_agg_landing_page_daily", "update_agg_path_daily", "update_agg_product_daily"},
		"attribute_sales":          {"update_agg_channel_daily", "update_agg_campaign_daily", "update_agg_goal_daily"},
		"import_ad_costs":          {"update_agg_channel_daily", "update_agg_campaign_daily"},
		"import_search_console":    {"update_seo_keywords", "update_agg_keyword_daily"},
		"update_seo_keywords":      {"update_agg_keyword_daily"},
		"update_agg_channel_daily": {"update_agg_channel_monthly"},
	}
	var want, got []string
	for p, kids := range spec {
		for _, k := range kids {
			want = append(want, p+" -> "+k)
		}
	}
	for _, e := range g.Edges() {
		got = append(got, e.Parent+" -> "+e.Child)
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("derived edges differ from spec/domain.md §11:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	if _, ok := reg.Get("cleanup"); !ok || len(g.Parents("cleanup"))+len(g.Children("cleanup")) != 0 {
		t.Error("cleanup must exist and stand alone")
	}
}

func TestFormatPath(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "(none)"},
		{[]string{"SEO", "PPC", "Direct"}, "SEO > PPC > Direct"},
		{strings.Split("1 2 3 4 5 6 7 8 9 10", " "), "1 > 2 > 3 > 4 > 5 > 6 > 7 > 8 > 9 > 10"},
		{strings.Split("1 2 3 4 5 6 7 8 9 10 11 12", " "), "1 > 2 > 3 > 4 > … > 8 > 9 > 10 > 11 > 12"},
	} {
		if got := agg.FormatPath(tc.in); got != tc.want {
			t.Errorf("FormatPath(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// checkKeywords loads one keyword's rank and Search Console rows for a
// day and checks agg_keyword_daily.
func checkKeywords(t *testing.T, w *world, s *shop, day string) {
	now := time.Now().UTC()
	var kw int64
	if err := s.d.WriteRow(context.Background(), `INSERT INTO "seo_keyword" ("keyword", "search_volume", "status", "source", "created", "updated")
		VALUES ('tea mugs', 3000, 'active', 'client', ?, ?) RETURNING "id"`, now, now).Scan(&kw); err != nil {
		t.Fatal(err)
	}
	exec(t, s.d, `INSERT INTO "seo_keyword_rank_daily" ("date", "keyword_id", "rank", "url", "clicks", "impressions", "est_traffic")
		VALUES (?, ?, 3, 'https://shop.example.com/products/sku-001', 4, 90, 11)`, day, kw)
	exec(t, s.d, `INSERT INTO "search_console_daily" ("date", "query", "page", "country", "device", "clicks", "impressions", "position_sum")
		VALUES (?, 'Tea Mugs', 'https://shop.example.com/products/sku-001', 'gbr', 'mobile', 5, 100, 300),
		(?, 'tea mugs', 'https://shop.example.com/products/sku-001', 'gbr', 'desktop', 1, 10, 40),
		(?, 'teapots', 'https://shop.example.com/', 'gbr', 'desktop', 7, 70, 70)`, day, day, day)
	w.runOne(t, s, s.acct, agg.CmdKeywordDaily, day)
	start, end := dayBounds(t, s, day)
	visits := scalar[int64](t, s.d, `SELECT COUNT(*) FROM "visit" v JOIN "channel" c ON c."id" = v."channel_id" WHERE c."name" = 'SEO'
		AND v."landing_path" = '/products/sku-001' AND v."started_at" >= ? AND v."started_at" < ?`, start, end)
	var rankSum, rankN, clicks, impr, seoVisits int64
	var est, seoSales float64
	if err := s.d.QueryRow(context.Background(), `SELECT "rank_sum", "rank_count", "clicks", "impressions", "est_traffic", "seo_visits", "seo_sales"
		FROM "agg_keyword_daily" WHERE "date" = ? AND "keyword_id" = ?`, day, kw).Scan(&rankSum, &rankN, &clicks, &impr, &est, &seoVisits, &seoSales); err != nil {
		t.Fatal(err)
	}
	if rankSum != 3 || rankN != 1 || clicks != 6 || impr != 110 || est != 11 || seoVisits != visits {
		t.Errorf("agg_keyword_daily: rank %d/%d, clicks %d, impressions %d, est %v, seo visits %d (want 3/1, 6, 110, 11, %d)",
			rankSum, rankN, clicks, impr, est, seoVisits, visits)
	}
	t.Logf("%s: %d SEO visits, %v SEO sales on the keyword's page", day, seoVisits, seoSales)
}
