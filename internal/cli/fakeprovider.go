package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/apps/integrations/fake"
	"github.com/cubedhq/cubed/internal/apps/seopt"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/secret"
	"github.com/cubedhq/cubed/internal/tenant"
)

// This file holds `cubed fakeprovider` and the integrations wiring that
// serve, demo and conductor call (integrationFlags, setupIntegrations,
// demoIntegrations).

func (c *cli) fakeProviderCmd() *cobra.Command {
	var addr, public, writeConfig string
	var lifetime time.Duration
	cmd := &cobra.Command{
		Use:   "fakeprovider",
		Short: "Serve a fake Google, Microsoft Advertising and Meta (OAuth2 and ad APIs) for development",
		Long: "Serves stand-ins for the three ad platforms: OAuth2 authorize (consent auto-approved),\n" +
			"token (PKCE checked, refresh), revoke, and the API calls Cubed makes, with deterministic\n" +
			"daily data. Point Cubed at it with the configuration it prints (or --write-config FILE and\n" +
			"`cubed serve --integrations-config FILE`). Inject failures for the next N calls with\n" +
			"POST /_control/fail {\"provider\": \"google\", \"kind\": \"500\"|\"429\"|\"revoked\", \"count\": N,\n" +
			"\"retry_after_seconds\": S}; POST /_control/expire expires every access token.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return apperr.Invalidf("--addr", addr, "cannot listen: %v", err)
			}
			base := "http://" + ln.Addr().String()
			cfg, err := json.MarshalIndent(fake.Config(base, public), "", "  ")
			if err != nil {
				return err
			}
			if writeConfig != "" {
				if err := os.WriteFile(writeConfig, append(cfg, '\n'), 0o600); err != nil {
					return fmt.Errorf("--write-config: %w", err)
				}
			}
			srv := &http.Server{Handler: fake.New(fake.Options{TokenLifetime: lifetime, Logger: c.logger()}), ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(c.env.Stdout, "fake provider at %s (redirect URIs for %s)\n", base, public)
			if writeConfig != "" {
				fmt.Fprintf(c.env.Stdout, "integrations config written to %s\n", writeConfig)
			} else {
				fmt.Fprintf(c.env.Stdout, "integrations config (save it and pass --integrations-config):\n%s\n", cfg)
			}
			if c.env.Ready != nil {
				c.env.Ready(ln.Addr().String())
			}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				return err
			}
			if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8090", "listen address")
	fl.StringVar(&public, "public-url", "http://127.0.0.1:8080", "Cubed's own origin, for the redirect URIs in the printed configuration")
	fl.StringVar(&writeConfig, "write-config", "", "write the integrations configuration to this file")
	fl.DurationVar(&lifetime, "token-lifetime", time.Hour, "lifetime of access tokens")
	return cmd
}

// integrationFlags binds --integrations-config and --secret-key-file on a
// command that runs integrations (serve, demo, conductor, run).
func (c *cli) integrationFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.cfg.IntegrationsConfig, "integrations-config", c.cfg.IntegrationsConfig, "integrations configuration file, docs/integrations.md (env CUBED_INTEGRATIONS_CONFIG)")
	cmd.Flags().StringVar(&c.cfg.SecretKeyFile, "secret-key-file", c.cfg.SecretKeyFile, "file with the base64 key that encrypts OAuth tokens (env CUBED_SECRET_KEY_FILE; or CUBED_SECRET_KEY)")
}

// setupIntegrations builds the integrations service from the configuration
// and registers its import commands on a.Reg.Commands. Integrations off:
// (nil, nil). Configured without a secret key: an error, so the process
// refuses to start. Call it once per process, before building Conductor.
func (c *cli) setupIntegrations(a *app.App) (*integrations.Service, error) {
	svc, err := integrations.Setup(integrations.SetupOptions{
		ConfigFile: c.cfg.IntegrationsConfig, SecretKey: c.cfg.SecretKey, SecretKeyFile: c.cfg.SecretKeyFile,
		Control: a.Control, Logger: a.Log,
	})
	if err != nil {
		return nil, err
	}
	integrations.RegisterCommands(a.Reg.Commands, svc)
	return svc, nil
}

// apiIntegrations is the service as api.Deps.Integrations wants it: a nil
// interface when integrations are off (a nil *Service inside the interface
// would mount the connect routes).
func apiIntegrations(svc *integrations.Service) api.Integrations {
	if svc == nil {
		return nil
	}
	return svc
}

