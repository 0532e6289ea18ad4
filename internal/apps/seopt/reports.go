package seopt

import "github.com/cubedhq/cubed/internal/report"

// Reports are the SEO reports of the catalogue (spec/domain.md §12):
// keyword ranks and traffic from agg_keyword_daily, and the imported
// Search Console rows.
func Reports() []*report.Report {
	date := report.Dimension{Name: "date", Type: report.Date, Verbose: "Date", Help: "Local date in the account's time zone."}
	ctr := report.Metric{Name: "ctr", Type: report.Percentage, Verbose: "Click-through rate", Formula: "sum(clicks) / sum(impressions)"}
	clicks := report.Metric{Name: "clicks", Type: report.Integer, Verbose: "Clicks"}
	impressions := report.Metric{Name: "impressions", Type: report.Integer, Verbose: "Impressions"}
	return []*report.Report{
		{
			Name: "report-seo-keywords", DateDimension: "date",
			Tables: []report.Table{{Name: "agg_keyword_daily", Measures: []string{"rank_sum", "rank_count", "clicks", "impressions",
				"est_traffic", "seo_visits", "seo_sales"}}},
			Dimensions: []report.Dimension{
				{Name: "keyword", Type: report.Dict, Related: "seo_keyword", NameColumn: "keyword", Verbose: "Keyword"},
				{Name: "market", Type: report.Dict, Related: "market", Verbose: "Market", Help: "0: keywords tracked in every market."},
				date,
			},
			Metrics: []report.Metric{
				{Name: "avg_rank", Type: report.Float, Verbose: "Average rank", Formula: "sum(rank_sum) / sum(rank_count)", LowerIsBetter: true},
				clicks, impressions, ctr,
				{Name: "est_traffic", Type: report.Float, Verbose: "Estimated traffic", Help: "Search volume ÷ 30 × CTR at the rank."},
				{Name: "seo_visits", Type: report.Integer, Verbose: "SEO visits"},
				{Name: "seo_sales", Type: report.Float, Verbose: "SEO sales"},
			},
		},
		{
			Name: "report-search-console", DateDimension: "date",
			Tables: []report.Table{{Name: "search_console_daily", Measures: []string{"clicks", "impressions", "position_sum"}}},
			Dimensions: []report.Dimension{
				{Name: "query", Type: report.String, Verbose: "Query"},
				{Name: "page", Type: report.String, Verbose: "Page"},
				{Name: "country", Type: report.String, Verbose: "Country"},
				{Name: "device", Type: report.String, Verbose: "Device"},
				date,
			},
			Metrics: []report.Metric{clicks, impressions, ctr,
				{Name: "avg_position", Type: report.Float, Verbose: "Average position", Formula: "sum(position_sum) / sum(impressions)", LowerIsBetter: true},
			},
		},
	}
}
