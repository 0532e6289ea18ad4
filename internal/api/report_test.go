package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/registry"
	"github.com/cubedhq/cubed/internal/report"
)

// myData is the test-only report of spec/api.md §12 (the original's
// ReportMyData) over the fixture table report_my_data.
func myData() *report.Report {
	return &report.Report{
		Name:          "report-my-data",
		Help:          "Test fixture of spec/api.md §12.",
		Tables:        []report.Table{{Name: "report_my_data", Measures: []string{"visits", "sales", "revenue"}}},
		DateDimension: "date",
		Dimensions: []report.Dimension{
			{Name: "date", Type: report.Date, Verbose: "Date", Help: "Day of the visits."},
			{Name: "channel", Type: report.Dict, Related: "channel", Verbose: "Channel", Filter: resource.Filter{Level: resource.AllWithRelations}},
		},
		Metrics: []report.Metric{
			{Name: "visits", Type: report.Integer, Verbose: "Visits"},
			{Name: "sales", Type: report.Integer, Verbose: "Sales"},
			{Name: "revenue", Type: report.Money, Verbose: "Revenue", Help: "Attributed revenue."},
			{Name: "conversion_rate", Type: report.Percentage, Verbose: "Conversion rate", Formula: "sum(sales) / sum(visits)"},
			{Name: "aov", Type: report.Money, Verbose: "AOV", Formula: "sum(revenue) / sum(sales)", Help: "Average order value."},
		},
	}
}

// myDataRows are §12's rows: date, channel, visits, sales, revenue (major
// units; stored in minor units).
var myDataRows = [][5]any{
	{"2023-01-01", 1, 4, 3, 100}, {"2023-01-01", 2, 4, 2, 50}, {"2023-01-01", 3, 4, 1, 40},
	{"2023-01-02", 1, 8, 5, 75}, {"2023-01-02", 2, 8, 4, 80}, {"2023-01-02", 3, 8, 2, 35},
	{"2023-01-03", 1, 2, 7, 55}, {"2023-01-03", 2, 2, 3, 25}, {"2023-01-03", 3, 2, 2, 15},
	{"2023-01-04", 1, 6, 4, 35}, {"2023-01-04", 2, 6, 1, 10}, {"2023-01-04", 3, 6, 0, 0},
}

// reportFixture is apitest's world plus report_my_data in the demo
// account and a router serving the given reports.
type reportFixture struct {
	*apitest.Fixture
	demo *db.DB
	oa   *openAPI
}

func newReportFixture(t *testing.T, tg dbtest.Target, limits api.Limits, reps ...*report.Report) *reportFixture {
	t.Helper()
	ctx := context.Background()
	f := apitest.New(t, tg, limits)
	d, release, err := f.App.Tenants.Acquire(ctx, f.Demo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	if _, err := d.Exec(ctx, `CREATE TABLE "report_my_data" ("date" DATE NOT NULL, "channel_id" BIGINT NOT NULL,
		"visits" BIGINT NOT NULL DEFAULT 0, "sales" BIGINT NOT NULL DEFAULT 0, "revenue" BIGINT NOT NULL DEFAULT 0)`); err != nil {
		t.Fatal(err)
	}
	load(t, d, "report_my_data", myDataRows)
	if len(reps) == 0 {
		reps = []*report.Report{myData()}
	}
	reg := report.NewRegistry()
	if err := reg.Add(reps...); err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Deps{Log: slog.New(slog.DiscardHandler), Control: f.App.Control, Tenants: f.App.Tenants,
		Auth: f.App.Auth, Resources: f.App.Resources, Reports: reg, Limits: limits,
		Now: func() time.Time { return time.Date(2024, 7, 9, 23, 30, 0, 0, time.UTC) }}) // 00:30 on the 10th in London
	if err != nil {
		t.Fatal(err)
	}
	f.Handler = h
	rf := &reportFixture{Fixture: f, demo: d}
	rf.oa = rf.openAPI(t)
	return rf
}

// load inserts rows (date, channel, visits, sales, revenue in major units)
// and bumps the table's data version, in one transaction as a command
// does.
func load(t *testing.T, d *db.DB, table string, rows [][5]any) {
	t.Helper()
	ctx := context.Background()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for _, r := range rows {
			if _, err := tx.Exec(ctx, `INSERT INTO `+db.QuoteIdent(table)+` ("date", "channel_id", "visits", "sales", "revenue") VALUES (?, ?, ?, ?, ?)`,
				r[0], r[1], r[2], r[3], r[4].(int)*100); err != nil {
				return err
			}
		}
		return report.Bump(ctx, tx, table)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openAPI compiles this fixture's own document (the shared one in
// openapi_test.go may come from a router without reports).
func (f *reportFixture) openAPI(t *testing.T) *openAPI {
	t.Helper()
	rec := f.Do(apitest.Request{URL: "/api/v1/openapi.json", Auth: "none"})
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, raw); err != nil {
		t.Fatal(err)
	}
	return &openAPI{doc: raw.(map[string]any), compiler: c, cache: map[string]*jsonschema.Schema{}}
}

// runReports runs scenarios like run, validating JSON responses against
// the fixture's OpenAPI document.
func runReports(t *testing.T, f *reportFixture, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		label := sc.name
		if label == "" {
			label = sc.req.Method + " " + sc.req.URL
		}
		rec := f.Do(sc.req)
		if rec.Header().Get("Content-Type") == "application/json" && rec.Body.Len() > 0 {
			method := sc.req.Method
			if method == "" {
				method = "GET"
			}
			u, _ := url.Parse(sc.req.URL)
			_, documented := f.oa.doc["paths"].(map[string]any)[f.oa.template(u.Path)]
			if !documented {
				// Reports have no detail or set paths: their 404s are envelopes.
				if rec.Code != http.StatusNotFound {
					t.Errorf("%s: undocumented path answered %d", label, rec.Code)
				}
			} else if err := f.oa.validate(method, sc.req.URL, rec.Code, rec.Body.Bytes()); err != nil {
				t.Errorf("%s (%d) does not match openapi.json: %v\n%s", label, rec.Code, err, rec.Body.String())
			}
		}
		if rec.Code != sc.status {
			t.Errorf("%s: status %d, want %d\n%s", label, rec.Code, sc.status, rec.Body.String())
			continue
		}
		for k, v := range sc.headers {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%s: header %s = %q, want %q", label, k, got, v)
			}
		}
		var body map[string]any
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.Body.Len() > 0 {
			body = decode(t, rec)
		}
		if sc.code != "" {
			e, _ := body["error"].(map[string]any)
			if e == nil || e["code"] != sc.code {
				t.Errorf("%s: error %v, want code %s", label, body, sc.code)
			} else if sc.names != "" && !strings.Contains(fmt.Sprint(e["message"]), sc.names) {
				t.Errorf("%s: error %v does not name %q", label, e, sc.names)
			}
		}
		if sc.meta != nil {
			meta, _ := body["meta"].(map[string]any)
			for k, v := range sc.meta {
				if !reflect.DeepEqual(meta[k], v) {
					t.Errorf("%s: meta.%s = %#v, want %#v", label, k, meta[k], v)
				}
			}
		}
		if sc.body != "" {
			var want, got any
			if err := json.Unmarshal([]byte(sc.body), &want); err != nil {
				t.Fatalf("%s: bad expected JSON: %v", label, err)
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: body\n got %s\nwant %s", label, rec.Body.String(), sc.body)
			}
		}
		if sc.check != nil {
			sc.check(t, rec, body)
		}
	}
}

