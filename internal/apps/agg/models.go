// Package agg holds the aggregate tables (additive parts only, unique on
// their dimensions, indexed on date) that reports read, and, as the
// pipeline lands, the update_agg_* commands and the report declarations.
package agg

import (
	"github.com/cubedhq/cubed/internal/registry"
	s "github.com/cubedhq/cubed/internal/schema"
)

func measure(name string) s.Field { return s.BigIntF(name).DefInt(0) }

func fmeasure(name string) s.Field { return s.FloatF(name).Def("0") }

func agg(name string, dims []s.Field, measures ...s.Field) *s.Model {
	cols := make([]string, len(dims))
	for i, d := range dims {
		cols[i] = d.Name
	}
	m := &s.Model{
		Name: name, DB: s.Client, App: "agg", NoID: true,
		Fields:         append(append([]s.Field{}, dims...), measures...),
		UniqueTogether: [][]string{cols},
	}
	// Reports always pick one attribution model: an index that starts with
	// it reads only that model's rows of a date range (the unique index
	// starts with the date, which commands delete by).
	if len(cols) > 1 && cols[1] == "model_id" {
		m.Indexes = []s.Index{{Columns: append([]string{"model_id", cols[0]}, cols[2:]...)}}
	}
	return m
}

// Models returns the aggregate tables of spec/domain.md §6. Sales are
// fractional (attribution credits); money is integer minor units except
// where credits make it fractional.
func Models() []*s.Model {
	date := s.DateF("date")
	model := s.BigIntF("model_id")
	channel := s.BigIntF("channel_id").Def("0").Doc("channel", "0 when unknown.")
	return []*s.Model{
		agg("agg_channel_daily", []s.Field{date, model, channel, s.TextF("device", 16).Def("")},
			measure("visits"), measure("new_visits"), measure("page_views"), measure("bounces"), measure("duration_s"),
			fmeasure("sales"), fmeasure("revenue_minor"), measure("cost_minor"), measure("impressions"), measure("clicks")),
		agg("agg_channel_monthly", []s.Field{s.DateF("month").Doc("month", "First day of the local month."), model, channel},
			measure("visits"), measure("new_visits"), measure("page_views"), measure("bounces"), measure("duration_s"),
			fmeasure("sales"), fmeasure("revenue_minor"), measure("cost_minor"), measure("impressions"), measure("clicks")),
		agg("agg_campaign_daily", []s.Field{date, model, channel, s.BigIntF("campaign_id").Def("0")},
			measure("visits"), fmeasure("sales"), fmeasure("revenue_minor"), measure("cost_minor"), measure("impressions"),
			measure("clicks"), fmeasure("platform_conversions")),
		agg("agg_landing_page_daily", []s.Field{date, s.TextF("landing_path", 2000).Def(""), channel},
			measure("visits"), measure("bounces"), measure("sales_last_click"), measure("revenue_minor_last_click"), measure("assisted_sales")),
		agg("agg_goal_daily", []s.Field{date, s.BigIntF("goal_id").Def("0"), channel, model},
			fmeasure("completions"), fmeasure("revenue_minor")),
		agg("agg_path_daily", []s.Field{date, s.TextF("path", 1000), s.BigIntF("goal_id").Def("0")},
			measure("sales"), measure("revenue_minor"), measure("touches_sum"), fmeasure("days_to_convert_sum")),
		agg("agg_product_daily", []s.Field{date, s.TextF("sku", 64), channel},
			measure("units"), measure("revenue_minor"), measure("orders")),
		agg("agg_keyword_daily", []s.Field{date, s.BigIntF("keyword_id"), s.BigIntF("market_id").Def("0")},
			measure("rank_sum"), measure("rank_count"), measure("clicks"), measure("impressions"), fmeasure("est_traffic"),
			measure("seo_visits"), fmeasure("seo_sales")),
		agg("agg_device_geo_daily", []s.Field{date, s.TextF("device", 16).Def(""), s.TextF("country", 2).Def("")},
			measure("visits"), measure("sales"), measure("revenue_minor")),
	}
}

// Register declares the app's models and its update_agg_* commands.
func Register(r *registry.Registry) {
	r.Models.Add(Models()...)
	r.Commands.Add(Commands()...)
}
