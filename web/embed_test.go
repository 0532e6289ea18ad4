//go:build !noweb

package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

var testDist = fstest.MapFS{
	"index.html":                 {Data: []byte(`<!doctype html><script type="module" src="/assets/index-abc123.js"></script>`)},
	"assets/index-abc123.js":     {Data: []byte(`console.log("dash")`)},
	"assets/index-def456.css":    {Data: []byte(`body{}`)},
	"robots.txt":                 {Data: []byte("User-agent: *\n")},
	"assets/nested/font-1.woff2": {Data: []byte("wOF2")},
}

func TestHandler(t *testing.T) {
	h := newHandler(testDist)
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		cache       string
		contentType string
		bodyHas     string
	}{
		{"root is index", "GET", "/", 200, "no-cache", "text/html; charset=utf-8", "<!doctype html>"},
		{"index.html itself", "GET", "/index.html", 200, "no-cache", "text/html; charset=utf-8", "<!doctype html>"},
		{"hashed script is immutable", "GET", "/assets/index-abc123.js", 200, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", "dash"},
		{"hashed stylesheet is immutable", "GET", "/assets/index-def456.css", 200, "public, max-age=31536000, immutable", "text/css; charset=utf-8", "body"},
		{"nested asset", "GET", "/assets/nested/font-1.woff2", 200, "public, max-age=31536000, immutable", "font/woff2", "wOF2"},
		{"other root file revalidates", "GET", "/robots.txt", 200, "no-cache", "text/plain; charset=utf-8", "User-agent"},
		{"client route falls back to index", "GET", "/a/c-a-demo-gb/config/pattern", 200, "no-cache", "text/html; charset=utf-8", "<!doctype html>"},
		{"login route falls back", "GET", "/login", 200, "no-cache", "text/html; charset=utf-8", "<!doctype html>"},
		{"route with query falls back", "GET", "/a/x/reports?period=last_7_days", 200, "no-cache", "text/html; charset=utf-8", "<!doctype html>"},
		{"HEAD of a route", "HEAD", "/a/x/config", 200, "no-cache", "text/html; charset=utf-8", ""},
		{"unknown asset is 404", "GET", "/assets/index-000000.js", 404, "", "", ""},
		{"unknown file with extension is 404", "GET", "/favicon.ico", 404, "", "", ""},
		{"directory is 404", "GET", "/assets/nested.x/", 404, "", "", ""},
		{"api is never the dash", "GET", "/api/v1/nope/", 404, "", "", ""},
		{"api without slash", "GET", "/api", 404, "", "", ""},
		{"collect", "GET", "/collect", 404, "", "", ""},
		{"collect pixel", "GET", "/collect/pixel.gif", 404, "", "", ""},
		{"healthz", "GET", "/healthz", 404, "", "", ""},
		{"tag.js", "GET", "/tag.js", 404, "", "", ""},
		{"a route that only starts like collect", "GET", "/collections", 200, "no-cache", "text/html; charset=utf-8", "<!doctype html>"},
		{"dot segments are cleaned", "GET", "/a/../assets/index-abc123.js", 200, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", "dash"},
		{"POST is not allowed", "POST", "/a/x/config", 405, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", res.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				if strings.Contains(string(body), "<!doctype html>") {
					t.Errorf("a %d must not serve index.html", tt.status)
				}
				if got := res.Header.Get("Cache-Control"); strings.Contains(got, "immutable") {
					t.Errorf("Cache-Control = %q on an error", got)
				}
				return
			}
			if got := res.Header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			if got := res.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if !strings.Contains(string(body), tt.bodyHas) {
				t.Errorf("body %q does not contain %q", body, tt.bodyHas)
			}
			if tt.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD returned a body")
			}
		})
	}
}

func TestHandlerConditionalAsset(t *testing.T) {
	h := newHandler(testDist)
	req := httptest.NewRequest("GET", "/assets/index-abc123.js", nil)
	req.Header.Set("Range", "bytes=0-6")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "console" {
		t.Fatalf("range request: %d %q", rec.Code, rec.Body.String())
	}
}

func TestHandlerWithoutIndex(t *testing.T) {
	h := newHandler(fstest.MapFS{"assets/a-1.js": {Data: []byte("x")}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/a/x/config", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", rec.Code)
	}
}

// TestEmbeddedDist checks the committed build: index.html is served at /
// and at client routes, and every asset it references is served immutable.
func TestEmbeddedDist(t *testing.T) {
	h := Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/a/c-a-demo-gb/config", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `<div id="root">`) {
		t.Fatalf("client route: %d %q", rec.Code, rec.Body.String())
	}
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(rec.Body.String(), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d assets, want a script and a stylesheet", len(refs))
	}
	for _, m := range refs {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", m[1], nil))
		if rec.Code != 200 || rec.Header().Get("Cache-Control") != cacheImmutable || rec.Body.Len() == 0 {
			t.Errorf("%s: %d, Cache-Control %q, %d bytes", m[1], rec.Code, rec.Header().Get("Cache-Control"), rec.Body.Len())
		}
	}
}
