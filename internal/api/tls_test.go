package api_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// TestTransportSecurity: behind TLS every answer carries HSTS and the
// session cookies are Secure; over plain HTTP (loopback, a TLS-terminating
// proxy's backend) there is no HSTS and the cookies cannot be Secure. In
// both cases sessionid is HttpOnly and SameSite=Lax on path /, and
// csrftoken is readable by the dash's scripts.
func TestTransportSecurity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		for _, c := range []struct {
			name string
			tls  bool
		}{{"plain HTTP", false}, {"TLS", true}} {
			t.Run(c.name, func(t *testing.T) {
				do := func(method, path, body string) *httptest.ResponseRecorder {
					req := httptest.NewRequest(method, path, strings.NewReader(body))
					if body != "" {
						req.Header.Set("Content-Type", "application/json")
					}
					if c.tls {
						req.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}
					}
					rec := httptest.NewRecorder()
					f.Handler.ServeHTTP(rec, req)
					return rec
				}
				for _, path := range []string{"/healthz", "/login", "/api/v1/"} {
					rec := do("GET", path, "")
					hsts := rec.Header().Get("Strict-Transport-Security")
					if c.tls && (!strings.Contains(hsts, "max-age=") || !strings.Contains(hsts, "includeSubDomains")) {
						t.Errorf("%s: HSTS %q behind TLS", path, hsts)
					}
					if !c.tls && hsts != "" {
						t.Errorf("%s: HSTS %q over plain HTTP", path, hsts)
					}
				}
				rec := do("POST", "/api/v1/auth/login/", fmt.Sprintf(`{"email": %q, "password": %q}`, apitest.Alice, f.Password))
				if rec.Code != http.StatusOK {
					t.Fatalf("login: %d %s", rec.Code, rec.Body.String())
				}
				got := map[string]*http.Cookie{}
				for _, ck := range rec.Result().Cookies() {
					got[ck.Name] = ck
				}
				s, x := got["sessionid"], got["csrftoken"]
				if s == nil || x == nil || s.Value == "" || x.Value == "" {
					t.Fatalf("login cookies: %v", rec.Result().Cookies())
				}
				if !s.HttpOnly || s.SameSite != http.SameSiteLaxMode || s.Path != "/" || s.Secure != c.tls {
					t.Errorf("sessionid flags: %+v", s)
				}
				if x.HttpOnly || x.SameSite != http.SameSiteLaxMode || x.Secure != c.tls {
					t.Errorf("csrftoken flags: %+v", x)
				}
			})
		}
	})
}
