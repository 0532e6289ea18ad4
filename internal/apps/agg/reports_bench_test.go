package agg_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/apps/agg"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/report"
)

// BenchmarkReports times report requests served by the engine (parse,
// plan, SQL, formulas, totals, JSON body; results cache off) on one client
// whose aggregate tables hold a synthesised history, and the same SQL the
// engine ran, captured with report.Options.OnQuery and run directly with
// its rows scanned. Sizes: CUBED_BENCH_REPORT_DAYS days (default 365)
// ending 2025-03-31, CUBED_BENCH_REPORT_CHANNELS channels (default 20) ×
// 3 devices × the account's 7 models in agg_channel_daily,
// CUBED_BENCH_REPORT_PATHS landing paths (default 100) × 11 channels in
// agg_landing_page_daily; days 1826, channels 261 and paths 500 give about
// 10,000,000 rows in each (scripts/bench/reports.sh). Loading is not
// timed. PostgreSQL runs too when CUBED_TEST_POSTGRES_URL is set
// (CUBED_BENCH_REPORT_PG_DAYS overrides the days there). Each query
// reports p50-ms for the engine and for its SQL.
func BenchmarkReports(b *testing.B) {
	targets := []string{db.SQLite}
	if os.Getenv(dbtest.EnvPostgres) != "" {
		targets = append(targets, db.Postgres)
	}
	for _, dialect := range targets {
		b.Run(dialect, func(b *testing.B) {
			days := envInt("CUBED_BENCH_REPORT_DAYS", 365)
			if dialect == db.Postgres {
				days = envInt("CUBED_BENCH_REPORT_PG_DAYS", days)
			}
			bw := newBenchReports(b, dialect, days, envInt("CUBED_BENCH_REPORT_CHANNELS", 20), envInt("CUBED_BENCH_REPORT_PATHS", 100))
			end := "2025-03-31"
			from90 := "2025-01-01"
			for _, c := range []struct{ name, report, qs string }{
				{"channel-performance-90d-by-channel-device", "report-channel-performance",
					"group_by=channel,device&totals=true&limit=1000&date__gte=" + from90 + "&date__lte=" + end},
				{"landing-pages-top50-full-range", "report-landing-pages", "group_by=landing_path&order_by=-visits&top=50&totals=true"},
				{"channel-performance-full-range-by-channel", "report-channel-performance", "group_by=channel&totals=true&limit=1000"},
				{"channel-performance-full-range-mobile-finest", "report-channel-performance", "group_by=channel&device=mobile&totals=true&limit=1000"},
			} {
				bw.bench(b, c.name, c.report, c.qs)
			}
		})
	}
}

type benchReports struct {
	w   *world
	s   *shop
	reg *report.Registry
}

func newBenchReports(b *testing.B, dialect string, days, channels, paths int) *benchReports {
	b.Helper()
	tg := dbtest.Target{Dialect: dialect, DataDir: b.TempDir()}
	if dialect == db.Postgres {
		tg.PGPrefix = fmt.Sprintf("bench%d_", time.Now().UnixNano()%1e9)
		tg.ControlDSN = benchPGDatabase(b, tg.PGPrefix)
	}
	w := newWorld(b, tg)
	s := w.account(b, "reportbench")
	reg := report.NewRegistry()
	if err := reg.Add(agg.Reports()...); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	n := synthesise(b, s.d, days, channels, paths)
	b.Logf("%s: synthesised %d days: %d agg_channel_daily rows, %d agg_landing_page_daily rows in %v", dialect, days,
		n[0], n[1], time.Since(t0).Round(time.Second))
	return &benchReports{w: w, s: s, reg: reg}
}

