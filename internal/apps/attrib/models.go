// Package attrib is the original's attribution app: per-client
// configuration (channels, patterns, segmenter rules, events, goals,
// products, markets, campaigns, attribution models) and, in later issues,
// raw tracking data and the commands that process it.
package attrib

import (
	s "github.com/cubedhq/cubed/internal/schema"
)

// Choices shared by declarations, the API and the pipeline.
var (
	MatchOn      = []string{"referrer", "landing_url", "utm_source", "utm_medium", "utm_campaign", "click_id"}
	ModelCodes   = []string{"last_click", "last_non_direct", "first_click", "linear", "time_decay", "position_based", "data_driven"}
	Platforms    = []string{"google_ads", "microsoft_ads", "meta_ads", "email", "affiliate", "other"}
	GoalTypes    = []string{"ecommerce", "lead", "micro"}
	RuleKinds    = []string{"advanced_pattern", "visitor_segment"}
	SegFunctions = []string{"visit_channel", "visit_referrer", "visit_landing_url", "visit_utm_source", "visit_utm_medium",
		"visit_utm_campaign", "visit_utm_term", "visit_utm_content", "visit_has_label", "visit_event_name",
		"visitor_visit_count", "visitor_has_channel"}
	SegOperators = []string{"eq", "ne", "gt", "gte", "lt", "lte", "contains", "startswith", "endswith", "regex"}
)

// ConfigModels returns the client configuration tables of spec/domain.md §3.
func ConfigModels() []*s.Model {
	c := func(m *s.Model) *s.Model { m.DB = s.Client; m.App = "attrib"; return m }
	return []*s.Model{
		c(&s.Model{Name: "channel", SoftDelete: s.Deactivate, Fields: []s.Field{
			s.TextF("name", 64).Uniq().Doc("name", "Channel name shown in reports."),
			s.TextF("colour", 7).Def("#7f8c8d").Doc("colour", "Chart colour, #rrggbb."),
			s.BoolF("is_paid", false).Doc("paid", "Paid channels carry cost."),
			s.BoolF("is_direct", false).Doc("direct", "The Direct channel (skipped by last non-direct)."),
			s.IntF("sort").DefInt(0).Doc("sort", "Display order."),
			s.Created(), s.Updated(),
		}}),
		c(&s.Model{Name: "pattern", SoftDelete: s.Deactivate, Fields: []s.Field{
			s.FK("channel_id", "channel", "CASCADE").Doc("channel", "Channel a match assigns."),
			s.TextF("pattern", 500).Doc("pattern", "RE2 regular expression."),
			s.TextF("match_on", 16).Def("referrer").OneOf(MatchOn...).Doc("match on", "Visit field the pattern is matched against."),
			s.IntF("priority").DefInt(100).Doc("priority", "Lower matches first."),
			s.BoolF("is_default", false).Doc("default", "Loaded with the account's defaults."),
			s.Created(), s.Updated(),
		}}),
		c(&s.Model{Name: "segmenter_rule", SoftDelete: s.Deleted, Fields: []s.Field{
			s.TextF("name", 128),
			s.TextF("kind", 32).Def("advanced_pattern").OneOf(RuleKinds...),
			s.TextF("expression", 500).Doc("expression", "Condition numbers with and, or, not and parentheses, e.g. (1 and 2) or 3."),
			s.FK("target_pattern_id", "pattern", "SET NULL").Nullable(),
			s.TextF("segment_name", 64).Def(""),
			s.IntF("priority").DefInt(100),
			s.Created(), s.Updated(),
		}}),
		c(&s.Model{Name: "segmenter_condition", Fields: []s.Field{
			s.FK("rule_id", "segmenter_rule", "CASCADE"),
			s.IntF("number").Doc("number", "Referenced by the rule's expression."),
			s.TextF("function", 32).OneOf(SegFunctions...),
			s.TextF("operator", 16).OneOf(SegOperators...),
			s.TextF("value", 500).Def(""),
		}, UniqueTogether: [][]string{{"rule_id", "number"}}}),
		c(&s.Model{Name: "event_definition", SoftDelete: s.Deactivate, Fields: []s.Field{
			s.TextF("name", 128).Uniq().Doc("name", "Event name as sent by the tag (case-sensitive)."),
			s.TextF("display_name", 128).Def(""),
		}}),
		c(&s.Model{Name: "goal", SoftDelete: s.Deactivate, Fields: []s.Field{
			s.TextF("name", 128),
			s.TextF("type", 16).Def("ecommerce").OneOf(GoalTypes...),
			s.BoolF("is_macro", true),
		}}),
		c(&s.Model{Name: "goal_event", Fields: []s.Field{
			s.FK("goal_id", "goal", "CASCADE"),
			s.FK("event_definition_id", "event_definition", "CASCADE"),
		}, UniqueTogether: [][]string{{"goal_id", "event_definition_id"}}}),
		c(&s.Model{Name: "product", SoftDelete: s.Deactivate, Fields: []s.Field{
			s.TextF("sku", 64).Uniq(),
			s.TextF("name", 255).Def(""),
			s.TextF("category", 128).Def(""),
			s.BigIntF("price_minor").DefInt(0).Doc("price (minor units)", "Price in the account currency's minor units."),
			s.DecimalF("margin_pct", 5, 2).Nullable().Doc("margin %", "Gross margin used by ROI."),
		}}),
		c(&s.Model{Name: "market", SoftDelete: s.Deactivate, Fields: []s.Field{
			s.TextF("name", 128),
			s.TextF("country", 2),
			s.TextF("language", 8).Def("en"),
			s.TextF("search_engine_domain", 253).Def("google.com"),
		}}),
		c(&s.Model{Name: "campaign", SoftDelete: s.Deactivate, Fields: []s.Field{
			s.FK("channel_id", "channel", "SET NULL").Nullable(),
			s.TextF("platform", 16).Def("other").OneOf(Platforms...),
			s.TextF("external_id", 128).Def(""),
			s.TextF("name", 255),
			s.TextF("utm_campaign", 255).Def("").Indexed(),
			s.TextF("status", 32).Def("active"),
		}}),
		c(&s.Model{Name: "attribution_model", SoftDelete: s.Deactivate, Fields: []s.Field{
			s.TextF("code", 32).OneOf(ModelCodes...),
			s.TextF("name", 128),
			s.JSONF("params").Nullable().Doc("parameters", "half_life_days, first, last."),
			s.IntF("lookback_days").Nullable().Doc("lookback days", "Null = the account's."),
			s.BoolF("is_default", false).Doc("default", "Exactly one model is the default."),
		}}),
		c(&s.Model{Name: "payment_referrer", Fields: []s.Field{
			s.TextF("domain", 253).Uniq().Doc("domain", "Payment provider host; never starts a touch."),
		}}),
	}
}