// demoIntegrations gives `cubed demo` working integrations when none are
// configured: it creates <data>/secret.key, serves a fake provider on a
// free local port, builds the service against it (redirect URIs on
// http://<--addr>), registers the import commands, connects the demo
// account to all three providers for userID and imports the last days of
// costs and search data (then the SEO keywords and ranks), so reports
// show costs. With --integrations-config it only does setupIntegrations.
// stop shuts the fake down.
func (c *cli) demoIntegrations(ctx context.Context, a *app.App, acct tenant.Account, userID int64, days int) (svc *integrations.Service, stop func(), err error) {
	stop = func() {}
	if c.cfg.IntegrationsConfig != "" {
		svc, err = c.setupIntegrations(a)
		return svc, stop, err
	}
	keyFile := c.cfg.SecretKeyFile
	if keyFile == "" && c.cfg.SecretKey == "" {
		keyFile = filepath.Join(c.cfg.DataDir, "secret.key")
		if err := os.MkdirAll(c.cfg.DataDir, 0o750); err != nil {
			return nil, stop, fmt.Errorf("demo secret key: %w", err)
		}
		if err := secret.GenerateKeyFile(keyFile); err != nil {
			return nil, stop, fmt.Errorf("demo secret key: %w", err)
		}
	}
	box, err := secret.Load(c.cfg.SecretKey, keyFile)
	if err != nil {
		return nil, stop, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, stop, fmt.Errorf("demo fake provider: %w", err)
	}
	fp := &http.Server{Handler: fake.New(fake.Options{Logger: a.Log}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = fp.Serve(ln) }()
	stop = func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = fp.Shutdown(sctx)
	}
	cfg := fake.Config("http://"+ln.Addr().String(), "http://"+c.cfg.Addr)
	svc, err = integrations.New(integrations.Options{Config: cfg, Box: box, Control: a.Control, Logger: a.Log})
	if err != nil {
		stop()
		return nil, func() {}, err
	}
	integrations.RegisterCommands(a.Reg.Commands, svc)
	if err := demoImport(ctx, a, svc, acct, userID, days); err != nil {
		stop()
		return nil, func() {}, err
	}
	return svc, stop, nil
}

// demoImport connects the demo account and imports days of history (none
// when days is 0).
func demoImport(ctx context.Context, a *app.App, svc *integrations.Service, acct tenant.Account, userID int64, days int) error {
	for _, p := range svc.Providers() {
		if _, err := fake.Connect(ctx, svc, p, acct.ID, userID); err != nil {
			return fmt.Errorf("demo: connect %s: %w", p, err)
		}
	}
	if days <= 0 {
		return nil // connected again (the fake's tokens live in memory); history imported before
	}
	d, release, err := a.Tenants.Acquire(ctx, acct)
	if err != nil {
		return err
	}
	defer release()
	ca := command.Account{ID: acct.ID, Token: acct.Token, Name: acct.Name, Country: acct.Country, Domain: acct.Domain, DBName: acct.DBName,
		TimeZone: acct.TimeZone, Currency: acct.Currency, Location: acct.Location()}
	y, m, dd := time.Now().In(acct.Location()).Date()
	to := time.Date(y, m, dd-1, 0, 0, 0, 0, time.UTC)
	from := to.AddDate(0, 0, 1-days)
	for _, p := range svc.Providers() {
		st, err := svc.ImportAdCostsRange(ctx, p, ca, d, from, to)
		if err != nil {
			return fmt.Errorf("demo: import %s costs: %w", p, err)
		}
		a.Log.Info("demo: ad costs imported", "provider", p, "rows", st.Rows)
	}
	if _, ok := svc.Provider(integrations.Google); ok {
		if _, err := svc.ImportSearchConsoleRange(ctx, ca, d, from, to); err != nil {
			return fmt.Errorf("demo: import search console: %w", err)
		}
		if _, err := seopt.UpdateKeywords(ctx, ca, d, to, seopt.KeywordOptions{}); err != nil {
			return fmt.Errorf("demo: seo keywords: %w", err)
		}
		for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
			if _, err := seopt.UpdateRanks(ctx, d, day); err != nil {
				return fmt.Errorf("demo: seo ranks: %w", err)
			}
		}
	}
	return nil
}
