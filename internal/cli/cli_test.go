package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/internal/registry"
	"github.com/cubedhq/cubed/internal/schema"
)

// harness runs `cubed` in-process against one test's databases.
type harness struct {
	t        *testing.T
	tg       dbtest.Target
	registry func() *registry.Registry
	stdin    string
}

type result struct {
	code           int
	stdout, stderr string
}

func newHarness(t *testing.T, tg dbtest.Target) *harness {
	t.Setenv("CUBED_PG_DATABASE_PREFIX", tg.PGPrefix)
	return &harness{t: t, tg: tg, registry: app.Registry}
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--data", filepath.Join(h.tg.DataDir, "data")}, args...)
	if h.tg.ControlDSN != "" {
		full = append([]string{"--control-dsn", h.tg.ControlDSN}, full...)
	}
	env := Env{Stdin: strings.NewReader(h.stdin), Stdout: &out, Stderr: &errb, Registry: h.registry,
		Terminal: func(io.Writer) bool { return false }}
	code := Run(context.Background(), env, full)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (h *harness) must(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("cubed %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// copyMigrations copies the repository's migrations into dir.
func copyMigrations(t *testing.T, dir string) {
	t.Helper()
	src := filepath.Join("..", "..", "migrations")
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), raw, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// withExtraField returns a registry whose client model channel has one
// more field, as a developer adding a field would.
func withExtraField() *registry.Registry {
	r := app.Registry()
	m, _ := r.Models.Get(schema.Client, "channel")
	m.Fields = append(m.Fields, schema.TextF("notes", 200).Nullable())
	return r
}

// The acceptance sequence of the Foundation issue, on each dialect.
func TestAccountsAndClientMigrations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		h := newHarness(t, tg)
		migDir := filepath.Join(tg.DataDir, "migrations")
		copyMigrations(t, migDir)

		h.must("migrate", "--migrations-dir", migDir)
		for _, name := range []string{"alpha", "beta", "gamma"} {
			r := h.must("account", "create", "--name", name, "--country", "GB", "--migrations-dir", migDir)
			if !strings.Contains(r.stdout, "created account c-a-"+name+"-gb") {
				t.Fatalf("create output: %s", r.stdout)
			}
		}
		if tg.ControlDSN == "" {
			files, _ := filepath.Glob(filepath.Join(tg.DataDir, "data", "clients", "*.db"))
			if len(files) != 3 {
				t.Fatalf("want 3 client database files, got %v", files)
			}
		}
		r := h.must("migrate_client", "--all", "--migrations-dir", migDir)
		if strings.Count(r.stdout, "up to date") != 3 {
			t.Fatalf("want 3 up to date:\n%s", r.stdout)
		}

		files, err := migrate.LoadFiles(os.DirFS(migDir), "client")
		if err != nil {
			t.Fatal(err)
		}
		cur := len(files)
		next := fmt.Sprintf("%04d", cur+1)
		// A developer adds a field: --check fails, makemigrations writes the next one.
		h.registry = withExtraField
		if r := h.run("makemigrations", "--check", "--dir", migDir); r.code != 1 {
			t.Fatalf("check before: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		r = h.must("makemigrations", "--dir", migDir)
		if !strings.Contains(r.stdout, "client/"+next+"_add_column_channel_notes.json") {
			t.Fatalf("makemigrations output:\n%s", r.stdout)
		}
		h.must("makemigrations", "--check", "--dir", migDir)

		r = h.must("migrate_client", "--all", "--parallel", "2", "--migrations-dir", migDir)
		if strings.Count(r.stdout, fmt.Sprintf("%d → %d", cur, cur+1)) != 3 || strings.Count(r.stdout, "migrated") != 3 {
			t.Fatalf("want 3 migrated %d → %d:\n%s", cur, cur+1, r.stdout)
		}
		r = h.must("migrate_client", "--all", "--migrations-dir", migDir)
		if strings.Count(r.stdout, fmt.Sprintf("%d → %d", cur+1, cur+1)) != 3 {
			t.Fatalf("rerun should be a no-op:\n%s", r.stdout)
		}
		// New accounts get the new column too.
		h.must("account", "create", "--name", "delta", "--country", "fr", "--timezone", "Europe/Paris", "--currency", "EUR", "--migrations-dir", migDir)
		r = h.must("migrate_client", "--account", "c-a-delta-fr", "--plan", "--migrations-dir", migDir)
		if !strings.Contains(r.stdout, fmt.Sprintf("up to date (version %d)", cur+1)) {
			t.Fatalf("plan for delta:\n%s", r.stdout)
		}
	})
}

func TestMigrateClientFailureIsReportedAndOthersContinue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		h := newHarness(t, tg)
		migDir := filepath.Join(tg.DataDir, "migrations")
		copyMigrations(t, migDir)
		h.must("migrate", "--migrations-dir", migDir)
		for _, name := range []string{"one", "two", "three"} {
			h.must("account", "create", "--name", name, "--country", "gb", "--migrations-dir", migDir)
		}
		// Break one client: a table in the way of the next migration.
		h.registry = withExtraField
		h.must("makemigrations", "--dir", migDir)
		a := openApp(t, h)
		acct, err := a.Tenants.Get(context.Background(), "c-a-two-gb")
		if err != nil {
			t.Fatal(err)
		}
		d, release, err := a.Tenants.Acquire(context.Background(), acct)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(context.Background(), `ALTER TABLE "channel" ADD COLUMN "notes" TEXT`); err != nil {
			t.Fatal(err)
		}
		release()
		a.Close()

		r := h.run("migrate_client", "--all", "--migrations-dir", migDir)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "c-a-two-gb") || !strings.Contains(r.stdout, "failed:") || strings.Count(r.stdout, "migrated") != 2 {
			t.Fatalf("want two migrated and c-a-two-gb failed:\n%s", r.stdout)
		}
		if !strings.Contains(r.stderr, "1 of 3 client databases failed") {
			t.Fatalf("stderr: %s", r.stderr)
		}
	})
}

