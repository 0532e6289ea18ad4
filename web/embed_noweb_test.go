//go:build noweb

package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNoWebHandler(t *testing.T) {
	for _, p := range []string{"/", "/a/x/config", "/assets/index-abc.js"} {
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), "not built into this binary") {
			t.Errorf("%s: %d %q", p, rec.Code, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
	}
}
