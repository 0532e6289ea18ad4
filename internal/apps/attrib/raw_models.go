package attrib

import (
	s "github.com/cubedhq/cubed/internal/schema"
)

// Choices of the raw tables.
var (
	ClickIDTypes  = []string{"gclid", "gbraid", "wbraid", "msclkid", "fbclid", "ttclid"}
	Devices       = []string{"desktop", "mobile", "tablet"}
	LabelTypes    = []string{"int", "float", "string", "datetime", "bool"}
	SyncKinds     = []string{"email_hash", "order_id", "impression"}
	UploadKinds   = []string{"offline_sales"}
	UploadStatus  = []string{"received", "processed", "failed"}
	OfflineColumn = []string{"account_token", "event_date_time", "transaction_id", "revenue", "currency", "customer_id",
		"event_item_sku", "page_url", "referrer", "sync_id_1", "sync_id_2", "sync_id_3"}
)

// RawModels are the raw collection tables of spec/domain.md §4, written by
// the collector (and the offline sales import), append-only.
//
// The collector keys a visit by its session token: it creates the visit on
// the first hit of a session and keeps the landing data of the session's
// earliest page view; the sessionize command later re-splits visits by
// timeout and campaign. Classification columns (channel_id, pattern_id,
// campaign_id, segment) stay empty until classify_channels runs; they are
// plain ids rather than foreign keys so that inserting a visit costs no
// index upkeep for them.
func RawModels() []*s.Model {
	c := func(m *s.Model) *s.Model { m.DB = s.Client; m.App = "attrib"; return m }
	text := func(name string, n int) s.Field { return s.TextF(name, n).Def("") }
	return []*s.Model{
		c(&s.Model{Name: "visitor", Fields: []s.Field{
			s.TextF("token", 32).Uniq().Doc("token", "The tag's cubed_vid cookie."),
			s.DateTimeF("first_seen"),
			s.DateTimeF("last_seen"),
			s.TextF("customer_id_hash", 64).Nullable().Indexed().Doc("customer id hash", "SHA-256 of the customer id, when known (offline sales)."),
		}}),
		c(&s.Model{Name: "visit", Fields: []s.Field{
			s.FK("visitor_id", "visitor", "CASCADE"),
			s.TextF("token", 32).Uniq().Doc("token", "The session token (cubed_sid) the collector keys visits by."),
			s.DateTimeF("started_at"),
			s.DateTimeF("ended_at"),
			text("landing_url", 2000),
			text("landing_path", 2000),
			text("referrer", 2000),
			text("referrer_host", 253),
			text("utm_source", 255),
			text("utm_medium", 255),
			text("utm_campaign", 255),
			text("utm_term", 255),
			text("utm_content", 255),
			text("click_id_type", 8).Doc("click id type", "gclid, gbraid, wbraid, msclkid, fbclid or ttclid; empty when none."),
			text("click_id", 255),
			text("device", 8).Doc("device", "desktop, mobile or tablet; empty when unknown."),
			text("browser", 32),
			text("os", 32),
			text("country", 2).Doc("country", "ISO 3166 alpha-2, upper case; empty when unknown."),
			s.IntF("page_views").DefInt(0),
			s.BoolF("is_bounce", true),
			s.BigIntF("channel_id").Nullable().Doc("channel", "Set by classify_channels."),
			s.BigIntF("pattern_id").Nullable(),
			s.BigIntF("campaign_id").Nullable(),
			text("segment", 64),
		}, Indexes: []s.Index{
			{Columns: []string{"started_at"}},
			{Columns: []string{"visitor_id", "started_at"}},
		}}),
		c(&s.Model{Name: "page_view", Fields: []s.Field{
			s.FK("visit_id", "visit", "CASCADE"),
			s.TextF("hit_id", 64).Uniq().Doc("hit id", "The client's hit id; a repeated id is stored once."),
			s.DateTimeF("ts"),
			text("url", 2000),
			text("path", 2000),
			text("title", 500),
		}, Indexes: []s.Index{
			{Columns: []string{"visit_id", "ts"}},
		}}),
		c(&s.Model{Name: "event", Fields: []s.Field{
			s.FK("visit_id", "visit", "CASCADE").Nullable(),
			s.FK("visitor_id", "visitor", "CASCADE"),
			s.TextF("hit_id", 64).Uniq(),
			s.DateTimeF("ts"),
			s.TextF("name", 128),
			s.BigIntF("revenue_minor").DefInt(0),
			text("currency", 3),
			text("transaction_id", 128),
			s.BoolF("is_offline", false),
		}, Indexes: []s.Index{
			{Columns: []string{"ts"}},
			{Columns: []string{"transaction_id"}},
		}}),
		c(&s.Model{Name: "event_item", Fields: []s.Field{
			s.FK("event_id", "event", "CASCADE"),
			text("sku", 64),
			text("name", 255),
			text("category", 128),
			s.IntF("quantity").DefInt(1),
			s.BigIntF("unit_price_minor").DefInt(0),
		}}),
		c(&s.Model{Name: "label", Fields: []s.Field{
			s.FK("visit_id", "visit", "CASCADE"),
			s.FK("event_id", "event", "CASCADE").Nullable().Doc("event", "Null for visit labels."),
			s.TextF("key", 64),
			s.TextF("type", 8).OneOf(LabelTypes...),
			text("value", 1000),
		}}),
		c(&s.Model{Name: "sync_id", Fields: []s.Field{
			s.FK("visitor_id", "visitor", "CASCADE"),
			s.TextF("kind", 16).OneOf(SyncKinds...),
			s.TextF("value_hash", 128),
			s.DateTimeF("ts").Doc("ts", "When the pair was first seen."),
		}, Indexes: []s.Index{
			{Columns: []string{"value_hash"}},
		}, UniqueTogether: [][]string{{"visitor_id", "kind", "value_hash"}}}),
		c(&s.Model{Name: "impression", Fields: []s.Field{
			s.TextF("hit_id", 64).Uniq(),
			s.DateTimeF("ts"),
			text("sync_id_hash", 128),
			text("medium", 255),
			text("source", 255),
			text("campaign", 255),
			text("content", 255),
		}, Indexes: []s.Index{
			{Columns: []string{"ts"}},
		}}),
		c(&s.Model{Name: "file_upload", Fields: []s.Field{
			s.TextF("kind", 32).Def("offline_sales").OneOf(UploadKinds...),
			s.TextF("filename", 255),
			s.TextF("checksum", 64).Uniq().Doc("checksum", "SHA-256 of the file; a second upload of the same file is refused."),
			s.TextF("status", 16).Def("received").OneOf(UploadStatus...),
			s.IntF("rows_total").DefInt(0),
			s.IntF("rows_ok").DefInt(0),
			s.IntF("rows_failed").DefInt(0),
			s.JSONF("errors").Nullable().Doc("errors", "Row errors [{row, column, reason}], at most 1,000."),
			s.BigIntF("uploaded_by").Nullable().Doc("uploaded by", "User id (control database); null from the command line."),
			s.DateTimeF("uploaded_at"),
			s.DateTimeF("processed_at").Nullable(),
		}}),
		c(&s.Model{Name: "offline_sale_row", Fields: []s.Field{
			s.FK("upload_id", "file_upload", "CASCADE"),
			s.IntF("row_number").Doc("row", "Line of the file; the header is row 1."),
			s.DateTimeF("event_date_time"),
			s.TextF("transaction_id", 128),
			s.BigIntF("revenue_minor").Doc("revenue (minor units)", "The revenue column in the currency's minor units."),
			s.TextF("currency", 3),
			text("customer_id", 128),
			text("event_item_sku", 64),
			text("sync_id_1", 128),
			text("sync_id_2", 128),
			text("sync_id_3", 128),
			text("page_url", 2000),
			text("referrer", 2000),
			s.BoolF("processed", false).Doc("processed", "Set when import_offline_sales has turned the row into an event."),
		}, UniqueTogether: [][]string{{"upload_id", "row_number"}}, Indexes: []s.Index{
			{Columns: []string{"processed"}},
		}}),
	}
}
