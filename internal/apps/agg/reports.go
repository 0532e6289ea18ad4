package agg

import (
	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/report"
)

// defaultModel is the account's default attribution model: reports over
// tables with a model dimension read exactly one model unless they group
// by it (spec/domain.md §12).
var defaultModel = report.DefaultQuery(`SELECT "id" FROM "attribution_model" WHERE "is_default" = TRUE AND "active" = TRUE ORDER BY "id" LIMIT 1`)

func dateDim() report.Dimension {
	return report.Dimension{Name: "date", Type: report.Date, Verbose: "Date", Help: "Local date in the account's time zone."}
}

func channelDim() report.Dimension {
	return report.Dimension{Name: "channel", Type: report.Dict, Related: "channel", Verbose: "Channel",
		Filter: resource.Filter{Level: resource.AllWithRelations}}
}

func modelDim() report.Dimension {
	return report.Dimension{Name: "model", Type: report.Dict, Related: "attribution_model", Verbose: "Attribution model",
		Default: defaultModel, Help: "Defaults to the account's default model."}
}

// Shared metric declarations.
var (
	mVisits   = report.Metric{Name: "visits", Type: report.Integer, Verbose: "Visits"}
	mSales    = report.Metric{Name: "sales", Type: report.Float, Verbose: "Sales", Help: "Attributed sales (fractional under multi-touch models)."}
	mRevenue  = report.Metric{Name: "revenue", Type: report.Money, Verbose: "Revenue"}
	mCost     = report.Metric{Name: "cost", Type: report.Money, Verbose: "Cost", LowerIsBetter: true}
	mConvRate = report.Metric{Name: "conversion_rate", Type: report.Percentage, Verbose: "Conversion rate", Formula: "sum(sales) / sum(visits)"}
	mCPA      = report.Metric{Name: "cpa", Type: report.Money, Verbose: "Cost per acquisition", Formula: "cost / sales", LowerIsBetter: true}
	mROAS     = report.Metric{Name: "roas", Type: report.Float, Verbose: "Return on ad spend", Formula: "revenue / cost"}
	mAOV      = report.Metric{Name: "aov", Type: report.Money, Verbose: "Average order value", Formula: "revenue / sales"}
)

var channelMeasures = []string{"visits", "new_visits", "page_views", "bounces", "duration_s", "sales", "revenue=revenue_minor",
	"cost=cost_minor", "impressions", "clicks"}

