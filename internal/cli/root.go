// Package cli is Control: one file per group of `cubed` commands. Run
// builds a fresh command tree per call (no globals), so tests drive the
// real commands in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/config"
	"github.com/cubedhq/cubed/internal/registry"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is the process environment a run sees.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Registry builds the model registry; nil means app.Registry. Tests
	// pass their own to add a field and watch makemigrations react.
	Registry func() *registry.Registry
	// Terminal reports whether w is a terminal (progress bars); nil means
	// checking the file descriptor.
	Terminal func(w io.Writer) bool
	// Ready, if set, receives the address serve/demo listen on.
	Ready func(addr string)
}

// usageError marks errors found before a command ran (flags, arguments).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// runError marks errors returned by a command's own work.
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }

type cli struct {
	env Env
	cfg config.Config
}

// Run executes `cubed` with args and returns the process exit code.
func Run(ctx context.Context, env Env, args []string) int {
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	if env.Registry == nil {
		env.Registry = app.Registry
	}
	if env.Terminal == nil {
		env.Terminal = func(w io.Writer) bool {
			f, ok := w.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		}
	}
	c := &cli{env: env, cfg: config.Defaults()}
	root := c.rootCmd()
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(env.Stderr, "error: "+oneLine(err))
	var re runError
	if errors.As(err, &re) && !apperr.IsInput(err) {
		return ExitFailure
	}
	return ExitUsage
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func (c *cli) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "cubed",
		Short: "Cubed: marketing attribution for many client accounts",
		Long: "Cubed turns raw visits and sales into attribution reports, for many client accounts,\n" +
			"each in its own database. This is Control: models, migrations, accounts, users and every\n" +
			"data command.",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&c.cfg.DataDir, "data", c.cfg.DataDir, "data directory for control.db and clients/ (env CUBED_DATA)")
	pf.StringVar(&c.cfg.ControlDSN, "control-dsn", c.cfg.ControlDSN, "postgres:// URL of the control database; empty = SQLite in the data directory (env CUBED_CONTROL_DSN)")
	pf.StringVar(&c.cfg.LogFormat, "log-format", c.cfg.LogFormat, "log format: text or json (env CUBED_LOG_FORMAT)")
	pf.StringVar(&c.cfg.LogLevel, "log-level", c.cfg.LogLevel, "log level: debug, info, warn, error (env CUBED_LOG_LEVEL)")
	pf.StringVar(&c.cfg.MigrationsDir, "migrations-dir", c.cfg.MigrationsDir, "read migrations from this directory instead of the binary (env CUBED_MIGRATIONS_DIR)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	root.AddCommand(
		c.serveCmd(), c.demoCmd(),
		c.makemigrationsCmd(), c.migrateCmd(), c.migrateClientCmd(),
		c.accountCmd(), c.userCmd(), c.apikeyCmd(),
		c.conductorCmd(), c.runCmd(),
		c.generateCmd(), c.importCmd(),
		c.backupCmd(), c.restoreCmd(), c.configCmd(),
		c.fakeProviderCmd(),
	)
	wrapRun(root)
	return root
}

// wrapRun marks errors from every command's RunE as run errors, so Run can
// tell them from flag and argument errors.
func wrapRun(cmd *cobra.Command) {
	if cmd.RunE != nil {
		inner := cmd.RunE
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			if err := inner(cmd, args); err != nil {
				return runError{err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		wrapRun(sub)
	}
}

func (c *cli) logger() *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(c.env.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(c.env.Stderr, opts))
}

// open builds the application; migrated requires current control
// migrations.
func (c *cli) open(ctx context.Context, migrated bool) (*app.App, error) {
	if err := c.cfg.Validate(); err != nil {
		return nil, err
	}
	a, err := app.Open(ctx, c.cfg, c.logger(), c.env.Registry())
	if err != nil {
		return nil, err
	}
	if migrated {
		if err := a.RequireMigrated(ctx); err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}

// exactArgs wants n positional arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s needs %s", cmd.CommandPath(), names)}
		}
		return nil
	}
}

// required reports a missing flag as an input error naming it.
func required(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return apperr.Invalidf("--"+name, "", "is required")
	}
	return nil
}
