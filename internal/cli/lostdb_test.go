package cli

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// An account whose client database is lost (SQLite: the file overwritten;
// PostgreSQL: dropped) makes its runs fail with a clear error naming the
// account — no panic, no run left Running — while another account's
// pipeline still succeeds.
func TestRunWithLostClientDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		h := newHarness(t, tg)
		h.must("migrate")
		h.must("account", "create", "--name", "lost", "--country", "gb")
		h.must("account", "create", "--name", "fine", "--country", "gb")
		a := openApp(t, h)
		acct, err := a.Tenants.Get(ctx, "c-a-lost-gb")
		if err != nil {
			t.Fatal(err)
		}
		dsn := a.Tenants.ClientDSN(acct)
		a.Close()
		if tg.Dialect == db.Postgres {
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			admin, err := sql.Open("pgx", os.Getenv(dbtest.EnvPostgres))
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			if _, err := admin.ExecContext(ctx, `DROP DATABASE `+db.QuoteIdent(strings.TrimPrefix(u.Path, "/"))+` WITH (FORCE)`); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(dsn, []byte(strings.Repeat("not a database page ", 4096)), 0o600); err != nil {
			t.Fatal(err)
		}
		r := h.run("run", "pipeline", "--account", "c-a-lost-gb", "--date", "2026-03-10")
		if r.code != 1 || !strings.Contains(r.stderr, "c-a-lost-gb") || strings.Contains(r.stderr, "panic") {
			t.Fatalf("lost account: exit %d\n%s", r.code, r.stderr)
		}
		if runs := runsByStatus(t, h); runs["running"] != 0 || runs["failed"] != 1 {
			t.Fatalf("runs after the failure: %v, want one failed and none left running", runs)
		}
		h.must("run", "pipeline", "--account", "c-a-fine-gb", "--date", "2026-03-10")
	})
}