// objects compares the response's objects with JSON.
func objects(want string) func(t *testing.T, rec *httptest.ResponseRecorder, body map[string]any) {
	return func(t *testing.T, rec *httptest.ResponseRecorder, body map[string]any) {
		t.Helper()
		var w any
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatalf("bad expected JSON: %v", err)
		}
		if !reflect.DeepEqual(body["objects"], w) {
			got, _ := json.Marshal(body["objects"])
			t.Errorf("objects\n got %s\nwant %s", got, want)
		}
	}
}

const (
	R   = "/api/v1/report-my-data/" + A
	ch1 = `{"id": 1, "name": "Direct"}`
	ch2 = `{"id": 2, "name": "Email"}`
	ch3 = `{"id": 3, "name": "SEO"}`
)

func sub(s string) string {
	return strings.NewReplacer("ch1", ch1, "ch2", ch2, "ch3", ch3).Replace(s)
}

// TestReportSpecExamples replays spec/api.md §12 exactly, on both dialects.
func TestReportSpecExamples(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		runReports(t, f, []scenario{
			{req: get(R + "&group_by=channel&totals=true"), status: 200, body: sub(`{"meta": {"currency": "GBP", "data_version": "1", "limit": 20, "next": null, "offset": 0, "previous": null,
				"served_from": "report_my_data", "total_count": 3,
				"totals": {"aov": 15.29, "conversion_rate": 0.566667, "revenue": 520, "sales": 34, "visits": 60}},
				"objects": [
				{"aov": 13.95, "channel": ch1, "conversion_rate": 0.95, "revenue": 265, "sales": 19, "visits": 20},
				{"aov": 16.5,  "channel": ch2, "conversion_rate": 0.5,  "revenue": 165, "sales": 10, "visits": 20},
				{"aov": 18,    "channel": ch3, "conversion_rate": 0.25, "revenue": 90,  "sales": 5,  "visits": 20}]}`)},
			{req: get(R + "&group_by=date"), status: 200, meta: map[string]any{"total_count": 4.0}, check: objects(`[
				{"aov": 17.27, "conversion_rate": 0.458333, "date": "2023-01-02", "revenue": 190, "sales": 11, "visits": 24},
				{"aov": 9,     "conversion_rate": 0.277778, "date": "2023-01-04", "revenue": 45,  "sales": 5,  "visits": 18},
				{"aov": 31.67, "conversion_rate": 0.5,      "date": "2023-01-01", "revenue": 190, "sales": 6,  "visits": 12},
				{"aov": 7.92,  "conversion_rate": 2,        "date": "2023-01-03", "revenue": 95,  "sales": 12, "visits": 6}]`)},
			{req: get(R + "&group_by=channel&date__gte=2023-01-02&date__lte=2023-01-03&totals=true&selected_fields=channel,visits,sales,revenue"), status: 200,
				meta: map[string]any{"total_count": 3.0, "totals": map[string]any{"revenue": 285.0, "sales": 23.0, "visits": 30.0}}, check: objects(sub(`[
				{"channel": ch1, "revenue": 130, "sales": 12, "visits": 10},
				{"channel": ch2, "revenue": 105, "sales": 7, "visits": 10},
				{"channel": ch3, "revenue": 50, "sales": 4, "visits": 10}]`))},
			{req: get(R + "&group_by=channel&having=sales__gt=10&totals=true"), status: 200,
				meta:  map[string]any{"total_count": 1.0, "totals": map[string]any{"aov": 15.29, "conversion_rate": 0.566667, "revenue": 520.0, "sales": 34.0, "visits": 60.0}},
				check: objects(sub(`[{"aov": 13.95, "channel": ch1, "conversion_rate": 0.95, "revenue": 265, "sales": 19, "visits": 20}]`))},
			{req: get(R + "&group_by=channel,date&channel=3&date=2023-01-04"), status: 200, meta: map[string]any{"total_count": 1.0},
				check: objects(sub(`[{"aov": null, "channel": ch3, "conversion_rate": 0, "date": "2023-01-04", "revenue": 0, "sales": 0, "visits": 6}]`))},
			{req: get(R + "&group_by=date&timeframe=date__week&order_by=date&selected_fields=date,visits,sales,revenue"), status: 200,
				check: objects(`[{"date": "2022-12-26", "revenue": 190, "sales": 6, "visits": 12}, {"date": "2023-01-02", "revenue": 330, "sales": 28, "visits": 48}]`)},
			{req: get(R + "&group_by=date&timeframe=date__month"), status: 200, meta: map[string]any{"total_count": 1.0},
				check: objects(`[{"aov": 15.29, "conversion_rate": 0.566667, "date": "2023-01-01", "revenue": 520, "sales": 34, "visits": 60}]`)},
			{req: get(R + "&group_by=channel&order_by=-revenue&top=1&selected_fields=channel,revenue,aov"), status: 200, meta: map[string]any{"total_count": 2.0},
				check: objects(sub(`[{"aov": 13.95, "channel": ch1, "revenue": 265}, {"aov": 17, "channel": {"id": null, "name": "(other)"}, "revenue": 255}]`))},
			{req: get(R + "&graph=true&graph_group_by=date&graph_group_by_type=date__daily&date__range=2022-12-31,2023-01-05&selected_fields=date,visits"), status: 200,
				meta: map[string]any{"total_count": 6.0, "granularity": "daily"}, check: objects(`[
				{"date": "2022-12-31", "visits": 0}, {"date": "2023-01-01", "visits": 12}, {"date": "2023-01-02", "visits": 24},
				{"date": "2023-01-03", "visits": 6}, {"date": "2023-01-04", "visits": 18}, {"date": "2023-01-05", "visits": 0}]`)},
			{req: get(R + "&group_by=channel&date__range=2023-01-03,2023-01-04&compare=previous_period&order_by=-sales&totals=true&selected_fields=channel,sales,revenue"), status: 200,
				meta: map[string]any{"totals": map[string]any{"change": map[string]any{"revenue": -0.631579, "sales": 0.0}, "compare": map[string]any{"revenue": 380.0, "sales": 17.0}, "revenue": 140.0, "sales": 17.0}},
				check: objects(sub(`[
				{"change": {"revenue": -0.485714, "sales": 0.375},     "channel": ch1, "compare": {"revenue": 175, "sales": 8}, "revenue": 90, "sales": 11},
				{"change": {"revenue": -0.730769, "sales": -0.333333}, "channel": ch2, "compare": {"revenue": 130, "sales": 6}, "revenue": 35, "sales": 4},
				{"change": {"revenue": -0.8, "sales": -0.333333},      "channel": ch3, "compare": {"revenue": 75,  "sales": 3}, "revenue": 15, "sales": 2}]`))},
			{req: get(R + "&group_by=visits"), status: 400, code: "bad_request", names: "visits"},
			{req: get(R + "&group_by=channel&order_by=date"), status: 400, code: "invalid_ordering", names: "date"},
			{req: get(R + "&group_by=channel&having=channel__gt=1"), status: 400, code: "invalid_filter", names: "channel"},
		})
	})
}

