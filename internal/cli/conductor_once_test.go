package cli

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/generate"
	"github.com/cubedhq/cubed/internal/schema"
)

// aggChecksums sums every agg_* table of a client database: each row's
// values without the surrogate "id", sorted, so two databases holding the
// same aggregates agree whatever order the rows were written in. Floats
// are compared to 12 significant digits (sums in another order may differ
// in the last bits).
func aggChecksums(t *testing.T, d *db.DB, models []*schema.Model) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range models {
		if !strings.HasPrefix(m.Name, "agg_") {
			continue
		}
		cols, rows := dbtest.Rows(t, d, `SELECT * FROM `+db.QuoteIdent(m.Name))
		var lines []string
		for _, vals := range rows {
			var b strings.Builder
			for i, v := range vals {
				if cols[i] == "id" {
					continue
				}
				switch x := v.(type) {
				case float64:
					b.WriteString(strconv.FormatFloat(x, 'g', 12, 64))
				case time.Time:
					b.WriteString(x.UTC().Format(time.RFC3339Nano))
				case []byte:
					b.Write(x)
				default:
					fmt.Fprint(&b, x)
				}
				b.WriteByte('|')
			}
			lines = append(lines, b.String())
		}
		sort.Strings(lines)
		h := sha256.New()
		for _, l := range lines {
			fmt.Fprintln(h, l)
		}
		out[m.Name] = fmt.Sprintf("%d rows %x", len(lines), h.Sum(nil)[:8])
	}
	return out
}

// On generated data, `cubed conductor --once` (after a backfill trigger)
// builds the same aggregate tables as `cubed run pipeline`: three pairs of
// accounts in three time zones get identical generated data; one account
// of each pair is run inline, the other by Conductor.
func TestConductorOnceEqualsRunPipeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		h := newHarness(t, tg)
		h.must("migrate")
		zones := []string{"Europe/London", "America/New_York", "Asia/Tokyo"}
		const from, to = "2026-03-01", "2026-03-14"
		for i, tz := range zones {
			for _, side := range []string{"inl", "con"} {
				name := fmt.Sprintf("%s%d", side, i)
				h.must("account", "create", "--name", name, "--country", "gb", "--timezone", tz, "--domain", "shop.example.com")
				h.must("generate", "--account", "c-a-"+name+"-gb", "--days", "14", "--visitors", "250", "--seed", strconv.Itoa(11+i), "--end-date", to)
			}
		}
		ctx := context.Background()
		// withDB calls f with each account's client database.
		withDB := func(f func(token string, d *db.DB, models []*schema.Model)) {
			a := openApp(t, h)
			defer a.Close()
			for i := range zones {
				for _, side := range []string{"inl", "con"} {
					token := fmt.Sprintf("c-a-%s%d-gb", side, i)
					acct, err := a.Tenants.Get(ctx, token)
					if err != nil {
						t.Fatal(err)
					}
					d, release, err := a.Tenants.Acquire(ctx, acct)
					if err != nil {
						t.Fatal(err)
					}
					f(token, d, a.Reg.Models.Models(schema.Client))
					release()
				}
			}
		}
		// The pairs got the same data (the offline sales file carries the
		// account's token, so only its upload checksum and rows differ).
		raw := map[string]map[string]generate.TableSum{}
		withDB(func(token string, d *db.DB, _ []*schema.Model) {
			sums, err := generate.TableChecksums(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"file_upload", "offline_sale_row"} {
				s := sums[table]
				s.Sum = ""
				sums[table] = s
			}
			raw[token] = sums
		})
		for i, tz := range zones {
			if ri, rc := raw[fmt.Sprintf("c-a-inl%d-gb", i)], raw[fmt.Sprintf("c-a-con%d-gb", i)]; !reflect.DeepEqual(ri, rc) {
				t.Fatalf("%s: generated data differ between the pair:\n%v\n%v", tz, ri, rc)
			}
		}

		trigger := []string{"conductor", "trigger", "pipeline", "--from", from, "--to", to}
		for i := range zones {
			h.must("run", "pipeline", "--account", fmt.Sprintf("c-a-inl%d-gb", i), "--from", from, "--to", to)
			trigger = append(trigger, "--account", fmt.Sprintf("c-a-con%d-gb", i))
		}
		h.must(trigger...)
		if r := h.run("conductor", "--once", "--concurrency", "2"); r.code != 0 {
			t.Fatalf("conductor --once: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}

		agg := map[string]map[string]string{}
		withDB(func(token string, d *db.DB, models []*schema.Model) { agg[token] = aggChecksums(t, d, models) })
		for i, tz := range zones {
			aggI, aggC := agg[fmt.Sprintf("c-a-inl%d-gb", i)], agg[fmt.Sprintf("c-a-con%d-gb", i)]
			if len(aggI) == 0 {
				t.Fatal("no agg_* tables")
			}
			t.Logf("%s: %v", tz, aggI)
			if strings.HasPrefix(aggI["agg_channel_daily"], "0 rows") {
				t.Errorf("%s: run pipeline built no agg_channel_daily rows", tz)
			}
			for table, want := range aggI {
				if got := aggC[table]; got != want {
					t.Errorf("%s %s: conductor --once %s, run pipeline %s", tz, table, got, want)
				}
			}
		}
	})
}
