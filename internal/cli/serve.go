package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/auth"
	"github.com/cubedhq/cubed/internal/collect"
	"github.com/cubedhq/cubed/internal/conductor"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/internal/tenant"
	"github.com/cubedhq/cubed/web"
)

func (c *cli) serveCmd() *cobra.Command {
	var noConductor bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API, the collector and the dash, and run Conductor in-process",
		Long: "Serves the API, /collect and the dash on --addr. Unless --no-conductor is given, the\n" +
			"process also runs Conductor (the engine when elected leader, and command workers), as\n" +
			"`cubed conductor` would; web nodes of a scale-out deployment pass --no-conductor.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			svc, err := c.setupIntegrations(a)
			if err != nil {
				return err
			}
			return c.serveHTTP(ctx, a, serveParts{integrations: svc, conductor: !noConductor})
		},
	}
	cmd.Flags().StringVar(&c.cfg.Addr, "addr", c.cfg.Addr, "listen address (env CUBED_ADDR)")
	cmd.Flags().BoolVar(&noConductor, "no-conductor", false, "do not run Conductor in this process (web node)")
	c.integrationFlags(cmd)
	return cmd
}

// serveParts are the optional parts of a serving process.
type serveParts struct {
	integrations *integrations.Service
	conductor    bool // run Conductor in-process
}

// serveHTTP listens until ctx ends, then shuts down gracefully.
func (c *cli) serveHTTP(ctx context.Context, a *app.App, parts serveParts) error {
	limits := api.Limits{UserPerMinute: c.cfg.APIRatePerMinute, IPPerMinute: c.cfg.APIRatePerMinute}
	if limits.UserPerMinute == 0 {
		limits.UserPerMinute, limits.IPPerMinute = -1, -1 // disabled
	}
	// The collector's batch writers start with their first hit; Close
	// below commits whatever is queued before the databases close.
	metrics := prometheus.NewRegistry()
	col, err := collect.New(collect.Options{Tenants: a.Tenants, Log: a.Log, Metrics: metrics})
	if err != nil {
		return err
	}
	defer func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := col.Close(fctx); err != nil {
			a.Log.Error("collector: flush on shutdown", "err", err)
		}
	}()
	// The API's Conductor resources and actions need a Conductor even on a
	// web node (--no-conductor), where it is never started.
	opt := c.conductorOptions(a, conductorFlags{concurrency: conductor.DefaultConcurrency})
	opt.Metrics = metrics
	if !parts.conductor {
		opt.Concurrency = -1
	}
	cond, err := conductor.New(opt)
	if err != nil {
		return fmt.Errorf("conductor: %w", err)
	}
	if parts.conductor {
		// Conductor stops after the HTTP server (defers run last-in first-out):
		// in-flight requests finish, then running runs are handed back.
		stop, err := cond.Launch(ctx)
		if err != nil {
			return fmt.Errorf("conductor: %w", err)
		}
		defer stop()
		a.Log.Info("conductor started in-process", "concurrency", conductor.DefaultConcurrency)
	}
	riverUI, err := conductor.RiverUI(ctx, a.Control, a.Log, conductor.RiverUIPrefix)
	if err != nil {
		return err
	}
	handler, err := api.New(api.Deps{Log: a.Log, Control: a.Control, Tenants: a.Tenants, Auth: a.Auth, Resources: a.Resources, Reports: a.Reports, Limits: limits,
		Ready: a.RequireMigrated, Collect: col, Web: web.Handler(), Metrics: metrics, Integrations: apiIntegrations(parts.integrations), Uploads: attrib.Uploads{},
		Conductor: cond, RiverUI: riverUI})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.cfg.Addr)
	if err != nil {
		return apperr.Invalidf("--addr", c.cfg.Addr, "cannot listen: %v", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	addr := ln.Addr().String()
	a.Log.Info("listening", "addr", "http://"+addr)
	if c.env.Ready != nil {
		c.env.Ready(addr)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Demo identity.
const (
	demoEmail = "demo@example.com"
	demoName  = "demo"
	demoCC    = "gb"
)

func (c *cli) demoCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Create a data directory with a demo account and user, then serve",
		Long: "Creates the data directory (default ./cubed-data) and its control database, migrates\n" +
			"everything, creates the demo account c-a-demo-gb and the demo user. On first start it\n" +
			"generates 90 days of data through the collector, connects the account to an in-process\n" +
			"fake ad provider and imports its costs, and runs the whole pipeline over those days\n" +
			"(recorded as manual Conductor runs). Then it prints the login and serves the dash, the API\n" +
			"and Conductor on 127.0.0.1:8080 until interrupted. Re-running reuses what exists.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := c.open(ctx, false)
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := a.MigrateControl(ctx); err != nil {
				return fmt.Errorf("migrate control database: %w", err)
			}
			acct, err := a.Tenants.Get(ctx, "c-a-"+demoName+"-"+demoCC)
			if errors.Is(err, apperr.ErrNotFound) {
				acct, err = a.Tenants.Create(ctx, tenant.CreateParams{Name: demoName, Country: demoCC, Domain: "shop.example.com", TimeZone: "Europe/London", Currency: "GBP"})
			}
			if err != nil {
				return fmt.Errorf("demo account: %w", err)
			}
			if err := c.migrateExisting(ctx, a); err != nil {
				return err
			}
			userID, password, err := c.demoUser(ctx, a, acct)
			if err != nil {
				return err
			}
			svc, stopFake, err := c.demoData(ctx, a, acct, userID)
			if err != nil {
				return err
			}
			defer stopFake()
			host := c.cfg.Addr
			ready := c.env.Ready
			c.env.Ready = func(addr string) {
				host = addr
				fmt.Fprintf(c.env.Stdout, "Cubed demo is running at http://%s/\n", host)
				fmt.Fprintf(c.env.Stdout, "  account:  %s\n", acct.Token)
				fmt.Fprintf(c.env.Stdout, "  log in:   %s / %s\n", demoEmail, password)
				fmt.Fprintf(c.env.Stdout, "  data dir: %s (delete it to start over)\n", c.cfg.DataDir)
				fmt.Fprintln(c.env.Stdout, "Press Ctrl-C to stop.")
				if ready != nil {
					ready(addr)
				}
			}
			return c.serveHTTP(ctx, a, serveParts{integrations: svc, conductor: true})
		},
	}
	cmd.Flags().StringVar(&c.cfg.Addr, "addr", c.cfg.Addr, "listen address (env CUBED_ADDR)")
	c.integrationFlags(cmd)
	return cmd
}

