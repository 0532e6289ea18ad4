package generate_test

import (
	"context"
	"log/slog"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/config"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/generate"
	"github.com/cubedhq/cubed/internal/tenant"
)

// other is a second, separate installation on tg's dialect.
func other(t *testing.T, tg dbtest.Target) dbtest.Target {
	t.Helper()
	o := tg
	o.DataDir = t.TempDir()
	if tg.Dialect == db.Postgres {
		o.ControlDSN = dbtest.CreateDatabase(t, os.Getenv(dbtest.EnvPostgres), tg.PGPrefix+"control2")
	}
	return o
}

type world struct {
	app *app.App
}

// newWorld is an installation; on PostgreSQL its client databases are
// named with tag so two installations can share the test server.
func newWorld(t *testing.T, tg dbtest.Target, tag string) *world {
	t.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.DataDir = tg.DataDir
	cfg.ControlDSN = tg.ControlDSN
	cfg.PGDatabasePrefix = tg.PGPrefix + tag
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler), app.Registry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.MigrateControl(ctx); err != nil {
		t.Fatal(err)
	}
	return &world{app: a}
}

// generate runs the generator for a new account and returns the
// account's table checksums.
func (w *world) generate(t *testing.T, name string, seed uint64, days, visitors int) (map[string]generate.TableSum, generate.Summary) {
	t.Helper()
	ctx := context.Background()
	acct, err := w.app.Tenants.Create(ctx, tenant.CreateParams{Name: name, Country: "gb", Domain: "shop.example.com", TimeZone: "Europe/London", Currency: "GBP"})
	if err != nil {
		t.Fatal(err)
	}
	opt := generate.Options{Days: days, Visitors: visitors, Seed: seed, EndDate: time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)}
	sum, err := generate.Run(ctx, generate.Deps{Tenants: w.app.Tenants}, acct, opt)
	if err != nil {
		t.Fatal(err)
	}
	return w.sums(t, acct), sum
}

func (w *world) sums(t *testing.T, acct tenant.Account) map[string]generate.TableSum {
	t.Helper()
	d, release, err := w.app.Tenants.Acquire(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	sums, err := generate.TableChecksums(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// The same seed gives identical tables (row counts and a checksum per
// table); another seed gives different ones; running again with the same
// seed changes nothing (hits and the offline file are recognised).
func TestGenerateIsDeterministic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		// Two separate installations with the same account, and another seed.
		w := newWorld(t, tg, "a_")
		w2 := newWorld(t, other(t, tg), "b_")
		a, sa := w.generate(t, "one", 7, 45, 300)
		b, _ := w2.generate(t, "one", 7, 45, 300)
		c, _ := w.generate(t, "three", 8, 45, 300)
		if !reflect.DeepEqual(a, b) {
			for _, tbl := range generate.RawTables {
				if a[tbl] != b[tbl] {
					t.Errorf("seed 7 twice: %s differs: %+v vs %+v", tbl, a[tbl], b[tbl])
				}
			}
		}
		for _, tbl := range generate.RawTables {
			if a[tbl].Rows == 0 {
				t.Errorf("%s is empty", tbl)
			}
		}
		for _, tbl := range []string{"visitor", "visit", "page_view", "event"} {
			if a[tbl] == c[tbl] {
				t.Errorf("seeds 7 and 8 give the same %s", tbl)
			}
		}
		if a["page_view"].Rows != sa.PageViews || sa.RepeatedHits == 0 {
			t.Errorf("page views stored %d, submitted %d of which %d repeats", a["page_view"].Rows, sa.PageViews, sa.RepeatedHits)
		}
		t.Logf("summary: %+v", sa)

		// Again on the same account: nothing new.
		acct, err := w.app.Tenants.Get(context.Background(), "c-a-one-gb")
		if err != nil {
			t.Fatal(err)
		}
		opt := generate.Options{Days: 45, Visitors: 300, Seed: 7, EndDate: time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)}
		s2, err := generate.Run(context.Background(), generate.Deps{Tenants: w.app.Tenants}, acct, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !s2.OfflineWasDone {
			t.Error("second run did not recognise the offline file")
		}
		if again := w.sums(t, acct); !reflect.DeepEqual(a, again) {
			t.Errorf("second run changed the tables")
		}
	})
}