// benchPGDatabase creates the control database on the test server; the
// account's database is created by the tenant manager with the same
// prefix. Both are dropped at cleanup.
func benchPGDatabase(b *testing.B, prefix string) string {
	b.Helper()
	ctx := context.Background()
	admin := os.Getenv(dbtest.EnvPostgres)
	a, err := db.Open(ctx, admin, db.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Exec(ctx, `CREATE DATABASE `+db.QuoteIdent(prefix+"control")); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		defer a.Close()
		var names []string
		each(b, a, `SELECT datname FROM pg_database WHERE datname LIKE ?`, []any{prefix + "%"}, func(r *sql.Rows) error {
			var n string
			err := r.Scan(&n)
			names = append(names, n)
			return err
		})
		for _, n := range names {
			_, _ = a.Exec(context.Background(), `DROP DATABASE IF EXISTS `+db.QuoteIdent(n)+` WITH (FORCE)`)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		b.Fatal(err)
	}
	u.Path = "/" + prefix + "control"
	return u.String()
}

// synthesise fills agg_channel_daily (every day × model × channel ×
// device), agg_channel_monthly (its sums) and agg_landing_page_daily
// (every day × path × the first 11 channels) with deterministic measures,
// by INSERT … SELECT over small helper tables.
func synthesise(b *testing.B, d *db.DB, days, channels, paths int) [2]int64 {
	b.Helper()
	now := time.Now().UTC()
	have := scalar[int64](b, d, `SELECT COUNT(*) FROM "channel"`)
	for i := int(have); i < channels; i++ {
		exec(b, d, `INSERT INTO "channel" ("name", "created", "updated") VALUES (?, ?, ?)`, fmt.Sprintf("Bench %03d", i), now, now)
	}
	dateType := "TEXT"
	if d.Dialect() == db.Postgres {
		dateType = "DATE"
	}
	exec(b, d, `CREATE TABLE "bench_day" ("d" `+dateType+`, "n" INTEGER)`)
	exec(b, d, `CREATE TABLE "bench_dev" ("device" TEXT, "n" INTEGER)`)
	exec(b, d, `CREATE TABLE "bench_path" ("path" TEXT, "n" INTEGER)`)
	exec(b, d, `CREATE TABLE "bench_chan" ("id" BIGINT, "n" INTEGER)`)
	end := time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)
	insertMany := func(table string, n int, row func(i int) []any) {
		for i := 0; i < n; i += 400 {
			var marks []string
			var args []any
			for j := i; j < min(i+400, n); j++ {
				marks = append(marks, "(?, ?)")
				args = append(args, row(j)...)
			}
			exec(b, d, `INSERT INTO `+db.QuoteIdent(table)+` VALUES `+strings.Join(marks, ", "), args...)
		}
	}
	insertMany("bench_day", days, func(i int) []any { return []any{end.AddDate(0, 0, i-days+1).Format(time.DateOnly), i} })
	insertMany("bench_dev", 3, func(i int) []any { return []any{[]string{"desktop", "mobile", "tablet"}[i], i} })
	insertMany("bench_path", paths, func(i int) []any { return []any{fmt.Sprintf("/products/item-%04d", i), i} })
	var ids []int64
	each(b, d, `SELECT "id" FROM "channel" ORDER BY "id"`, nil, func(r *sql.Rows) error {
		var id int64
		err := r.Scan(&id)
		ids = append(ids, id)
		return err
	})
	ids = ids[:channels]
	insertMany("bench_chan", len(ids), func(i int) []any { return []any{ids[i], i} })
	// Measures: visits 1..50 and the rest derived, all deterministic.
	v := `(1 + (dd."n" * 7 + c."n" * 13 + v."n" * 5) % 50)`
	exec(b, d, `INSERT INTO "agg_channel_daily" ("date", "model_id", "channel_id", "device", "visits", "new_visits", "page_views", "bounces",
		"duration_s", "sales", "revenue_minor", "cost_minor", "impressions", "clicks")
		SELECT dd."d", m."id", c."id", v."device", `+v+`, `+v+` / 2, `+v+` * 3, `+v+` / 3, `+v+` * 95,
			`+v+` * 0.03, `+v+` * 180.0, `+v+` * 40, `+v+` * 20, `+v+`
		FROM "bench_day" dd CROSS JOIN "attribution_model" m CROSS JOIN "bench_chan" c CROSS JOIN "bench_dev" v`)
	month := `substr("date", 1, 7) || '-01'`
	if d.Dialect() == db.Postgres {
		month = `CAST(date_trunc('month', "date") AS date)`
	}
	exec(b, d, `INSERT INTO "agg_channel_monthly" ("month", "model_id", "channel_id", "visits", "new_visits", "page_views", "bounces",
		"duration_s", "sales", "revenue_minor", "cost_minor", "impressions", "clicks")
		SELECT `+month+`, "model_id", "channel_id", SUM("visits"), SUM("new_visits"), SUM("page_views"), SUM("bounces"), SUM("duration_s"),
			SUM("sales"), SUM("revenue_minor"), SUM("cost_minor"), SUM("impressions"), SUM("clicks")
		FROM "agg_channel_daily" GROUP BY `+month+`, "model_id", "channel_id"`)
	lv := `(1 + (dd."n" * 3 + p."n" * 11 + c."n" * 7) % 40)`
	exec(b, d, `INSERT INTO "agg_landing_page_daily" ("date", "landing_path", "channel_id", "visits", "bounces", "sales_last_click",
		"revenue_minor_last_click", "assisted_sales")
		SELECT dd."d", p."path", c."id", `+lv+`, `+lv+` / 3, `+lv+` / 20, (`+lv+` / 20) * 6000, `+lv+` / 25
		FROM "bench_day" dd CROSS JOIN "bench_path" p CROSS JOIN "bench_chan" c WHERE c."n" < 11`)
	for _, t := range []string{"bench_day", "bench_dev", "bench_path", "bench_chan"} {
		exec(b, d, `DROP TABLE `+db.QuoteIdent(t))
	}
	exec(b, d, `ANALYZE`)
	return [2]int64{scalar[int64](b, d, `SELECT COUNT(*) FROM "agg_channel_daily"`), scalar[int64](b, d, `SELECT COUNT(*) FROM "agg_landing_page_daily"`)}
}

