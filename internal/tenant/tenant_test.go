package tenant_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/internal/registry"
	"github.com/cubedhq/cubed/internal/tenant"
	"github.com/cubedhq/cubed/migrations"
)

// env is a migrated control database and a manager over it.
type env struct {
	t       *testing.T
	tg      dbtest.Target
	control *db.DB
	m       *tenant.Manager
}

// newEnv opens tg's control database, migrates it and returns a manager
// with the production seeders; change adjusts the options.
func newEnv(t *testing.T, tg dbtest.Target, change func(o *tenant.Options)) *env {
	t.Helper()
	ctx := context.Background()
	dsn := tg.ControlDSN
	if dsn == "" {
		dsn = filepath.Join(tg.DataDir, "control.db")
	}
	control, err := db.Open(ctx, dsn, db.Options{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { control.Close() })
	migs, err := migrate.Load(migrations.FS, "control", control.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(ctx, control, migs); err != nil {
		t.Fatal(err)
	}
	opt := tenant.Options{
		DataDir: tg.DataDir, ControlDSN: tg.ControlDSN, PGDatabasePrefix: tg.PGPrefix,
		Migrations: migrations.FS, Seeders: app.Registry().Seeders,
	}
	if change != nil {
		change(&opt)
	}
	m := tenant.NewManager(control, opt)
	t.Cleanup(func() { m.Close() })
	return &env{t: t, tg: tg, control: control, m: m}
}

func (e *env) create(name string) tenant.Account {
	e.t.Helper()
	a, err := e.m.Create(context.Background(), tenant.CreateParams{Name: name, Country: "gb"})
	if err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	return a
}

func (e *env) accountCount() int {
	e.t.Helper()
	var n int
	if err := e.control.QueryRow(context.Background(), `SELECT count(*) FROM "account"`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// databaseExists tells whether an account's database exists: the SQLite
// file (or its -wal/-shm companions) or the PostgreSQL database.
func (e *env) databaseExists(dbName string) bool {
	e.t.Helper()
	if e.tg.Dialect == db.Postgres {
		var n int
		if err := e.control.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = ?`, e.tg.PGPrefix+dbName).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		return n > 0
	}
	matches, err := filepath.Glob(filepath.Join(e.tg.DataDir, "clients", dbName+".db*"))
	if err != nil {
		e.t.Fatal(err)
	}
	return len(matches) > 0
}

func describe(a tenant.Account) string {
	return fmt.Sprintf("%s %s %s %s %s %s %s lookback=%d timeout=%d active=%v", a.Token, a.Name, a.Country, a.Domain, a.DBName,
		a.TimeZone, a.Currency, a.LookbackDays, a.SessionTimeoutMinutes, a.Active)
}

func queryInt(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestCreate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		e := newEnv(t, tg, nil)
		a, err := e.m.Create(ctx, tenant.CreateParams{Name: "shop", Country: "GB", Domain: "Shop.Example.com.", TimeZone: "America/New_York", Currency: "eur"})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("account row", func(t *testing.T) {
			got := describe(a)
			want := "c-a-shop-gb shop gb shop.example.com cubed_a_shop_gb America/New_York EUR lookback=30 timeout=30 active=true"
			if got != want {
				t.Fatalf("account\n got %s\nwant %s", got, want)
			}
			if a.ID <= 0 || time.Since(a.Created) > time.Minute || a.Location().String() != "America/New_York" {
				t.Fatalf("id %d, created %v, location %v", a.ID, a.Created, a.Location())
			}
		})
		t.Run("database made", func(t *testing.T) {
			if !e.databaseExists("cubed_a_shop_gb") {
				t.Fatal("no client database")
			}
			if tg.Dialect == db.Postgres {
				if db.DatabaseName(a.DBDSN) != tg.PGPrefix+"cubed_a_shop_gb" || e.m.ClientDSN(a) != a.DBDSN {
					t.Fatalf("DSN names database %q", db.DatabaseName(a.DBDSN))
				}
			} else if a.DBDSN != "" || e.m.ClientDSN(a) != filepath.Join(tg.DataDir, "clients", "cubed_a_shop_gb.db") {
				t.Fatalf("DBDSN %q, ClientDSN %q", a.DBDSN, e.m.ClientDSN(a))
			}
		})
		d, release, err := e.m.Acquire(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		t.Run("migrated", func(t *testing.T) {
			migs, err := migrate.Load(migrations.FS, "client", d.Dialect())
			if err != nil {
				t.Fatal(err)
			}
			pending, cur, err := migrate.Pending(ctx, d, migs)
			if err != nil || len(pending) != 0 || cur != len(migs) {
				t.Fatalf("version %d of %d, %d pending, %v", cur, len(migs), len(pending), err)
			}
		})
		t.Run("seeded", func(t *testing.T) {
			counts := []struct {
				what, q string
				want    int
			}{
				{"channels", `SELECT count(*) FROM "channel" WHERE "active"`, 11},
				{"channels match the defaults", `SELECT count(*) FROM "channel"`, len(attrib.DefaultChannels)},
				{"default patterns", `SELECT count(*) FROM "pattern" WHERE "is_default" AND "active"`, len(attrib.DefaultPatterns)},
				{"patterns point at seeded channels", `SELECT count(*) FROM "pattern" p JOIN "channel" c ON c."id" = p."channel_id"`, len(attrib.DefaultPatterns)},
				{"attribution models", `SELECT count(*) FROM "attribution_model"`, 7},
				{"one default model", `SELECT count(*) FROM "attribution_model" WHERE "is_default"`, 1},
				{"the default is last_click", `SELECT count(*) FROM "attribution_model" WHERE "is_default" AND "code" = 'last_click'`, 1},
				{"payment referrers", `SELECT count(*) FROM "payment_referrer"`, len(attrib.DefaultPaymentReferrers)},
			}
			for _, c := range counts {
				if got := queryInt(t, d, c.q); got != c.want {
					t.Errorf("%s: %d, want %d", c.what, got, c.want)
				}
			}
			if len(attrib.DefaultPatterns) == 0 || len(attrib.DefaultPaymentReferrers) == 0 {
				t.Error("no default patterns or payment referrers to seed")
			}
			if n := queryInt(t, d, `SELECT count(*) FROM "payment_referrer" WHERE "domain" = 'paypal.com'`); n != 1 {
				t.Error("paypal.com is not a payment referrer")
			}
		})
		t.Run("listed", func(t *testing.T) {
			list, err := e.m.List(ctx)
			if err != nil || len(list) != 1 || list[0].Token != "c-a-shop-gb" {
				t.Fatalf("List = %v, %v", list, err)
			}
		})
	})
}

func TestCreateDuplicate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		e := newEnv(t, tg, nil)
		first := e.create("shop")
		cases := []struct {
			name   string
			p      tenant.CreateParams
			before func(t *testing.T)
			field  string
		}{
			{name: "same token", p: tenant.CreateParams{Name: "shop", Country: "gb"}, field: "token"},
			{name: "same token after normalising", p: tenant.CreateParams{Name: "shop", Country: "GB", Currency: "usd"}, field: "token"},
			{name: "database already there without an account", p: tenant.CreateParams{Name: "stray", Country: "gb"}, field: "db_name", before: func(t *testing.T) {
				if tg.Dialect == db.Postgres {
					dbtest.CreateDatabase(t, os.Getenv(dbtest.EnvPostgres), tg.PGPrefix+"cubed_a_stray_gb")
					return
				}
				if err := os.WriteFile(filepath.Join(tg.DataDir, "clients", "cubed_a_stray_gb.db"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.before != nil {
					c.before(t)
				}
				_, err := e.m.Create(ctx, c.p)
				var conflict *apperr.Conflict
				if !errors.As(err, &conflict) || !errors.Is(err, apperr.ErrConflict) {
					t.Fatalf("err %v, want a conflict", err)
				}
				if len(conflict.Fields) != 1 || conflict.Fields[0] != c.field {
					t.Fatalf("conflict names %v, want %s", conflict.Fields, c.field)
				}
				if n := e.accountCount(); n != 1 {
					t.Fatalf("%d accounts", n)
				}
			})
		}
		// The existing account and its data are untouched.
		d, release, err := e.m.Acquire(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		if n := queryInt(t, d, `SELECT count(*) FROM "channel"`); n != 11 {
			t.Fatalf("%d channels after the duplicate attempts", n)
		}
		// The stray database was not taken over or removed.
		if !e.databaseExists("cubed_a_stray_gb") {
			t.Fatal("the stray database was removed")
		}
	})
}

func TestCreateInvalid(t *testing.T) {
	cases := []struct {
		name  string
		p     tenant.CreateParams
		field string
	}{
		{"name with a space", tenant.CreateParams{Name: "Bad Name", Country: "gb"}, "--name"},
		{"name too short", tenant.CreateParams{Name: "a", Country: "gb"}, "--name"},
		{"name starting with a digit", tenant.CreateParams{Name: "1shop", Country: "gb"}, "--name"},
		{"name too long", tenant.CreateParams{Name: strings.Repeat("a", 31), Country: "gb"}, "--name"},
		{"three-letter country", tenant.CreateParams{Name: "shop", Country: "gbr"}, "--country"},
		{"domain with spaces", tenant.CreateParams{Name: "shop", Country: "gb", Domain: "not a domain"}, "--domain"},
		{"unknown time zone", tenant.CreateParams{Name: "shop", Country: "gb", TimeZone: "Mars/Olympus"}, "--timezone"},
		{"Local is not a zone", tenant.CreateParams{Name: "shop", Country: "gb", TimeZone: "Local"}, "--timezone"},
		{"unknown currency", tenant.CreateParams{Name: "shop", Country: "gb", Currency: "ZZZ"}, "--currency"},
		{"DSN of another database kind", tenant.CreateParams{Name: "shop", Country: "gb", DBDSN: "mysql://x/y"}, "--db-dsn"},
	}
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, nil)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := e.m.Create(context.Background(), c.p)
				var inv *apperr.Invalid
				if !errors.As(err, &inv) || inv.Field != c.field {
					t.Fatalf("err %v, want an invalid %s", err, c.field)
				}
			})
		}
		if n := e.accountCount(); n != 0 {
			t.Fatalf("%d accounts after invalid input", n)
		}
		if tg.Dialect == db.SQLite {
			files, _ := filepath.Glob(filepath.Join(tg.DataDir, "clients", "*"))
			if len(files) != 0 {
				t.Fatalf("files after invalid input: %v", files)
			}
		}
	})
}

// A failure after the database was made (a seeder, a migration) leaves no
// account row and no database behind, and the name stays free.
func TestCreateFailureLeavesNothing(t *testing.T) {
	boom := errors.New("seed boom")
	brokenMigrations := fstest.MapFS{
		"client/0001_broken.json":         {Data: []byte(`{"version": 1, "name": "0001_broken", "operations": []}`)},
		"client/sqlite/0001_broken.sql":   {Data: []byte("CREATE TABLE \"x\" (\"id\" INTEGER);\nTHIS IS NOT SQL;\n")},
		"client/postgres/0001_broken.sql": {Data: []byte("CREATE TABLE \"x\" (\"id\" INTEGER);\nTHIS IS NOT SQL;\n")},
	}
	cases := []struct {
		name   string
		change func(o *tenant.Options)
		want   string // the error must contain this
	}{
		{"seeder fails", func(o *tenant.Options) {
			o.Seeders = append(o.Seeders, registry.Seeder{Name: "failing", Seed: func(ctx context.Context, tx *db.Tx, _ registry.NewAccount) error {
				// It wrote something first: that must go too.
				if _, err := tx.Exec(ctx, `INSERT INTO "channel" ("name", "created", "updated") VALUES ('Half', ?, ?)`, time.Now(), time.Now()); err != nil {
					return err
				}
				return boom
			}})
		}, "seed failing: seed boom"},
		{"migration fails", func(o *tenant.Options) { o.Migrations = brokenMigrations }, "migrate"},
		{"migrations missing", func(o *tenant.Options) {
			o.Migrations = fstest.MapFS{"client/0001_a.json": {Data: []byte(`{"version": 1, "name": "0001_a", "operations": []}`)}}
		}, "load client migrations"},
	}
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// A control database per case (dbtest drops every database
				// under its prefix at the end).
				sub := tg
				sub.DataDir = t.TempDir()
				if tg.Dialect == db.Postgres {
					sub.PGPrefix = fmt.Sprintf("%sc%d_", tg.PGPrefix, i)
					sub.ControlDSN = dbtest.CreateDatabase(t, os.Getenv(dbtest.EnvPostgres), sub.PGPrefix+"control")
				}
				e := newEnv(t, sub, c.change)
				_, err := e.m.Create(ctx, tenant.CreateParams{Name: "shop", Country: "gb"})
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err %v, want one containing %q", err, c.want)
				}
				if c.name == "seeder fails" && !errors.Is(err, boom) {
					t.Fatalf("err %v does not wrap the seeder's error", err)
				}
				if n := e.accountCount(); n != 0 {
					t.Fatalf("%d account rows after a failed create", n)
				}
				if e.databaseExists("cubed_a_shop_gb") {
					t.Fatal("the half-made database is still there")
				}
				// The name is free: with working options the account is created.
				good := newEnvSharing(t, e)
				if _, err := good.m.Create(ctx, tenant.CreateParams{Name: "shop", Country: "gb"}); err != nil {
					t.Fatalf("create after the failure: %v", err)
				}
			})
		}
	})
}

// newEnvSharing returns a manager with production options over e's control
// database.
func newEnvSharing(t *testing.T, e *env) *env {
	m := tenant.NewManager(e.control, tenant.Options{
		DataDir: e.tg.DataDir, ControlDSN: e.tg.ControlDSN, PGDatabasePrefix: e.tg.PGPrefix,
		Migrations: migrations.FS, Seeders: app.Registry().Seeders,
	})
	t.Cleanup(func() { m.Close() })
	return &env{t: t, tg: e.tg, control: e.control, m: m}
}

func TestAcquireLRU(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		e := newEnv(t, tg, func(o *tenant.Options) { o.MaxOpen = 2 })
		accts := []tenant.Account{e.create("one"), e.create("two"), e.create("three")}
		if n := e.m.OpenCount(); n != 0 {
			t.Fatalf("%d handles open after creating (Create must not fill the cache)", n)
		}

		t.Run("bounded", func(t *testing.T) {
			for _, a := range accts {
				d, release, err := e.m.Acquire(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				if n := queryInt(t, d, `SELECT count(*) FROM "channel"`); n != 11 {
					t.Fatalf("%s: %d channels", a.Token, n)
				}
				release()
			}
			if n := e.m.OpenCount(); n != 2 {
				t.Fatalf("OpenCount %d, want 2", n)
			}
		})

		t.Run("cached handle reused", func(t *testing.T) {
			d1, r1, err := e.m.Acquire(ctx, accts[2])
			if err != nil {
				t.Fatal(err)
			}
			d2, r2, err := e.m.Acquire(ctx, accts[2])
			if err != nil {
				t.Fatal(err)
			}
			r1()
			r2()
			if d1 != d2 {
				t.Fatal("two handles for one account")
			}
		})

		t.Run("evicted handle in use keeps working until released", func(t *testing.T) {
			held, release, err := e.m.Acquire(ctx, accts[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range accts[1:] { // accts[0] becomes the least recently used
				_, r, err := e.m.Acquire(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				r()
			}
			if n := e.m.OpenCount(); n != 2 {
				t.Fatalf("OpenCount %d, want 2", n)
			}
			if _, err := held.Exec(ctx, `UPDATE "channel" SET "sort" = "sort" + 1`); err != nil {
				t.Fatalf("write through the evicted handle: %v", err)
			}
			if n := queryInt(t, held, `SELECT count(*) FROM "channel"`); n != 11 {
				t.Fatalf("read through the evicted handle: %d", n)
			}
			release()
			// Acquiring again opens a fresh handle; the released one closes
			// (in the background, so wait for it with a deadline).
			d, r, err := e.m.Acquire(ctx, accts[0])
			if err != nil {
				t.Fatal(err)
			}
			defer r()
			if d == held {
				t.Fatal("the evicted handle was handed out again")
			}
			if n := queryInt(t, d, `SELECT count(*) FROM "channel"`); n != 11 {
				t.Fatalf("fresh handle: %d channels", n)
			}
			deadline := time.Now().Add(10 * time.Second)
			for held.Ping(ctx) == nil {
				if time.Now().After(deadline) {
					t.Fatal("the evicted handle was not closed after its release")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})

		t.Run("concurrent acquires share one handle", func(t *testing.T) {
			const n = 16
			handles := make([]*db.DB, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					d, release, err := e.m.Acquire(ctx, accts[1])
					if err != nil {
						errs[i] = err
						return
					}
					defer release()
					handles[i] = d
					errs[i] = d.Ping(ctx)
				})
			}
			close(start)
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				if handles[i] != handles[0] {
					t.Fatal("concurrent acquires opened several handles")
				}
			}
			if c := e.m.OpenCount(); c > 2 {
				t.Fatalf("OpenCount %d", c)
			}
		})

		t.Run("missing database is an error and not cached", func(t *testing.T) {
			before := e.m.OpenCount()
			gone := tenant.Account{Token: "c-a-gone-gb", DBName: "cubed_a_gone_gb"}
			if tg.Dialect == db.Postgres {
				dsn, err := db.WithDatabase(tg.ControlDSN, tg.PGPrefix+"cubed_a_gone_gb")
				if err != nil {
					t.Fatal(err)
				}
				gone.DBDSN = dsn
			}
			for range 2 {
				_, _, err := e.m.Acquire(ctx, gone)
				if err == nil || !strings.Contains(err.Error(), "c-a-gone-gb") {
					t.Fatalf("err %v, want one naming the account", err)
				}
				if tg.Dialect == db.SQLite && !errors.Is(err, db.ErrDatabaseMissing) {
					t.Fatalf("err %v, want ErrDatabaseMissing", err)
				}
			}
			if tg.Dialect == db.SQLite {
				if _, err := os.Stat(e.m.ClientDSN(gone)); !errors.Is(err, os.ErrNotExist) {
					t.Fatal("Acquire created a database file")
				}
			}
			if n := e.m.OpenCount(); n != before {
				t.Fatalf("OpenCount %d after failed opens, want %d", n, before)
			}
		})
	})
}

func TestGetAndSetActive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		e := newEnv(t, tg, nil)
		shop := e.create("shop")
		other := e.create("other")

		cases := []struct {
			ref  string
			want string // token, "" for not found
		}{
			{"c-a-shop-gb", "c-a-shop-gb"},
			{strconv.FormatInt(shop.ID, 10), "c-a-shop-gb"},
			{strconv.FormatInt(other.ID, 10), "c-a-other-gb"},
			{"c-a-nope-gb", ""},
			{"999999", ""},
			{"", ""},
			{"c-a-shop-gb' OR '1'='1", ""},
		}
		for _, c := range cases {
			t.Run("Get "+c.ref, func(t *testing.T) {
				for _, get := range []func(context.Context, string) (tenant.Account, error){e.m.Get, e.m.Lookup} {
					a, err := get(ctx, c.ref)
					if c.want == "" {
						if !errors.Is(err, apperr.ErrNotFound) {
							t.Fatalf("err %v, want not found", err)
						}
						continue
					}
					if err != nil || a.Token != c.want {
						t.Fatalf("got %q, %v; want %s", a.Token, err, c.want)
					}
				}
			})
		}

		t.Run("SetActive", func(t *testing.T) {
			// Warm the lookup cache: SetActive must invalidate it.
			if a, err := e.m.Lookup(ctx, "c-a-shop-gb"); err != nil || !a.Active {
				t.Fatalf("lookup: %v, %v", a.Active, err)
			}
			for _, active := range []bool{false, true, false} {
				a, err := e.m.SetActive(ctx, "c-a-shop-gb", active)
				if err != nil || a.Active != active {
					t.Fatalf("SetActive(%v) = %v, %v", active, a.Active, err)
				}
				for name, get := range map[string]func(context.Context, string) (tenant.Account, error){"Get": e.m.Get, "Lookup": e.m.Lookup} {
					if a, err := get(ctx, strconv.FormatInt(shop.ID, 10)); err != nil || a.Active != active {
						t.Fatalf("%s after SetActive(%v): %v, %v", name, active, a.Active, err)
					}
				}
			}
			if a, err := e.m.Get(ctx, "c-a-other-gb"); err != nil || !a.Active {
				t.Fatalf("other account changed: %v, %v", a.Active, err)
			}
			if _, err := e.m.SetActive(ctx, "c-a-nope-gb", false); !errors.Is(err, apperr.ErrNotFound) {
				t.Fatalf("SetActive on an unknown account: %v", err)
			}
		})
	})
}

// Creating one account from several goroutines at once gives one account
// with an intact database and a conflict for every other caller.
func TestCreateConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		e := newEnv(t, tg, nil)
		const n = 4
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = e.m.Create(ctx, tenant.CreateParams{Name: "shop", Country: "gb"})
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, apperr.ErrConflict):
				t.Errorf("want a conflict, got %v", err)
			}
		}
		if created != 1 || e.accountCount() != 1 {
			t.Fatalf("%d created, %d accounts", created, e.accountCount())
		}
		a, err := e.m.Get(ctx, "c-a-shop-gb")
		if err != nil {
			t.Fatal(err)
		}
		d, release, err := e.m.Acquire(ctx, a)
		if err != nil {
			t.Fatalf("the account's database: %v", err)
		}
		defer release()
		if n := queryInt(t, d, `SELECT count(*) FROM "channel"`); n != 11 {
			t.Fatalf("%d channels", n)
		}
	})
}