// TestReportChecklist covers spec/api.md §14's report bullets beyond the
// §12 examples.
func TestReportChecklist(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		totals := map[string]any{"aov": 15.29, "conversion_rate": 0.566667, "revenue": 520.0, "sales": 34.0, "visits": 60.0}
		runReports(t, f, []scenario{
			// Routing, methods, tenancy.
			{name: "root lists the report", req: apitest.Request{URL: "/api/v1/", Auth: "none"}, status: 200, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				e, _ := b["report-my-data"].(map[string]any)
				if e["list_endpoint"] != "/api/v1/report-my-data/" || e["schema"] != "/api/v1/report-my-data/schema/" {
					t.Errorf("root entry: %v", b["report-my-data"])
				}
				if _, ok := b["pattern"]; !ok {
					t.Errorf("root lost the model resources")
				}
			}},
			{name: "root fullschema inlines the report schema", req: apitest.Request{URL: "/api/v1/?fullschema=true", Auth: "none"}, status: 200, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				e, _ := b["report-my-data"].(map[string]any)
				if sch, ok := e["schema"].(map[string]any); !ok || sch["metrics"] == nil {
					t.Errorf("fullschema entry: %v", e)
				}
			}},
			{req: get("/api/v1/report-my-data/1/" + A), status: 404, code: "not_found"},
			{req: get("/api/v1/report-my-data/set/1;2/" + A), status: 404, code: "not_found"},
			{req: get("/api/v1/report-my-data" + A), status: 301, headers: map[string]string{"Location": "/api/v1/report-my-data/" + A}},
			{req: apitest.Request{Method: "POST", URL: R, Body: `{}`}, status: 405, code: "method_not_allowed", headers: map[string]string{"Allow": "GET, HEAD, OPTIONS"}},
			{req: apitest.Request{Method: "DELETE", URL: R}, status: 405, code: "method_not_allowed"},
			{req: apitest.Request{Method: "OPTIONS", URL: R}, status: 204, headers: map[string]string{"Allow": "GET, HEAD, OPTIONS"}},
			{req: apitest.Request{Method: "HEAD", URL: R}, status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
				if rec.Body.Len() != 0 || rec.Header().Get("ETag") == "" {
					t.Errorf("HEAD: body %q, ETag %q", rec.Body.String(), rec.Header().Get("ETag"))
				}
			}},
			{req: apitest.Request{URL: R, Auth: "none"}, status: 401, code: "unauthenticated"},
			{req: get("/api/v1/report-my-data/"), status: 400, code: "bad_request", names: "account"},
			{name: "an account without a role", req: apitest.Request{URL: "/api/v1/report-my-data/?account=c-a-other-gb"}, status: 403, code: "forbidden"},
			{name: "a viewer reads reports", req: apitest.Request{URL: R + "&totals=true", Auth: "victor"}, status: 200, meta: map[string]any{"totals": totals}},
			{name: "staff reads every account", req: apitest.Request{URL: R, Auth: "stan"}, status: 200},
			// No group_by: one row over the filtered set.
			{req: get(R), status: 200, meta: map[string]any{"total_count": 1.0},
				check: objects(`[{"aov": 15.29, "conversion_rate": 0.566667, "revenue": 520, "sales": 34, "visits": 60}]`)},
			{name: "nothing matches: sums 0, ratios null", req: get(R + "&date__year=2020&totals=true"), status: 200,
				meta:  map[string]any{"totals": map[string]any{"aov": nil, "conversion_rate": nil, "revenue": 0.0, "sales": 0.0, "visits": 0.0}},
				check: objects(`[{"aov": null, "conversion_rate": null, "revenue": 0, "sales": 0, "visits": 0}]`)},
			// Filters.
			{req: get(R + "&group_by=channel&channel__name=Email&selected_fields=channel,visits"), status: 200, check: objects(sub(`[{"channel": ch2, "visits": 20}]`))},
			{req: get(R + "&group_by=channel&channel__name__in=SEO,Direct&order_by=channel&selected_fields=channel,sales"), status: 200,
				check: objects(sub(`[{"channel": ch1, "sales": 19}, {"channel": ch3, "sales": 5}]`))},
			{req: get(R + "&group_by=channel&channel__in=2,3&date__week_day=2&selected_fields=channel,visits"), status: 200,
				check: objects(sub(`[{"channel": ch2, "visits": 8}, {"channel": ch3, "visits": 8}]`))},
			{req: get(R + "&date__gt=2023-01-03&selected_fields=visits"), status: 200, check: objects(`[{"visits": 18}]`)},
			{req: get(R + "&foo=1"), status: 400, code: "invalid_filter", names: "foo"},
			{req: get(R + "&visits__gt=1"), status: 400, code: "invalid_filter", names: "visits"},
			{req: get(R + "&channel__colour=x"), status: 400, code: "invalid_filter", names: "channel__colour"},
			{req: get(R + "&date=2023-13-01"), status: 400, code: "invalid_filter", names: "date"},
			{req: get(R + "&date__range=2023-01-01"), status: 400, code: "invalid_filter", names: "date__range"},
			{req: get(R + "&channel__name__contains__x=1"), status: 400, code: "invalid_filter"},
			// Bad report parameters.
			{req: get(R + "&group_by=nosuch"), status: 400, code: "bad_request", names: "nosuch"},
			{req: get(R + "&group_by=channel,channel"), status: 400, code: "bad_request", names: "channel"},
			{req: get(R + "&timeframe=date__week"), status: 400, code: "bad_request", names: "group_by"},
			{req: get(R + "&group_by=date&timeframe=date__fortnight"), status: 400, code: "bad_request", names: "fortnight"},
			{req: get(R + "&group_by=channel&timeframe=channel__week"), status: 400, code: "bad_request", names: "channel"},
			{req: get(R + "&selected_fields=nosuch"), status: 400, code: "bad_request", names: "nosuch"},
			{req: get(R + "&selected_fields=channel"), status: 400, code: "bad_request", names: "channel"},
			{req: get(R + "&totals=maybe"), status: 400, code: "bad_request", names: "totals"},
			{req: get(R + "&top=0"), status: 400, code: "bad_request", names: "top"},
			{req: get(R + "&format=xml"), status: 400, code: "bad_request", names: "xml"},
			{req: get(R + "&order_by=nosuch"), status: 400, code: "invalid_ordering", names: "nosuch"},
			{req: get(R + "&limit=abc"), status: 400, code: "invalid_pagination", names: "limit"},
			{req: get(R + "&offset=-1"), status: 400, code: "invalid_pagination", names: "offset"},
			// Ordering: dict by name; ties by the group keys; nulls last.
			{req: get(R + "&group_by=channel&order_by=-channel&selected_fields=channel"), status: 200, check: objects(sub(`[{"channel": ch3}, {"channel": ch2}, {"channel": ch1}]`))},
			{req: get(R + "&group_by=date,channel&order_by=-visits&order_by=-channel&limit=3&selected_fields=date,channel,visits"), status: 200,
				check: objects(sub(`[{"channel": ch3, "date": "2023-01-02", "visits": 8}, {"channel": ch2, "date": "2023-01-02", "visits": 8}, {"channel": ch1, "date": "2023-01-02", "visits": 8}]`))},
			{name: "null aov sorts last descending and ascending",
				req: get(R + "&group_by=channel,date&date=2023-01-04&order_by=aov&selected_fields=channel,aov"), status: 200,
				check: objects(sub(`[{"aov": 8.75, "channel": ch1}, {"aov": 10, "channel": ch2}, {"aov": null, "channel": ch3}]`))},
			{req: get(R + "&group_by=channel,date&date=2023-01-04&order_by=-aov&selected_fields=channel,aov"), status: 200,
				check: objects(sub(`[{"aov": 10, "channel": ch2}, {"aov": 8.75, "channel": ch1}, {"aov": null, "channel": ch3}]`))},
			// Pagination over groups.
			{req: get(R + "&group_by=date,channel&limit=5&offset=5&selected_fields=date,channel"), status: 200, meta: map[string]any{
				"limit": 5.0, "offset": 5.0, "total_count": 12.0,
				"next":     "/api/v1/report-my-data/?account=c-a-demo-gb&group_by=date%2Cchannel&selected_fields=date%2Cchannel&limit=5&offset=10",
				"previous": "/api/v1/report-my-data/?account=c-a-demo-gb&group_by=date%2Cchannel&selected_fields=date%2Cchannel&limit=5&offset=0"}},
			{req: get(R + "&group_by=date,channel&limit=0"), status: 200, meta: map[string]any{"limit": 1000.0, "total_count": 12.0, "next": nil}},
			{req: get(R + "&group_by=date&offset=10"), status: 200, meta: map[string]any{"total_count": 4.0}, check: objects(`[]`)},
		})
	})
}

