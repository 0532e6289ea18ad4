package agg_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apps/agg"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/config"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/generate"
	"github.com/cubedhq/cubed/internal/tenant"
)

// world is one installation on a test dialect.
type world struct {
	app *app.App
}

func newWorld(t testing.TB, tg dbtest.Target) *world {
	t.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.DataDir, cfg.ControlDSN, cfg.PGDatabasePrefix = tg.DataDir, tg.ControlDSN, tg.PGPrefix
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

// shop is a test account with its database.
type shop struct {
	acct tenant.Account
	d    *db.DB
}

func (w *world) account(t testing.TB, name string) *shop {
	t.Helper()
	ctx := context.Background()
	acct, err := w.app.Tenants.Create(ctx, tenant.CreateParams{Name: name, Country: "gb", Domain: "shop.example.com",
		TimeZone: "Europe/London", Currency: "GBP"})
	if err != nil {
		t.Fatal(err)
	}
	d, release, err := w.app.Tenants.Acquire(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return &shop{acct: acct, d: d}
}

// generate writes synthetic data through the collector's write path.
func (w *world) generate(t testing.TB, s *shop, seed uint64, days, visitors int, end time.Time) generate.Summary {
	t.Helper()
	sum, err := generate.Run(context.Background(), generate.Deps{Tenants: w.app.Tenants}, s.acct,
		generate.Options{Days: days, Visitors: visitors, Seed: seed, EndDate: end})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// pipeline runs the pipeline (or some commands) over dates.
func (w *world) pipeline(t testing.TB, s *shop, from, to string, cmds ...string) agg.PipelineStats {
	t.Helper()
	st, err := agg.RunPipeline(context.Background(), w.app.Reg.Commands, s.d, s.acct, date(t, from), date(t, to), agg.PipelineOptions{Commands: cmds})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// runOne runs one command for one day with the account as given.
func (w *world) runOne(t testing.TB, s *shop, acct tenant.Account, name, day string) {
	t.Helper()
	c, ok := w.app.Reg.Commands.Get(name)
	if !ok {
		t.Fatalf("no command %s", name)
	}
	loc := acct.Location()
	start, end := command.DateRange(date(t, day), date(t, day), loc)
	env := command.NewEnv(command.Env{
		Account: command.Account{ID: acct.ID, Token: acct.Token, Domain: acct.Domain, TimeZone: acct.TimeZone, Currency: acct.Currency,
			LookbackDays: acct.LookbackDays, SessionTimeoutMinutes: acct.SessionTimeoutMinutes, Location: loc},
		DB: s.d, Start: start, End: end, Date: day,
	}, nil, nil)
	if err := c.Run(context.Background(), env); err != nil {
		t.Fatal(err)
	}
}

func date(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func dates(t testing.TB, from, to string) []string {
	var out []string
	for d := date(t, from); !d.After(date(t, to)); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// pipelineTables are the tables the pipeline writes.
var pipelineTables = []string{"visitor", "visit", "page_view", "event", "event_item", "label", "sync_id", "offline_sale_row",
	"sale", "touchpoint", "sale_attribution",
	"agg_channel_daily", "agg_channel_monthly", "agg_campaign_daily", "agg_landing_page_daily", "agg_goal_daily", "agg_path_daily",
	"agg_product_daily", "agg_keyword_daily", "agg_device_geo_daily"}

// checksums returns a checksum of every row of each table (all columns,
// ids included, rendered canonically and sorted), so equal checksums mean
// byte-identical contents.
func checksums(t testing.TB, d *db.DB, tables []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range tables {
		rows, err := d.Query(context.Background(), `SELECT * FROM `+db.QuoteIdent(table))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var lines []string
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if i > 0 {
					b.WriteByte(0x1f)
				}
				b.WriteString(canon(v))
			}
			lines = append(lines, b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(lines)
		h := sha256.New()
		for _, l := range lines {
			h.Write([]byte(l))
			h.Write([]byte{0x1e})
		}
		out[table] = fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(h.Sum(nil))[:16])
	}
	return out
}

func canon(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// scalar runs a one-value query.
func scalar[T any](t testing.TB, q db.Querier, stmt string, args ...any) T {
	t.Helper()
	var v T
	if err := q.QueryRow(context.Background(), stmt, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	return v
}

// each runs a query and calls fn per row.
func each(t testing.TB, q db.Querier, stmt string, args []any, fn func(*sql.Rows) error) {
	t.Helper()
	rows, err := q.Query(context.Background(), stmt, args...)
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func exec(t testing.TB, d *db.DB, stmt string, args ...any) {
	t.Helper()
	if _, err := d.Exec(context.Background(), stmt, args...); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// envInt reads an integer from the environment (benchmark sizes).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
