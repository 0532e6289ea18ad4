package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/apps/integrations/fake"
	"github.com/cubedhq/cubed/internal/conductor"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/secret"
	"github.com/cubedhq/cubed/internal/tenant"
)

func TestFakeProviderCommand(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "integrations.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, Env{Stdout: &out, Stderr: &errb, Ready: func(a string) { ready <- a }},
			[]string{"fakeprovider", "--addr", "127.0.0.1:0", "--public-url", "https://cubed.example.com", "--write-config", cfgFile})
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("fakeprovider exited %d: %s", code, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("fakeprovider did not start")
	}
	cfg, err := integrations.LoadConfig(cfgFile)
	if err != nil {
		t.Fatalf("written config: %v", err)
	}
	if cfg.RedirectURL("google") != "https://cubed.example.com/integrations/google/callback" ||
		cfg.Providers["google"].TokenURL != "http://"+addr+"/google/token" {
		t.Fatalf("config %+v", cfg.Providers["google"])
	}
	resp, err := http.Post("http://"+addr+"/_control/fail", "application/json", strings.NewReader(`{"provider": "google", "kind": "429", "count": 1}`))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("control: %v %v", resp, err)
	}
	resp, err = http.Get("http://" + addr + "/google/ads/customers:listAccessibleCustomers")
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "30" {
		t.Fatalf("injected 429: %v %v", resp, err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "fake provider at http://"+addr) {
		t.Fatalf("stdout: %s", out.String())
	}
}

// integrationsApp opens a migrated app with one account and user.
func integrationsApp(t *testing.T, tg dbtest.Target, dataDir string) (*cli, *app.App, tenant.Account, int64) {
	t.Helper()
	ctx := context.Background()
	cfg := defaultsForTest()
	cfg.DataDir = dataDir
	cfg.ControlDSN = tg.ControlDSN
	cfg.PGDatabasePrefix = tg.PGPrefix
	c := &cli{env: Env{Stdout: io.Discard, Stderr: io.Discard}, cfg: cfg}
	a, err := app.Open(ctx, cfg, discardLogger(), app.Registry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.MigrateControl(ctx); err != nil {
		t.Fatal(err)
	}
	acct, err := a.Tenants.Get(ctx, "c-a-demo-gb")
	if err != nil {
		acct, err = a.Tenants.Create(ctx, tenant.CreateParams{Name: "demo", Country: "gb", Domain: "shop.example.com", TimeZone: "Europe/London", Currency: "GBP"})
	}
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.Auth.UserByEmail(ctx, "demo@example.com")
	if err != nil {
		u, err = a.Auth.CreateUser(ctx, "demo@example.com", "Demo", "correct horse battery", false)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, a, acct, u.ID
}

func TestDemoIntegrations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		dataDir := filepath.Join(tg.DataDir, "data")
		for round := 1; round <= 2; round++ { // a restart reconnects and re-imports the same rows
			c, a, acct, user := integrationsApp(t, tg, dataDir)
			svc, stop, err := c.demoIntegrations(ctx, a, acct, user, 7)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if svc == nil {
				t.Fatal("demo integrations must be on")
			}
			st, err := os.Stat(filepath.Join(dataDir, "secret.key"))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("secret key file: %v %v", st, err)
			}
			for _, name := range []string{"import_ad_costs_google", "import_ad_costs_microsoft_ads", "import_ad_costs_meta_ads", "import_search_console", "update_seo_keywords", "update_seo_ranks"} {
				if _, ok := a.Reg.Commands.Get(name); !ok {
					t.Fatalf("command %s not registered", name)
				}
			}
			g, err := a.Reg.Commands.Graph()
			if err != nil {
				t.Fatal(err)
			}
			if kids := strings.Join(g.Children("import_search_console"), ","); !strings.Contains(kids, "update_seo_keywords") || !strings.Contains(kids, "update_seo_ranks") {
				t.Fatalf("import_search_console children: %s", kids)
			}
			var conns int
			if err := a.Control.QueryRow(ctx, `SELECT count(*) FROM "integration_connection" WHERE "status" = 'active' AND "deleted" = FALSE`).Scan(&conns); err != nil {
				t.Fatal(err)
			}
			if conns != 3 {
				t.Fatalf("round %d: %d connections", round, conns)
			}
			d, release, err := a.Tenants.Acquire(ctx, acct)
			if err != nil {
				t.Fatal(err)
			}
			var costs, sc, kws, ranks int
			for q, dst := range map[string]*int{
				`SELECT count(*) FROM "ad_cost_daily"`:          &costs,
				`SELECT count(*) FROM "search_console_daily"`:   &sc,
				`SELECT count(*) FROM "seo_keyword"`:            &kws,
				`SELECT count(*) FROM "seo_keyword_rank_daily"`: &ranks,
			} {
				if err := d.QueryRow(ctx, q).Scan(dst); err != nil {
					release()
					t.Fatal(err)
				}
			}
			release()
			stop()
			// 7 days × (4 Google + 2 Microsoft + 2 Meta campaigns).
			if costs != 56 || sc == 0 || kws == 0 || ranks == 0 {
				t.Fatalf("round %d: costs %d, search console %d, keywords %d, ranks %d", round, costs, sc, kws, ranks)
			}
		}
	})
}

