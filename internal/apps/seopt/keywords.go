package seopt

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// KeywordOptions tune UpdateKeywords; zero values take the defaults.
type KeywordOptions struct {
	// WindowDays of Search Console data considered (default 28).
	WindowDays int
	// MinImpressions a query needs in the window to be suggested
	// (default 10).
	MinImpressions int64
	// MaxPerMarket caps suggestions per market, by impressions (default 500).
	MaxPerMarket int
	// MaxWords: longer queries are not suggested (default 8).
	MaxWords int
}

func (o *KeywordOptions) fill() {
	if o.WindowDays <= 0 {
		o.WindowDays = 28
	}
	if o.MinImpressions <= 0 {
		o.MinImpressions = 10
	}
	if o.MaxPerMarket <= 0 {
		o.MaxPerMarket = 500
	}
	if o.MaxWords <= 0 {
		o.MaxWords = 8
	}
}

// KeywordStats says what UpdateKeywords did.
type KeywordStats struct{ Added, Updated int }

// Normalize lower-cases a query and collapses its spaces.
func Normalize(q string) string { return strings.Join(strings.Fields(strings.ToLower(q)), " ") }

// market is an active market: id and alpha-2 country.
type market struct {
	id      int64
	country string
}

func markets(ctx context.Context, q db.Querier) ([]market, error) {
	rows, err := q.Query(ctx, `SELECT "id", "country" FROM "market" WHERE "active" = TRUE ORDER BY "id"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market
	for rows.Next() {
		var m market
		if err := rows.Scan(&m.id, &m.country); err != nil {
			return nil, err
		}
		m.country = strings.ToLower(m.country)
		out = append(out, m)
	}
	return out, rows.Err()
}

// marketKey is a market id, 0 standing for "no market" (NULL).
type kwKey struct {
	market  int64
	keyword string
}

func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// marketsFor returns the markets a Search Console country belongs to: the
// markets of that country, or the null market when the account has no
// markets at all.
func marketsFor(ms []market, country string) []int64 {
	if len(ms) == 0 {
		return []int64{0}
	}
	c := Alpha2(country)
	var out []int64
	for _, m := range ms {
		if m.country == c {
			out = append(out, m.id)
		}
	}
	return out
}

// UpdateKeywords suggests keywords per market from the Search Console
// queries of the WindowDays ending on day: every query with at least
// MinImpressions (and at most MaxWords words), the MaxPerMarket largest
// per market, becomes a "suggested" keyword (source search_console) unless
// the market already tracks it. Suggested keywords get is_brand by edit
// distance to the account's name and domain, and a monthly search volume
// estimated from their impressions; both are refreshed on every run.
// Keywords the client entered, and every status the client set, are left
// alone. Countries without a market are ignored; an account without
// markets gets market-less (all countries) keywords.
//
// Reads search_console_daily, market, seo_keyword; writes seo_keyword.
// Idempotent: a second run for the same day changes nothing.
func UpdateKeywords(ctx context.Context, acct command.Account, client *db.DB, day time.Time, opt KeywordOptions) (KeywordStats, error) {
	opt.fill()
	var st KeywordStats
	to := day.Format(time.DateOnly)
	from := day.AddDate(0, 0, 1-opt.WindowDays).Format(time.DateOnly)
	ms, err := markets(ctx, client)
	if err != nil {
		return st, err
	}
	rows, err := client.Query(ctx, `SELECT "query", "country", SUM("impressions") FROM "search_console_daily"
		WHERE "date" >= ? AND "date" <= ? GROUP BY "query", "country"`, from, to)
	if err != nil {
		return st, err
	}
	imps := map[kwKey]int64{}
	for rows.Next() {
		var q, country string
		var n int64
		if err := rows.Scan(&q, &country, &n); err != nil {
			rows.Close()
			return st, err
		}
		kw := Normalize(q)
		if kw == "" || len(strings.Fields(kw)) > opt.MaxWords || utf8.RuneCountInString(kw) > 255 {
			continue
		}
		for _, m := range marketsFor(ms, country) {
			imps[kwKey{m, kw}] += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	// The largest MaxPerMarket candidates per market.
	byMarket := map[int64][]kwKey{}
	for k, n := range imps {
		if n >= opt.MinImpressions {
			byMarket[k.market] = append(byMarket[k.market], k)
		}
	}
	chosen := map[kwKey]bool{}
	for _, ks := range byMarket {
		sort.Slice(ks, func(i, j int) bool {
			if imps[ks[i]] != imps[ks[j]] {
				return imps[ks[i]] > imps[ks[j]]
			}
			return ks[i].keyword < ks[j].keyword
		})
		for _, k := range ks[:min(len(ks), opt.MaxPerMarket)] {
			chosen[k] = true
		}
	}
	brands := BrandTerms(acct.Name, acct.Domain)
	volume := func(n int64) int64 { return int64(math.Round(float64(n) * 30 / float64(opt.WindowDays))) }
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = client.InTx(ctx, func(tx *db.Tx) error {
		existing := map[kwKey]struct {
			id     int64
			source string
		}{}
		rows, err := tx.Query(ctx, `SELECT "id", "market_id", "keyword", "source" FROM "seo_keyword"`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var mid sql.NullInt64
			var kw, source string
			if err := rows.Scan(&id, &mid, &kw, &source); err != nil {
				rows.Close()
				return err
			}
			existing[kwKey{mid.Int64, Normalize(kw)}] = struct {
				id     int64
				source string
			}{id, source}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		keys := make([]kwKey, 0, len(chosen))
		for k := range chosen {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].market != keys[j].market {
				return keys[i].market < keys[j].market
			}
			return keys[i].keyword < keys[j].keyword
		})
		for _, k := range keys {
			brand := IsBrand(k.keyword, brands)
			if e, ok := existing[k]; ok {
				if e.source != "search_console" {
					continue
				}
				res, err := tx.Exec(ctx, `UPDATE "seo_keyword" SET "search_volume" = ?, "is_brand" = ?, "updated" = ?
					WHERE "id" = ? AND ("search_volume" <> ? OR "is_brand" <> ?)`, volume(imps[k]), brand, now, e.id, volume(imps[k]), brand)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n > 0 {
					st.Updated++
				}
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO "seo_keyword" ("market_id", "keyword", "topic", "is_brand", "search_volume", "status", "source", "created", "updated")
				VALUES (?, ?, ?, ?, ?, 'suggested', 'search_console', ?, ?)`, nullable(k.market), k.keyword, Topic(k.keyword), brand, volume(imps[k]), now, now); err != nil {
				return fmt.Errorf("keyword %q: %w", k.keyword, err)
			}
			st.Added++
		}
		return nil
	})
	return st, err
}