// TestReportDerivedMetrics: ratios divide after aggregation and give null
// on division by zero, in rows, totals and (other).
func TestReportDerivedMetrics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		runReports(t, f, []scenario{
			// After aggregation: 19/20, not the mean of the daily rates (0.9).
			{req: get(R + "&channel=1&selected_fields=conversion_rate"), status: 200, check: objects(`[{"conversion_rate": 0.95}]`)},
			{name: "row and totals", req: get(R + "&group_by=channel&channel=3&date=2023-01-04&totals=true&selected_fields=channel,sales,aov"), status: 200,
				meta:  map[string]any{"totals": map[string]any{"aov": nil, "sales": 0.0}},
				check: objects(sub(`[{"aov": null, "channel": ch3, "sales": 0}]`))},
			{name: "(other)", req: get(R + "&group_by=channel&date=2023-01-04&channel__in=1,3&order_by=-sales&top=1&selected_fields=channel,sales,aov,conversion_rate"), status: 200,
				check: objects(sub(`[{"aov": 8.75, "channel": ch1, "conversion_rate": 0.666667, "sales": 4},
					{"aov": null, "channel": {"id": null, "name": "(other)"}, "conversion_rate": 0, "sales": 0}]`))},
		})
	})
}

// TestReportHaving: a comma list with a range equals the same conditions
// repeated; values are in output units; totals ignore having.
func TestReportHaving(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		totals := map[string]any{"revenue": 520.0, "sales": 34.0, "visits": 60.0}
		one := objects(`[{"date": "2023-01-02", "revenue": 190, "sales": 11, "visits": 24}]`)
		q := R + "&group_by=date&totals=true&selected_fields=date,visits,sales,revenue&"
		var bodies []string
		keep := func(t *testing.T, rec *httptest.ResponseRecorder, b map[string]any) {
			one(t, rec, b)
			bodies = append(bodies, rec.Body.String())
		}
		runReports(t, f, []scenario{
			{req: get(q + "having=sales__range=6,11,visits__gt=12"), status: 200, meta: map[string]any{"total_count": 1.0, "totals": totals}, check: keep},
			{req: get(q + "having=sales__range=6,11&having=visits__gt=12"), status: 200, meta: map[string]any{"total_count": 1.0, "totals": totals}, check: keep},
			{req: get(q + "having=visits__gt=12&having=sales__gte=6,sales__lte=11"), status: 200, meta: map[string]any{"total_count": 1.0, "totals": totals}, check: keep},
			{name: "money in major units", req: get(q + "having=revenue__exact=190&order_by=date"), status: 200, meta: map[string]any{"total_count": 2.0}},
			{name: "percentages as fractions", req: get(R + "&group_by=date&having=conversion_rate__gt=0.5&selected_fields=date"), status: 200, check: objects(`[{"date": "2023-01-03"}]`)},
			{name: "exact none keeps null ratios", req: get(R + "&group_by=channel,date&having=aov__exact=none&selected_fields=channel"), status: 200,
				check: objects(sub(`[{"channel": ch3}]`))},
			{req: get(R + "&having=sales__range=5"), status: 400, code: "invalid_filter", names: "range"},
			{req: get(R + "&having=sales__range=5,6,7"), status: 400, code: "invalid_filter"},
			{req: get(R + "&having=nosuch__gt=1"), status: 400, code: "invalid_filter", names: "nosuch"},
			{req: get(R + "&having=sales__gt=abc"), status: 400, code: "invalid_filter", names: "abc"},
			{req: get(R + "&having=sales__like=1"), status: 400, code: "invalid_filter", names: "like"},
			{req: get(R + "&having=5"), status: 400, code: "invalid_filter"},
		})
		if len(bodies) == 3 && (bodies[0] != bodies[1] || bodies[1] != bodies[2]) {
			t.Errorf("comma list and repeated having differ:\n%s\n%s\n%s", bodies[0], bodies[1], bodies[2])
		}
	})
}

// TestReportTopSumsToTotals: with top=N the rows add up to meta.totals
// for every additive metric.
func TestReportTopSumsToTotals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		for _, qs := range []string{"&group_by=date&top=2", "&group_by=date,channel&top=5&order_by=-revenue", "&group_by=channel&top=1&date__gte=2023-01-02"} {
			runReports(t, f, []scenario{{req: get(R + qs + "&totals=true"), status: 200, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				objs := b["objects"].([]any)
				last := objs[len(objs)-1].(map[string]any)
				if fmt.Sprint(last["date"], last["channel"]) == fmt.Sprint(nil, nil) {
					t.Errorf("%s: no (other) row: %v", qs, last)
				}
				totals := b["meta"].(map[string]any)["totals"].(map[string]any)
				for _, m := range []string{"visits", "sales", "revenue"} {
					sum := 0.0
					for _, o := range objs {
						sum += o.(map[string]any)[m].(float64)
					}
					if sum != totals[m].(float64) {
						t.Errorf("%s: %s rows sum to %v, totals %v", qs, m, sum, totals[m])
					}
				}
				if int(b["meta"].(map[string]any)["total_count"].(float64)) != len(objs) {
					t.Errorf("%s: total_count %v for %d rows", qs, b["meta"].(map[string]any)["total_count"], len(objs))
				}
			}}})
		}
		runReports(t, f, []scenario{
			{name: "no folding, no (other)", req: get(R + "&group_by=channel&top=3&selected_fields=channel"), status: 200, meta: map[string]any{"total_count": 3.0}},
			{name: "(other) is a string for dates", req: get(R + "&group_by=date&top=3&order_by=date&selected_fields=date,visits"), status: 200,
				check: objects(`[{"date": "2023-01-01", "visits": 12}, {"date": "2023-01-02", "visits": 24}, {"date": "2023-01-03", "visits": 6}, {"date": "(other)", "visits": 18}]`)},
			{name: "top after having", req: get(R + "&group_by=date&having=visits__gte=12&top=1&selected_fields=date,visits"), status: 200,
				check: objects(`[{"date": "2023-01-02", "visits": 24}, {"date": "(other)", "visits": 30}]`)},
		})
	})
}

