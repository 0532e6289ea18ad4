package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/db"
)

// backupCmd makes consistent online copies of every SQLite database
// (control and clients) with VACUUM INTO, which reads through one
// transaction while writers continue. PostgreSQL databases are listed with
// the pg_dump command to run, since a copy of a server belongs to its tools.
func (c *cli) backupCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out DIR",
		Short: "Copy every database consistently while Cubed runs",
		Long: "Writes consistent online copies of the SQLite control database and every SQLite client\n" +
			"database into DIR (control.db and clients/<db_name>.db), plus MANIFEST.txt. For PostgreSQL\n" +
			"databases it prints the pg_dump command for each instead. Restore with `cubed restore`.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := required("out", out); err != nil {
				return err
			}
			if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
				return apperr.Invalidf("--out", out, "must be a new or empty directory")
			}
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := os.MkdirAll(filepath.Join(out, "clients"), 0o750); err != nil {
				return err
			}
			var manifest strings.Builder
			fmt.Fprintf(&manifest, "cubed backup %s\n", time.Now().UTC().Format(time.RFC3339))
			copyOne := func(name string, d *db.DB, dst string) error {
				if d.Dialect() == db.Postgres {
					line := fmt.Sprintf("%s: PostgreSQL — run: pg_dump --format=custom --file %s.dump '%s'", name, name, db.RedactDSN(d.DSN()))
					fmt.Fprintln(c.env.Stdout, line)
					fmt.Fprintln(&manifest, line)
					return nil
				}
				if err := vacuumInto(ctx, d, dst); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				fmt.Fprintf(&manifest, "%s: %s\n", name, dst)
				return nil
			}
			if err := copyOne("control", a.Control, filepath.Join(out, "control.db")); err != nil {
				return err
			}
			accts, err := a.Tenants.List(ctx)
			if err != nil {
				return err
			}
			bar := c.progress(len(accts), "backing up clients")
			var failed []string
			for _, acct := range accts {
				d, release, err := a.Tenants.Acquire(ctx, acct)
				if err == nil {
					err = copyOne(acct.DBName, d, filepath.Join(out, "clients", acct.DBName+".db"))
					release()
				}
				if err != nil {
					failed = append(failed, acct.Token+": "+oneLine(err))
				}
				bar.Add(1)
			}
			bar.Finish()
			if err := os.WriteFile(filepath.Join(out, "MANIFEST.txt"), []byte(manifest.String()), 0o640); err != nil {
				return err
			}
			fmt.Fprintf(c.env.Stdout, "backed up the control database and %d of %d client databases into %s\n", len(accts)-len(failed), len(accts), out)
			if len(failed) > 0 {
				return errors.New("some client databases failed: " + strings.Join(failed, "; "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory for the copies (new or empty)")
	return cmd
}

func vacuumInto(ctx context.Context, d *db.DB, dst string) error {
	abs, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	// VACUUM cannot run inside a transaction and the target is a literal:
	// the path comes from the operator's --out, quoted as a SQL string.
	_, err = d.Writer().ExecContext(ctx, "VACUUM INTO '"+strings.ReplaceAll(abs, "'", "''")+"'")
	return err
}

// restoreCmd copies a backup's SQLite files into an empty data directory.
func (c *cli) restoreCmd() *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "restore --from DIR",
		Short: "Restore a `cubed backup` into an empty data directory",
		Long: "Copies control.db and clients/*.db from a backup into the data directory (--data), which\n" +
			"must not hold a control database yet. Stop Cubed first; PostgreSQL databases are restored\n" +
			"with pg_restore from their dumps.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required("from", from); err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(from, "control.db")); err != nil {
				return apperr.Invalidf("--from", from, "holds no control.db (not a cubed backup?)")
			}
			if c.cfg.ControlDSN != "" {
				return apperr.Invalidf("--control-dsn", "", "restore works on SQLite data directories; use pg_restore for PostgreSQL")
			}
			if _, err := os.Stat(c.cfg.ControlPath()); err == nil {
				return apperr.Invalidf("--data", c.cfg.DataDir, "already holds a control database; restore into an empty directory")
			}
			if err := os.MkdirAll(filepath.Join(c.cfg.DataDir, "clients"), 0o750); err != nil {
				return err
			}
			n := 0
			files, _ := filepath.Glob(filepath.Join(from, "clients", "*.db"))
			for _, f := range append([]string{filepath.Join(from, "control.db")}, files...) {
				rel, _ := filepath.Rel(from, f)
				if err := copyFile(f, filepath.Join(c.cfg.DataDir, rel)); err != nil {
					return fmt.Errorf("restore %s: %w", rel, err)
				}
				n++
			}
			fmt.Fprintf(c.env.Stdout, "restored %d databases into %s; run `cubed migrate` and `cubed migrate_client --all` if this binary is newer\n", n, c.cfg.DataDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "backup directory written by cubed backup")
	return cmd
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
