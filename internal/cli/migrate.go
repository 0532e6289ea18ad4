package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/conductor"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/internal/schema"
	"github.com/cubedhq/cubed/internal/tenant"
)

func (c *cli) makemigrationsCmd() *cobra.Command {
	var check bool
	var name, dir string
	var renameTables, renameColumns []string
	cmd := &cobra.Command{
		Use:   "makemigrations",
		Short: "Write the next migration from changes to the declared models",
		Long: "Diffs the declared models against the state recorded by existing migrations and writes\n" +
			"the next numbered migration for the control and client sets (operations as JSON plus the\n" +
			"SQL for SQLite and PostgreSQL). Renames are never guessed: ask for them with --rename-*.\n" +
			"With --check it writes nothing and exits 1 when models and migrations disagree.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			renames := map[schema.Database][]migrate.Rename{}
			for _, spec := range renameTables {
				set, r, err := parseRename(spec, false)
				if err != nil {
					return err
				}
				renames[set] = append(renames[set], r)
			}
			for _, spec := range renameColumns {
				set, r, err := parseRename(spec, true)
				if err != nil {
					return err
				}
				renames[set] = append(renames[set], r)
			}
			if name != "" && !schema.ValidIdent(name) {
				return apperr.Invalidf("--name", name, "must be lower-case letters, digits and underscores")
			}
			reg := c.env.Registry()
			fsys := os.DirFS(dir)
			var pending []string
			for _, set := range []schema.Database{schema.Control, schema.Client} {
				plan, err := migrate.MakePlan(fsys, string(set), reg.Models.Models(set), renames[set], name)
				if err != nil {
					var inv *apperr.Invalid
					if errors.As(err, &inv) {
						return err
					}
					return fmt.Errorf("%s: %w", set, err)
				}
				if check {
					if plan.File != nil {
						pending = append(pending, fmt.Sprintf("%s: %d operation(s) not in a migration (would write %s)", set, len(plan.File.Operations), plan.File.Name))
					}
					for _, s := range plan.Stale {
						pending = append(pending, fmt.Sprintf("%s: %s differs from what its operations generate", set, s))
					}
					continue
				}
				written, err := plan.Write(dir, fsys)
				if err != nil {
					return err
				}
				for _, w := range written {
					fmt.Fprintf(c.env.Stdout, "wrote %s/%s\n", strings.TrimSuffix(dir, "/"), w)
				}
				if len(written) == 0 {
					fmt.Fprintf(c.env.Stdout, "%s: no changes\n", set)
				}
			}
			if check {
				if len(pending) > 0 {
					for _, p := range pending {
						fmt.Fprintln(c.env.Stdout, p)
					}
					return migrate.ErrPending
				}
				fmt.Fprintln(c.env.Stdout, "models and migrations agree")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&check, "check", false, "write nothing; exit 1 if a migration is missing or stale")
	f.StringVar(&name, "name", "", "name for the new migration (default: derived from its operations)")
	f.StringVar(&dir, "dir", "migrations", "migrations source directory")
	f.StringArrayVar(&renameTables, "rename-table", nil, "rename a table: SET:OLD=NEW (SET is control or client)")
	f.StringArrayVar(&renameColumns, "rename-column", nil, "rename a column: SET:TABLE.OLD=NEW")
	return cmd
}

func parseRename(spec string, column bool) (schema.Database, migrate.Rename, error) {
	flag := "--rename-table"
	if column {
		flag = "--rename-column"
	}
	bad := apperr.Invalidf(flag, spec, "must look like client:old=new (or client:table.old=new for a column)")
	set, rest, ok := strings.Cut(spec, ":")
	if !ok || (set != string(schema.Control) && set != string(schema.Client)) {
		return "", migrate.Rename{}, bad
	}
	from, to, ok := strings.Cut(rest, "=")
	if !ok || !schema.ValidIdent(to) {
		return "", migrate.Rename{}, bad
	}
	if column {
		table, col, ok := strings.Cut(from, ".")
		if !ok || !schema.ValidIdent(table) || !schema.ValidIdent(col) {
			return "", migrate.Rename{}, bad
		}
		return schema.Database(set), migrate.Rename{Table: table, Column: col, To: to}, nil
	}
	if !schema.ValidIdent(from) {
		return "", migrate.Rename{}, bad
	}
	return schema.Database(set), migrate.Rename{Table: from, To: to}, nil
}

func (c *cli) migrateCmd() *cobra.Command {
	var plan bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply control database migrations",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := c.open(ctx, false)
			if err != nil {
				return err
			}
			defer a.Close()
			migs, err := a.ControlMigrations()
			if err != nil {
				return err
			}
			if plan {
				pending, cur, err := migrate.Pending(ctx, a.Control, migs)
				if err != nil {
					return err
				}
				printPlan(c, "control", cur, pending)
				return nil
			}
			res, err := migrate.Apply(ctx, a.Control, migs)
			if err != nil {
				return fmt.Errorf("control database: %w", err)
			}
			// River's own tables (Conductor's job queue) come from River's
			// migrator; it is idempotent and locks against a racing process.
			if err := conductor.MigrateRiver(ctx, a.Control); err != nil {
				return fmt.Errorf("control database: %w", err)
			}
			if len(res.Applied) == 0 {
				fmt.Fprintf(c.env.Stdout, "control database is up to date (version %d)\n", res.To)
				return nil
			}
			for _, n := range res.Applied {
				fmt.Fprintf(c.env.Stdout, "applied %s\n", n)
			}
			fmt.Fprintf(c.env.Stdout, "control database migrated %d -> %d\n", res.From, res.To)
			return nil
		},
	}
	cmd.Flags().BoolVar(&plan, "plan", false, "print the SQL that would run, apply nothing")
	return cmd
}

