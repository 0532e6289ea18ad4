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

// modelComparisonSQL reads agg_channel_daily with the last-click model's
// sales repeated on every active model's rows (as last_click_sales), so a
// group's change_vs_last_click compares like with like. A UNION rather than
// a join: a group may have last-click sales and no row for the model.
const modelComparisonSQL = `SELECT a."date", a."model_id", a."channel_id", a."sales", a."revenue_minor", 0 AS "last_click_sales"
FROM "agg_channel_daily" a
UNION ALL
SELECT l."date", m."id", l."channel_id", 0, 0, l."sales"
FROM "agg_channel_daily" l CROSS JOIN "attribution_model" m
WHERE m."active" = TRUE AND l."model_id" = (SELECT MIN(lc."id") FROM "attribution_model" lc WHERE lc."code" = 'last_click' AND lc."active" = TRUE)`

// salesSQL is one row per sale with its first and last touch's channel,
// its number of touches and the days from its first touch.
const salesSQL = `SELECT s."id" AS "sale_id", s."transaction_id", s."date", s."goal_id", s."revenue_minor", s."items",
(SELECT t."channel_id" FROM "touchpoint" t WHERE t."sale_id" = s."id" ORDER BY t."seq" LIMIT 1) AS "first_channel_id",
(SELECT t."channel_id" FROM "touchpoint" t WHERE t."sale_id" = s."id" ORDER BY t."seq" DESC LIMIT 1) AS "last_channel_id",
(SELECT COUNT(*) FROM "touchpoint" t WHERE t."sale_id" = s."id") AS "touches",
COALESCE((SELECT MAX(t."seconds_before_sale") FROM "touchpoint" t WHERE t."sale_id" = s."id"), 0) / 86400.0 AS "days_to_convert"
FROM "sale" s`

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
			Tables: []report.Table{{Name: "agg_channel_daily", From: modelComparisonSQL, Sources: []string{"agg_channel_daily", "attribution_model"},
				Dims: []string{"date", "model", "channel"}, Measures: []string{"sales", "revenue=revenue_minor", "last_click_sales"}}},
			Dimensions: []report.Dimension{channelDim(), modelDim(), dateDim()},
			Metrics: []report.Metric{mSales, mRevenue,
				{Name: "change_vs_last_click", Type: report.Percentage, Verbose: "Change vs last click",
					Formula: "(sales - sum(last_click_sales)) / sum(last_click_sales)",
					Help:    "Sales credited by the model relative to the last-click model's sales in the same group."}},
		},
		{
			Name: "report-assisted", DateDimension: "date",
			Tables: []report.Table{{Name: "agg_landing_page_daily", Dims: []string{"date", "channel"},
				Measures: []string{"last_click_sales=sales_last_click", "assisted_sales"}}},
			Dimensions: []report.Dimension{channelDim(), dateDim()},
			Metrics: []report.Metric{
				{Name: "last_click_sales", Type: report.Integer, Verbose: "Last-click sales"},
				{Name: "assisted_sales", Type: report.Integer, Verbose: "Assisted sales",
					Help: "Sales with an earlier touch on the channel (counted once per sale and landing page)."},
				{Name: "assist_ratio", Type: report.Float, Verbose: "Assist ratio", Formula: "sum(assisted_sales) / sum(last_click_sales)",
					Help: "Assisted sales per last-click sale: above 1 the channel mostly introduces."},
			},
		},
		{
			Name: "report-sales", DateDimension: "date", DefaultLimit: 50,
			Tables: []report.Table{{Name: "sale", From: salesSQL, Sources: []string{"sale", "touchpoint", "goal", "channel"},
				Dims:     []string{"sale=sale_id", "transaction_id", "date", "goal", "first_channel", "last_channel"},
				Measures: []string{"revenue=revenue_minor", "items", "touches", "days=days_to_convert"}}},
			Dimensions: []report.Dimension{
				{Name: "sale", Type: report.Integer, Column: "sale_id", Verbose: "Sale", Help: "Group by sale for one row per sale."},
				{Name: "transaction_id", Type: report.String, Verbose: "Transaction id"},
				dateDim(),
				{Name: "goal", Type: report.Dict, Related: "goal", Verbose: "Goal"},
				{Name: "first_channel", Type: report.Dict, Related: "channel", Column: "first_channel_id", Verbose: "First channel",
					Filter: resource.Filter{Level: resource.AllWithRelations}},
				{Name: "last_channel", Type: report.Dict, Related: "channel", Column: "last_channel_id", Verbose: "Last channel",
					Filter: resource.Filter{Level: resource.AllWithRelations}},
			},
			Metrics: []report.Metric{
				{Name: "sales", Type: report.Integer, Verbose: "Sales", Formula: "count(*)"},
				mRevenue,
				{Name: "items", Type: report.Integer, Verbose: "Items"},
				{Name: "touches", Type: report.Integer, Verbose: "Touches"},
				{Name: "days_to_convert", Type: report.Float, Verbose: "Days to convert", Formula: "sum(days) / count(*)", LowerIsBetter: true,
					Help: "First touch to sale, in days (the average over grouped sales)."},
			},
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