// TestReportGraph: zero-filled buckets between the filter bounds, per
// group, reversed by graph_order_by; no pagination; bounded rows.
func TestReportGraph(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		g := R + "&graph=true&graph_group_by=date"
		runReports(t, f, []scenario{
			{req: get(g + "&group_by=channel&date__range=2023-01-03,2023-01-05&graph_order_by=-date&selected_fields=date,channel,visits,aov"), status: 200,
				meta: map[string]any{"total_count": 9.0, "granularity": "daily"}, check: objects(sub(`[
				{"aov": null, "channel": ch1, "date": "2023-01-05", "visits": 0}, {"aov": null, "channel": ch2, "date": "2023-01-05", "visits": 0}, {"aov": null, "channel": ch3, "date": "2023-01-05", "visits": 0},
				{"aov": 8.75, "channel": ch1, "date": "2023-01-04", "visits": 6}, {"aov": 10, "channel": ch2, "date": "2023-01-04", "visits": 6}, {"aov": null, "channel": ch3, "date": "2023-01-04", "visits": 6},
				{"aov": 7.86, "channel": ch1, "date": "2023-01-03", "visits": 2}, {"aov": 8.33, "channel": ch2, "date": "2023-01-03", "visits": 2}, {"aov": 7.5, "channel": ch3, "date": "2023-01-03", "visits": 2}]`))},
			{name: "without bounds: the data's first and last bucket", req: get(g + "&graph_group_by_type=date__weekly&selected_fields=date,visits"), status: 200,
				meta: map[string]any{"granularity": "weekly"}, check: objects(`[{"date": "2022-12-26", "visits": 12}, {"date": "2023-01-02", "visits": 48}]`)},
			{req: get(g + "&graph_group_by_type=date__monthly&date__range=2022-11-15,2023-02-01&selected_fields=date,sales"), status: 200,
				check: objects(`[{"date": "2022-11-01", "sales": 0}, {"date": "2022-12-01", "sales": 0}, {"date": "2023-01-01", "sales": 34}, {"date": "2023-02-01", "sales": 0}]`)},
			{name: "top picks series by whole-range values", req: get(g + "&group_by=channel&date__range=2023-01-01,2023-01-02&order_by=-revenue&top=1&selected_fields=date,channel,revenue"), status: 200,
				check: objects(sub(`[{"channel": ch1, "date": "2023-01-01", "revenue": 100}, {"channel": {"id": null, "name": "(other)"}, "date": "2023-01-01", "revenue": 90},
					{"channel": ch1, "date": "2023-01-02", "revenue": 75}, {"channel": {"id": null, "name": "(other)"}, "date": "2023-01-02", "revenue": 115}]`))},
			{name: "having drops whole series", req: get(g + "&group_by=channel&date__range=2023-01-01,2023-01-02&having=sales__lt=4&selected_fields=date,channel,sales"), status: 200,
				check: objects(sub(`[{"channel": ch3, "date": "2023-01-01", "sales": 1}, {"channel": ch3, "date": "2023-01-02", "sales": 2}]`))},
			{req: get(g + "&limit=5"), status: 400, code: "invalid_pagination"},
			{req: get(g + "&offset=5"), status: 400, code: "invalid_pagination"},
			{req: get(g + "&graph_group_by_type=date__hourly"), status: 400, code: "bad_request", names: "hourly"},
			{req: get(g + "&graph_group_by_type=date__yearly"), status: 400, code: "bad_request"},
			{req: get(R + "&graph=true&graph_group_by=channel"), status: 400, code: "bad_request", names: "channel"},
			{req: get(g + "&graph_order_by=-channel"), status: 400, code: "invalid_ordering"},
			{req: get(R + "&graph_group_by=date"), status: 400, code: "bad_request", names: "graph=true"},
			{name: "over 10,000 rows", req: get(g + "&date__range=1990-01-01,2023-12-31"), status: 400, code: "bad_request", names: "10000"},
		})
	})
}

// TestReportCompare: previous_year and an explicit range join on group
// keys; a group absent from the comparison gets 0 and a null change;
// grouped dates pair by position.
func TestReportCompare(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		// A year earlier only Direct had data.
		load(t, f.demo, "report_my_data", [][5]any{{"2022-01-03", 1, 5, 2, 20}, {"2022-01-04", 1, 5, 2, 20}})
		c := R + "&group_by=channel&date__range=2023-01-03,2023-01-04&selected_fields=channel,sales,revenue,aov"
		var explicit, previous string
		runReports(t, f, []scenario{
			{req: get(c + "&compare=previous_year&totals=true"), status: 200,
				meta: map[string]any{"data_version": "2", "totals": map[string]any{
					"aov": 8.24, "revenue": 140.0, "sales": 17.0,
					"compare": map[string]any{"aov": 10.0, "revenue": 40.0, "sales": 4.0},
					"change":  map[string]any{"aov": -0.176471, "revenue": 2.5, "sales": 3.25}}},
				check: objects(sub(`[
				{"aov": 8.18, "change": {"aov": -0.181818, "revenue": 1.25, "sales": 1.75}, "channel": ch1, "compare": {"aov": 10, "revenue": 40, "sales": 4}, "revenue": 90, "sales": 11},
				{"aov": 8.75, "change": {"aov": null, "revenue": null, "sales": null}, "channel": ch2, "compare": {"aov": null, "revenue": 0, "sales": 0}, "revenue": 35, "sales": 4},
				{"aov": 7.5, "change": {"aov": null, "revenue": null, "sales": null}, "channel": ch3, "compare": {"aov": null, "revenue": 0, "sales": 0}, "revenue": 15, "sales": 2}]`))},
			{req: get(c + "&compare=2023-01-01..2023-01-02"), status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder, b map[string]any) {
				o, _ := json.Marshal(b["objects"])
				explicit = string(o)
			}},
			{req: get(c + "&compare=previous_period"), status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder, b map[string]any) {
				o, _ := json.Marshal(b["objects"])
				previous = string(o)
			}},
			{name: "grouped dates pair by position", req: get(R + "&group_by=date&date__gte=2023-01-03&date__lte=2023-01-04&compare=previous_period&order_by=date&selected_fields=date,visits"), status: 200,
				check: objects(`[{"change": {"visits": -0.5}, "compare": {"visits": 12}, "date": "2023-01-03", "visits": 6},
					{"change": {"visits": -0.25}, "compare": {"visits": 24}, "date": "2023-01-04", "visits": 18}]`)},
			{name: "graph pairs buckets by position", req: get(R + "&graph=true&date__range=2023-01-03,2023-01-05&compare=previous_period&selected_fields=date,visits"), status: 200,
				check: objects(`[{"change": {"visits": null}, "compare": {"visits": 0}, "date": "2023-01-03", "visits": 6},
					{"change": {"visits": 0.5}, "compare": {"visits": 12}, "date": "2023-01-04", "visits": 18},
					{"change": {"visits": -1}, "compare": {"visits": 24}, "date": "2023-01-05", "visits": 0}]`)},
			{name: "top folds the comparison too", req: get(R + "&group_by=channel&date__range=2023-01-03,2023-01-04&compare=previous_period&order_by=-revenue&top=1&selected_fields=channel,revenue"), status: 200,
				check: objects(sub(`[{"change": {"revenue": -0.485714}, "channel": ch1, "compare": {"revenue": 175}, "revenue": 90},
					{"change": {"revenue": -0.756098}, "channel": {"id": null, "name": "(other)"}, "compare": {"revenue": 205}, "revenue": 50}]`))},
			{req: get(R + "&group_by=channel&compare=previous_period"), status: 400, code: "bad_request", names: "date__gte"},
			{req: get(R + "&date__gte=2023-01-03&compare=previous_period"), status: 400, code: "bad_request", names: "compare"},
			{req: get(R + "&date__range=2023-01-03,2023-01-04&compare=last_week"), status: 400, code: "bad_request", names: "last_week"},
			{req: get(R + "&date__range=2023-01-03,2023-01-04&compare=2023-01-02..2023-01-01"), status: 400, code: "bad_request"},
		})
		if explicit == "" || explicit != previous {
			t.Errorf("explicit range and previous_period differ:\n%s\n%s", explicit, previous)
		}
	})
}

// myEvents is a test report over a datetime dimension.
func myEvents() *report.Report {
	return &report.Report{
		Name:          "report-my-events",
		Tables:        []report.Table{{Name: "report_my_events", Measures: []string{"visits"}}},
		DateDimension: "created",
		Dimensions: []report.Dimension{
			{Name: "created", Type: report.DateTime},
			{Name: "channel", Type: report.Dict, Related: "channel", Extra: []report.Field{{Name: "colour", Type: "text"}, {Name: "is_paid", Type: "bool"}}},
		},
		Metrics: []report.Metric{
			{Name: "visits", Type: report.Integer},
			{Name: "channels", Type: report.Integer, Agg: report.CountDistinct, Column: "channel"},
			{Name: "first_channel", Type: report.Dict, Agg: report.Min, Column: "channel", Related: "channel"},
		},
	}
}