// Reports is the report catalogue of spec/domain.md §12 over the aggregate
// tables.
func Reports() []*report.Report {
	channelTables := func(withDevice bool) []report.Table {
		daily := report.Table{Name: "agg_channel_daily", Measures: channelMeasures}
		monthly := report.Table{Name: "agg_channel_monthly", DateGrain: report.Month,
			Dims: []string{"date=month", "model", "channel"}, Measures: channelMeasures}
		if withDevice {
			daily.Dims = []string{"date", "model", "channel", "device"}
		}
		return []report.Table{daily, monthly}
	}
	return []*report.Report{
		{
			Name: "report-overview", DateDimension: "date", Tables: channelTables(false),
			Dimensions: []report.Dimension{dateDim(), modelDim(), channelDim()},
			Metrics:    []report.Metric{mVisits, mSales, mRevenue, mCost, mConvRate, mCPA, mROAS, mAOV},
		},
		{
			Name: "report-channel-performance", DateDimension: "date", Tables: channelTables(true),
			Dimensions: []report.Dimension{channelDim(), {Name: "device", Type: report.String, Verbose: "Device"}, dateDim(), modelDim()},
			Metrics: []report.Metric{
				mVisits,
				{Name: "new_visit_rate", Type: report.Percentage, Verbose: "New visit rate", Formula: "sum(new_visits) / sum(visits)"},
				{Name: "bounce_rate", Type: report.Percentage, Verbose: "Bounce rate", Formula: "sum(bounces) / sum(visits)", LowerIsBetter: true},
				mSales, mRevenue, mCost, mCPA, mROAS,
				{Name: "roi", Type: report.Percentage, Verbose: "Return on investment", Formula: "(revenue - cost) / cost",
					Help: "(revenue × margin − cost) / cost, margin 1 until product margins are applied."},
				mConvRate,
			},
		},
		{
			Name: "report-model-comparison", DateDimension: "date",
			Tables:     []report.Table{{Name: "agg_channel_daily", Measures: channelMeasures}},
			Dimensions: []report.Dimension{channelDim(), modelDim(), dateDim()},
			Metrics:    []report.Metric{mSales, mRevenue},
		},
		{
			Name: "report-campaigns", DateDimension: "date",
			Tables: []report.Table{{Name: "agg_campaign_daily", Measures: []string{"visits", "sales", "revenue=revenue_minor", "cost=cost_minor",
				"impressions", "clicks", "platform_conversions"}}},
			Dimensions: []report.Dimension{channelDim(),
				{Name: "campaign", Type: report.Dict, Related: "campaign", Verbose: "Campaign", Filter: resource.Filter{Level: resource.AllWithRelations}},
				dateDim(), modelDim()},
			Metrics: []report.Metric{
				{Name: "impressions", Type: report.Integer, Verbose: "Impressions"},
				{Name: "clicks", Type: report.Integer, Verbose: "Clicks"},
				{Name: "ctr", Type: report.Percentage, Verbose: "Click-through rate", Formula: "sum(clicks) / sum(impressions)"},
				{Name: "cpc", Type: report.Money, Verbose: "Cost per click", Formula: "cost / clicks", LowerIsBetter: true},
				mCost, mVisits, mSales, mRevenue, mCPA, mROAS,
				{Name: "platform_conversions", Type: report.Float, Verbose: "Platform conversions"},
			},
		},
		{
			Name: "report-landing-pages", DateDimension: "date",
			Tables: []report.Table{{Name: "agg_landing_page_daily", Measures: []string{"visits", "bounces",
				"sales=sales_last_click", "revenue=revenue_minor_last_click", "assisted_sales"}}},
			Dimensions: []report.Dimension{{Name: "landing_path", Type: report.String, Verbose: "Landing page"}, channelDim(), dateDim()},
			Metrics: []report.Metric{mVisits,
				{Name: "bounce_rate", Type: report.Percentage, Verbose: "Bounce rate", Formula: "sum(bounces) / sum(visits)", LowerIsBetter: true},
				{Name: "sales", Type: report.Integer, Verbose: "Sales (last click)"}, mRevenue, mConvRate},
		},
		{
			Name: "report-goals", DateDimension: "date",
			Tables:     []report.Table{{Name: "agg_goal_daily", Measures: []string{"completions", "revenue=revenue_minor"}}},
			Dimensions: []report.Dimension{{Name: "goal", Type: report.Dict, Related: "goal", Verbose: "Goal"}, channelDim(), modelDim(), dateDim()},
			Metrics:    []report.Metric{{Name: "completions", Type: report.Float, Verbose: "Completions"}, mRevenue},
		},
		{
			Name: "report-paths", DateDimension: "date",
			Tables: []report.Table{{Name: "agg_path_daily", Measures: []string{"sales", "revenue=revenue_minor", "touches_sum", "days_to_convert_sum"}}},
			Dimensions: []report.Dimension{{Name: "path", Type: report.String, Verbose: "Path"},
				{Name: "goal", Type: report.Dict, Related: "goal", Verbose: "Goal"}, dateDim()},
			Metrics: []report.Metric{{Name: "sales", Type: report.Integer, Verbose: "Sales"}, mRevenue,
				{Name: "avg_touches", Type: report.Float, Verbose: "Average touches", Formula: "sum(touches_sum) / sum(sales)"},
				{Name: "avg_days_to_convert", Type: report.Float, Verbose: "Average days to convert", Formula: "sum(days_to_convert_sum) / sum(sales)", LowerIsBetter: true}},
		},
		{
			Name: "report-products", DateDimension: "date",
			Tables:     []report.Table{{Name: "agg_product_daily", Measures: []string{"units", "revenue=revenue_minor", "orders"}}},
			Dimensions: []report.Dimension{{Name: "sku", Type: report.String, Verbose: "SKU"}, channelDim(), dateDim()},
			Metrics: []report.Metric{{Name: "units", Type: report.Integer, Verbose: "Units"}, mRevenue,
				{Name: "orders", Type: report.Integer, Verbose: "Orders"}},
		},
		{
			Name: "report-devices-geo", DateDimension: "date",
			Tables: []report.Table{{Name: "agg_device_geo_daily", Measures: []string{"visits", "sales", "revenue=revenue_minor"}}},
			Dimensions: []report.Dimension{{Name: "device", Type: report.String, Verbose: "Device"},
				{Name: "country", Type: report.String, Verbose: "Country"}, dateDim()},
			Metrics: []report.Metric{mVisits, {Name: "sales", Type: report.Integer, Verbose: "Sales"}, mRevenue, mConvRate},
		},
	}
}
