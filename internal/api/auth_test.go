package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

func login(t *testing.T, f *apitest.Fixture, email, password string) (*httptest.ResponseRecorder, string, string) {
	t.Helper()
	rec := f.Do(apitest.Request{Method: "POST", URL: "/api/v1/auth/login/", Body: fmt.Sprintf(`{"email": %q, "password": %q}`, email, password), Auth: "none"})
	var session, csrf string
	for _, c := range rec.Result().Cookies() {
		switch c.Name {
		case "sessionid":
			session = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("sessionid cookie flags: %+v", c)
			}
		case "csrftoken":
			csrf = c.Value
			if c.HttpOnly {
				t.Errorf("csrftoken must be readable by scripts")
			}
		}
	}
	return rec, session, csrf
}

func TestAuthentication(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		rec, session, csrf := login(t, f, apitest.Alice, f.Password)
		if rec.Code != 200 || session == "" || csrf == "" {
			t.Fatalf("login: %d %s", rec.Code, rec.Body.String())
		}
		me := decode(t, rec)
		if me["email"] != apitest.Alice || len(me["accounts"].([]any)) != 1 {
			t.Fatalf("me: %v", me)
		}
		cookies := "sessionid=" + session + "; csrftoken=" + csrf
		withSession := func(method, u, body string, hdr map[string]string) apitest.Request {
			h := map[string]string{"Cookie": cookies}
			for k, v := range hdr {
				h[k] = v
			}
			return apitest.Request{Method: method, URL: u, Body: body, Auth: "none", Headers: h}
		}
		wrong := f.Do(apitest.Request{Method: "POST", URL: "/api/v1/auth/login/", Body: `{"email": "alice@example.com", "password": "nope"}`, Auth: "none"})
		unknown := f.Do(apitest.Request{Method: "POST", URL: "/api/v1/auth/login/", Body: `{"email": "nobody@example.com", "password": "nope"}`, Auth: "none"})
		if wrong.Code != 401 || unknown.Code != 401 || wrong.Body.String() != unknown.Body.String() {
			t.Errorf("wrong password and unknown email must give identical 401s:\n%s\n%s", wrong.Body.String(), unknown.Body.String())
		}
		run(t, f, []scenario{
			{req: withSession("GET", "/api/v1/auth/me/", "", nil), status: 200, check: field("email", apitest.Alice)},
			{req: withSession("GET", "/api/v1/channel/"+A, "", nil), status: 200, total: 4, ids: []int64{1, 2, 3, 4}},
			{req: withSession("POST", "/api/v1/channel/"+A, `{"name": "S1"}`, nil), status: 403, code: "forbidden", names: "CSRF"},
			{req: withSession("POST", "/api/v1/channel/"+A, `{"name": "S1"}`, map[string]string{"X-CSRFToken": "wrong"}), status: 403, code: "forbidden"},
			{req: withSession("POST", "/api/v1/channel/"+A, `{"name": "S1"}`, map[string]string{"X-CSRFToken": csrf}), status: 201},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Body: `{"name": "K1"}`}, status: 201},
			{req: apitest.Request{URL: "/api/v1/channel/" + A, Headers: map[string]string{"Authorization": "apikey alice@example.com:abc123"}, Auth: "none"}, status: 200},
			{req: apitest.Request{URL: "/api/v1/channel/" + A + "&username=alice%40example.com&api_key=abc123", Auth: "none"}, status: 200},
			{req: apitest.Request{URL: "/api/v1/channel/" + A, Headers: map[string]string{"Authorization": "ApiKey alice@example.com:wrong"}, Auth: "none"}, status: 401, code: "unauthenticated",
				headers: map[string]string{"WWW-Authenticate": `ApiKey realm="cubed"`}},
			{req: apitest.Request{URL: "/api/v1/channel/" + A + "&username=alice%40example.com&api_key=wrong", Auth: "none", Headers: map[string]string{"Cookie": cookies}}, status: 401, code: "unauthenticated"},
			{req: apitest.Request{URL: "/api/v1/channel/" + A, Headers: map[string]string{"Authorization": "Bearer xyz"}, Auth: "none"}, status: 401, code: "unauthenticated"},
			{req: apitest.Request{URL: "/api/v1/channel/" + A, Auth: "none"}, status: 401, code: "unauthenticated"},
			{req: withSession("POST", "/api/v1/auth/logout/", "", map[string]string{"X-CSRFToken": csrf}), status: 204},
			{req: withSession("GET", "/api/v1/channel/"+A, "", nil), status: 401, code: "unauthenticated"},
		})
	})
}

func TestLoginThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		for i := 0; i < 5; i++ {
			if rec, _, _ := login(t, f, apitest.Victor, "wrong password"); rec.Code != 401 {
				t.Fatalf("attempt %d: %d", i+1, rec.Code)
			}
		}
		rec, _, _ := login(t, f, apitest.Victor, f.Password)
		if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"throttled"`) {
			t.Fatalf("6th login with the right password: %d %v %s", rec.Code, rec.Header(), rec.Body.String())
		}
		if rec, _, _ := login(t, f, apitest.Alice, f.Password); rec.Code != 200 {
			t.Fatalf("another email from the same IP must still log in: %d", rec.Code)
		}
	})
}

func TestRequestThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{UserPerMinute: 3})
		for i := 0; i < 3; i++ {
			if rec := f.Do(get("/api/v1/channel/" + A)); rec.Code != 200 {
				t.Fatalf("request %d: %d", i, rec.Code)
			}
		}
		run(t, f, []scenario{
			{req: get("/api/v1/channel/" + A), status: 429, code: "throttled", check: func(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
				if rec.Header().Get("Retry-After") == "" {
					t.Error("no Retry-After")
				}
			}},
			{req: apitest.Request{URL: "/api/v1/channel/" + A, Auth: "victor"}, status: 200},
			// 401 and 405 do not count.
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/1/" + A, Body: "{}", Auth: "olga"}, status: 405},
		})
	})
}

func TestTenancy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		O := "?account=c-a-other-gb"
		run(t, f, []scenario{
			{req: get("/api/v1/channel/"), status: 400, code: "bad_request", names: "account"},
			{req: get("/api/v1/channel/" + O), status: 403, code: "forbidden"},
			{req: get("/api/v1/channel/1/" + O), status: 404, code: "not_found"},
			{req: get("/api/v1/channel/set/1/" + O), status: 403, code: "forbidden"},
			{req: get("/api/v1/channel/?account=c-a-nope-gb"), status: 403, code: "forbidden"},
			{req: get("/api/v1/channel/1/?account=c-a-nope-gb"), status: 404, code: "not_found"},
			{req: get("/api/v1/channel/?account=" + fmt.Sprint(f.Demo.ID)), status: 200, ids: []int64{1, 2, 3, 4}, total: 4},
			// Channel 5 exists only in the other account's database.
			{req: get("/api/v1/channel/5/" + A), status: 404, code: "not_found"},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + A, Body: `{"name": "V"}`, Auth: "victor"}, status: 403, code: "forbidden"},
			{req: apitest.Request{Method: "DELETE", URL: "/api/v1/pattern/1/" + A, Auth: "victor"}, status: 403, code: "forbidden"},
			{req: apitest.Request{URL: "/api/v1/pattern/1/" + A, Auth: "victor"}, status: 200},
			{req: apitest.Request{URL: "/api/v1/channel/5/" + O, Auth: "stan"}, status: 200, check: field("name", "Secret")},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/channel/" + O, Body: `{"name": "By staff"}`, Auth: "stan"}, status: 201},
			// Control resources are filtered to the caller's accounts.
			{req: get("/api/v1/account/"), status: 200, ids: []int64{f.Demo.ID}, total: 1},
			{req: get(fmt.Sprintf("/api/v1/account/%d/", f.Other.ID)), status: 404, code: "not_found"},
			{req: apitest.Request{URL: "/api/v1/account/", Auth: "stan"}, status: 200, ids: []int64{f.Demo.ID, f.Other.ID}, total: 2},
			{req: get("/api/v1/membership/"), status: 200, total: 2, ids: []int64{1, 2}},
			{req: apitest.Request{URL: "/api/v1/membership/", Auth: "olga"}, status: 200, total: 1, ids: []int64{3}},
			{req: apitest.Request{Method: "PATCH", URL: fmt.Sprintf("/api/v1/account/%d/", f.Demo.ID), Body: `{"domain": "x.example.com"}`}, status: 403, code: "forbidden"},
			{req: apitest.Request{Method: "PATCH", URL: fmt.Sprintf("/api/v1/account/%d/", f.Other.ID), Body: `{"domain": "x.example.com"}`, Auth: "olga"}, status: 200, check: field("domain", "x.example.com")},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/membership/", Body: fmt.Sprintf(`{"account": "/api/v1/account/%d/", "user": "/api/v1/user/1/", "role": "viewer"}`, f.Other.ID)}, status: 403, code: "forbidden"},
			{req: apitest.Request{Method: "POST", URL: "/api/v1/membership/", Body: fmt.Sprintf(`{"account": "/api/v1/account/%d/", "user": "/api/v1/user/1/", "role": "viewer"}`, f.Other.ID), Auth: "olga"}, status: 201},
			{req: get("/api/v1/user/"), status: 200, total: 1, ids: []int64{1}, check: noSecrets},
			{req: apitest.Request{URL: "/api/v1/user/", Auth: "olga"}, status: 200, total: 2, ids: []int64{1, 3}, check: noSecrets},
			{req: apitest.Request{URL: "/api/v1/user/", Auth: "stan"}, status: 200, total: 4, check: noSecrets},
			{req: apitest.Request{URL: "/api/v1/api-key/", Auth: "olga"}, status: 200, total: 1, ids: []int64{3}, check: noSecrets},
		})
	})
}

func noSecrets(t *testing.T, rec *httptest.ResponseRecorder, _ map[string]any) {
	t.Helper()
	for _, s := range []string{"password", "argon2", "key_hash", "olga123", "abc123", "token_enc"} {
		if strings.Contains(rec.Body.String(), s) {
			t.Errorf("response leaks %q: %s", s, rec.Body.String())
		}
	}
}

func TestInternalErrorEnvelope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		d, release, err := f.App.Tenants.Acquire(context.Background(), f.Demo)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(context.Background(), `DROP TABLE "market"`); err != nil {
			t.Fatal(err)
		}
		release()
		rec := f.Do(apitest.Request{URL: "/api/v1/market/" + A, Headers: map[string]string{"X-Request-Id": "req-42"}})
		body := rec.Body.String()
		if rec.Code != 500 || rec.Header().Get("X-Request-Id") != "req-42" ||
			!strings.Contains(body, `"code":"internal"`) || !strings.Contains(body, `"request_id":"req-42"`) {
			t.Fatalf("500: %d %s", rec.Code, body)
		}
		for _, leak := range []string{"market", "SQL", "sql", "relation", "table", "goroutine", ".go:"} {
			if strings.Contains(body, leak) {
				t.Errorf("500 body leaks %q: %s", leak, body)
			}
		}
	})
}

// TestInjection feeds classic injection strings into every filter,
// ordering and value position: the answer is 400 or a normal result, never
// a database error, and nothing changes.
func TestInjection(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{UserPerMinute: 1 << 30})
		payloads := []string{`' OR '1'='1`, `1; DROP TABLE pattern; --`, `") OR 1=1 --`, `1 UNION SELECT password_hash FROM "user"`,
			`\' OR 1=1 #`, `%' --`, `1)) OR ((1=1`, "x\x00y", `'; SELECT pg_sleep(5); --`, `*/ OR /*`}
		res, _ := f.App.Resources.Get("pattern")
		var keys []string
		for _, fl := range res.Fields() {
			keys = append(keys, fl.Name, fl.Name+"__in", fl.Name+"__contains", fl.Name+"__regex", fl.Name+"__gt")
		}
		keys = append(keys, "channel__name", "channel__name__iexact")
		for _, p := range payloads {
			for _, k := range keys {
				for _, u := range []string{
					"/api/v1/pattern/" + A + "&" + url.QueryEscape(k) + "=" + url.QueryEscape(p),
					"/api/v1/pattern/" + A + "&" + url.QueryEscape(p) + "=1",
					"/api/v1/pattern/" + A + "&order_by=" + url.QueryEscape(p),
					"/api/v1/pattern/" + A + "&limit=" + url.QueryEscape(p),
					"/api/v1/pattern/set/" + url.PathEscape(p) + "/" + A,
				} {
					rec := f.Do(get(u))
					if rec.Code != 200 && rec.Code != 400 && rec.Code != 404 {
						t.Fatalf("%s: %d %s", u, rec.Code, rec.Body.String())
					}
				}
			}
			rec := f.Do(req("POST", "/api/v1/channel/"+A, fmt.Sprintf(`{"name": %q}`, p)))
			if rec.Code != 201 && rec.Code != 400 {
				t.Fatalf("POST %q: %d %s", p, rec.Code, rec.Body.String())
			}
		}
		run(t, f, []scenario{{req: get("/api/v1/pattern/" + A + "&active__in=true,false"), status: 200, total: 20, ids: nil}})
	})
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", s)
	if err != nil {
		t.Fatal(err)
	}
	return ts.UTC()
}

func TestHealthReadyAndHeaders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		for _, path := range []string{"/healthz", "/readyz"} {
			rec := f.Do(apitest.Request{URL: path, Auth: "none"})
			if rec.Code != 200 {
				t.Errorf("%s: %d %s", path, rec.Code, rec.Body.String())
			}
		}
		rec := f.Do(get("/api/v1/channel/" + A))
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "strict-origin-when-cross-origin"} {
			if got := rec.Header().Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("CSP %q", csp)
		}
	})
}