// TestReportDateTimeDimension: a datetime dimension buckets by the
// account's local day (Europe/London, BST in July) and hour.
func TestReportDateTimeDimension(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{}, myData(), myEvents())
		ctx := context.Background()
		typ := "DATETIME"
		if f.demo.Dialect() == db.Postgres {
			typ = "TIMESTAMPTZ"
		}
		if _, err := f.demo.Exec(ctx, `CREATE TABLE "report_my_events" ("created" `+typ+` NOT NULL, "channel_id" BIGINT NOT NULL, "visits" BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		for _, e := range []struct {
			at      string
			channel int
		}{{"2024-07-01T22:30:00Z", 1}, {"2024-07-01T23:30:00Z", 2}, {"2024-07-02T10:00:00Z", 2}, {"2024-07-07T23:10:00Z", 3}} {
			at, _ := time.Parse(time.RFC3339, e.at)
			if _, err := f.demo.Exec(ctx, `INSERT INTO "report_my_events" ("created", "channel_id", "visits") VALUES (?, ?, 1)`, at, e.channel); err != nil {
				t.Fatal(err)
			}
		}
		E := "/api/v1/report-my-events/" + A
		runReports(t, f, []scenario{
			{name: "local days", req: get(E + "&group_by=created&timeframe=created__day&order_by=created"), status: 200,
				check: objects(`[{"channels": 1, "created": "2024-07-01", "first_channel": {"id": 1, "name": "Direct"}, "visits": 1},
					{"channels": 1, "created": "2024-07-02", "first_channel": {"id": 2, "name": "Email"}, "visits": 2},
					{"channels": 1, "created": "2024-07-08", "first_channel": {"id": 3, "name": "SEO"}, "visits": 1}]`)},
			{name: "local weeks start on Monday", req: get(E + "&group_by=created&timeframe=created__week&order_by=created&selected_fields=created,visits"), status: 200,
				check: objects(`[{"created": "2024-07-01", "visits": 3}, {"created": "2024-07-08", "visits": 1}]`)},
			{name: "exact instants with offset", req: get(E + "&group_by=created&order_by=created&limit=1&selected_fields=created"), status: 200,
				check: objects(`[{"created": "2024-07-01T23:30:00+01:00"}]`)},
			{name: "date lookup in the account's zone", req: get(E + "&created__date=2024-07-02&totals=true&selected_fields=visits,channels"), status: 200,
				meta: map[string]any{"totals": map[string]any{"channels": 1.0, "visits": 2.0}}},
			{name: "count_distinct totals count over all rows", req: get(E + "&group_by=created&timeframe=created__day&totals=true&selected_fields=created,channels"), status: 200,
				meta: map[string]any{"totals": map[string]any{"channels": 3.0}}},
			{name: "hourly graph in local time", req: get(E + "&graph=true&graph_group_by_type=created__hourly&created__gte=2024-07-01T23:00:00&created__lt=2024-07-02T03:00:00&selected_fields=created,visits"), status: 200,
				meta: map[string]any{"granularity": "hourly"},
				check: objects(`[{"created": "2024-07-01T23:00:00+01:00", "visits": 1}, {"created": "2024-07-02T00:00:00+01:00", "visits": 1},
					{"created": "2024-07-02T01:00:00+01:00", "visits": 0}, {"created": "2024-07-02T02:00:00+01:00", "visits": 0}]`)},
			{name: "dict extra fields", req: get(E + "&group_by=channel&channel=1&selected_fields=channel"), status: 200,
				check: objects(`[{"channel": {"colour": "#7f8c8d", "id": 1, "is_paid": false, "name": "Direct"}}]`)},
			{name: "compare on a datetime date dimension", req: get(E + "&created__gte=2024-07-02&created__lte=2024-07-08T23:59:59&compare=previous_period&selected_fields=visits"), status: 200,
				check: objects(`[{"change": {"visits": 2}, "compare": {"visits": 1}, "visits": 3}]`)},
			{name: "top folds a distinct count in SQL", req: get(E + "&group_by=created&timeframe=created__day&order_by=created&top=1&selected_fields=created,channels"), status: 200,
				check: objects(`[{"channels": 1, "created": "2024-07-01"}, {"channels": 2, "created": "(other)"}]`)},
		})
	})
}

// TestReportCSV: header of verbose names, rows, a Total row, the
// attachment name, formula cells prefixed, and the row cap checked before
// any output.
func TestReportCSV(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{ReportCSVRows: 3})
		ctx := context.Background()
		if _, err := f.demo.Exec(ctx, `INSERT INTO "channel" ("id", "name", "created", "updated") VALUES (5, '=cmd|calc', ?, ?)`, time.Now().UTC(), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		load(t, f.demo, "report_my_data", [][5]any{{"2023-01-05", 5, 1, 0, 0}})
		csvOK := func(want string) func(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
			return func(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
				if got := rec.Body.String(); got != want {
					t.Errorf("csv\n got %q\nwant %q", got, want)
				}
			}
		}
		runReports(t, f, []scenario{
			{req: get(R + "&group_by=channel&date__lte=2023-01-04&totals=true&format=csv&selected_fields=channel,visits,revenue,aov"), status: 200,
				headers: map[string]string{"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="report-my-data-c-a-demo-gb-20240710.csv"`},
				check:   csvOK("Channel,Visits,Revenue,AOV\r\nDirect,20,265,13.95\r\nEmail,20,165,16.5\r\nSEO,20,90,18\r\nTotal,60,520,15.29\r\n")},
			{name: "formula-like text is prefixed", req: get(R + "&group_by=channel&channel=5&format=csv&selected_fields=channel,visits,aov"), status: 200,
				check: csvOK("Channel,Visits,AOV\r\n'=cmd|calc,1,\r\n")},
			{name: "JSON keeps the name as it is", req: get(R + "&group_by=channel&channel=5&selected_fields=channel"), status: 200,
				check: objects(`[{"channel": {"id": 5, "name": "=cmd|calc"}}]`)},
			{name: "compare columns", req: get(R + "&date__range=2023-01-03,2023-01-04&compare=previous_period&format=csv&selected_fields=sales"), status: 200,
				check: csvOK("Sales,Sales (compare),Sales (change)\r\n17,17,0\r\n")},
			{name: "no dimension: a label column for Total", req: get(R + "&date__lte=2023-01-04&totals=true&format=csv&selected_fields=visits"), status: 200,
				check: csvOK(",Visits\r\n,60\r\nTotal,60\r\n")},
			{name: "pagination ignored", req: get(R + "&group_by=date&date__lte=2023-01-03&limit=1&offset=1&format=csv&order_by=date&selected_fields=date,visits"), status: 200,
				check: csvOK("Date,Visits\r\n2023-01-01,12\r\n2023-01-02,24\r\n2023-01-03,6\r\n")},
			{name: "over the cap: 400 before output", req: get(R + "&group_by=date,channel&format=csv"), status: 400, code: "bad_request", names: "3",
				headers: map[string]string{"Content-Disposition": ""}},
			{name: "top keeps it under the cap", req: get(R + "&group_by=date,channel&top=2&format=csv&selected_fields=visits"), status: 200},
		})
	})
}

