package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/apps/integrations/fake"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/secret"
)

var _ api.Integrations = (*integrations.Service)(nil)

// connectWorld is the API fixture served on a real listener with the
// connect flow wired to an in-process fake provider.
type connectWorld struct {
	f     *apitest.Fixture
	fake  *fake.Server
	svc   *integrations.Service
	cubed *httptest.Server
	fakes *httptest.Server
}

func newConnectWorld(t *testing.T, tg dbtest.Target, opt fake.Options) *connectWorld {
	t.Helper()
	w := &connectWorld{f: apitest.New(t, tg, api.Limits{}), fake: fake.New(opt)}
	w.fakes = httptest.NewServer(w.fake)
	t.Cleanup(w.fakes.Close)
	var mu sync.Mutex
	var handler http.Handler
	w.cubed = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := handler
		mu.Unlock()
		h.ServeHTTP(rw, r)
	}))
	t.Cleanup(w.cubed.Close)
	box, err := secret.New([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	a := w.f.App
	w.svc, err = integrations.New(integrations.Options{Config: fake.Config(w.fakes.URL, w.cubed.URL), Box: box, Control: a.Control, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Deps{Log: slog.New(slog.DiscardHandler), Control: a.Control, Tenants: a.Tenants, Auth: a.Auth,
		Resources: a.Resources, Reports: a.Reports, Integrations: w.svc})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	handler = h
	mu.Unlock()
	return w
}

// browser is a cookie-keeping client that records the URLs it visits.
type browser struct {
	t       *testing.T
	c       *http.Client
	visited []*url.URL
	// stopAt, when set, stops following redirects at a URL whose path
	// has this prefix (the request is not made).
	stopAt string
}

func (w *connectWorld) browser(t *testing.T, email string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		b.visited = append(b.visited, req.URL)
		if b.stopAt != "" && strings.HasPrefix(req.URL.Path, b.stopAt) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	if email != "" {
		resp := b.do("POST", w.cubed.URL+"/api/v1/auth/login/", `{"email": "`+email+`", "password": "`+w.f.Password+`"}`)
		if resp.StatusCode != 200 {
			t.Fatalf("login %s: %d", email, resp.StatusCode)
		}
	}
	return b
}

func (b *browser) csrf(base string) string {
	u, _ := url.Parse(base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "csrftoken" {
			return c.Value
		}
	}
	return ""
}

type response struct {
	StatusCode int
	URL        *url.URL
	Header     http.Header
	Body       string
}

func (b *browser) do(method, u, body string) response {
	b.t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != "GET" {
		req.Header.Set("X-CSRFToken", b.csrf(u))
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{StatusCode: resp.StatusCode, URL: resp.Request.URL, Header: resp.Header, Body: string(raw)}
}

func errCode(t *testing.T, r response) string {
	t.Helper()
	var env struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(r.Body), &env)
	return env.Error.Code
}

func (w *connectWorld) connections(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.f.App.Control.QueryRow(context.Background(), `SELECT count(*) FROM "integration_connection"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// noTokens fails when a body could contain a token.
func noTokens(t *testing.T, body string) {
	t.Helper()
	for _, bad := range []string{"fake-at-", "fake-rt-", "token_enc", "access_token", "refresh_token", "v1:", "pkce"} {
		if strings.Contains(body, bad) {
			t.Fatalf("response contains %q: %s", bad, body)
		}
	}
}

func TestConnectFlowHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		w := newConnectWorld(t, tg, fake.Options{})
		base := w.cubed.URL
		acct := w.f.Demo.Token

		// Anonymous, viewer and outsider cannot start connecting.
		anon := w.browser(t, "")
		if r := anon.do("GET", base+"/integrations/google/connect?account="+acct, ""); r.StatusCode != 401 || errCode(t, r) != "unauthenticated" {
			t.Fatalf("anonymous connect: %d %s", r.StatusCode, r.Body)
		}
		if r := w.browser(t, apitest.Victor).do("GET", base+"/integrations/google/connect?account="+acct, ""); r.StatusCode != 403 {
			t.Fatalf("viewer connect: %d %s", r.StatusCode, r.Body)
		}
		olga := w.browser(t, apitest.Olga)
		if r := olga.do("GET", base+"/integrations/google/connect?account="+acct, ""); r.StatusCode != 403 {
			t.Fatalf("outsider connect: %d %s", r.StatusCode, r.Body)
		}
		alice := w.browser(t, apitest.Alice)
		if r := alice.do("GET", base+"/integrations/tiktok/connect?account="+acct, ""); r.StatusCode != 404 {
			t.Fatalf("unknown provider: %d %s", r.StatusCode, r.Body)
		}
		if r := alice.do("GET", base+"/integrations/google/connect", ""); r.StatusCode != 400 {
			t.Fatalf("no account: %d %s", r.StatusCode, r.Body)
		}

		// The full flow, following redirects: connect → provider consent
		// → callback → the dash.
		r := alice.do("GET", base+"/integrations/google/connect?account="+acct, "")
		if r.URL.Path != "/a/"+acct+"/integrations" || r.URL.Query().Get("connected") == "" || r.URL.Query().Get("provider") != "google" {
			t.Fatalf("flow ended at %s (%d %s)", r.URL, r.StatusCode, r.Body)
		}
		var callback *url.URL
		for _, u := range alice.visited {
			if strings.HasPrefix(u.Path, "/integrations/google/callback") {
				callback = u
			}
			if u.Path == "/google/auth" && (u.Query().Get("code_challenge") == "" || u.Query().Get("code_challenge_method") != "S256") {
				t.Fatalf("authorize without PKCE: %s", u)
			}
		}
		if callback == nil || callback.Query().Get("state") == "" {
			t.Fatalf("no callback in %v", alice.visited)
		}
		if w.connections(t) != 1 {
			t.Fatalf("connections: %d", w.connections(t))
		}
		// Replay: the same callback again is refused, nothing stored.
		if r := alice.do("GET", callback.String(), ""); r.StatusCode != 400 || errCode(t, r) != "bad_request" {
			t.Fatalf("replay: %d %s", r.StatusCode, r.Body)
		}
		// The connection resource shows it, without tokens.
		list := alice.do("GET", base+"/api/v1/connection/?account="+acct, "")
		if list.StatusCode != 200 || !strings.Contains(list.Body, `"provider":"google"`) || !strings.Contains(list.Body, `"external_account_id":"1234567890"`) ||
			!strings.Contains(list.Body, `"status":"active"`) || !strings.Contains(list.Body, `"site_url":"sc-domain:shop.example.com"`) {
			t.Fatalf("connection list: %d %s", list.StatusCode, list.Body)
		}
		noTokens(t, list.Body)
		// Raw columns hold sealed values, not tokens.
		var access, refresh string
		if err := w.f.App.Control.QueryRow(context.Background(), `SELECT "access_token_enc", "refresh_token_enc" FROM "integration_connection"`).Scan(&access, &refresh); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(access, "v1:") || !strings.HasPrefix(refresh, "v1:") || strings.Contains(access+refresh, "fake-") {
			t.Fatalf("tokens not sealed: %q %q", access, refresh)
		}

		// A foreign user's state: Olga cannot complete Alice's attempt; the
		// attempt still works for Alice afterwards.
		alice.stopAt = "/integrations/meta_ads/callback"
		r = alice.do("GET", base+"/integrations/meta_ads/connect?account="+acct, "")
		if r.StatusCode != 302 {
			t.Fatalf("stopping before the callback: %d %s", r.StatusCode, r.Body)
		}
		cb := r.Header.Get("Location")
		before := w.connections(t)
		if r := olga.do("GET", cb, ""); r.StatusCode != 403 || errCode(t, r) != "forbidden" {
			t.Fatalf("foreign user's state: %d %s", r.StatusCode, r.Body)
		}
		if w.connections(t) != before {
			t.Fatal("a foreign callback stored a connection")
		}
		alice.stopAt = ""
		if r := alice.do("GET", cb, ""); r.URL.Query().Get("connected") == "" {
			t.Fatalf("owner after a foreign attempt: %s %d %s", r.URL, r.StatusCode, r.Body)
		}

		// A revoked grant marks the connection broken, visible in the API.
		w.fake.Revoke(integrations.Google)
		var id int64
		if err := w.f.App.Control.QueryRow(context.Background(), `SELECT "id" FROM "integration_connection" WHERE "provider" = 'google'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Token(context.Background(), id, true); err == nil {
			t.Fatal("refreshing a revoked grant must fail")
		}
		detail := alice.do("GET", base+"/api/v1/connection/"+itoa64(id)+"/?account="+acct, "")
		if !strings.Contains(detail.Body, `"status":"broken"`) || !strings.Contains(detail.Body, "revoked") {
			t.Fatalf("broken connection detail: %s", detail.Body)
		}
		noTokens(t, detail.Body)

		// Disconnect: admin only (Alice is an editor), soft delete.
		if r := alice.do("DELETE", base+"/api/v1/connection/"+itoa64(id)+"/?account="+acct, ""); r.StatusCode != 403 {
			t.Fatalf("editor disconnect: %d %s", r.StatusCode, r.Body)
		}
		stan := w.browser(t, apitest.Stan)
		if r := stan.do("DELETE", base+"/api/v1/connection/"+itoa64(id)+"/", ""); r.StatusCode != 204 {
			t.Fatalf("staff disconnect: %d %s", r.StatusCode, r.Body)
		}
		if l := alice.do("GET", base+"/api/v1/connection/?account="+acct, ""); strings.Contains(l.Body, `"provider":"google"`) {
			t.Fatalf("a disconnected connection is still listed: %s", l.Body)
		}
	})
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestConnectPickHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		accts := fake.DefaultAccounts()
		accts[integrations.MetaAds] = append(accts[integrations.MetaAds], fake.Account{ID: "880000000002", Name: "Second", Currency: "GBP"})
		w := newConnectWorld(t, tg, fake.Options{Accounts: accts})
		base, acct := w.cubed.URL, w.f.Demo.Token
		alice := w.browser(t, apitest.Alice)
		r := alice.do("GET", base+"/integrations/meta_ads/connect?account="+acct, "")
		pick := r.URL.Query().Get("pick")
		if r.URL.Path != "/a/"+acct+"/integrations" || pick == "" {
			t.Fatalf("two ad accounts must ask to pick: %s", r.URL)
		}
		ch := alice.do("GET", base+"/api/v1/connection/"+pick+"/choices/", "")
		if ch.StatusCode != 200 || !strings.Contains(ch.Body, `"id":"880000000002"`) {
			t.Fatalf("choices: %d %s", ch.StatusCode, ch.Body)
		}
		noTokens(t, ch.Body)
		olga := w.browser(t, apitest.Olga)
		if r := olga.do("GET", base+"/api/v1/connection/"+pick+"/choices/", ""); r.StatusCode != 404 {
			t.Fatalf("another account's connection: %d", r.StatusCode)
		}
		if r := olga.do("POST", base+"/api/v1/connection/"+pick+"/select/", `{"external_account_id": "880000000002"}`); r.StatusCode != 404 {
			t.Fatalf("another account's select: %d", r.StatusCode)
		}
		// CSRF is required for the session POST.
		req, _ := http.NewRequest("POST", base+"/api/v1/connection/"+pick+"/select/", strings.NewReader(`{"external_account_id": "880000000002"}`))
		req.Header.Set("Content-Type", "application/json")
		if resp, err := alice.c.Do(req); err != nil || resp.StatusCode != 403 {
			t.Fatalf("select without CSRF: %v %v", resp, err)
		}
		if r := alice.do("POST", base+"/api/v1/connection/"+pick+"/select/", `{"external_account_id": "nope"}`); r.StatusCode != 400 || errCode(t, r) != "validation_failed" ||
			!strings.Contains(r.Body, `"external_account_id"`) {
			t.Fatalf("bad select: %d %s", r.StatusCode, r.Body)
		}
		sel := alice.do("POST", base+"/api/v1/connection/"+pick+"/select/", `{"external_account_id": "880000000002"}`)
		if sel.StatusCode != 200 || !strings.Contains(sel.Body, `"external_account_id":"880000000002"`) || !strings.Contains(sel.Body, `"name":"Second"`) {
			t.Fatalf("select: %d %s", sel.StatusCode, sel.Body)
		}
		noTokens(t, sel.Body)
		// The API-key route works too (no CSRF), for an editor.
		req, _ = http.NewRequest("POST", base+"/api/v1/connection/"+pick+"/select/", strings.NewReader(`{"external_account_id": "880000000001"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "ApiKey "+apitest.Alice+":"+apitest.AliceKey)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("select with an API key: %v %v", resp, err)
		}
	})
}
