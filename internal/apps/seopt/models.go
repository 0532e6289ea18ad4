// Package seopt is the original's SEO app: tracked keywords per market
// (suggested from Search Console queries or entered by the client, brand
// queries flagged by edit distance to the account's name and domain) and
// their daily rank with a CTR-curve traffic estimate.
//
// Commands (registered by Register):
//
//	update_seo_keywords  reads search_console_daily, market, seo_keyword; writes seo_keyword
//	update_seo_ranks     reads search_console_daily, seo_keyword, market; writes seo_keyword_rank_daily
//
// update_agg_keyword_daily (package agg) sums seo_keyword_rank_daily into
// agg_keyword_daily: rank_sum/rank_count from rank, clicks, impressions
// and est_traffic as stored here.
package seopt

import (
	"context"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/registry"
	s "github.com/cubedhq/cubed/internal/schema"
)

// Keyword statuses and sources.
var (
	Statuses = []string{"suggested", "active", "blacklisted"}
	Sources  = []string{"client", "search_console"}
)

// Models returns seo_keyword and seo_keyword_rank_daily (spec/domain.md
// §5; clicks, impressions and est_traffic on the rank table, and source,
// created, updated on keywords, are additions).
func Models() []*s.Model {
	c := func(m *s.Model) *s.Model { m.DB = s.Client; m.App = "seopt"; return m }
	return []*s.Model{
		c(&s.Model{Name: "seo_keyword", Fields: []s.Field{
			s.BigIntF("market_id").Nullable().Doc("market", "The market (id) the keyword is tracked in; null: every country."),
			s.TextF("keyword", 255).Doc("keyword", "Lower case, single spaces."),
			s.TextF("topic", 128).Def(""),
			s.BoolF("is_brand", false).Doc("brand", "A query for the brand itself (edit distance to the account's name or domain)."),
			s.BigIntF("search_volume").DefInt(0).Doc("search volume", "Monthly searches; estimated from Search Console impressions unless the client sets it."),
			s.TextF("status", 16).Def("suggested").OneOf(Statuses...).Doc("status", "suggested (found in Search Console), active (tracked) or blacklisted (ignored)."),
			s.TextF("source", 16).Def("client").OneOf(Sources...).RO().Doc("source", "client (entered) or search_console (suggested by update_seo_keywords)."),
			s.Created(), s.Updated(),
		},
			UniqueTogether: [][]string{{"market_id", "keyword"}},
			Indexes:        []s.Index{{Columns: []string{"keyword"}}},
		}),
		c(&s.Model{Name: "seo_keyword_rank_daily", Fields: []s.Field{
			s.DateF("date"),
			s.FK("keyword_id", "seo_keyword", "CASCADE"),
			s.IntF("rank").Doc("rank", "Average Search Console position that day, rounded (1 = top)."),
			s.TextF("url", 2048).Def("").Doc("url", "The page that ranked (most clicks, then impressions)."),
			s.BigIntF("clicks").DefInt(0),
			s.BigIntF("impressions").DefInt(0),
			s.FloatF("est_traffic").Def("0").Doc("estimated traffic", "Daily visits expected at this rank: search volume / 30 × CTR(rank)."),
		},
			UniqueTogether: [][]string{{"date", "keyword_id"}},
			Indexes:        []s.Index{{Columns: []string{"date"}}},
		}),
	}
}

func resources(models []*s.Model) []*resource.Resource {
	kw, rank := models[0], models[1]
	return []*resource.Resource{
		{
			Name: "seo-keyword", Model: kw,
			Filtering: resource.AllFields(kw), Ordering: resource.AllOrdering(kw), DefaultOrder: []string{"keyword", "id"},
		},
		{
			Name: "seo-keyword-rank-daily", Model: rank,
			Filtering: resource.AllFields(rank), Ordering: resource.AllOrdering(rank), DefaultOrder: []string{"-date", "id"},
			Related:     map[string]resource.Related{"keyword": {Resource: "seo-keyword"}},
			ListMethods: []string{"GET"}, DetailMethods: []string{"GET"},
		},
	}
}

// Register declares the app's models, resources and commands.
func Register(r *registry.Registry) {
	models := Models()
	r.Models.Add(models...)
	r.AddResources(resources(models)...)
	r.AddReports(Reports()...)
	r.Commands.Add(
		command.Command{
			Name: "update_seo_keywords", App: "seopt",
			ReadsFrom: []string{"search_console_daily", "market", "seo_keyword"},
			WritesTo:  []string{"seo_keyword"},
			Frequency: command.Daily,
			Timeout:   10 * time.Minute,
			Run: func(ctx context.Context, env *command.Env) error {
				st, err := UpdateKeywords(ctx, env.Account, env.DB, env.LocalDate(), KeywordOptions{})
				env.Log.Info("seo keywords updated", "added", st.Added, "updated", st.Updated)
				return err
			},
		},
		command.Command{
			Name: "update_seo_ranks", App: "seopt",
			ReadsFrom: []string{"search_console_daily", "seo_keyword", "market"},
			WritesTo:  []string{"seo_keyword_rank_daily"},
			Frequency: command.Daily,
			Timeout:   10 * time.Minute,
			Run: func(ctx context.Context, env *command.Env) error {
				n, err := UpdateRanks(ctx, env.DB, env.LocalDate())
				env.Log.Info("seo ranks updated", "rows", n)
				return err
			},
		},
	)
}