func openApp(t *testing.T, h *harness) *app.App {
	t.Helper()
	cfg := h.cliConfig()
	a, err := app.Open(context.Background(), cfg, discardLogger(), h.registry())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (h *harness) cliConfig() (cfg appConfig) {
	cfg = defaultsForTest()
	cfg.DataDir = filepath.Join(h.tg.DataDir, "data")
	cfg.ControlDSN = h.tg.ControlDSN
	cfg.MigrationsDir = filepath.Join(h.tg.DataDir, "migrations")
	cfg.PGDatabasePrefix = h.tg.PGPrefix
	return cfg
}

func TestBadInputExitsTwoAndCreatesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		h := newHarness(t, tg)
		h.must("migrate")
		h.must("account", "create", "--name", "shop", "--country", "gb")
		h.must("user", "create", "--email", "ana@example.com")
		cases := []struct {
			args []string
			name string // the bad value or flag the message must name
		}{
			{[]string{"account", "create", "--name", "Bad Name", "--country", "gb"}, "Bad Name"},
			{[]string{"account", "create", "--name", "ok", "--country", "gbr"}, "gbr"},
			{[]string{"account", "create", "--name", "ok", "--country", "gb", "--timezone", "Mars/Olympus"}, "Mars/Olympus"},
			{[]string{"account", "create", "--name", "ok", "--country", "gb", "--currency", "ZZZ"}, "ZZZ"},
			{[]string{"account", "create", "--name", "ok", "--country", "gb", "--domain", "not a domain"}, "not a domain"},
			{[]string{"account", "create", "--name", "ok", "--country", "gb", "--db-dsn", "mysql://x"}, "--db-dsn"},
			{[]string{"account", "create", "--country", "gb"}, "--name"},
			{[]string{"account", "create", "--name", "shop", "--country", "gb"}, "c-a-shop-gb"},
			{[]string{"account", "create", "--name", "ok", "--country", "gb", "--bogus"}, "--bogus"},
			{[]string{"account", "disable", "c-a-nope-gb"}, "c-a-nope-gb"},
			{[]string{"account", "disable"}, "account token"},
			{[]string{"user", "create", "--email", "not-an-email"}, "not-an-email"},
			{[]string{"user", "create", "--email", "ana@example.com"}, "ana@example.com"},
			{[]string{"user", "create", "--email", "bo@example.com", "--account", "c-a-nope-gb", "--role", "viewer"}, "c-a-nope-gb"},
			{[]string{"user", "create", "--email", "bo@example.com", "--account", "c-a-shop-gb", "--role", "owner"}, "owner"},
			{[]string{"user", "grant", "--email", "zed@example.com", "--account", "c-a-shop-gb", "--role", "viewer"}, "zed@example.com"},
			{[]string{"user", "grant", "--email", "ana@example.com", "--account", "c-a-shop-gb", "--role", "root"}, "root"},
			{[]string{"apikey", "create", "--email", "zed@example.com"}, "zed@example.com"},
			{[]string{"apikey", "create"}, "--email"},
			{[]string{"migrate_client"}, "--account"},
			{[]string{"migrate_client", "--all", "--parallel", "0"}, "--parallel"},
			{[]string{"migrate_client", "--account", "c-a-nope-gb"}, "c-a-nope-gb"},
			{[]string{"makemigrations", "--name", "Bad-Name"}, "Bad-Name"},
			{[]string{"makemigrations", "--rename-table", "nowhere"}, "nowhere"},
			{[]string{"serve", "--addr", "nonsense"}, "nonsense"},
			{[]string{"--log-format", "xml", "account", "list"}, "xml"},
			{[]string{"nosuchcommand"}, "nosuchcommand"},
		}
		for _, c := range cases {
			r := h.run(c.args...)
			if r.code != ExitUsage {
				t.Errorf("cubed %s: exit %d, want 2 (stderr %q)", strings.Join(c.args, " "), r.code, r.stderr)
				continue
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], c.name) {
				t.Errorf("cubed %s: want one line naming %q, got %q", strings.Join(c.args, " "), c.name, r.stderr)
			}
		}
		// Nothing half-created: still exactly one account, one database, one user.
		r := h.must("account", "list")
		if strings.Count(r.stdout, "c-a-") != 1 {
			t.Fatalf("accounts after bad input:\n%s", r.stdout)
		}
		if tg.ControlDSN == "" {
			files, _ := filepath.Glob(filepath.Join(tg.DataDir, "data", "clients", "*"))
			if len(files) != 1 && !(len(files) > 1 && allSameDB(files)) {
				t.Fatalf("client files after bad input: %v", files)
			}
		}
		if r := h.run("user", "grant", "--email", "bo@example.com", "--account", "c-a-shop-gb", "--role", "viewer"); r.code != ExitUsage {
			t.Fatalf("bo must not exist after failed creates: exit %d", r.code)
		}
	})
}

