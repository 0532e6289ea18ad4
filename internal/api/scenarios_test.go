package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// scenario is one row of a declarative HTTP table: request -> status and
// JSON expectations.
type scenario struct {
	name    string
	req     apitest.Request
	status  int
	code    string  // error code
	names   string  // the error message must name this
	ids     []int64 // object ids in order (list, set, bulk)
	total   int     // meta.total_count when >= 0 and ids set
	meta    map[string]any
	headers map[string]string
	body    string // exact JSON body (normalised)
	check   func(t *testing.T, rec *httptest.ResponseRecorder, body map[string]any)
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Body.Len() == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, rec.Body.String())
	}
	return m
}

func ids(m map[string]any) []int64 {
	objs, _ := m["objects"].([]any)
	out := []int64{}
	for _, o := range objs {
		out = append(out, int64(o.(map[string]any)["id"].(float64)))
	}
	return out
}

func run(t *testing.T, f *apitest.Fixture, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		rec := f.Do(sc.req)
		checkOpenAPI(t, f, sc.req, rec)
		label := sc.name
		if label == "" {
			label = sc.req.Method + " " + sc.req.URL
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
		if rec.Code == http.StatusNoContent || rec.Code == http.StatusMovedPermanently {
			if rec.Body.Len() != 0 && rec.Code == http.StatusNoContent {
				t.Errorf("%s: 204 with a body", label)
			}
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: content type %q", label, ct)
		}
		body := decode(t, rec)
		if sc.code != "" {
			e, _ := body["error"].(map[string]any)
			if e == nil || e["code"] != sc.code {
				t.Errorf("%s: error %v, want code %s", label, body, sc.code)
			} else if sc.names != "" && !strings.Contains(fmt.Sprint(e["message"])+fmt.Sprint(e["fields"]), sc.names) {
				t.Errorf("%s: error %v does not name %q", label, e, sc.names)
			}
		}
		if sc.ids != nil {
			if got := ids(body); !reflect.DeepEqual(got, sc.ids) {
				t.Errorf("%s: ids %v, want %v", label, got, sc.ids)
			}
			if sc.total >= 0 {
				if meta, ok := body["meta"].(map[string]any); ok && int(meta["total_count"].(float64)) != sc.total {
					t.Errorf("%s: total_count %v, want %d", label, meta["total_count"], sc.total)
				}
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
			var want any
			if err := json.Unmarshal([]byte(sc.body), &want); err != nil {
				t.Fatalf("%s: bad expected JSON: %v", label, err)
			}
			var got any
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

const A = "?account=c-a-demo-gb"

func get(u string) apitest.Request { return apitest.Request{URL: u} }

// TestSpecExamples replays spec/api.md §11 in order, on both dialects.
func TestSpecExamples(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		pattern1 := `{"active":true,"channel":"/api/v1/channel/1/","created":"2024-01-02T09:30:00+00:00","id":1,"is_default":false,"match_on":"referrer","pattern":"site01.example","priority":37,"resource_uri":"/api/v1/pattern/1/","updated":"2024-01-02T09:30:00+00:00"}`
		run(t, f, []scenario{
			{req: get("/api/v1/pattern/1/" + A), status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
				if got := strings.TrimSpace(rec.Body.String()); got != pattern1 {
					t.Errorf("pattern 1 not byte-for-byte:\n got %s\nwant %s", got, pattern1)
				}
			}},
			{req: get("/api/v1/pattern/" + A + "&limit=2&offset=4"), status: 200, ids: []int64{7, 8}, total: 14, meta: map[string]any{
				"limit": 2.0, "offset": 4.0,
				"next":     "/api/v1/pattern/?account=c-a-demo-gb&limit=2&offset=6",
				"previous": "/api/v1/pattern/?account=c-a-demo-gb&limit=2&offset=2"}},
			{req: get("/api/v1/pattern/" + A + "&order_by=priority&limit=3"), status: 200, ids: []int64{14, 1, 2}, total: 14,
				meta: map[string]any{"next": "/api/v1/pattern/?account=c-a-demo-gb&order_by=priority&limit=3&offset=3"}},
			{req: get("/api/v1/pattern/" + A + "&priority__range=100,200&limit=2"), status: 200, ids: []int64{4, 5}, total: 3,
				meta: map[string]any{"next": "/api/v1/pattern/?account=c-a-demo-gb&priority__range=100%2C200&limit=2&offset=2"}},
			{req: get("/api/v1/pattern/" + A + "&id__in=2&id__in=5,7"), status: 200, ids: []int64{2, 5, 7}, total: 3},
			{req: get("/api/v1/pattern/" + A + "&active=false&limit=2"), status: 200, ids: []int64{3, 6}, total: 6},
			{req: get("/api/v1/pattern/" + A + "&channel__name=Email&limit=1"), status: 200, ids: []int64{2}, total: 3,
				meta: map[string]any{"next": "/api/v1/pattern/?account=c-a-demo-gb&channel__name=Email&limit=1&offset=1"}},
			{req: get("/api/v1/pattern/" + A + "&foo=1"), status: 400,
				body: `{"error": {"code": "invalid_filter", "message": "Unknown filter field 'foo' on resource 'pattern'."}}`},
			{req: get("/api/v1/pattern/set/1;3;999/" + A), status: 200, ids: []int64{1, 3}, total: -1, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				if !reflect.DeepEqual(b["not_found"], []any{"999"}) {
					t.Errorf("not_found = %v", b["not_found"])
				}
			}},
			{req: get("/api/v1/pattern" + A), status: 301, headers: map[string]string{"Location": "/api/v1/pattern/?account=c-a-demo-gb"}},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Body: `{"name": "Video"}`}, status: 201,
				headers: map[string]string{"Location": "/api/v1/channel/5/"}, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
					if b["id"] != 5.0 || b["name"] != "Video" || b["active"] != true || b["resource_uri"] != "/api/v1/channel/5/" || b["colour"] != "#7f8c8d" {
						t.Errorf("created channel: %v", b)
					}
				}},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Body: `{"name": "Email"}`}, status: 409, code: "conflict", check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				e := b["error"].(map[string]any)
				if !reflect.DeepEqual(e["fields"], map[string]any{"name": []any{"A channel with this name already exists."}}) {
					t.Errorf("conflict fields: %v", e["fields"])
				}
			}},
			{req: apitest.Request{Method: "PATCH", URL: "/api/v1/pattern/" + A, Body: `{"objects": [{"resource_uri": "/api/v1/pattern/4/", "priority": 444}], "deleted_objects": ["/api/v1/pattern/5/"]}`},
				status: 200, ids: []int64{4}, total: -1, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
					if p := b["objects"].([]any)[0].(map[string]any)["priority"]; p != 444.0 {
						t.Errorf("priority %v", p)
					}
				}},
			{req: get("/api/v1/pattern/set/4;5/" + A), status: 200, ids: []int64{4, 5}, total: -1, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				objs := b["objects"].([]any)
				if objs[1].(map[string]any)["active"] != false || objs[0].(map[string]any)["priority"] != 444.0 {
					t.Errorf("set after bulk: %v", objs)
				}
				if _, ok := b["not_found"]; ok {
					t.Errorf("not_found must be omitted when empty")
				}
			}},
			{req: apitest.Request{Method: "DELETE", URL: "/api/v1/pattern/" + A}, status: 400, code: "bad_request"},
			{req: get("/api/v1/pattern/" + A + "&limit=0"), status: 200, meta: map[string]any{"total_count": 13.0}},
			{req: apitest.Request{Method: "DELETE", URL: "/api/v1/pattern/" + A + "&priority__lt=50"}, status: 204},
			{req: get("/api/v1/pattern/set/1;14/" + A), status: 200, ids: []int64{1, 14}, total: -1, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				for _, o := range b["objects"].([]any) {
					if o.(map[string]any)["active"] != false {
						t.Errorf("pattern %v should be inactive", o.(map[string]any)["id"])
					}
				}
			}},
			{req: apitest.Request{URL: "/api/v1/pattern/?limit=1", Auth: "none"}, status: 401, code: "unauthenticated",
				headers: map[string]string{"WWW-Authenticate": `ApiKey realm="cubed"`}},
		})
	})
}