// TestReportETag: the same report twice with If-None-Match -> 304 (after
// authentication); after a command rewrites the table and bumps its
// version, data_version, ETag and body change.
func TestReportETag(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		u := R + "&group_by=channel&totals=true"
		first := f.Do(get(u))
		etag := first.Header().Get("ETag")
		if first.Code != 200 || !strings.HasPrefix(etag, `"`) || first.Header().Get("Cache-Control") != "private, no-cache" {
			t.Fatalf("first: %d ETag %q Cache-Control %q", first.Code, etag, first.Header().Get("Cache-Control"))
		}
		with := func(tag string, auth string) apitest.Request {
			return apitest.Request{URL: u, Auth: auth, Headers: map[string]string{"If-None-Match": tag}}
		}
		runReports(t, f, []scenario{
			{name: "304", req: with(etag, ""), status: 304, headers: map[string]string{"ETag": etag, "Cache-Control": "private, no-cache"},
				check: func(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
					if rec.Body.Len() != 0 {
						t.Errorf("304 with a body: %q", rec.Body.String())
					}
				}},
			{name: "weak and listed tags match", req: with(`"x", W/`+etag, ""), status: 304},
			{name: "authentication first", req: with(etag, "none"), status: 401, code: "unauthenticated"},
			{name: "another account is still forbidden", req: apitest.Request{URL: "/api/v1/report-my-data/?account=c-a-other-gb", Headers: map[string]string{"If-None-Match": "*"}}, status: 403},
			{name: "other parameters, other tag", req: with(etag, ""), status: 304},
		})
		if other := f.Do(get(u + "&limit=2")); other.Header().Get("ETag") == etag {
			t.Errorf("a different page has the same ETag")
		}
		if again := f.Do(get(u)); again.Body.String() != first.Body.String() || again.Header().Get("ETag") != etag {
			t.Errorf("the same request changed")
		}
		// A command rewrites the table.
		load(t, f.demo, "report_my_data", [][5]any{{"2023-01-05", 1, 10, 1, 10}})
		runReports(t, f, []scenario{
			{name: "after a rewrite", req: with(etag, ""), status: 200, meta: map[string]any{"data_version": "2",
				"totals": map[string]any{"aov": 15.14, "conversion_rate": 0.5, "revenue": 530.0, "sales": 35.0, "visits": 70.0}},
				check: func(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
					if rec.Header().Get("ETag") == etag || rec.Body.String() == first.Body.String() {
						t.Errorf("ETag or body unchanged after a rewrite")
					}
				}},
		})
	})
}

// TestReportSchemaGolden: /schema/ of report-my-data matches its golden
// file; the OpenAPI document describes the report.
func TestReportSchemaGolden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		rec := f.Do(apitest.Request{URL: "/api/v1/report-my-data/schema/", Auth: "none"})
		if rec.Code != 200 {
			t.Fatalf("schema: %d", rec.Code)
		}
		golden(t, "schema_report-my-data.json", rec.Body.Bytes())
		var sch map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &sch)
		m := sch["metrics"].(map[string]any)["conversion_rate"].(map[string]any)
		if m["aggregation"] != "sum(sales) / sum(visits)" || m["type"] != "percentage" || m["higher_is_better"] != true {
			t.Errorf("conversion_rate schema: %v", m)
		}
		if !reflect.DeepEqual(sch["allowed_list_http_methods"], []any{"get"}) {
			t.Errorf("methods: %v", sch["allowed_list_http_methods"])
		}
		params := f.oa.doc["paths"].(map[string]any)["/api/v1/report-my-data/"].(map[string]any)["parameters"].([]any)
		found := map[string]bool{}
		for _, p := range params {
			found[p.(map[string]any)["name"].(string)] = true
		}
		for _, want := range []string{"account", "group_by", "having", "totals", "timeframe", "graph", "compare", "top", "format", "date__range", "channel__in", "channel__name__icontains", "limit", "order_by"} {
			if !found[want] {
				t.Errorf("report path lacks query parameter %s", want)
			}
		}
		// The validator is not a rubber stamp.
		if err := f.oa.validate("GET", R, 200, []byte(`{"meta": {"total_count": 1}, "objects": []}`)); err == nil {
			t.Error("a report list without meta keys validated")
		}
		if err := f.oa.validate("GET", R, 200, []byte(`{"meta": {"currency": "GBP", "data_version": "1", "served_from": "x", "total_count": 1}, "objects": [{"visits": "many"}]}`)); err == nil {
			t.Error("a string metric validated")
		}
		if err := f.oa.validate("GET", R, 200, []byte(`{"meta": {"currency": "GBP", "data_version": "1", "served_from": "x", "total_count": 1}, "objects": [{"nosuch": 1}]}`)); err == nil {
			t.Error("an unknown key validated")
		}
	})
}

// TestReportDictRelatedSchema: a dict dimension over a table a model
// resource lists points at that resource's schema (related_type to_one),
// in /schema/ and in the root's fullschema, so a client lists every value
// from the resource, not only those the report has rows for; a dict
// dimension over a table no resource lists has no related_schema.
func TestReportDictRelatedSchema(t *testing.T) {
	unserved := myData()
	unserved.Name = "report-unserved"
	unserved.Dimensions = append(unserved.Dimensions, report.Dimension{Name: "source", Type: report.Dict, Related: "traffic_source", Verbose: "Source"})
	field := func(sch map[string]any, name string) map[string]any {
		f, _ := sch["fields"].(map[string]any)[name].(map[string]any)
		return f
	}
	related := func(t *testing.T, sch map[string]any) {
		t.Helper()
		if ch := field(sch, "channel"); ch["related_schema"] != "/api/v1/channel/schema/" || ch["related_type"] != "to_one" || ch["type"] != "dict" {
			t.Errorf("channel field: %v", ch)
		}
		for _, name := range []string{"date", "visits"} {
			if f := field(sch, name); f["related_schema"] != nil || f["related_type"] != nil {
				t.Errorf("%s field points at a resource: %v", name, f)
			}
		}
	}
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{}, myData(), unserved)
		runReports(t, f, []scenario{
			{name: "schema names the channel resource", req: apitest.Request{URL: "/api/v1/report-my-data/schema/", Auth: "none"}, status: 200,
				check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) { related(t, b) }},
			{name: "fullschema inlines the same", req: apitest.Request{URL: "/api/v1/?fullschema=true", Auth: "none"}, status: 200,
				check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
					sch, _ := b["report-my-data"].(map[string]any)["schema"].(map[string]any)
					related(t, sch)
				}},
			{name: "no resource lists traffic_source", req: apitest.Request{URL: "/api/v1/report-unserved/schema/", Auth: "none"}, status: 200,
				check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
					related(t, b)
					if src := field(b, "source"); src["type"] != "dict" || src["related_schema"] != nil || src["related_type"] != nil {
						t.Errorf("source field: %v", src)
					}
				}},
			{name: "the related schema is served", req: apitest.Request{URL: "/api/v1/channel/schema/", Auth: "none"}, status: 200},
			// The report has rows for channels 1-3; the resource lists all
			// four, so a filter picker offers the fourth too.
			{req: get(R + "&group_by=channel&order_by=channel"), status: 200, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				if n := len(b["objects"].([]any)); n != 3 {
					t.Errorf("report groups: %d, want 3", n)
				}
			}},
			{req: get("/api/v1/channel/" + A), status: 200, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				if n := len(b["objects"].([]any)); n != 4 {
					t.Errorf("channels: %d, want 4", n)
				}
			}},
		})
	})
}

// myRollup is report-my-data over a daily table and a monthly rollup.
func myRollup() *report.Report {
	r := myData()
	r.Name = "report-my-rollup"
	r.Tables = append(r.Tables, report.Table{Name: "report_my_data_monthly", DateGrain: report.Month,
		Dims: []string{"date=month", "channel"}, Measures: []string{"visits", "sales", "revenue"}})
	r.Metrics = append(r.Metrics,
		report.Metric{Name: "days", Type: report.Integer, Agg: report.CountDistinct, Column: "date"},
		report.Metric{Name: "channels", Type: report.Integer, Agg: report.CountDistinct, Column: "channel"},
		report.Metric{Name: "rows", Type: report.Integer, Agg: report.Count, Column: "*"})
	return r
}

