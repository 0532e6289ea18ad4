package agg

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// update_agg_keyword_daily: per keyword and market — rank_sum and
// rank_count of the day's seo_keyword_rank_daily rows; clicks and
// impressions of the day's search_console_daily rows whose query is the
// keyword (case-insensitive); est_traffic, the rank rows' estimate (search
// volume ÷ 30 × CTR(rank), computed by update_seo_ranks); seo_visits: the day's SEO visits landing on a page
// the keyword ranks with; seo_sales: the day's macro-goal sales converting
// on such a visit. The SEO tables belong to apps that may not be
// installed: without seo_keyword_rank_daily the day is simply emptied.
func runKeywordDaily(ctx context.Context, env *command.Env) error {
	return run(ctx, env, CmdKeywordDaily, func(tx *db.Tx, d day) (int, error) {
		exists := func(t string) (bool, error) { return tableExists(ctx, tx, tx.Dialect(), t) }
		ok, err := exists("seo_keyword_rank_daily")
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, replaceDay(ctx, tx, "agg_keyword_daily", "date", d.date, nil, nil)
		}
		haveKW, err := exists("seo_keyword")
		if err != nil {
			return 0, err
		}
		haveSC, err := exists("search_console_daily")
		if err != nil {
			return 0, err
		}
		type kw struct {
			id, market     int64
			text           string
			rankSum, rankN int64
			paths          []string
			clicks, impr   int64
			seoVisits      int64
			seoSales       float64
			estTraffic     float64
		}
		var kws []*kw
		byID := map[int64]*kw{}
		q := `SELECT r."keyword_id", 0, '', r."rank", r."url", r."est_traffic" FROM "seo_keyword_rank_daily" r WHERE r."date" = ?
			ORDER BY r."keyword_id", r."url", r."rank"`
		if haveKW {
			q = `SELECT r."keyword_id", COALESCE(k."market_id", 0), COALESCE(k."keyword", ''), r."rank", r."url", r."est_traffic"
				FROM "seo_keyword_rank_daily" r LEFT JOIN "seo_keyword" k ON k."id" = r."keyword_id" WHERE r."date" = ?
				ORDER BY r."keyword_id", r."url", r."rank"`
		}
		err = db.QueryEach(ctx, tx, q, []any{d.date}, func(rows *sql.Rows) error {
			var id, market int64
			var text string
			var rank sql.NullInt64
			var u sql.NullString
			var est sql.NullFloat64
			if err := rows.Scan(&id, &market, &text, &rank, &u, &est); err != nil {
				return err
			}
			k := byID[id]
			if k == nil {
				k = &kw{id: id, market: market, text: strings.ToLower(strings.TrimSpace(text))}
				byID[id] = k
				kws = append(kws, k)
			}
			k.estTraffic += est.Float64
			if rank.Valid && rank.Int64 > 0 {
				k.rankSum += rank.Int64
				k.rankN++
			}
			if p := pagePath(u.String); p != "" && !slices.Contains(k.paths, p) {
				k.paths = append(k.paths, p)
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("ranks: %w", err)
		}
		if len(kws) == 0 {
			return 0, replaceDay(ctx, tx, "agg_keyword_daily", "date", d.date, nil, nil)
		}
		if haveSC {
			type sc struct{ clicks, impr int64 }
			byQuery := map[string]sc{}
			err = db.QueryEach(ctx, tx, `SELECT "query", "clicks", "impressions" FROM "search_console_daily" WHERE "date" = ?`, []any{d.date},
				func(rows *sql.Rows) error {
					var qy string
					var c, i int64
					if err := rows.Scan(&qy, &c, &i); err != nil {
						return err
					}
					k := strings.ToLower(strings.TrimSpace(qy))
					s := byQuery[k]
					s.clicks += c
					s.impr += i
					byQuery[k] = s
					return nil
				})
			if err != nil {
				return 0, fmt.Errorf("search console: %w", err)
			}
			for _, k := range kws {
				if s, ok := byQuery[k.text]; ok && k.text != "" {
					k.clicks, k.impr = s.clicks, s.impr
				}
			}
		}
		_, byName, err := channels(ctx, tx)
		if err != nil {
			return 0, err
		}
		visits, sales := map[string]int64{}, map[string]float64{}
		if seo := byName["seo"]; seo != 0 {
			err = db.QueryEach(ctx, tx, `SELECT v."landing_path", COUNT(*) FROM "visit" v WHERE`+dayVisits+`AND v."channel_id" = ? GROUP BY v."landing_path"`,
				[]any{d.start, d.end, seo}, func(rows *sql.Rows) error {
					var p string
					var n int64
					err := rows.Scan(&p, &n)
					visits[p] += n
					return err
				})
			if err != nil {
				return 0, fmt.Errorf("seo visits: %w", err)
			}
			err = db.QueryEach(ctx, tx, `SELECT v."landing_path", COUNT(*) FROM "sale" s`+macroSales+`JOIN "visit" v ON v."id" = s."visit_id"
				WHERE s."date" = ? AND v."channel_id" = ? GROUP BY v."landing_path"`, []any{d.date, seo}, func(rows *sql.Rows) error {
				var p string
				var n int64
				err := rows.Scan(&p, &n)
				sales[p] += float64(n)
				return err
			})
			if err != nil {
				return 0, fmt.Errorf("seo sales: %w", err)
			}
		}
		slices.SortFunc(kws, func(a, b *kw) int { return cmp.Compare(a.id, b.id) })
		rows := make([][]any, 0, len(kws))
		for _, k := range kws {
			for _, p := range k.paths {
				k.seoVisits += visits[p]
				k.seoSales += sales[p]
			}
			rows = append(rows, []any{d.date, k.id, k.market, k.rankSum, k.rankN, k.clicks, k.impr, k.estTraffic, k.seoVisits, k.seoSales})
		}
		return len(rows), replaceDay(ctx, tx, "agg_keyword_daily", "date", d.date, []string{"date", "keyword_id", "market_id", "rank_sum",
			"rank_count", "clicks", "impressions", "est_traffic", "seo_visits", "seo_sales"}, rows)
	})
}

// pagePath is a ranking URL's path, as visits store landing_path.
func pagePath(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}
