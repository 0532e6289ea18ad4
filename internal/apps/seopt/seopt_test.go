package seopt_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/apps/seopt"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/migrations"
)

func TestBrandFilter(t *testing.T) {
	terms := seopt.BrandTerms("demo", "www.teashop.co.uk")
	if strings.Join(terms, ",") != "demo,teashop" {
		t.Fatalf("terms %v", terms)
	}
	cases := []struct {
		q     string
		brand bool
	}{
		{"demo", true}, {"demo shop", true}, {"Demo Shop opening hours", true}, {"demp shop", true}, {"teashop", true},
		{"tea shop london", true}, {"teashoo discount", true}, {"the shop", false}, {"blue teapot", false}, {"demoshop", true}, {"demonstration video", false},
		{"loose leaf tea", false}, {"dome", false}, {"ceramic mugs", false},
	}
	for _, c := range cases {
		if got := seopt.IsBrand(c.q, terms); got != c.brand {
			t.Errorf("IsBrand(%q) = %v, want %v", c.q, got, c.brand)
		}
	}
	if got := seopt.BrandTerms("ab", "example.com"); strings.Join(got, ",") != "example" {
		t.Errorf("short names are not brand terms: %v", got)
	}
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "abc", 3}, {"kitten", "sitting", 3}, {"thé", "the", 1}, {"same", "same", 0}} {
		if got := seopt.Levenshtein(c.a, c.b); got != c.d {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestCTRAndCountries(t *testing.T) {
	prev := 1.0
	for r := 1; r <= 101; r++ {
		c := seopt.CTR(r)
		if c > prev || c < 0 {
			t.Fatalf("CTR(%d) = %v after %v: the curve must not rise", r, c, prev)
		}
		prev = c
	}
	if seopt.CTR(1) != 0.28 || seopt.CTR(0) != 0 || seopt.CTR(101) != 0 {
		t.Fatal("CTR ends")
	}
	if got := seopt.EstimatedTraffic(3000, 1); math.Abs(got-28) > 1e-9 {
		t.Fatalf("EstimatedTraffic = %v", got)
	}
	for in, want := range map[string]string{"gbr": "gb", "USA": "us", "irl": "ie", "deu": "de", "zzz": "", "GB": "gb", "": ""} {
		if got := seopt.Alpha2(in); got != want {
			t.Errorf("Alpha2(%q) = %q, want %q", in, got, want)
		}
	}
	if seopt.Topic("best blue teapots") != "teapot" || seopt.Topic("glass") != "glass" {
		t.Fatal("topic")
	}
}

func client(t *testing.T, tg dbtest.Target) *db.DB {
	t.Helper()
	d := tg.Open(t, "seo_client")
	migs, err := migrate.Load(migrations.FS, "client", d.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(context.Background(), d, migs); err != nil {
		t.Fatal(err)
	}
	return d
}

func exec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.Exec(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

func dump(t *testing.T, d *db.DB, q string) []string {
	t.Helper()
	_, rows := dbtest.Rows(t, d, q)
	var out []string
	for _, vals := range rows {
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				parts[i] = "NULL"
			case []byte:
				parts[i] = string(x)
			case time.Time:
				parts[i] = x.Format(time.DateOnly)
			case float64:
				parts[i] = fmt.Sprintf("%g", x)
			default:
				parts[i] = fmt.Sprint(x)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func TestKeywordsAndRanks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		d := client(t, tg)
		exec(t, d, `INSERT INTO "market" ("id", "name", "country") VALUES (1, 'UK', 'gb'), (2, 'US', 'us')`)
		// A client keyword, entered with its own volume, and a blacklisted one.
		exec(t, d, `INSERT INTO "seo_keyword" ("market_id", "keyword", "search_volume", "status", "source") VALUES (1, 'tea cosy', 900, 'active', 'client'), (1, 'spam query', 0, 'blacklisted', 'client')`)
		type row struct {
			date, q, page, country, device string
			clicks, imps                   int64
			pos                            float64
		}
		var data []row
		for i := 0; i < 28; i++ {
			date := time.Date(2024, 3, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			data = append(data,
				row{date, "Demo Shop", "https://shop.example.com/", "gbr", "desktop", 10, 20, 1.2},
				row{date, "blue teapot", "https://shop.example.com/teapots", "gbr", "mobile", 1, 10, 4},
				row{date, "blue teapot", "https://shop.example.com/", "gbr", "desktop", 0, 5, 9},
				row{date, "blue  teapot", "https://shop.example.com/teapots", "usa", "desktop", 0, 3, 12},
				row{date, "tea cosy", "https://shop.example.com/gifts", "gbr", "tablet", 0, 2, 30},
				row{date, "spam query", "https://shop.example.com/", "gbr", "desktop", 0, 50, 2},
				row{date, "rare query", "https://shop.example.com/", "deu", "desktop", 0, 1, 3},
			)
		}
		for _, r := range data {
			exec(t, d, `INSERT INTO "search_console_daily" ("date", "query", "page", "country", "device", "clicks", "impressions", "position_sum") VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT ("date", "query", "page", "country", "device") DO NOTHING`, r.date, r.q, r.page, r.country, r.device, r.clicks, r.imps, r.pos*float64(r.imps))
		}
		acct := command.Account{ID: 1, Name: "demo", Domain: "shop.example.com"}
		dayT := time.Date(2024, 3, 28, 0, 0, 0, 0, time.UTC)
		st, err := seopt.UpdateKeywords(ctx, acct, d, dayT, seopt.KeywordOptions{})
		if err != nil {
			t.Fatal(err)
		}
		const kwq = `SELECT "market_id", "keyword", "topic", CASE WHEN "is_brand" THEN 'true' ELSE 'false' END, "search_volume", "status", "source" FROM "seo_keyword" ORDER BY "market_id", "keyword"`
		got := dump(t, d, kwq)
		want := []string{
			"1|blue teapot|teapot|false|450|suggested|search_console",
			"1|demo shop|shop|true|600|suggested|search_console",
			"1|spam query||false|0|blacklisted|client",
			"1|tea cosy||false|900|active|client",
			"2|blue teapot|teapot|false|90|suggested|search_console",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || st.Added != 3 {
			t.Fatalf("keywords (%+v):\n%s\nwant:\n%s", st, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if st, err := seopt.UpdateKeywords(ctx, acct, d, dayT, seopt.KeywordOptions{}); err != nil || st.Added != 0 || st.Updated != 0 {
			t.Fatalf("second run must change nothing: %+v %v", st, err)
		}
		if again := dump(t, d, kwq); strings.Join(again, "\n") != strings.Join(got, "\n") {
			t.Fatal("second run changed keywords")
		}

		n, err := seopt.UpdateRanks(ctx, d, dayT)
		if err != nil || n != 4 {
			t.Fatalf("ranks: %d %v", n, err)
		}
		const rq = `SELECT k."market_id", k."keyword", r."date", r."rank", r."url", r."clicks", r."impressions", r."est_traffic"
			FROM "seo_keyword_rank_daily" r JOIN "seo_keyword" k ON k."id" = r."keyword_id" ORDER BY k."market_id", k."keyword"`
		ranks := dump(t, d, rq)
		wantRanks := []string{
			// (10×4 + 5×9) / 15 = 5.67 → 6; teapots page has the click.
			fmt.Sprintf("1|blue teapot|2024-03-28|6|https://shop.example.com/teapots|1|15|%g", math.Round(450.0/30*seopt.CTR(6)*100)/100),
			fmt.Sprintf("1|demo shop|2024-03-28|1|https://shop.example.com/|10|20|%g", math.Round(600.0/30*seopt.CTR(1)*100)/100),
			fmt.Sprintf("1|tea cosy|2024-03-28|30|https://shop.example.com/gifts|0|2|%g", math.Round(900.0/30*seopt.CTR(30)*100)/100),
			fmt.Sprintf("2|blue teapot|2024-03-28|12|https://shop.example.com/teapots|0|3|%g", math.Round(90.0/30*seopt.CTR(12)*100)/100),
		}
		if strings.Join(ranks, "\n") != strings.Join(wantRanks, "\n") {
			t.Fatalf("ranks:\n%s\nwant:\n%s", strings.Join(ranks, "\n"), strings.Join(wantRanks, "\n"))
		}
		if n2, err := seopt.UpdateRanks(ctx, d, dayT); err != nil || n2 != n || strings.Join(dump(t, d, rq), "\n") != strings.Join(ranks, "\n") {
			t.Fatalf("second rank run differs: %d %v", n2, err)
		}
	})
}