func printPlan(c *cli, who string, cur int, pending []migrate.Migration) {
	if len(pending) == 0 {
		fmt.Fprintf(c.env.Stdout, "-- %s: up to date (version %d)\n", who, cur)
		return
	}
	for _, m := range pending {
		fmt.Fprintf(c.env.Stdout, "-- %s: %s\n", who, m.Name)
		for _, s := range m.Statements {
			fmt.Fprintf(c.env.Stdout, "%s;\n", s)
		}
	}
}

// clientResult is one line of migrate_client's closing table.
type clientResult struct {
	Token    string
	From, To int
	Status   string
	Err      error
	Took     time.Duration
}

func (c *cli) migrateClientCmd() *cobra.Command {
	var accounts []string
	var all, plan bool
	var parallel int
	cmd := &cobra.Command{
		Use:   "migrate_client",
		Short: "Apply client migrations to one, several or all client databases",
		Long: "Applies the client migration set to each selected account's database, each migration in\n" +
			"its own transaction, under a per-database lock. A database that fails is reported and the\n" +
			"others continue; the command ends with a table and exits 1 if any failed.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if !all && len(accounts) == 0 {
				return apperr.Invalidf("--account", "", "name at least one account, or pass --all")
			}
			if all && len(accounts) > 0 {
				return apperr.Invalidf("--all", "", "cannot be combined with --account")
			}
			if parallel < 1 || parallel > 64 {
				return apperr.Invalidf("--parallel", fmt.Sprint(parallel), "must be between 1 and 64")
			}
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			var targets []tenant.Account
			if all {
				if targets, err = a.Tenants.List(ctx); err != nil {
					return err
				}
			} else {
				for _, ref := range accounts {
					acct, err := a.Tenants.Get(ctx, ref)
					if err != nil {
						return apperr.Invalidf("--account", ref, "no such account")
					}
					targets = append(targets, acct)
				}
			}
			sets := map[string][]migrate.Migration{}
			for _, d := range migrate.Dialects {
				if sets[d], err = migrate.Load(a.Migrations, "client", d); err != nil {
					return fmt.Errorf("client migrations: %w", err)
				}
			}
			results := make([]clientResult, len(targets))
			bar := c.progress(len(targets), "migrating clients")
			var planMu sync.Mutex
			work := make(chan int)
			var wg sync.WaitGroup
			for w := 0; w < parallel; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range work {
						results[i] = c.migrateOne(ctx, a.Tenants.ClientDSN(targets[i]), targets[i].Token, sets, plan, &planMu)
						bar.Add(1)
					}
				}()
			}
			for i := range targets {
				work <- i
			}
			close(work)
			wg.Wait()
			bar.Finish()
			if !plan {
				printResults(c, results)
			}
			failed := 0
			for _, r := range results {
				if r.Err != nil {
					failed++
					if plan {
						fmt.Fprintf(c.env.Stderr, "%s: %s\n", r.Token, oneLine(r.Err))
					}
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d client databases failed to migrate", failed, len(results))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&accounts, "account", nil, "account token or id (repeatable)")
	f.BoolVar(&all, "all", false, "every account")
	f.IntVar(&parallel, "parallel", 4, "databases migrated at once")
	f.BoolVar(&plan, "plan", false, "print the SQL that would run, apply nothing")
	return cmd
}

func (c *cli) migrateOne(ctx context.Context, dsn, token string, sets map[string][]migrate.Migration, plan bool, planMu *sync.Mutex) clientResult {
	start := time.Now()
	r := clientResult{Token: token}
	finish := func(err error) clientResult {
		r.Took = time.Since(start)
		r.Err = err
		switch {
		case err != nil:
			r.Status = "failed: " + oneLine(err)
		case r.From == r.To:
			r.Status = "up to date"
		default:
			r.Status = "migrated"
		}
		return r
	}
	d, err := db.Open(ctx, dsn, db.Options{MaxReadConns: 1})
	if err != nil {
		return finish(err)
	}
	defer d.Close()
	migs := sets[d.Dialect()]
	if plan {
		pending, cur, err := migrate.Pending(ctx, d, migs)
		r.From, r.To = cur, cur
		if err == nil {
			planMu.Lock()
			printPlan(c, token, cur, pending)
			planMu.Unlock()
		}
		return finish(err)
	}
	res, err := migrate.Apply(ctx, d, migs)
	r.From, r.To = res.From, res.To
	return finish(err)
}

func printResults(c *cli, results []clientResult) {
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tVERSION\tSTATUS\tDURATION")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d → %d\t%s\t%s\n", r.Token, r.From, r.To, r.Status, r.Took.Round(time.Millisecond))
	}
	tw.Flush()
}