func TestSetupIntegrations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		c, a, _, _ := integrationsApp(t, tg, filepath.Join(tg.DataDir, "data"))
		cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
		c.integrationFlags(cmd)
		cfgFile := filepath.Join(tg.DataDir, "integrations.json")
		raw := `{"public_url": "https://cubed.example.com", "providers": {"meta_ads": {"client_id": "a", "client_secret": "b",
			"auth_url": "https://www.facebook.com/v21.0/dialog/oauth", "token_url": "https://graph.facebook.com/v21.0/oauth/access_token",
			"api_base_url": "https://graph.facebook.com/v21.0", "scopes": ["ads_read"]}}}`
		if err := os.WriteFile(cfgFile, []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags([]string{"--integrations-config", cfgFile}); err != nil {
			t.Fatal(err)
		}
		c.cfg.SecretKey = ""
		if apiIntegrations(nil) != nil {
			t.Fatal("integrations off must give a nil api.Integrations")
		}
		if _, err := c.setupIntegrations(a); !errors.Is(err, secret.ErrNoKey) {
			t.Fatalf("configured without a key: %v", err)
		}
		keyFile := filepath.Join(tg.DataDir, "key")
		if err := secret.GenerateKeyFile(keyFile); err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags([]string{"--secret-key-file", keyFile}); err != nil {
			t.Fatal(err)
		}
		svc, err := c.setupIntegrations(a)
		if err != nil || svc == nil || apiIntegrations(svc) == nil {
			t.Fatalf("with a key: %v", err)
		}
		if _, ok := a.Reg.Commands.Get("import_ad_costs_meta_ads"); !ok {
			t.Fatal("meta import not registered")
		}
		if _, ok := a.Reg.Commands.Get("import_ad_costs_google"); ok {
			t.Fatal("an unconfigured provider's import was registered")
		}
		found := false
		for _, g := range a.Reg.Commands.Groups() {
			found = found || (g.Name == "api-meta-ads" && g.RatePerMinute == 60 && g.MaxRunning == 4)
		}
		if !found {
			t.Fatalf("groups: %+v", a.Reg.Commands.Groups())
		}
	})
}

// TestImportCommandsThroughConductor runs the import commands as Conductor
// runs them (inline runs, recorded in command_run): a revoked grant makes
// that account's run Failed with a clear message; another account's run
// still succeeds; a rerun of the same day writes the same rows.
func TestImportCommandsThroughConductor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		fp, c, a, demo, user, svc := fakeIntegrations(t, tg)
		other, err := a.Tenants.Create(ctx, tenant.CreateParams{Name: "other", Country: "gb", TimeZone: "Europe/London", Currency: "GBP"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fake.Connect(ctx, svc, integrations.Google, demo.ID, user); err != nil {
			t.Fatal(err)
		}
		cd, err := c.newConductor(a)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC)
		run := func(acct tenant.Account) error {
			return cd.RunInline(ctx, conductor.InlineParams{Commands: []string{"import_ad_costs_google", "import_search_console"}, Account: acct, From: day, To: day})
		}
		dump := func() string {
			d, release, err := a.Tenants.Acquire(ctx, demo)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			var n, cost int64
			if err := d.QueryRow(ctx, `SELECT count(*), COALESCE(SUM("cost_minor"), 0) FROM "ad_cost_daily"`).Scan(&n, &cost); err != nil {
				t.Fatal(err)
			}
			var sc int64
			if err := d.QueryRow(ctx, `SELECT count(*) FROM "search_console_daily"`).Scan(&sc); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%d rows, %d cost, %d search rows", n, cost, sc)
		}
		if err := run(demo); err != nil {
			t.Fatal(err)
		}
		first := dump()
		if !strings.HasPrefix(first, "16 rows") { // 4 campaigns × (day + 3 restated days)
			t.Fatalf("after the first run: %s", first)
		}
		if err := run(demo); err != nil {
			t.Fatal(err)
		}
		if again := dump(); again != first {
			t.Fatalf("rerun: %s, first %s", again, first)
		}
		// The other account connects after the revocation: unaffected.
		fp.Revoke(integrations.Google)
		if _, err := fake.Connect(ctx, svc, integrations.Google, other.ID, user); err != nil {
			t.Fatal(err)
		}
		fp.ExpireAccessTokens()
		err = run(demo)
		if err == nil || !strings.Contains(err.Error(), "is broken") || !strings.Contains(err.Error(), "connect it again") {
			t.Fatalf("revoked grant: %v", err)
		}
		var status int
		var msg string
		if err := a.Control.QueryRow(ctx, `SELECT r."status", r."error" FROM "command_run" r ORDER BY r."id" DESC LIMIT 1`).Scan(&status, &msg); err != nil {
			t.Fatal(err)
		}
		if status != conductor.Failed || !strings.Contains(msg, "google connection") || strings.Contains(msg, "fake-") {
			t.Fatalf("failed run: status %d, error %q", status, msg)
		}
		if err := run(other); err != nil {
			t.Fatalf("another account after a revocation: %v", err)
		}
	})
}

// fakeIntegrations is an app whose integrations are configured (file and
// key, as an operator would) against an in-process fake provider, with
// the demo account and user of integrationsApp.
func fakeIntegrations(t *testing.T, tg dbtest.Target) (*fake.Server, *cli, *app.App, tenant.Account, int64, *integrations.Service) {
	t.Helper()
	fp := fake.New(fake.Options{})
	ts := httptest.NewServer(fp)
	t.Cleanup(ts.Close)
	cfgFile := filepath.Join(tg.DataDir, "integrations.json")
	raw, err := json.Marshal(fake.Config(ts.URL, "http://127.0.0.1:8080"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(tg.DataDir, "key")
	if err := secret.GenerateKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	c, a, demo, user := integrationsApp(t, tg, filepath.Join(tg.DataDir, "data"))
	c.cfg.IntegrationsConfig, c.cfg.SecretKeyFile = cfgFile, keyFile
	svc, err := c.setupIntegrations(a)
	if err != nil {
		t.Fatal(err)
	}
	return fp, c, a, demo, user, svc
}