// migrateExisting brings every client database up to date, so a newer
// binary works on an older demo directory.
func (c *cli) migrateExisting(ctx context.Context, a *app.App) error {
	accts, err := a.Tenants.List(ctx)
	if err != nil {
		return err
	}
	for _, acct := range accts {
		d, release, err := a.Tenants.Acquire(ctx, acct)
		if err != nil {
			return err
		}
		migs, err := migrate.Load(a.Migrations, "client", d.Dialect())
		if err == nil {
			_, err = migrate.Apply(ctx, d, migs)
		}
		release()
		if err != nil {
			return fmt.Errorf("account %s: migrate: %w", acct.Token, err)
		}
	}
	return nil
}

// demoUser makes sure the demo user exists with the password kept in the
// data directory, and returns that password.
func (c *cli) demoUser(ctx context.Context, a *app.App, acct tenant.Account) (int64, string, error) {
	file := filepath.Join(c.cfg.DataDir, "demo-login.txt")
	password := ""
	if raw, err := os.ReadFile(file); err == nil {
		password = strings.TrimSpace(string(raw))
	}
	if len(password) < auth.MinPasswordLength {
		password = auth.RandomToken(12)
		if err := os.MkdirAll(c.cfg.DataDir, 0o750); err != nil {
			return 0, "", err
		}
		if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
			return 0, "", fmt.Errorf("save demo password: %w", err)
		}
	}
	u, err := a.Auth.UserByEmail(ctx, demoEmail)
	if errors.Is(err, apperr.ErrNotFound) {
		u, err = a.Auth.CreateUser(ctx, demoEmail, "Demo User", password, false)
	} else if err == nil {
		err = a.Auth.SetPassword(ctx, u.ID, password)
	}
	if err != nil {
		return 0, "", fmt.Errorf("demo user: %w", err)
	}
	if err := a.Auth.Grant(ctx, u.ID, acct.ID, "admin"); err != nil {
		return 0, "", fmt.Errorf("demo user: %w", err)
	}
	return u.ID, password, nil
}