// TestReportRollupRouting: the planner reads the smallest table that
// covers the request; results are the same from either table.
func TestReportRollupRouting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{}, myData(), myRollup())
		ctx := context.Background()
		if _, err := f.demo.Exec(ctx, `CREATE TABLE "report_my_data_monthly" AS SELECT '2023-01-01' AS "month", "channel_id", SUM("visits") AS "visits", SUM("sales") AS "sales", SUM("revenue") AS "revenue" FROM "report_my_data" GROUP BY 1, 2`); err != nil {
			t.Fatal(err)
		}
		if f.demo.Dialect() == db.Postgres {
			if _, err := f.demo.Exec(ctx, `ALTER TABLE "report_my_data_monthly" ALTER COLUMN "month" TYPE DATE USING "month"::date`); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			qs, table string
		}{
			{"&group_by=channel&totals=true&selected_fields=channel,visits,sales,revenue,aov,conversion_rate", "report_my_data_monthly"},
			{"&group_by=date&selected_fields=date,visits,sales,revenue,aov", "report_my_data"},
			{"&group_by=date&timeframe=date__month&selected_fields=date,visits,revenue,aov", "report_my_data_monthly"},
			{"&group_by=date&timeframe=date__quarter&selected_fields=date,visits,revenue", "report_my_data_monthly"},
			{"&group_by=date&timeframe=date__week&selected_fields=date,visits,revenue", "report_my_data"},
			{"&group_by=channel&date__gte=2023-01-01&date__lte=2023-01-31&selected_fields=channel,visits,revenue", "report_my_data_monthly"},
			{"&group_by=channel&date__range=2023-01-01,2023-01-31&selected_fields=channel,visits,revenue", "report_my_data_monthly"},
			{"&group_by=channel&date__gte=2023-01-02&selected_fields=channel,visits,revenue", "report_my_data"},
			{"&group_by=channel&date__year=2023&selected_fields=channel,visits,revenue", "report_my_data_monthly"},
			{"&group_by=channel&channel__name=Email&selected_fields=channel,visits", "report_my_data_monthly"},
			{"&selected_fields=visits,channels", "report_my_data_monthly"},
			{"&selected_fields=visits,days", "report_my_data"},
			{"&selected_fields=visits,rows", "report_my_data"},
			{"&graph=true&graph_group_by_type=date__monthly&selected_fields=date,visits", "report_my_data_monthly"},
			{"&graph=true&selected_fields=date,visits", "report_my_data"},
		}
		for _, c := range cases {
			var daily map[string]any
			// report-my-data reads the daily table only; its answer is the
			// reference (the count metrics exist only on the rollup report).
			if !strings.Contains(c.qs, "channels") && !strings.Contains(c.qs, "days") && !strings.Contains(c.qs, "rows") {
				runReports(t, f, []scenario{{req: get(R + c.qs), status: 200, meta: map[string]any{"served_from": "report_my_data"},
					check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) { daily = b }}})
			}
			runReports(t, f, []scenario{
				{req: get("/api/v1/report-my-rollup/" + A + c.qs), status: 200, meta: map[string]any{"served_from": c.table}, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
					if daily == nil {
						return
					}
					if !reflect.DeepEqual(b["objects"], daily["objects"]) || !reflect.DeepEqual(b["meta"].(map[string]any)["totals"], daily["meta"].(map[string]any)["totals"]) {
						t.Errorf("%s: rollup and daily answers differ:\n%v\n%v", c.qs, b, daily)
					}
				}},
			})
		}
		runReports(t, f, []scenario{
			{req: get("/api/v1/report-my-rollup/" + A + "&selected_fields=channels,days,rows"), status: 200, check: objects(`[{"channels": 3, "days": 4, "rows": 12}]`)},
		})
	})
}

// TestReportDefaultsAndCache: a dimension's default filter applies when
// the request neither filters nor groups by it and is listed in
// meta.defaults; a repeated request is served from the results cache.
func TestReportDefaultsAndCache(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		r := myData()
		r.Name = "report-my-default"
		r.Dimensions[1].Default = report.DefaultQuery(`SELECT "id" FROM "channel" WHERE "name" = 'Email'`)
		f := newReportFixture(t, tg, api.Limits{}, myData(), r)
		D := "/api/v1/report-my-default/" + A
		runReports(t, f, []scenario{
			{req: get(D + "&selected_fields=sales"), status: 200, meta: map[string]any{"defaults": map[string]any{"channel": 2.0}}, check: objects(`[{"sales": 10}]`)},
			{req: get(D + "&channel=1&selected_fields=sales"), status: 200, meta: map[string]any{"defaults": nil}, check: objects(`[{"sales": 19}]`)},
			{req: get(D + "&group_by=channel&selected_fields=sales"), status: 200, meta: map[string]any{"defaults": nil, "total_count": 3.0}},
		})
		before := f.demo.QueryCount()
		f.Do(get(R + "&group_by=date,channel&totals=true&compare=previous_period&date__range=2023-01-03,2023-01-04"))
		cold := f.demo.QueryCount() - before
		before = f.demo.QueryCount()
		rec := f.Do(get(R + "&group_by=date,channel&totals=true&compare=previous_period&date__range=2023-01-03,2023-01-04&limit=2"))
		warm := f.demo.QueryCount() - before
		if rec.Code != 200 || warm != 1 || cold <= warm {
			t.Errorf("queries: %d cold, %d for another page of the same request (want 1: the data version)", cold, warm)
		}
	})
}

// TestReportDeclarationStopsStartup: a report with no metric, a formula
// naming an unknown metric, or a cycle fails the app's start-up build.
func TestReportDeclarationStopsStartup(t *testing.T) {
	for _, c := range []struct {
		change func(r *report.Report)
		want   string
	}{
		{func(r *report.Report) { r.Metrics = nil }, "no metric"},
		{func(r *report.Report) { r.Metrics[4].Formula = "sum(revenue) / salez" }, `unknown metric "salez"`},
		{func(r *report.Report) { r.Metrics[3].Formula = "aov * 2"; r.Metrics[4].Formula = "conversion_rate / 2" }, "cycle"},
		{func(r *report.Report) { r.Metrics[3].Formula = "sum(orders) / sum(visits)" }, "column orders is not declared"},
	} {
		reg := registry.New()
		r := myData()
		c.change(r)
		reg.AddReports(r)
		_, err := app.BuildReports(reg)
		if err == nil || !strings.Contains(err.Error(), "report-my-data") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("start-up error %v, want one naming the report and %q", err, c.want)
		}
	}
}

// TestReportConcurrent: parallel requests share the engine and its cache.
func TestReportConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := newReportFixture(t, tg, api.Limits{})
		want := f.Do(get(R + "&group_by=date,channel&totals=true")).Body.String()
		errs := make(chan string, 16)
		for i := 0; i < 16; i++ {
			go func(i int) {
				u := R + "&group_by=date,channel&totals=true"
				if i%2 == 1 {
					u = R + fmt.Sprintf("&group_by=channel&top=%d&totals=true", i%3+1)
				}
				rec := f.Do(get(u))
				switch {
				case rec.Code != 200:
					errs <- fmt.Sprintf("%s: %d", u, rec.Code)
				case i%2 == 0 && rec.Body.String() != want:
					errs <- "a cached answer differs"
				default:
					errs <- ""
				}
			}(i)
		}
		for i := 0; i < 16; i++ {
			if e := <-errs; e != "" {
				t.Error(e)
			}
		}
	})
}