// The data have the shape §13 asks for.
func TestGenerateDistributions(t *testing.T) {
	tg := dbtest.Target{Dialect: db.SQLite, DataDir: t.TempDir()}
	w := newWorld(t, tg, "")
	ctx := context.Background()
	_, sum := w.generate(t, "shape", 11, 60, 3000)
	acct, _ := w.app.Tenants.Get(ctx, "c-a-shape-gb")
	d, release, err := w.app.Tenants.Acquire(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	q := func(query string, args ...any) float64 {
		t.Helper()
		var f float64
		if err := d.QueryRow(ctx, query, args...).Scan(&f); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return f
	}
	visits := q(`SELECT count(*) FROM "visit"`)
	bounce := q(`SELECT avg(CASE WHEN "is_bounce" THEN 1.0 ELSE 0.0 END) FROM "visit" WHERE "page_views" > 0`)
	ppc := q(`SELECT count(*) FROM "visit" WHERE "utm_medium" = 'cpc'`) / visits
	direct := q(`SELECT count(*) FROM "visit" WHERE "referrer" = '' AND "utm_source" = ''`) / visits
	sales := q(`SELECT count(*) FROM "event" WHERE "name" = 'purchase'`)
	conv := sales / visits
	aov := q(`SELECT avg("revenue_minor") FROM "event" WHERE "name" = 'purchase'`) / 100
	checks := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"bounce rate", bounce, 0.35, 0.55},
		{"PPC share", ppc, 0.20, 0.30},
		{"Direct share (incl. returning)", direct, 0.20, 0.40},
		{"conversion per visit", conv, 0.01, 0.04},
		{"average order value (£)", aov, 40, 100},
		{"visits per visitor", visits / float64(sum.Visitors), 1, 8},
	}
	for _, c := range checks {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s = %.3f, want %.2f-%.2f", c.name, c.got, c.min, c.max)
		}
	}
	// Edge cases.
	if n := q(`SELECT count(*) FROM "event" WHERE "transaction_id" LIKE 'T%-dup'`); n != 3 {
		t.Errorf("duplicate transaction id events %v, want 3", n)
	}
	if n := q(`SELECT count(*) FROM "visit" WHERE "referrer_host" = 'www.paypal.com'`); n != 1 {
		t.Errorf("visits from PayPal %v, want 1", n)
	}
	if n := q(`SELECT count(*) FROM "visit" WHERE "page_views" = 0`); n < 1 {
		t.Error("no event-only visit (sale with no prior page view)")
	}
	if n := q(`SELECT count(*) FROM "offline_sale_row"`); n < 0.05*sales || n > 0.10*sales+1 {
		t.Errorf("offline rows %v for %v sales", n, sales)
	}
	if n := q(`SELECT count(*) FROM "impression"`); n == 0 {
		t.Error("no impressions")
	}
	// Across local midnight and a DST change (Europe/London; the range ends 2025-04-02, after 30 March).
	rows, err := d.Query(ctx, `SELECT "started_at", "ended_at" FROM "visit"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	loc := acct.Location()
	midnight, dst := 0, 0
	for rows.Next() {
		var s, e time.Time
		if err := rows.Scan(&s, &e); err != nil {
			t.Fatal(err)
		}
		ls, le := s.In(loc), e.In(loc)
		if ls.Day() != le.Day() {
			midnight++
		}
		if _, o1 := ls.Zone(); func() bool { _, o2 := le.Zone(); return o1 != o2 }() {
			dst++
		}
	}
	if midnight == 0 || dst == 0 {
		t.Errorf("visits across midnight %d, across a DST change %d", midnight, dst)
	}
}

// The demo's data are generated once.
func TestEnsureDemoData(t *testing.T) {
	tg := dbtest.Target{Dialect: db.SQLite, DataDir: t.TempDir()}
	w := newWorld(t, tg, "")
	ctx := context.Background()
	acct, err := w.app.Tenants.Create(ctx, tenant.CreateParams{Name: "demo", Country: "gb", TimeZone: "Europe/London", Currency: "GBP"})
	if err != nil {
		t.Fatal(err)
	}
	deps := generate.Deps{Tenants: w.app.Tenants}
	small := generate.Options{Days: 30, Visitors: 400}
	did, sum, err := generate.EnsureDemoData(ctx, deps, acct, small)
	if err != nil || !did || sum.Visitors < 400 || sum.From == "" {
		t.Fatalf("first: %v %+v %v", did, sum, err)
	}
	first := w.sums(t, acct)
	did, _, err = generate.EnsureDemoData(ctx, deps, acct, small)
	if err != nil || did {
		t.Fatalf("second: %v %v", did, err)
	}
	if again := w.sums(t, acct); !reflect.DeepEqual(first, again) {
		t.Error("second call changed the data")
	}
}
