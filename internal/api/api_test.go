package api_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// serverBasics is one request to the bare router and what must come back.
type serverBasics struct {
	name     string
	method   string
	path     string
	headers  map[string]string
	status   int
	body     map[string]any // the whole JSON body, when set
	location string         // Location header, when set
	check    func(t *testing.T, rec *httptest.ResponseRecorder, body map[string]any)
}

var generatedIDRe = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestServerBasics(t *testing.T) {
	resources, err := app.BuildResources(app.Registry())
	if err != nil {
		t.Fatal(err)
	}
	envelope := func(code, msg string) map[string]any {
		return map[string]any{"error": map[string]any{"code": code, "message": msg}}
	}
	cases := []serverBasics{
		{name: "healthz", path: "/healthz", status: 200, body: map[string]any{"status": "ok"}},
		{name: "api root", path: "/api/v1/", status: 200, check: func(t *testing.T, _ *httptest.ResponseRecorder, body map[string]any) {
			ch, ok := body["channel"].(map[string]any)
			if !ok || ch["list_endpoint"] != "/api/v1/channel/" || ch["schema"] != "/api/v1/channel/schema/" {
				t.Fatalf("root lists channel as %v", body["channel"])
			}
		}},
		{name: "api root without slash", path: "/api/v1", status: 301, location: "/api/v1/"},
		{name: "api root without slash keeps the query", path: "/api/v1?format=json&x=%2F", status: 301, location: "/api/v1/?format=json&x=%2F"},
		{name: "resource without slash keeps the query", path: "/api/v1/channel?limit=5", status: 301, location: "/api/v1/channel/?limit=5"},
		{name: "unknown path", path: "/no/such/page", status: 404, body: envelope("not_found", "No such path.")},
		{name: "unknown resource", path: "/api/v1/nope/", status: 404, body: envelope("not_found", `No resource named "nope".`)},
		{name: "request id echoed", path: "/no/such/page", headers: map[string]string{"X-Request-Id": "req-42"}, status: 404,
			check: func(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
				if got := rec.Header().Get("X-Request-Id"); got != "req-42" {
					t.Fatalf("X-Request-Id %q", got)
				}
			}},
	}
	for _, bad := range []string{"", "has space", "semi;colon", "<script>", strings.Repeat("a", 65), "ünïcode"} {
		cases = append(cases, serverBasics{name: "request id replaced: " + bad, path: "/healthz", headers: map[string]string{"X-Request-Id": bad}, status: 200,
			check: func(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
				if got := rec.Header().Get("X-Request-Id"); !generatedIDRe.MatchString(got) {
					t.Fatalf("X-Request-Id %q for %q, want a generated id", got, bad)
				}
			}})
	}
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		srv, err := api.New(api.Deps{Log: slog.New(slog.DiscardHandler), Control: tg.Open(t, "apicontrol"), Resources: resources})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				method := c.method
				if method == "" {
					method = "GET"
				}
				req := httptest.NewRequest(method, c.path, nil)
				for k, v := range c.headers {
					req.Header.Set(k, v)
				}
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != c.status {
					t.Fatalf("%s %s: %d, want %d\n%s", method, c.path, rec.Code, c.status, rec.Body.String())
				}
				if c.location != "" && rec.Header().Get("Location") != c.location {
					t.Fatalf("Location %q, want %q", rec.Header().Get("Location"), c.location)
				}
				if id := rec.Header().Get("X-Request-Id"); id == "" {
					t.Fatal("no X-Request-Id on the response")
				}
				var body map[string]any
				if c.body != nil || c.check != nil && rec.Code != 301 {
					if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
						t.Fatalf("Content-Type %q", ct)
					}
					if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
						t.Fatalf("body is not a JSON object: %v\n%s", err, rec.Body.String())
					}
				}
				if c.body != nil && !reflect.DeepEqual(body, c.body) {
					t.Fatalf("body %v, want %v", body, c.body)
				}
				if c.check != nil {
					c.check(t, rec, body)
				}
			})
		}
		t.Run("generated ids differ", func(t *testing.T) {
			seen := map[string]bool{}
			for range 20 {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
				seen[rec.Header().Get("X-Request-Id")] = true
			}
			if len(seen) != 20 {
				t.Fatalf("%d distinct ids in 20 requests", len(seen))
			}
		})
	})
}

// A handler that panics answers 500 with the envelope, its request id and
// nothing else; the panic goes to the log with that id.
func TestPanicEnvelope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		var logs bytes.Buffer
		boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("secret detail: password=hunter2 at /internal/x.go:12")
		})
		srv, err := api.New(api.Deps{Log: slog.New(slog.NewJSONHandler(&logs, nil)), Control: tg.Open(t, "apicontrol"), Web: boom})
		if err != nil {
			t.Fatal(err)
		}
		for _, given := range []string{"req-panic-1", ""} {
			req := httptest.NewRequest("GET", "/boom", nil)
			if given != "" {
				req.Header.Set("X-Request-Id", given)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			id := rec.Header().Get("X-Request-Id")
			if given != "" && id != given {
				t.Fatalf("X-Request-Id %q, want %q", id, given)
			}
			if rec.Code != 500 {
				t.Fatalf("status %d", rec.Code)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("%v: %s", err, rec.Body.String())
			}
			want := map[string]any{"error": map[string]any{"code": "internal", "message": "Internal error.", "request_id": id}}
			if !reflect.DeepEqual(body, want) {
				t.Fatalf("body %s, want %v", rec.Body.String(), want)
			}
			if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) || !strings.Contains(logs.String(), "hunter2") {
				t.Fatalf("the panic is not logged with its request id:\n%s", logs.String())
			}
		}
	})
}

// healthz answers 503 with the envelope when the control database is gone.
func TestHealthzDatabaseDown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		control := tg.Open(t, "apicontrol")
		srv, err := api.New(api.Deps{Log: slog.New(slog.DiscardHandler), Control: control})
		if err != nil {
			t.Fatal(err)
		}
		control.Close()
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		var body map[string]map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 503 {
			t.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
		if body["error"]["code"] != "unavailable" || body["error"]["request_id"] != rec.Header().Get("X-Request-Id") {
			t.Fatalf("body %s", rec.Body.String())
		}
	})
}
