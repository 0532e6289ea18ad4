package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

const offlineHeader = "account_token,event_date_time,transaction_id,revenue,currency,customer_id,event_item_sku,page_url,referrer,sync_id_1,sync_id_2,sync_id_3\n"

func TestImportOfflineSalesCommand(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		h := newHarness(t, tg)
		h.must("migrate")
		h.must("account", "create", "--name", "shop", "--country", "gb")
		dir := t.TempDir()
		write := func(name, body string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		mixed := write("mixed.csv", offlineHeader+
			"c-a-shop-gb,2025-03-01 10:00:00,T1,59.99,GBP,C1,SKU-1,,,abc,,\n"+
			"c-a-shop-gb,2025-03-01 11:00:00,T2,lots,GBP,,,,,,,\n"+
			"c-a-shop-gb,2025-03-02 09:30:00,T3,12.50,,,,,,,,\n")
		r := h.must("import", "offline-sales", "--account", "c-a-shop-gb", "--file", mixed)
		for _, s := range []string{"3 rows, 2 stored, 1 rejected", "row 3, revenue: must be a number"} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("output lacks %q:\n%s", s, r.stdout)
			}
		}
		cases := []struct {
			args []string
			code int
			name string
		}{
			{[]string{"import", "offline-sales", "--account", "c-a-shop-gb", "--file", mixed}, ExitUsage, "already uploaded"},
			{[]string{"import", "offline-sales", "--account", "c-a-shop-gb"}, ExitUsage, "--file"},
			{[]string{"import", "offline-sales", "--file", mixed}, ExitUsage, "--account"},
			{[]string{"import", "offline-sales", "--account", "c-a-nope-gb", "--file", mixed}, ExitUsage, "c-a-nope-gb"},
			{[]string{"import", "offline-sales", "--account", "c-a-shop-gb", "--file", filepath.Join(dir, "missing.csv")}, ExitUsage, "missing.csv"},
			{[]string{"import", "offline-sales", "--account", "c-a-shop-gb", "--file", write("header.csv", "when,what\n1,2\n")}, ExitUsage, "unknown column"},
			{[]string{"import", "offline-sales", "--account", "c-a-shop-gb", "--file", write("allbad.csv", offlineHeader+"c-a-shop-gb,never,T9,1,GBP,,,,,,,\n")}, ExitUsage, "no valid row"},
		}
		for _, c := range cases {
			r := h.run(c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.name) {
				t.Errorf("cubed %s: exit %d, stderr %q; want %d naming %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.name)
			}
		}
		// A system failure (the client database is gone) exits 1.
		if tg.Dialect == db.SQLite {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(filepath.Join(tg.DataDir, "data", "clients", "cubed_a_shop_gb.db"+suffix))
			}
		} else {
			admin, err := db.Open(context.Background(), os.Getenv(dbtest.EnvPostgres), db.Options{MaxReadConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = admin.Exec(context.Background(), `DROP DATABASE `+db.QuoteIdent(tg.PGPrefix+"cubed_a_shop_gb")+` WITH (FORCE)`)
			admin.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		other := write("other.csv", offlineHeader+"c-a-shop-gb,2025-03-05 10:00:00,T5,5,GBP,,,,,,,\n")
		if r := h.run("import", "offline-sales", "--account", "c-a-shop-gb", "--file", other); r.code != ExitFailure {
			t.Errorf("missing database: exit %d, want 1\n%s", r.code, r.stderr)
		}
	})
}
