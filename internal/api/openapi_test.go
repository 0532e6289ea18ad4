package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

const docURL = "https://cubed.invalid/api/v1/openapi.json"

// openAPI compiles response schemas of the served document on demand.
type openAPI struct {
	mu       sync.Mutex
	doc      map[string]any
	compiler *jsonschema.Compiler
	cache    map[string]*jsonschema.Schema
}

var (
	specOnce sync.Once
	spec     *openAPI
	specErr  error
)

func loadOpenAPI(f *apitest.Fixture) (*openAPI, error) {
	specOnce.Do(func() {
		rec := f.Do(apitest.Request{URL: "/api/v1/openapi.json", Auth: "none"})
		if rec.Code != 200 {
			specErr = fmt.Errorf("openapi.json: %d", rec.Code)
			return
		}
		raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			specErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource(docURL, raw); err != nil {
			specErr = err
			return
		}
		spec = &openAPI{doc: raw.(map[string]any), compiler: c, cache: map[string]*jsonschema.Schema{}}
	})
	return spec, specErr
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// template maps a request path to its OpenAPI path template.
func (o *openAPI) template(path string) string {
	paths := o.doc["paths"].(map[string]any)
	if _, ok := paths[path]; ok {
		return path
	}
	segs := strings.Split(strings.Trim(strings.TrimPrefix(path, "/api/v1/"), "/"), "/")
	switch {
	case len(segs) == 3 && segs[1] == "set":
		return "/api/v1/" + segs[0] + "/set/{pks}/"
	case len(segs) == 2:
		if _, err := strconv.Atoi(segs[1]); err == nil {
			return "/api/v1/" + segs[0] + "/{pk}/"
		}
	}
	return ""
}

// validate checks a response against the document's schema for it.
func (o *openAPI) validate(method, rawURL string, status int, body []byte) error {
	u, _ := url.Parse(rawURL)
	tmpl := o.template(u.Path)
	if tmpl == "" {
		return nil // unknown paths answer 404 envelopes, checked below
	}
	op, ok := o.doc["paths"].(map[string]any)[tmpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if !ok {
		return nil // 405 and OPTIONS
	}
	resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s: status %d is not documented", method, tmpl, status)
	}
	if _, hasContent := resp["content"]; !hasContent {
		return nil
	}
	loc := docURL + "#/paths/" + escapePointer(tmpl) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(status) + "/content/application~1json/schema"
	o.mu.Lock()
	sch, ok := o.cache[loc]
	if !ok {
		var err error
		if sch, err = o.compiler.Compile(loc); err != nil {
			o.mu.Unlock()
			return err
		}
		o.cache[loc] = sch
	}
	o.mu.Unlock()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// checkOpenAPI validates every scenario response against the document.
func checkOpenAPI(t *testing.T, f *apitest.Fixture, r apitest.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Body.Len() == 0 || rec.Header().Get("Content-Type") != "application/json" {
		return
	}
	o, err := loadOpenAPI(f)
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	method := r.Method
	if method == "" {
		method = "GET"
	}
	if err := o.validate(method, r.URL, rec.Code, rec.Body.Bytes()); err != nil {
		t.Errorf("%s %s (%d) does not match openapi.json: %v", method, r.URL, rec.Code, err)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		o, err := loadOpenAPI(f)
		if err != nil {
			t.Fatal(err)
		}
		if o.doc["openapi"] != "3.1.0" {
			t.Fatalf("openapi version %v", o.doc["openapi"])
		}
		// Every component schema compiles as JSON Schema 2020-12 and every
		// $ref resolves.
		for name := range o.doc["components"].(map[string]any)["schemas"].(map[string]any) {
			if _, err := o.compiler.Compile(docURL + "#/components/schemas/" + escapePointer(name)); err != nil {
				t.Errorf("schema %s: %v", name, err)
			}
		}
		for _, name := range f.App.Resources.Names() {
			for _, p := range []string{"/api/v1/" + name + "/", "/api/v1/" + name + "/{pk}/", "/api/v1/" + name + "/schema/", "/api/v1/" + name + "/set/{pks}/"} {
				if _, ok := o.doc["paths"].(map[string]any)[p]; !ok {
					t.Errorf("path %s missing", p)
				}
			}
		}
		// The validator is not a rubber stamp.
		if err := o.validate("GET", "/api/v1/pattern/1/", 200, []byte(`{"id": "one"}`)); err == nil {
			t.Error("a malformed pattern validated")
		}
		if err := o.validate("GET", "/api/v1/pattern/", 200, []byte(`{"meta": {}, "objects": []}`)); err == nil {
			t.Error("a list without meta keys validated")
		}
		if err := o.validate("GET", "/api/v1/pattern/1/", 418, []byte(`{}`)); err == nil {
			t.Error("an undocumented status validated")
		}
		schemes := o.doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
		if len(schemes) != 3 {
			t.Errorf("security schemes: %v", schemes)
		}
		params := o.doc["paths"].(map[string]any)["/api/v1/pattern/"].(map[string]any)["parameters"].([]any)
		found := map[string]bool{}
		for _, p := range params {
			found[p.(map[string]any)["name"].(string)] = true
		}
		for _, want := range []string{"account", "priority__range", "created__week_day", "pattern__iregex", "channel__in", "limit", "order_by"} {
			if !found[want] {
				t.Errorf("pattern list lacks query parameter %s", want)
			}
		}
	})
}

// TestOpenAPIDocuments: the documents the server builds by hand (the
// root listing, model and report /schema/ documents, report responses,
// the error envelope's codes) are named component schemas that the paths
// reference, so generated clients get precise types; every real schema
// document validates against them, and they reject what the server never
// writes.
func TestOpenAPIDocuments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		o, err := loadOpenAPI(f)
		if err != nil {
			t.Fatal(err)
		}
		paths := o.doc["paths"].(map[string]any)
		schemas := o.doc["components"].(map[string]any)["schemas"].(map[string]any)
		// dig follows keys through nested objects (and array indexes as
		// ints); nil when a step is missing.
		dig := func(v any, keys ...any) any {
			for _, k := range keys {
				switch k := k.(type) {
				case string:
					m, _ := v.(map[string]any)
					v = m[k]
				case int:
					a, _ := v.([]any)
					if k >= len(a) {
						return nil
					}
					v = a[k]
				}
			}
			return v
		}
		okSchema := func(path string) any {
			return dig(paths, path, "get", "responses", "200", "content", "application/json", "schema")
		}
		refTo := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
		check := func(what string, got any, want string) {
			t.Helper()
			if !reflect.DeepEqual(got, refTo(want)) {
				t.Errorf("%s: %v, want a reference to %s", what, got, want)
			}
		}
		for _, name := range []string{"RootListing", "RootEntry", "ModelSchemaDoc", "ReportSchemaDoc", "SchemaField", "FilteringRule",
			"ReportDimensionDoc", "ReportMetricDoc", "MetricType", "ReportResponse", "ReportRow", "ReportValue", "DictValue", "ErrorCode"} {
			if _, ok := schemas[name]; !ok {
				t.Errorf("component schema %s missing", name)
			}
		}
		check("GET /api/v1/", okSchema("/api/v1/"), "RootListing")
		check("Error.error.code", dig(schemas, "Error", "properties", "error", "properties", "code"), "ErrorCode")
		check("ReportMeta.totals", dig(schemas, "ReportMeta", "properties", "totals"), "ReportRow")
		var docs []string // every /schema/ URL
		for _, name := range f.App.Resources.Names() {
			check(name+" schema", okSchema("/api/v1/"+name+"/schema/"), "ModelSchemaDoc")
			docs = append(docs, "/api/v1/"+name+"/schema/")
		}
		reports := f.App.Reports.Names()
		if len(reports) == 0 {
			t.Fatal("the app declares no reports")
		}
		for _, name := range reports {
			check(name+" schema", okSchema("/api/v1/"+name+"/schema/"), "ReportSchemaDoc")
			check(name+" list", dig(okSchema("/api/v1/"+name+"/"), "allOf", 0), "ReportResponse")
			docs = append(docs, "/api/v1/"+name+"/schema/")
		}
		for _, u := range append(docs, "/api/v1/", "/api/v1/?fullschema=true") {
			rec := f.Do(apitest.Request{URL: u, Auth: "none"})
			if rec.Code != 200 {
				t.Fatalf("GET %s: %d", u, rec.Code)
			}
			if err := o.validate("GET", u, 200, rec.Body.Bytes()); err != nil {
				t.Errorf("GET %s does not match openapi.json: %v", u, err)
			}
		}
		// The catalogue's channel dimension names the channel resource.
		rec := f.Do(apitest.Request{URL: "/api/v1/report-channel-performance/schema/", Auth: "none"})
		var sch map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &sch)
		if got := dig(sch, "fields", "channel", "related_schema"); got != "/api/v1/channel/schema/" {
			t.Errorf("report-channel-performance channel related_schema: %v", got)
		}
		// The schemas are not rubber stamps.
		for _, bad := range []struct{ url, body string }{
			{"/api/v1/pattern/schema/", `{"allowed_detail_http_methods": [], "allowed_list_http_methods": [], "default_format": "application/json", "default_limit": 20, "max_limit": 1000, "fields": {"x": {"type": "blob"}}}`},
			{"/api/v1/pattern/schema/", `{"allowed_detail_http_methods": ["GET"], "allowed_list_http_methods": [], "default_format": "application/json", "default_limit": 20, "max_limit": 1000, "fields": {}}`},
			{"/api/v1/pattern/schema/", `{"allowed_detail_http_methods": [], "allowed_list_http_methods": [], "default_format": "application/json", "default_limit": 20, "max_limit": 1000, "fields": {}, "filtering": {"x": 3}}`},
			{"/api/v1/" + reports[0] + "/schema/", `{"allowed_detail_http_methods": [], "allowed_list_http_methods": ["get"], "default_format": "application/json", "default_limit": 20, "max_limit": 1000, "fields": {}, "ordering": [], "verbose_name": "x", "dimensions": {}}`},
			{"/api/v1/", `{"pattern": {"list_endpoint": "/api/v1/pattern/"}}`},
			{"/api/v1/pattern/", `{"error": {"code": "oops", "message": "x"}}`},
		} {
			status := 200
			if strings.Contains(bad.body, `"error"`) {
				status = 400
			}
			if err := o.validate("GET", bad.url, status, []byte(bad.body)); err == nil {
				t.Errorf("GET %s validated %s", bad.url, bad.body)
			}
		}
	})
}