func allSameDB(files []string) bool {
	for _, f := range files {
		if !strings.HasPrefix(filepath.Base(f), "cubed_a_shop_gb.db") {
			return false
		}
	}
	return true
}

func TestAPIKeyPrintedAloneOnLastLine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		h := newHarness(t, tg)
		h.must("migrate")
		h.must("account", "create", "--name", "shop", "--country", "gb")
		h.stdin = "correct horse battery\n"
		h.must("user", "create", "--email", "Ana@Example.com", "--password-stdin", "--account", "c-a-shop-gb", "--role", "editor")
		r := h.must("apikey", "create", "--email", "ana@example.com")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		key := lines[len(lines)-1]
		if strings.Contains(key, " ") || len(key) < 32 {
			t.Fatalf("last line is not a bare key: %q", key)
		}
		a := openApp(t, h)
		defer a.Close()
		u, err := a.Auth.AuthenticateAPIKey(context.Background(), "ana@example.com", key)
		if err != nil || u.Email != "ana@example.com" {
			t.Fatalf("key does not authenticate: %v", err)
		}
		if _, err := a.Auth.Authenticate(context.Background(), "ANA@example.com", "correct horse battery"); err != nil {
			t.Fatalf("password from stdin does not authenticate: %v", err)
		}
		var stored int
		if err := a.Control.QueryRow(context.Background(), `SELECT count(*) FROM "api_key" WHERE "key_hash" = ?`, key).Scan(&stored); err != nil || stored != 0 {
			t.Fatalf("the key itself must not be stored (found %d, %v)", stored, err)
		}
	})
}
