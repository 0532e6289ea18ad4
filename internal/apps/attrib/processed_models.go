package attrib

import (
	s "github.com/cubedhq/cubed/internal/schema"
)

// ProcessedModels are the tables the nightly commands rebuild per day
// (spec/domain.md §5): sales, their touchpoints and attribution credits.
func ProcessedModels() []*s.Model {
	c := func(m *s.Model) *s.Model { m.DB = s.Client; m.App = "attrib"; return m }
	return []*s.Model{
		c(&s.Model{Name: "sale", Fields: []s.Field{
			s.BigIntF("goal_id").Nullable().Doc("goal", "Goal the converting event belongs to."),
			s.BigIntF("visitor_id").Nullable(),
			s.BigIntF("visit_id").Nullable().Doc("converting visit", "The visit of the converting event."),
			s.BigIntF("event_id").Nullable(),
			s.DateTimeF("ts"),
			s.DateF("date").Doc("date", "Local date of the sale in the account's time zone."),
			s.TextF("transaction_id", 128).Doc("transaction id", "Unique per account; a repeat keeps the earliest."),
			s.BigIntF("revenue_minor").DefInt(0),
			s.TextF("currency", 3).Def(""),
			s.IntF("items").DefInt(0),
			s.BoolF("is_offline", false),
			s.BoolF("is_new_customer", false),
		}, Indexes: []s.Index{
			{Columns: []string{"transaction_id"}, Unique: true},
			{Columns: []string{"date"}},
			{Columns: []string{"visitor_id", "ts"}},
		}}),
		c(&s.Model{Name: "touchpoint", NoID: true, Fields: []s.Field{
			s.BigIntF("sale_id"),
			s.IntF("seq").Doc("sequence", "1 is the first touch."),
			s.BigIntF("visit_id").Nullable(),
			s.BigIntF("channel_id").Nullable(),
			s.BigIntF("campaign_id").Nullable(),
			s.DateTimeF("ts"),
			s.BigIntF("seconds_before_sale").DefInt(0),
			s.BoolF("is_direct", false),
		}, UniqueTogether: [][]string{{"sale_id", "seq"}}}),
		c(&s.Model{Name: "sale_attribution", NoID: true, Fields: []s.Field{
			s.BigIntF("sale_id"),
			s.BigIntF("model_id"),
			s.IntF("seq"),
			s.BigIntF("channel_id").Nullable(),
			s.BigIntF("campaign_id").Nullable(),
			s.BigIntF("visit_id").Nullable(),
			s.FloatF("credit").Doc("credit", "Share of the sale, 0..1; a sale's credits sum to 1 per model."),
			s.FloatF("revenue_minor_credit"),
		}, UniqueTogether: [][]string{{"sale_id", "model_id", "seq"}}, Indexes: []s.Index{{Columns: []string{"model_id", "channel_id"}}}}),
	}
}
