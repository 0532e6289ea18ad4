// Package apitest builds the seeded API of spec/api.md §11 on a fresh
// database per dialect, for scenario tests against the real router.
package apitest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/auth"
	"github.com/cubedhq/cubed/internal/config"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/tenant"
)

// Fixture is the §11 world: account c-a-demo-gb with channels 1-4 and
// patterns 1-20, editor alice (API key abc123), plus a second account
// c-a-other-gb, a viewer, an outsider and a staff user.
type Fixture struct {
	App     *app.App
	Handler http.Handler
	Demo    tenant.Account
	Other   tenant.Account
	// Passwords by email.
	Password string
}

// Users of the fixture, all with password Fixture.Password.
const (
	Alice    = "alice@example.com"  // editor of demo, API key abc123
	Victor   = "victor@example.com" // viewer of demo, API key viewer123
	Olga     = "olga@example.com"   // admin of other only, API key olga123
	Stan     = "stan@example.com"   // staff, API key staff123
	AliceKey = "abc123"
)

// New builds the fixture on tg; limits tune the API.
func New(t *testing.T, tg dbtest.Target, limits api.Limits) *Fixture {
	t.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.DataDir = tg.DataDir
	cfg.ControlDSN = tg.ControlDSN
	cfg.PGDatabasePrefix = tg.PGPrefix
	reg := app.Registry()
	reg.Seeders = nil // the fixture seeds its own channels and patterns
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.Auth = auth.NewService(a.Control, auth.Params{Memory: 64, Time: 1, Threads: 1})
	if _, err := a.MigrateControl(ctx); err != nil {
		t.Fatal(err)
	}
	f := &Fixture{App: a, Password: "correct horse battery"}
	if f.Demo, err = a.Tenants.Create(ctx, tenant.CreateParams{Name: "demo", Country: "gb", TimeZone: "Europe/London", Currency: "GBP"}); err != nil {
		t.Fatal(err)
	}
	if f.Other, err = a.Tenants.Create(ctx, tenant.CreateParams{Name: "other", Country: "gb", TimeZone: "America/New_York", Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	users := []struct {
		email, key string
		staff      bool
		grants     map[int64]string
	}{
		{Alice, AliceKey, false, map[int64]string{f.Demo.ID: "editor"}},
		{Victor, "viewer123", false, map[int64]string{f.Demo.ID: "viewer"}},
		{Olga, "olga123", false, map[int64]string{f.Other.ID: "admin"}},
		{Stan, "staff123", true, nil},
	}
	for _, u := range users {
		usr, err := a.Auth.CreateUser(ctx, u.email, strings.Split(u.email, "@")[0], f.Password, u.staff)
		if err != nil {
			t.Fatal(err)
		}
		for acct, role := range u.grants {
			if err := a.Auth.Grant(ctx, usr.ID, acct, role); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.Control.Exec(ctx, `INSERT INTO "api_key" ("user_id", "prefix", "key_hash", "created") VALUES (?, ?, ?, ?)`,
			usr.ID, u.key[:3], auth.HashKey(u.key), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	d, release, err := a.Tenants.Acquire(ctx, f.Demo)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	SeedPatterns(t, d)
	o, release2, err := a.Tenants.Acquire(ctx, f.Other)
	if err != nil {
		t.Fatal(err)
	}
	defer release2()
	base := time.Date(2024, 1, 1, 8, 30, 0, 0, time.UTC)
	for i, n := range []string{"Direct", "Email", "SEO", "PPC", "Secret"} {
		if _, err := o.Exec(ctx, `INSERT INTO "channel" ("id", "name", "created", "updated") VALUES (?, ?, ?, ?)`, i+1, n, base, base); err != nil {
			t.Fatal(err)
		}
	}
	if o.Dialect() == db.Postgres {
		if _, err := o.Exec(ctx, `SELECT setval(pg_get_serial_sequence('channel', 'id'), 5)`); err != nil {
			t.Fatal(err)
		}
	}
	h, err := api.New(api.Deps{Log: slog.New(slog.DiscardHandler), Control: a.Control, Tenants: a.Tenants, Auth: a.Auth, Resources: a.Resources, Reports: a.Reports, Limits: limits,
		Uploads: attrib.Uploads{}})
	if err != nil {
		t.Fatal(err)
	}
	f.Handler = h
	return f
}

// SeedPatterns loads channels 1-4 and patterns 1-20 exactly as §11 says.
func SeedPatterns(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 8, 30, 0, 0, time.UTC)
	for i, n := range []string{"Direct", "Email", "SEO", "PPC"} {
		if _, err := d.Exec(ctx, `INSERT INTO "channel" ("id", "name", "created", "updated") VALUES (?, ?, ?, ?)`, i+1, n, base, base); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 20; i++ {
		ts := base.Add(time.Duration(i)*24*time.Hour + time.Duration(i)*time.Hour)
		if _, err := d.Exec(ctx, `INSERT INTO "pattern" ("id", "channel_id", "pattern", "match_on", "priority", "is_default", "active", "created", "updated") VALUES (?, ?, ?, 'referrer', ?, FALSE, ?, ?, ?)`,
			i, (i-1)%4+1, fmt.Sprintf("site%02d.example", i), 37*i%500, i%3 != 0, ts, ts); err != nil {
			t.Fatal(err)
		}
	}
	if d.Dialect() == db.Postgres {
		for _, tbl := range []string{"channel", "pattern"} {
			if _, err := d.Exec(ctx, `SELECT setval(pg_get_serial_sequence(?, 'id'), (SELECT max("id") FROM `+db.QuoteIdent(tbl)+`))`, tbl); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Request is one call.
type Request struct {
	Method  string
	URL     string
	Body    string
	Headers map[string]string
	// Key: API key user ("alice" by default); "none" sends no credentials.
	Auth string
}

// Do runs a request through the real router.
func (f *Fixture) Do(r Request) *httptest.ResponseRecorder {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	var body *strings.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	} else {
		body = strings.NewReader("")
	}
	// Build the request from a safe URL, then set the raw path and query as
	// given, so tests and fuzzers can send bytes a client could send.
	req := httptest.NewRequest(method, "/", body)
	path, rawQuery, _ := strings.Cut(r.URL, "?")
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", rawQuery
	if p, err := url.PathUnescape(path); err == nil && p != path {
		req.URL.Path, req.URL.RawPath = p, path
	}
	req.RequestURI = r.URL
	if r.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch r.Auth {
	case "", "alice":
		req.Header.Set("Authorization", "ApiKey "+Alice+":"+AliceKey)
	case "victor":
		req.Header.Set("Authorization", "ApiKey "+Victor+":viewer123")
	case "olga":
		req.Header.Set("Authorization", "ApiKey "+Olga+":olga123")
	case "stan":
		req.Header.Set("Authorization", "ApiKey "+Stan+":staff123")
	case "none":
	}
	for k, v := range r.Headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	f.Handler.ServeHTTP(rec, req)
	return rec
}
