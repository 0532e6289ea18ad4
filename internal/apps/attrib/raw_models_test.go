package attrib_test

import (
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/schema"
)

// The raw tables carry spec/domain.md §4's columns and the indexes the
// pipeline needs.
func TestRawModelsMatchTheSpec(t *testing.T) {
	reg := schema.NewRegistry()
	reg.Add(attrib.ConfigModels()...)
	reg.Add(attrib.RawModels()...)
	columns := map[string]string{
		"visitor":          "id token first_seen last_seen customer_id_hash",
		"visit":            "id visitor_id token started_at ended_at landing_url landing_path referrer referrer_host utm_source utm_medium utm_campaign utm_term utm_content click_id_type click_id device browser os country page_views is_bounce channel_id pattern_id campaign_id segment",
		"page_view":        "id visit_id hit_id ts url path title",
		"event":            "id visit_id visitor_id hit_id ts name revenue_minor currency transaction_id is_offline",
		"event_item":       "id event_id sku name category quantity unit_price_minor",
		"label":            "id visit_id event_id key type value",
		"sync_id":          "id visitor_id kind value_hash ts",
		"impression":       "id hit_id ts sync_id_hash medium source campaign content",
		"file_upload":      "id kind filename checksum status rows_total rows_ok rows_failed errors uploaded_by uploaded_at processed_at",
		"offline_sale_row": "id upload_id row_number event_date_time transaction_id revenue_minor currency customer_id event_item_sku sync_id_1 sync_id_2 sync_id_3 page_url referrer processed",
	}
	for table, cols := range columns {
		m, ok := reg.Get(schema.Client, table)
		if !ok {
			t.Errorf("no model %s", table)
			continue
		}
		var got []string
		for _, f := range m.Fields {
			got = append(got, f.Name)
		}
		if strings.Join(got, " ") != cols {
			t.Errorf("%s columns:\n got %s\nwant %s", table, strings.Join(got, " "), cols)
		}
	}
	indexes := []struct {
		table, cols string
		unique      bool
	}{
		{"visit", "started_at", false}, {"visit", "visitor_id,started_at", false}, {"page_view", "visit_id,ts", false},
		{"event", "ts", false}, {"event", "transaction_id", false}, {"sync_id", "value_hash", false},
		{"visitor", "token", true}, {"visit", "token", true}, {"page_view", "hit_id", true}, {"event", "hit_id", true},
		{"impression", "hit_id", true}, {"file_upload", "checksum", true},
		{"event", "visitor_id", false}, {"event_item", "event_id", false}, {"label", "visit_id", false},
	}
	for _, want := range indexes {
		m, _ := reg.Get(schema.Client, want.table)
		found := false
		for _, ix := range m.AllIndexes() {
			if strings.Join(ix.Columns, ",") == want.cols && ix.Unique == want.unique {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no index on (%s) unique=%v", want.table, want.cols, want.unique)
		}
	}
}
