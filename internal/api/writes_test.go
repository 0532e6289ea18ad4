package api_test

import (
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

func req(method, u, body string) apitest.Request {
	return apitest.Request{Method: method, URL: u, Body: body}
}

func field(name string, want any) func(t *testing.T, rec *httptest.ResponseRecorder, b map[string]any) {
	return func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
		t.Helper()
		if !reflect.DeepEqual(b[name], want) {
			t.Errorf("%s = %#v, want %#v", name, b[name], want)
		}
	}
}

func errFields(want ...string) func(t *testing.T, rec *httptest.ResponseRecorder, b map[string]any) {
	return func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
		t.Helper()
		fields, _ := b["error"].(map[string]any)["fields"].(map[string]any)
		for _, w := range want {
			if _, ok := fields[w]; !ok {
				t.Errorf("error fields %v do not name %s", fields, w)
			}
		}
	}
}

func TestWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		big := `{"name": "` + strings.Repeat("x", 1<<20) + `"}`
		run(t, f, []scenario{
			// POST, PUT, PATCH.
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": "/api/v1/channel/2/", "pattern": "new\\.example", "priority": 5, "id": 999, "resource_uri": "/x/", "created": "1999-01-01T00:00:00Z"}`),
				status: 201, headers: map[string]string{"Location": "/api/v1/pattern/21/"}, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
					if b["id"] != 21.0 || b["channel"] != "/api/v1/channel/2/" || b["match_on"] != "referrer" || b["active"] != true || strings.HasPrefix(b["created"].(string), "1999") {
						t.Errorf("created: %v", b)
					}
				}},
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": {"resource_uri": "/api/v1/channel/3/"}, "pattern": "b"}`), status: 201, check: field("channel", "/api/v1/channel/3/")},
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": 4, "pattern": "c"}`), status: 201, check: field("channel", "/api/v1/channel/4/")},
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": {"name": "New"}, "pattern": "d"}`), status: 400, code: "validation_failed", check: errFields("channel")},
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": "/api/v1/channel/99/", "pattern": "d"}`), status: 400, code: "validation_failed", check: errFields("channel")},
			{req: req("POST", "/api/v1/pattern/"+A, `{"pattern": "x"}`), status: 400, code: "validation_failed", check: errFields("channel")},
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": 1, "pattern": "x", "bogus": 1}`), status: 400, code: "validation_failed", check: errFields("bogus")},
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": 1, "pattern": "x", "priority": "high"}`), status: 400, code: "validation_failed", check: errFields("priority")},
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": 1, "pattern": "x", "match_on": "nose"}`), status: 400, code: "validation_failed", check: errFields("match_on")},
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": 1, "pattern": "(unclosed"}`), status: 400, code: "validation_failed", check: errFields("pattern")},
			{req: req("POST", "/api/v1/pattern/"+A, `{"channel": 1, "pattern": "x", "created": "not a date"}`), status: 201},
			{req: req("POST", "/api/v1/product/"+A, `{"sku": "A1", "margin_pct": "12.5"}`), status: 201, check: field("margin_pct", "12.50")},
			{req: req("POST", "/api/v1/product/"+A, `{"sku": "A2", "margin_pct": "abc"}`), status: 400, code: "validation_failed", check: errFields("margin_pct")},
			{req: req("POST", "/api/v1/product/"+A, `{"sku": "A1"}`), status: 409, code: "conflict", check: errFields("sku")},
			{req: req("POST", "/api/v1/market/"+A, `{"name": "UK"}`), status: 400, code: "validation_failed", check: errFields("country")},
			{req: req("PUT", "/api/v1/channel/2/"+A, `{"name": "E-mail", "colour": "#000000"}`), status: 200, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				if b["name"] != "E-mail" || b["sort"] != 0.0 || b["is_paid"] != false {
					t.Errorf("put: %v", b)
				}
			}},
			{req: req("PUT", "/api/v1/channel/40/"+A, `{"name": "Forty"}`), status: 201, headers: map[string]string{"Location": "/api/v1/channel/40/"}, check: field("id", 40.0)},
			{req: req("POST", "/api/v1/channel/"+A, `{"name": "After forty"}`), status: 201, check: field("id", 41.0)},
			{req: req("PUT", "/api/v1/channel/42/"+A, `{"colour": "#111111"}`), status: 400, code: "validation_failed", check: errFields("name")},
			{req: req("PATCH", "/api/v1/pattern/2/"+A, `{"priority": 7}`), status: 200, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				if b["priority"] != 7.0 || b["pattern"] != "site02.example" || b["channel"] != "/api/v1/channel/2/" || b["created"] != "2024-01-03T10:30:00+00:00" {
					t.Errorf("patch: %v", b)
				}
			}},
			{req: req("PATCH", "/api/v1/pattern/999/"+A, `{"priority": 7}`), status: 404, code: "not_found"},
			{req: req("PATCH", "/api/v1/channel/3/"+A, `{"name": "PPC"}`), status: 409, code: "conflict", check: errFields("name")},
			// Soft delete, deactivate kind.
			{req: req("DELETE", "/api/v1/pattern/2/"+A, ""), status: 204},
			{req: req("DELETE", "/api/v1/pattern/2/"+A, ""), status: 204},
			{req: get("/api/v1/pattern/2/" + A), status: 200, check: field("active", false)},
			{req: get("/api/v1/pattern/" + A + "&id=2"), status: 200, ids: []int64{}, total: 0},
			{req: get("/api/v1/pattern/" + A + "&id=2&active=false"), status: 200, ids: []int64{2}, total: 1},
			{req: req("PATCH", "/api/v1/pattern/2/"+A, `{"active": true}`), status: 200, check: field("active", true)},
			{req: req("DELETE", "/api/v1/pattern/999/"+A, ""), status: 404, code: "not_found"},
			// Deleted kind.
			{req: req("POST", "/api/v1/segmenter-rule/"+A, `{"name": "r1", "expression": "1"}`), status: 201, check: field("id", 1.0)},
			{req: req("POST", "/api/v1/segmenter-rule/"+A, `{"name": "r2", "expression": "1", "active": false}`), status: 201, check: field("id", 2.0)},
			{req: get("/api/v1/segmenter-rule/" + A), status: 200, ids: []int64{1, 2}, total: 2},
			{req: req("DELETE", "/api/v1/segmenter-rule/1/"+A, ""), status: 204},
			{req: req("DELETE", "/api/v1/segmenter-rule/1/"+A, ""), status: 404, code: "not_found"},
			{req: get("/api/v1/segmenter-rule/1/" + A), status: 404, code: "not_found"},
			{req: get("/api/v1/segmenter-rule/" + A), status: 200, ids: []int64{2}, total: 1},
			{req: get("/api/v1/segmenter-rule/" + A + "&deleted=true"), status: 200, ids: []int64{1}, total: 1},
			{req: get("/api/v1/segmenter-rule/" + A + "&active=false"), status: 200, ids: []int64{1, 2}, total: 2},
			{req: get("/api/v1/segmenter-rule/set/1;2/" + A), status: 200, ids: []int64{2}, total: -1},
			// Bulk PATCH: all or nothing.
			{req: req("PATCH", "/api/v1/pattern/"+A, `{"objects": [{"resource_uri": "/api/v1/pattern/4/", "priority": 1}, {"pattern": "no channel"}]}`),
				status: 400, code: "validation_failed", check: errFields("objects.1.channel")},
			{req: get("/api/v1/pattern/4/" + A), status: 200, check: field("priority", 148.0)},
			{req: req("PATCH", "/api/v1/pattern/"+A, `{"objects": [{"resource_uri": "/api/v1/pattern/4/", "priority": 1}], "deleted_objects": ["/api/v1/pattern/999/"]}`), status: 404, code: "not_found"},
			{req: get("/api/v1/pattern/4/" + A), status: 200, check: field("priority", 148.0)},
			{req: req("PATCH", "/api/v1/pattern/"+A, `{"objects": [{"channel": 1, "pattern": "bulk-new"}, {"resource_uri": "/api/v1/pattern/4/", "priority": 1}], "deleted_objects": ["/api/v1/pattern/5/"]}`),
				status: 200, ids: []int64{25, 4}, total: -1},
			{req: get("/api/v1/pattern/set/4;5;25/" + A), status: 200, ids: []int64{4, 5, 25}, total: -1, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				o := b["objects"].([]any)
				if o[0].(map[string]any)["priority"] != 1.0 || o[1].(map[string]any)["active"] != false {
					t.Errorf("bulk result: %v", o)
				}
			}},
			{req: req("PATCH", "/api/v1/pattern/"+A, `{"deleted_objects": []}`), status: 400, code: "bad_request"},
			// PUT and DELETE on lists need a filter.
			{req: req("PUT", "/api/v1/payment-referrer/"+A, `{"objects": [{"domain": "x.com"}]}`), status: 400, code: "bad_request"},
			{req: req("POST", "/api/v1/payment-referrer/"+A, `{"domain": "a.com"}`), status: 201},
			{req: req("POST", "/api/v1/payment-referrer/"+A, `{"domain": "b.com"}`), status: 201},
			{req: req("PUT", "/api/v1/payment-referrer/"+A+"&domain=a.com", `{"objects": [{"domain": "c.com"}, {"domain": "d.com"}]}`), status: 200, ids: []int64{3, 4}, total: -1},
			{req: get("/api/v1/payment-referrer/" + A + "&order_by=domain"), status: 200, ids: []int64{2, 3, 4}, total: 3},
			{req: req("DELETE", "/api/v1/payment-referrer/"+A+"&domain__in=b.com,c.com", ""), status: 204},
			{req: get("/api/v1/payment-referrer/" + A), status: 200, ids: []int64{4}, total: 1},
			// Bodies.
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Body: `{"name": `}, status: 400, code: "bad_request"},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Headers: map[string]string{"Content-Type": "application/json"}}, status: 400, code: "bad_request"},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Body: `{"name": "t"}`, Headers: map[string]string{"Content-Type": "text/plain"}}, status: 415, code: "unsupported_media_type"},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Body: `{"name": "u"}`, Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, status: 201},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Body: big}, status: 413, code: "payload_too_large"},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Body: `[1, 2]`}, status: 400, code: "bad_request"},
		})
	})
}