// TestChecklist covers spec/api.md §14 for model resources.
func TestChecklist(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		long := strings.Repeat("a", 201)
		var many []string
		for i := 0; i < 51; i++ {
			many = append(many, fmt.Sprintf("id__in=%d", i))
		}
		run(t, f, []scenario{
			// Root and routing.
			{req: apitest.Request{URL: "/api/v1/", Auth: "none"}, status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder, b map[string]any) {
				for _, n := range []string{"account", "attribution-model", "campaign", "channel", "event-definition", "goal", "goal-event", "market", "membership", "pattern", "payment-referrer", "product", "segmenter-condition", "segmenter-rule", "user", "api-key"} {
					e, ok := b[n].(map[string]any)
					if !ok || e["list_endpoint"] != "/api/v1/"+n+"/" || e["schema"] != "/api/v1/"+n+"/schema/" {
						t.Errorf("root entry %s: %v", n, b[n])
					}
				}
				var keys []string
				dec := json.NewDecoder(strings.NewReader(rec.Body.String()))
				dec.Token()
				for dec.More() {
					k, _ := dec.Token()
					keys = append(keys, k.(string))
					var skip json.RawMessage
					dec.Decode(&skip)
				}
				if !sort.StringsAreSorted(keys) {
					t.Errorf("root keys not sorted: %v", keys)
				}
			}},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel?account=c-a-demo-gb&x=1"}, status: 301, headers: map[string]string{"Location": "/api/v1/channel/?account=c-a-demo-gb&x=1"}},
			{req: get("/api/v1/nosuch/" + A), status: 404, code: "not_found"},
			{req: get("/api/v1/pattern/abc/" + A), status: 404, code: "not_found"},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/pattern/1/" + A, Body: `{}`}, status: 405, code: "method_not_allowed", headers: map[string]string{"Allow": "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"}},
			{req: apitest.Request{Method: "OPTIONS", URL: "/api/v1/pattern/" + A}, status: 204, headers: map[string]string{"Allow": "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"}},
			{req: get("/api/v1/pattern/" + A + "&format=xml"), status: 400, code: "bad_request", names: "xml"},
			// Pagination.
			{req: get("/api/v1/pattern/" + A + "&limit=5000"), status: 200, meta: map[string]any{"limit": 1000.0}},
			{req: get("/api/v1/pattern/" + A + "&limit=abc"), status: 400, code: "invalid_pagination", names: "limit"},
			{req: get("/api/v1/pattern/" + A + "&limit=-1"), status: 400, code: "invalid_pagination", names: "limit"},
			{req: get("/api/v1/pattern/" + A + "&offset=-1"), status: 400, code: "invalid_pagination", names: "offset"},
			{req: get("/api/v1/pattern/" + A + "&offset=3&limit=5"), status: 200, meta: map[string]any{"previous": "/api/v1/pattern/?account=c-a-demo-gb&limit=5&offset=0"}},
			{req: get("/api/v1/pattern/" + A + "&offset=100"), status: 200, ids: []int64{}, total: 14},
			{req: apitest.Request{URL: "/api/v1/pattern/" + A + "&username=alice%40example.com&api_key=abc123&priority__in=37,74&limit=1", Auth: "none"}, status: 200,
				meta: map[string]any{"next": "/api/v1/pattern/?account=c-a-demo-gb&priority__in=37%2C74&limit=1&offset=1"}},
			// Filters: none, empty in, range arity, errors naming the parameter.
			{req: get("/api/v1/product/" + A + "&margin_pct=none"), status: 200, ids: []int64{}, total: 0},
			{req: get("/api/v1/pattern/" + A + "&id__in="), status: 200, ids: []int64{}, total: 0},
			{req: get("/api/v1/pattern/" + A + "&priority__range=100"), status: 400, code: "invalid_filter", names: "priority__range"},
			{req: get("/api/v1/pattern/" + A + "&priority__foo=1"), status: 400, code: "invalid_filter", names: "priority__foo"},
			{req: get("/api/v1/pattern/" + A + "&created__year__gte=2024"), status: 400, code: "invalid_filter", names: "created__year__gte"},
			{req: get("/api/v1/pattern/" + A + "&priority__name=x"), status: 400, code: "invalid_filter", names: "priority__name"},
			{req: apitest.Request{URL: "/api/v1/api-key/?user__email=x", Auth: "stan"}, status: 400, code: "invalid_filter", names: "user__email"},
			{req: apitest.Request{URL: "/api/v1/account/?token__contains=demo", Auth: "stan"}, status: 400, code: "invalid_filter", names: "token__contains"},
			{req: get("/api/v1/pattern/" + A + "&priority=abc"), status: 400, code: "invalid_filter", names: "priority"},
			{req: get("/api/v1/pattern/" + A + "&created=2024-13-45T99:00"), status: 400, code: "invalid_filter", names: "created"},
			{req: get("/api/v1/pattern/" + A + "&priority=1&priority=2"), status: 400, code: "invalid_filter", names: "priority"},
			{req: get("/api/v1/pattern/" + A + "&" + strings.Join(many, "&")), status: 400, code: "invalid_filter"},
			{req: get("/api/v1/pattern/" + A + "&pattern__regex=" + long), status: 400, code: "invalid_filter", names: "pattern__regex"},
			{req: get("/api/v1/pattern/" + A + "&pattern__regex=" + url.QueryEscape("(")), status: 400, code: "invalid_filter", names: "pattern__regex"},
			{req: get("/api/v1/pattern/" + A + "&x=" + strings.Repeat("y", 9*1024)), status: 400, code: "bad_request"},
			// Ordering.
			{req: get("/api/v1/pattern/" + A + "&order_by=nosuch"), status: 400, code: "invalid_ordering", names: "nosuch"},
			{req: apitest.Request{URL: "/api/v1/account/?order_by=country", Auth: "stan"}, status: 400, code: "invalid_ordering", names: "country"},
			{req: get("/api/v1/pattern/" + A + "&order_by=is_default&limit=3&offset=3"), status: 200, ids: []int64{5, 7, 8}, total: 14},
			{req: get("/api/v1/pattern/" + A + "&order_by=-channel__name&order_by=id&limit=4"), status: 200, ids: []int64{7, 11, 19, 4}, total: 14},
			{req: get("/api/v1/pattern/" + A + "&order_by=channel__nosuch"), status: 400, code: "invalid_ordering"},
			// Set.
			{req: get("/api/v1/pattern/set/7;abc;2;0/" + A), status: 200, ids: []int64{7, 2}, total: -1, check: func(t *testing.T, _ *httptest.ResponseRecorder, b map[string]any) {
				if !reflect.DeepEqual(b["not_found"], []any{"abc", "0"}) {
					t.Errorf("not_found %v", b["not_found"])
				}
			}},
		})
	})
}

