// Package app is the wiring: configuration -> databases -> registries ->
// services. It is the only package that knows every other one.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/apps/agg"
	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/apps/clients"
	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/apps/seopt"
	"github.com/cubedhq/cubed/internal/auth"
	"github.com/cubedhq/cubed/internal/conductor"
	"github.com/cubedhq/cubed/internal/config"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/internal/registry"
	"github.com/cubedhq/cubed/internal/report"
	"github.com/cubedhq/cubed/internal/tenant"
	"github.com/cubedhq/cubed/migrations"
)

// Registry builds the registry every app declares into.
func Registry() *registry.Registry {
	r := registry.New()
	clients.Register(r)
	attrib.Register(r)
	agg.Register(r)
	integrations.Register(r) // import commands: integrations.RegisterCommands, once a Service exists
	seopt.Register(r)
	r.AddReports(agg.Reports()...)
	conductor.Register(r)
	if os.Getenv(conductor.TestCommandsEnv) == "1" {
		r.Commands.Add(conductor.TestCommandSet()...) // test-only, see conductor.TestCommandsEnv
	}
	r.Models.Add(report.Models()...) // data_version, read by report resources
	return r
}

// MigrationsFS returns the migration files: the directory named in the
// configuration, else those embedded in the binary.
func MigrationsFS(cfg config.Config) fs.FS {
	if cfg.MigrationsDir != "" {
		return os.DirFS(cfg.MigrationsDir)
	}
	return migrations.FS
}

// App holds the running services.
type App struct {
	Cfg        config.Config
	Log        *slog.Logger
	Reg        *registry.Registry
	Migrations fs.FS
	Control    *db.DB
	Tenants    *tenant.Manager
	Auth       *auth.Service
	Resources  *resource.Registry
	Reports    *report.Registry
}

// BuildResources turns the apps' resource declarations into a checked
// registry; a broken declaration stops start-up.
func BuildResources(reg *registry.Registry) (*resource.Registry, error) {
	rr := resource.NewRegistry()
	if err := rr.Add(reg.Resources...); err != nil {
		return nil, err
	}
	if err := rr.Check(); err != nil {
		return nil, err
	}
	return rr, nil
}

// BuildReports validates the apps' report declarations; a broken one
// (no metric, unknown formula name, cycle, undeclared column) stops
// start-up.
func BuildReports(reg *registry.Registry) (*report.Registry, error) {
	rr := report.NewRegistry()
	if err := rr.Add(reg.Reports...); err != nil {
		return nil, err
	}
	return rr, nil
}

// ErrControlNotMigrated means `cubed migrate` has not been run.
var ErrControlNotMigrated = errors.New("the control database is not migrated: run `cubed migrate` first")

// Open opens the control database (creating the data directory and the
// SQLite file in embedded mode) and builds the services. It does not
// migrate; see MigrateControl and RequireMigrated.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, reg *registry.Registry) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dsn := cfg.ControlDSN
	if dsn == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		dsn = cfg.ControlPath()
	}
	control, err := db.Open(ctx, dsn, db.Options{CreateIfMissing: true})
	if err != nil {
		return nil, fmt.Errorf("control database: %w", err)
	}

	migs := MigrationsFS(cfg)
	resources, err := BuildResources(reg)
	if err != nil {
		control.Close()
		return nil, fmt.Errorf("resources: %w", err)
	}
	reports, err := BuildReports(reg)
	if err != nil {
		control.Close()
		return nil, fmt.Errorf("reports: %w", err)
	}
	a := &App{
		Cfg: cfg, Log: log, Reg: reg, Migrations: migs, Control: control,
		Auth: auth.NewService(control, auth.DefaultParams), Resources: resources, Reports: reports,
	}
	a.Tenants = tenant.NewManager(control, tenant.Options{
		DataDir: cfg.DataDir, ControlDSN: cfg.ControlDSN, PGDatabasePrefix: cfg.PGDatabasePrefix,
		MaxOpen: cfg.MaxOpenClients, Migrations: migs, Seeders: reg.Seeders, Logger: log,
	})
	return a, nil
}

// Close releases every database handle.
func (a *App) Close() error {
	return errors.Join(a.Tenants.Close(), a.Control.Close())
}

// ControlMigrations loads the control set for the control dialect.
func (a *App) ControlMigrations() ([]migrate.Migration, error) {
	return migrate.Load(a.Migrations, "control", a.Control.Dialect())
}

// MigrateControl applies pending control migrations.
func (a *App) MigrateControl(ctx context.Context) (migrate.Result, error) {
	migs, err := a.ControlMigrations()
	if err != nil {
		return migrate.Result{}, err
	}
	return migrate.Apply(ctx, a.Control, migs)
}

// RequireMigrated fails when control migrations are pending.
func (a *App) RequireMigrated(ctx context.Context) error {
	migs, err := a.ControlMigrations()
	if err != nil {
		return err
	}
	pending, _, err := migrate.Pending(ctx, a.Control, migs)
	if err != nil {
		return fmt.Errorf("control database: %w", err)
	}
	if len(pending) > 0 {
		return ErrControlNotMigrated
	}
	return nil
}
