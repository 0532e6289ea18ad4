package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

func TestBackupRestore(t *testing.T) {
	tg := dbtest.Target{Dialect: db.SQLite, DataDir: t.TempDir()}
	h := newHarness(t, tg)
	h.must("migrate")
	h.must("account", "create", "--name", "shop", "--country", "gb")
	h.must("user", "create", "--email", "ana@example.com", "--account", "c-a-shop-gb", "--role", "admin")
	out := filepath.Join(tg.DataDir, "backup")
	r := h.must("backup", "--out", out)
	if !strings.Contains(r.stdout, "1 of 1 client databases") {
		t.Fatalf("backup: %s", r.stdout)
	}
	if r := h.run("backup", "--out", out); r.code != ExitUsage {
		t.Fatalf("backup into a non-empty directory: exit %d", r.code)
	}
	if r := h.run("restore", "--from", out); r.code != ExitUsage || !strings.Contains(r.stderr, "already holds") {
		t.Fatalf("restore over live data: %d %s", r.code, r.stderr)
	}
	// Restore into a fresh data directory and use it.
	fresh := dbtest.Target{Dialect: db.SQLite, DataDir: t.TempDir()}
	h2 := newHarness(t, fresh)
	h2.must("restore", "--from", out)
	r = h2.must("account", "list")
	if !strings.Contains(r.stdout, "c-a-shop-gb") {
		t.Fatalf("restored accounts: %s", r.stdout)
	}
	r = h2.must("migrate_client", "--all")
	if !strings.Contains(r.stdout, "up to date") {
		t.Fatalf("restored client: %s", r.stdout)
	}
	d, err := db.Open(context.Background(), filepath.Join(fresh.DataDir, "data", "clients", "cubed_a_shop_gb.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRow(context.Background(), `SELECT count(*) FROM "channel"`).Scan(&n); err != nil || n != 11 {
		t.Fatalf("restored channels: %d %v", n, err)
	}
}