// TestLookups checks each of the 22 lookups on a field type that supports it.
func TestLookups(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		// Pattern i: channel (i-1)%4+1, pattern siteNN.example, priority 37i mod 500,
		// created 2024-01-01T08:30Z + i days + i hours. Only active rows unless filtered.
		q := func(s string) string {
			return "/api/v1/pattern/" + A + "&active__in=true,false&order_by=id&limit=0&" + s
		}
		run(t, f, []scenario{
			{name: "exact", req: get(q("pattern=site05.example")), status: 200, ids: []int64{5}, total: 1},
			{name: "iexact", req: get(q("pattern__iexact=SITE05.EXAMPLE")), status: 200, ids: []int64{5}, total: 1},
			{name: "contains", req: get(q("pattern__contains=e1")), status: 200, ids: []int64{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, total: 10},
			{name: "contains is case-sensitive", req: get(q("pattern__contains=E1")), status: 200, ids: []int64{}, total: 0},
			{name: "icontains", req: get(q("pattern__icontains=E2")), status: 200, ids: []int64{20}, total: 1},
			{name: "in", req: get(q("id__in=3,1")), status: 200, ids: []int64{1, 3}, total: 2},
			{name: "gt", req: get(q("priority__gt=450")), status: 200, ids: []int64{13}, total: 1},
			{name: "gte", req: get(q("priority__gte=481")), status: 200, ids: []int64{13}, total: 1},
			{name: "lt", req: get(q("priority__lt=40")), status: 200, ids: []int64{1, 14}, total: 2},
			{name: "lte", req: get(q("priority__lte=18")), status: 200, ids: []int64{14}, total: 1},
			{name: "startswith", req: get(q("pattern__startswith=site2")), status: 200, ids: []int64{20}, total: 1},
			{name: "istartswith", req: get(q("pattern__istartswith=SITE2")), status: 200, ids: []int64{20}, total: 1},
			{name: "endswith", req: get(q("pattern__endswith=9.example")), status: 200, ids: []int64{9, 19}, total: 2},
			{name: "iendswith", req: get(q("pattern__iendswith=9.EXAMPLE")), status: 200, ids: []int64{9, 19}, total: 2},
			{name: "range", req: get(q("id__range=4,6")), status: 200, ids: []int64{4, 5, 6}, total: 3},
			{name: "isnull false", req: get(q("channel__isnull=false&id__lte=2")), status: 200, ids: []int64{1, 2}, total: 2},
			{name: "isnull true", req: get(q("channel__isnull=true")), status: 200, ids: []int64{}, total: 0},
			{name: "regex", req: get(q("pattern__regex=" + url.QueryEscape(`^site0[12]\.`))), status: 200, ids: []int64{1, 2}, total: 2},
			{name: "iregex", req: get(q("pattern__iregex=" + url.QueryEscape(`^SITE0[12]\.`))), status: 200, ids: []int64{1, 2}, total: 2},
			{name: "year", req: get(q("created__year=2024&id__lte=2")), status: 200, ids: []int64{1, 2}, total: 2},
			{name: "month", req: get(q("created__month=1&id__gte=19")), status: 200, ids: []int64{19, 20}, total: 2},
			// pattern 1 was created 2024-01-02 09:30 UTC, a Tuesday (week_day 3).
			{name: "day", req: get(q("created__day=2")), status: 200, ids: []int64{1}, total: 1},
			{name: "week_day", req: get(q("created__week_day=3")), status: 200, ids: []int64{1, 8, 15}, total: 3},
			{name: "date", req: get(q("created__date=2024-01-05")), status: 200, ids: []int64{4}, total: 1},
			{name: "relation span", req: get(q("channel__name__in=SEO,PPC&id__lte=4")), status: 200, ids: []int64{3, 4}, total: 2},
			{name: "datetime without offset is local", req: get(q("created__lt=2024-01-03T10:30:00")), status: 200, ids: []int64{1}, total: 1},
		})
	})
}