// Topic is a suggested keyword's topic: its last word (the head noun in
// most English queries: "blue teapot" → "teapot"), plural s dropped.
func Topic(keyword string) string {
	f := strings.Fields(keyword)
	if len(f) == 0 {
		return ""
	}
	w := f[len(f)-1]
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		w = strings.TrimSuffix(w, "s")
	}
	if len(w) > 128 {
		w = w[:128]
	}
	return w
}

// UpdateRanks records each tracked keyword's rank on day from that day's
// Search Console rows whose query is the keyword (normalised) in the
// keyword's market: rank is the impression-weighted average position,
// rounded; url the page with the most clicks (then impressions);
// est_traffic the search volume / 30 × CTR(rank) (impressions × CTR(rank)
// when the volume is unknown). Blacklisted keywords and keywords with no
// impressions that day get no row.
//
// Reads search_console_daily, seo_keyword, market; writes
// seo_keyword_rank_daily (the day's rows replaced in one transaction).
func UpdateRanks(ctx context.Context, client *db.DB, day time.Time) (int, error) {
	date := day.Format(time.DateOnly)
	ms, err := markets(ctx, client)
	if err != nil {
		return 0, err
	}
	country := map[int64]string{}
	for _, m := range ms {
		country[m.id] = m.country
	}
	type kw struct {
		id, market, volume int64
	}
	byText := map[string][]kw{}
	rows, err := client.Query(ctx, `SELECT "id", "market_id", "keyword", "search_volume" FROM "seo_keyword" WHERE "status" <> 'blacklisted'`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var k kw
		var mid sql.NullInt64
		var text string
		if err := rows.Scan(&k.id, &mid, &text, &k.volume); err != nil {
			rows.Close()
			return 0, err
		}
		k.market = mid.Int64
		byText[Normalize(text)] = append(byText[Normalize(text)], k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	type pageSum struct{ clicks, imps int64 }
	type acc struct {
		clicks, imps int64
		posSum       float64
		pages        map[string]*pageSum
		volume       int64
	}
	accs := map[int64]*acc{}
	sc, err := client.Query(ctx, `SELECT "query", "page", "country", "clicks", "impressions", "position_sum" FROM "search_console_daily" WHERE "date" = ?`, date)
	if err != nil {
		return 0, err
	}
	for sc.Next() {
		var q, page, c string
		var clicks, imps int64
		var pos float64
		if err := sc.Scan(&q, &page, &c, &clicks, &imps, &pos); err != nil {
			sc.Close()
			return 0, err
		}
		for _, k := range byText[Normalize(q)] {
			if k.market != 0 {
				mc, ok := country[k.market]
				if !ok || mc != Alpha2(c) {
					continue // inactive market or another country
				}
			}
			a := accs[k.id]
			if a == nil {
				a = &acc{pages: map[string]*pageSum{}, volume: k.volume}
				accs[k.id] = a
			}
			a.clicks += clicks
			a.imps += imps
			a.posSum += pos
			p := a.pages[page]
			if p == nil {
				p = &pageSum{}
				a.pages[page] = p
			}
			p.clicks += clicks
			p.imps += imps
		}
	}
	sc.Close()
	if err := sc.Err(); err != nil {
		return 0, err
	}
	ids := make([]int64, 0, len(accs))
	for id, a := range accs {
		if a.imps > 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	err = client.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM "seo_keyword_rank_daily" WHERE "date" = ?`, date); err != nil {
			return err
		}
		for _, id := range ids {
			a := accs[id]
			rank := max(1, int(math.Round(a.posSum/float64(a.imps))))
			best, bestKey := "", pageSum{-1, -1}
			for p, s := range a.pages {
				if s.clicks > bestKey.clicks || (s.clicks == bestKey.clicks && (s.imps > bestKey.imps || (s.imps == bestKey.imps && p < best))) {
					best, bestKey = p, *s
				}
			}
			est := EstimatedTraffic(a.volume, rank)
			if a.volume == 0 {
				est = float64(a.imps) * CTR(rank)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO "seo_keyword_rank_daily" ("date", "keyword_id", "rank", "url", "clicks", "impressions", "est_traffic") VALUES (?, ?, ?, ?, ?, ?, ?)`,
				date, id, rank, best, a.clicks, a.imps, math.Round(est*100)/100); err != nil {
				return err
			}
		}
		return nil
	})
	return len(ids), err
}