type capturedQuery struct {
	query string
	args  []any
}

// bench times one request through the engine and its SQL run directly.
func (bw *benchReports) bench(b *testing.B, name, rep, qs string) {
	r, ok := bw.reg.Get(rep)
	if !ok {
		b.Fatalf("no report %s", rep)
	}
	p, err := resource.ParseQuery(qs)
	if err != nil {
		b.Fatal(err)
	}
	var captured []capturedQuery
	capture := true
	eng := report.NewEngine(report.Options{CacheEntries: -1, OnQuery: func(q string, args []any, _ time.Duration) {
		if capture {
			captured = append(captured, capturedQuery{q, args})
		}
	}})
	env := report.Env{DB: bw.s.d, Loc: bw.s.acct.Location(), AccountID: bw.s.acct.ID, Account: bw.s.acct.Token, Currency: bw.s.acct.Currency,
		Path: "/api/v1/" + rep + "/", Now: time.Now()}
	var servedFrom string
	engine := func(ctx context.Context) {
		rq, err := eng.Prepare(ctx, env, r, p)
		if err != nil {
			b.Fatal(err)
		}
		res, err := rq.Run(ctx)
		if err != nil {
			b.Fatal(err)
		}
		body := res.Body()
		servedFrom, _ = body["meta"].(map[string]any)["served_from"].(string)
	}
	engine(context.Background())
	capture = false
	direct := func(ctx context.Context) {
		for _, c := range captured {
			rows, err := bw.s.d.Query(ctx, c.query, c.args...)
			if err != nil {
				b.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					b.Fatal(err)
				}
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			rows.Close()
		}
	}
	var p50 [2]time.Duration
	for i, run := range []func(context.Context){engine, direct} {
		which := []string{"engine", "sql"}[i]
		b.Run(name+"/"+which, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				run(b.Context())
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			p50[i] = took[len(took)/2]
			b.ReportMetric(float64(p50[i].Microseconds())/1000, "p50-ms")
		})
	}
	b.Logf("%s: served from %s, %d statements; p50 engine %v, SQL %v (%.2fx)", name, servedFrom, len(captured),
		p50[0].Round(10*time.Microsecond), p50[1].Round(10*time.Microsecond), float64(p50[0])/float64(max(p50[1], 1)))
}
