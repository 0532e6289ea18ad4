package api_test

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"net/url"
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
