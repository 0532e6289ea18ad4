package migrate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/schema"
)

// evolution is a migrations directory grown one makemigrations run at a
// time, as a developer would.
type evolution struct {
	t   *testing.T
	dir string
}

func newEvolution(t *testing.T) *evolution {
	return &evolution{t: t, dir: t.TempDir()}
}

// next runs makemigrations for models and returns the new file's name.
func (e *evolution) next(models []*schema.Model, renames ...Rename) string {
	e.t.Helper()
	plan, err := MakePlan(os.DirFS(e.dir), "client", declare(models...), renames, "")
	if err != nil {
		e.t.Fatal(err)
	}
	if plan.File == nil {
		e.t.Fatal("makemigrations found no changes")
	}
	if _, err := plan.Write(e.dir, os.DirFS(e.dir)); err != nil {
		e.t.Fatal(err)
	}
	return plan.File.Name
}

// migs loads the directory's SQL migrations for a dialect.
func (e *evolution) migs(dialect string) []Migration {
	e.t.Helper()
	m, err := Load(os.DirFS(e.dir), "client", dialect)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func mustApply(t *testing.T, d *db.DB, migs []Migration) Result {
	t.Helper()
	res, err := Apply(context.Background(), d, migs)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

func run(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func fails(t *testing.T, d *db.DB, why, q string, args ...any) error {
	t.Helper()
	_, err := d.Exec(context.Background(), q, args...)
	if err == nil {
		t.Fatalf("%s: %s succeeded", why, q)
	}
	return err
}

func queryInt(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func strings2(t *testing.T, d *db.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := d.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// indexes lists a table's index names (not primary keys).
func indexes(t *testing.T, d *db.DB, table string) []string {
	t.Helper()
	if d.Dialect() == db.Postgres {
		return strings2(t, d, `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = ? AND indexname NOT LIKE '%\_pkey' ORDER BY indexname`, table)
	}
	return strings2(t, d, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`, table)
}

// columns lists a table's columns in order. (A query naming a missing
// column proves nothing on SQLite: it reads "colour" as a string literal.)
func columns(t *testing.T, d *db.DB, table string) []string {
	t.Helper()
	if d.Dialect() == db.Postgres {
		return strings2(t, d, `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position`, table)
	}
	return strings2(t, d, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
}

func tableExists(t *testing.T, d *db.DB, table string) bool {
	t.Helper()
	if d.Dialect() == db.Postgres {
		return queryInt(t, d, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ?`, table) == 1
	}
	return queryInt(t, d, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table) == 1
}

func TestApplyInitialAndReapply(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ev := newEvolution(t)
		name := ev.next([]*schema.Model{channelModel(), patternModel()})
		d := tg.Open(t, "client")
		migs := ev.migs(tg.Dialect)

		steps := []struct {
			name string
			want Result
		}{
			{"initial apply", Result{From: 0, To: 1, Applied: []string{name}}},
			{"re-apply is a no-op", Result{From: 1, To: 1}},
			{"and again", Result{From: 1, To: 1}},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				if got := mustApply(t, d, migs); !reflect.DeepEqual(got, s.want) {
					t.Fatalf("result %+v, want %+v", got, s.want)
				}
				if v, err := Current(context.Background(), d); err != nil || v != 1 {
					t.Fatalf("Current = %d, %v", v, err)
				}
				if n := queryInt(t, d, `SELECT count(*) FROM `+HistoryTable); n != 1 {
					t.Fatalf("%d history rows, want 1", n)
				}
				for table, want := range map[string][]string{"channel": {"channel_name_uniq"}, "pattern": {"pattern_channel_id_idx"}} {
					if got := indexes(t, d, table); !reflect.DeepEqual(got, want) {
						t.Fatalf("%s indexes %v, want %v", table, got, want)
					}
				}
			})
		}
		pending, cur, err := Pending(context.Background(), d, migs)
		if err != nil || cur != 1 || len(pending) != 0 {
			t.Fatalf("Pending = %v, %d, %v", pending, cur, err)
		}
	})
}

func TestCurrentAndPendingOnEmptyDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ev := newEvolution(t)
		ev.next([]*schema.Model{channelModel()})
		ev.next([]*schema.Model{channelModel(), patternModel()})
		d := tg.Open(t, "client")
		pending, cur, err := Pending(context.Background(), d, ev.migs(tg.Dialect))
		if err != nil || cur != 0 || len(pending) != 2 {
			t.Fatalf("Pending on an empty database = %d migrations, version %d, %v", len(pending), cur, err)
		}
		mustApply(t, d, ev.migs(tg.Dialect)[:1])
		pending, cur, err = Pending(context.Background(), d, ev.migs(tg.Dialect))
		if err != nil || cur != 1 || len(pending) != 1 || pending[0].Version != 2 {
			t.Fatalf("Pending after 0001 = %v, version %d, %v", pending, cur, err)
		}
	})
}

// NULL -> NOT NULL with a default on a parent and on a child table. On
// SQLite this rebuilds both tables: rows, ids, indexes and foreign keys
// must survive.
func TestApplyAlterColumnKeepsData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		ev := newEvolution(t)
		ev.next([]*schema.Model{channelModel(), patternModel()})
		d := tg.Open(t, "client")
		mustApply(t, d, ev.migs(tg.Dialect))

		created := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
		direct, err := db.InsertID(ctx, d, `INSERT INTO "channel" ("name", "colour", "created", "updated") VALUES ('Direct', NULL, ?, ?)`, created, created)
		if err != nil {
			t.Fatal(err)
		}
		seo, err := db.InsertID(ctx, d, `INSERT INTO "channel" ("name", "colour", "sort") VALUES ('SEO', '#00ff00', 2)`)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			ch   int64
			text string
		}{{direct, "^$"}, {seo, "google"}, {seo, "bing"}} {
			run(t, d, `INSERT INTO "pattern" ("channel_id", "pattern") VALUES (?, ?)`, p.ch, p.text)
		}

		name := ev.next([]*schema.Model{
			setField(channelModel(), schema.TextF("colour", 7).Def("#cccccc")),
			setField(patternModel(), schema.TextF("pattern", 255).Nullable()),
		})
		res := mustApply(t, d, ev.migs(tg.Dialect))
		if !reflect.DeepEqual(res, Result{From: 1, To: 2, Applied: []string{name}}) {
			t.Fatalf("result %+v", res)
		}

		t.Run("rows kept and NULLs filled", func(t *testing.T) {
			rows, err := d.Query(ctx, `SELECT "id", "name", "colour", "sort", "created" FROM "channel" ORDER BY "id"`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			type row struct {
				id            int64
				name, colour  string
				sort          int
				createdMicros int64
			}
			var got []row
			for rows.Next() {
				var r row
				var c time.Time
				if err := rows.Scan(&r.id, &r.name, &r.colour, &r.sort, &c); err != nil {
					t.Fatal(err)
				}
				if r.id == direct {
					r.createdMicros = c.UnixMicro()
				}
				got = append(got, r)
			}
			want := []row{{direct, "Direct", "#cccccc", 0, created.UnixMicro()}, {seo, "SEO", "#00ff00", 2, 0}}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("channels %+v, want %+v", got, want)
			}
			if n := queryInt(t, d, `SELECT count(*) FROM "pattern" WHERE "channel_id" = ?`, seo); n != 2 {
				t.Fatalf("%d SEO patterns, want 2", n)
			}
		})
		t.Run("new definition applies", func(t *testing.T) {
			id, err := db.InsertID(ctx, d, `INSERT INTO "channel" ("name") VALUES ('Email')`)
			if err != nil {
				t.Fatal(err)
			}
			var colour string
			if err := d.QueryRow(ctx, `SELECT "colour" FROM "channel" WHERE "id" = ?`, id).Scan(&colour); err != nil || colour != "#cccccc" {
				t.Fatalf("default colour %q, %v", colour, err)
			}
			fails(t, d, "colour is NOT NULL", `INSERT INTO "channel" ("name", "colour") VALUES ('PPC', NULL)`)
			run(t, d, `INSERT INTO "pattern" ("channel_id", "pattern") VALUES (?, NULL)`, id)
			// Ids continue after the old ones.
			if id <= seo {
				t.Fatalf("new id %d after %d", id, seo)
			}
		})
		t.Run("indexes survive", func(t *testing.T) {
			for table, want := range map[string][]string{"channel": {"channel_name_uniq"}, "pattern": {"pattern_channel_id_idx"}} {
				if got := indexes(t, d, table); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s indexes %v, want %v", table, got, want)
				}
			}
			err := fails(t, d, "name is unique", `INSERT INTO "channel" ("name") VALUES ('SEO')`)
			if _, ok := db.UniqueViolation(err); !ok {
				t.Fatalf("want a unique violation, got %v", err)
			}
		})
		t.Run("foreign keys still enforce", func(t *testing.T) {
			fails(t, d, "pattern.channel_id references channel", `INSERT INTO "pattern" ("channel_id", "pattern") VALUES (99999, 'x')`)
			run(t, d, `DELETE FROM "channel" WHERE "id" = ?`, seo) // ON DELETE CASCADE
			if n := queryInt(t, d, `SELECT count(*) FROM "pattern" WHERE "channel_id" = ?`, seo); n != 0 {
				t.Fatalf("%d patterns of a deleted channel survive", n)
			}
			if tg.Dialect == db.SQLite {
				if n := queryInt(t, d, `PRAGMA foreign_keys`); n != 1 {
					t.Fatal("foreign keys are off after Apply")
				}
			}
		})
	})
}

func TestApplyDropColumnKeepsData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		ev := newEvolution(t)
		ev.next([]*schema.Model{channelModel(), patternModel()})
		d := tg.Open(t, "client")
		mustApply(t, d, ev.migs(tg.Dialect))
		id, err := db.InsertID(ctx, d, `INSERT INTO "channel" ("name", "colour", "sort", "is_paid") VALUES ('PPC', '#123456', 7, TRUE)`)
		if err != nil {
			t.Fatal(err)
		}
		run(t, d, `INSERT INTO "pattern" ("channel_id", "pattern") VALUES (?, 'gclid')`, id)

		ev.next([]*schema.Model{without(channelModel(), "colour"), patternModel()})
		mustApply(t, d, ev.migs(tg.Dialect))

		var name string
		var sort int
		var paid bool
		if err := d.QueryRow(ctx, `SELECT "name", "sort", "is_paid" FROM "channel" WHERE "id" = ?`, id).Scan(&name, &sort, &paid); err != nil {
			t.Fatal(err)
		}
		if name != "PPC" || sort != 7 || !paid {
			t.Fatalf("row after drop: %q %d %v", name, sort, paid)
		}
		if got, want := columns(t, d, "channel"), []string{"id", "name", "is_paid", "sort", "created", "updated", "active"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("channel columns %v, want %v", got, want)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM "pattern" WHERE "channel_id" = ?`, id); n != 1 {
			t.Fatalf("%d patterns, want 1", n)
		}
		fails(t, d, "foreign key", `INSERT INTO "pattern" ("channel_id", "pattern") VALUES (99999, 'x')`)
		if got := indexes(t, d, "channel"); !reflect.DeepEqual(got, []string{"channel_name_uniq"}) {
			t.Fatalf("channel indexes %v", got)
		}
	})
}

// Adding a column whose default is the current time to a table with rows:
// SQLite's ADD COLUMN refuses non-constant defaults, so it needs a rebuild.
func TestApplyAddColumnWithNowDefault(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		ev := newEvolution(t)
		ev.next([]*schema.Model{channelModel(), patternModel()})
		d := tg.Open(t, "client")
		mustApply(t, d, ev.migs(tg.Dialect))
		ch, err := db.InsertID(ctx, d, `INSERT INTO "channel" ("name") VALUES ('SEO')`)
		if err != nil {
			t.Fatal(err)
		}
		run(t, d, `INSERT INTO "pattern" ("channel_id", "pattern") VALUES (?, 'google')`, ch)

		ev.next([]*schema.Model{channelModel(), with(patternModel(), func(m *schema.Model) {
			m.Fields = append(m.Fields, schema.Created(), schema.DateF("first_seen").Def("now"), schema.TextF("note", 20).Def("n/a"))
		})})
		mustApply(t, d, ev.migs(tg.Dialect))
		var created time.Time
		var note string
		if err := d.QueryRow(ctx, `SELECT "created", "note" FROM "pattern"`).Scan(&created, &note); err != nil {
			t.Fatal(err)
		}
		if created.IsZero() || note != "n/a" {
			t.Fatalf("existing row got created %v, note %q", created, note)
		}
		fails(t, d, "foreign key", `INSERT INTO "pattern" ("channel_id", "pattern") VALUES (99999, 'x')`)
	})
}

func TestApplyRenames(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		ev := newEvolution(t)
		ev.next([]*schema.Model{channelModel(), patternModel()})
		d := tg.Open(t, "client")
		mustApply(t, d, ev.migs(tg.Dialect))
		ch, err := db.InsertID(ctx, d, `INSERT INTO "channel" ("name") VALUES ('SEO')`)
		if err != nil {
			t.Fatal(err)
		}
		run(t, d, `INSERT INTO "pattern" ("channel_id", "pattern") VALUES (?, 'google')`, ch)

		medium := with(channelModel(), func(m *schema.Model) { m.Name = "medium"; m.Fields[0].Name = "title" })
		pattern := with(patternModel(), func(m *schema.Model) { m.Fields[0].References = "medium" })
		ev.next([]*schema.Model{medium, pattern}, Rename{Table: "channel", To: "medium"}, Rename{Table: "medium", Column: "name", To: "title"})
		mustApply(t, d, ev.migs(tg.Dialect))

		var title string
		if err := d.QueryRow(ctx, `SELECT "title" FROM "medium" WHERE "id" = ?`, ch).Scan(&title); err != nil || title != "SEO" {
			t.Fatalf("renamed row: %q, %v", title, err)
		}
		if tableExists(t, d, "channel") {
			t.Fatal("old table still exists")
		}
		if got := indexes(t, d, "medium"); !reflect.DeepEqual(got, []string{"medium_title_uniq"}) {
			t.Fatalf("medium indexes %v", got)
		}
		fails(t, d, "foreign key follows the rename", `INSERT INTO "pattern" ("channel_id", "pattern") VALUES (99999, 'x')`)
		run(t, d, `DELETE FROM "medium" WHERE "id" = ?`, ch)
		if n := queryInt(t, d, `SELECT count(*) FROM "pattern"`); n != 0 {
			t.Fatalf("cascade after rename left %d patterns", n)
		}
	})
}

// Dropping a chain of tables must go children first: PostgreSQL refuses
// to drop a table another still references.
func TestApplyDropTables(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		ev := newEvolution(t)
		ev.next(append(chain(), channelModel()))
		d := tg.Open(t, "client")
		mustApply(t, d, ev.migs(tg.Dialect))
		a, err := db.InsertID(ctx, d, `INSERT INTO "alpha" ("a") VALUES ('x')`)
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.InsertID(ctx, d, `INSERT INTO "beta" ("alpha_id") VALUES (?)`, a)
		if err != nil {
			t.Fatal(err)
		}
		run(t, d, `INSERT INTO "gamma" ("beta_id") VALUES (?)`, b)

		ev.next([]*schema.Model{channelModel()})
		mustApply(t, d, ev.migs(tg.Dialect))
		for _, table := range []string{"alpha", "beta", "gamma"} {
			if tableExists(t, d, table) {
				t.Errorf("%s still exists", table)
			}
		}
		if !tableExists(t, d, "channel") {
			t.Error("channel was dropped")
		}
	})
}

// The golden migrations (every operation kind) apply on both dialects, with
// rows in every table when the second one runs.
func TestApplyGoldenWithData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		migs, err := Load(os.DirFS(filepath.Join("testdata", "golden")), "client", tg.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		d := tg.Open(t, "client")
		mustApply(t, d, migs[:1])
		at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		ch, err := db.InsertID(ctx, d, `INSERT INTO "channel" ("name") VALUES ('SEO')`)
		if err != nil {
			t.Fatal(err)
		}
		camp, err := db.InsertID(ctx, d, `INSERT INTO "campaign" ("channel_id", "utm_campaign") VALUES (?, 'spring')`, ch)
		if err != nil {
			t.Fatal(err)
		}
		run(t, d, `INSERT INTO "sale" ("order_id", "revenue_minor", "tax_rate", "weight", "day", "at", "meta", "channel_id", "campaign_id") VALUES ('o-1', 1999, '0.2', 1.5, '2024-01-02', ?, '{"k": 1}', ?, ?)`, at, ch, camp)
		run(t, d, `INSERT INTO "agg_channel_day_with_a_rather_long_table_name" ("day", "channel_id", "visits", "revenue_minor") VALUES ('2024-01-02', ?, 3, 1999)`, ch)
		run(t, d, `INSERT INTO "token" ("hash", "expires") VALUES ('abc', ?)`, at)

		res := mustApply(t, d, migs)
		if res.From != 1 || res.To != 2 {
			t.Fatalf("result %+v", res)
		}
		var colour, currency, order string
		var revenue, sessions int64
		var gotAt time.Time
		if err := d.QueryRow(ctx, `SELECT c."colour", s."currency", s."order_id", s."revenue_minor", s."at", a."sessions" FROM "sale" s JOIN "channel" c ON c."id" = s."channel_id" JOIN "agg_channel_day" a ON a."channel_id" = c."id"`).
			Scan(&colour, &currency, &order, &revenue, &gotAt, &sessions); err != nil {
			t.Fatal(err)
		}
		if colour != "#cccccc" || currency != "GBP" || order != "o-1" || revenue != 1999 || !gotAt.Equal(at) || sessions != 3 {
			t.Fatalf("after 0002: %q %q %q %d %v %d", colour, currency, order, revenue, gotAt, sessions)
		}
		fails(t, d, "sale.campaign_id is RESTRICT", `DELETE FROM "campaign" WHERE "id" = ?`, camp)
		run(t, d, `DELETE FROM "sale"`)
		run(t, d, `DELETE FROM "channel" WHERE "id" = ?`, ch) // cascades to campaign and the aggregate
		if n := queryInt(t, d, `SELECT count(*) FROM "agg_channel_day"`); n != 0 {
			t.Fatalf("%d aggregate rows after cascade", n)
		}
	})
}

func TestApplyFailureRollsBackTheMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		ev := newEvolution(t)
		ev.next([]*schema.Model{channelModel()})
		d := tg.Open(t, "client")
		good := ev.migs(tg.Dialect)
		mustApply(t, d, good)

		broken := Migration{Version: 2, Name: "0002_broken", Checksum: "x", Statements: []string{
			`CREATE TABLE "extra" ("id" INTEGER PRIMARY KEY)`,
			`INSERT INTO "channel" ("name") VALUES ('half')`,
			`ALTER TABLE "channel" ADD COLUMN "notes" TEXT`,
			`INSERT INTO "no_such_table" ("x") VALUES (1)`,
		}}
		after := Migration{Version: 3, Name: "0003_after", Checksum: "y", Statements: []string{`CREATE TABLE "later" ("id" INTEGER PRIMARY KEY)`}}
		res, err := Apply(ctx, d, append(append([]Migration{}, good...), broken, after))
		if err == nil {
			t.Fatal("want an error")
		}
		if !strings.Contains(err.Error(), "0002_broken") || !strings.Contains(err.Error(), "statement 4") {
			t.Fatalf("error %q should name the migration and the statement", err)
		}
		if res.To != 1 || len(res.Applied) != 0 {
			t.Fatalf("result %+v", res)
		}
		if v, err := Current(ctx, d); err != nil || v != 1 {
			t.Fatalf("version %d, %v; want 1", v, err)
		}
		for _, table := range []string{"extra", "later"} {
			if tableExists(t, d, table) {
				t.Errorf("%s exists after the failed migration", table)
			}
		}
		if n := queryInt(t, d, `SELECT count(*) FROM "channel"`); n != 0 {
			t.Errorf("%d channel rows, want the insert rolled back", n)
		}
		if got := columns(t, d, "channel"); strings.Contains(strings.Join(got, ","), "notes") {
			t.Errorf("the added column survived the rollback: %v", got)
		}
		// Fixed, it applies.
		broken.Statements = broken.Statements[:3]
		res, err = Apply(ctx, d, append(append([]Migration{}, good...), broken, after))
		if err != nil || res.To != 3 || len(res.Applied) != 2 {
			t.Fatalf("after the fix: %+v, %v", res, err)
		}
	})
}

func TestApplyEditedMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		ev := newEvolution(t)
		first := ev.next([]*schema.Model{channelModel()})
		d := tg.Open(t, "client")
		mustApply(t, d, ev.migs(tg.Dialect))
		ev.next([]*schema.Model{channelModel(), patternModel()})

		file := filepath.Join(ev.dir, "client", tg.Dialect, first+".sql")
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, append(raw, "\n-- a harmless-looking edit\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Apply(ctx, d, ev.migs(tg.Dialect))
		if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), first) {
			t.Fatalf("err %v, want ErrChecksum naming %s", err, first)
		}
		if v, _ := Current(ctx, d); v != 1 {
			t.Fatalf("version %d: nothing may be applied past an edited migration", v)
		}
		if tableExists(t, d, "pattern") {
			t.Fatal("0002 was applied")
		}
	})
}

// Several Apply calls at once on one database, through one handle and
// through separate handles (separate processes), apply each migration
// exactly once.
func TestApplyConcurrent(t *testing.T) {
	migs := []Migration{
		{Version: 1, Name: "0001_counter", Checksum: "1", Statements: []string{`CREATE TABLE "counter" ("n" INTEGER NOT NULL)`}},
		{Version: 2, Name: "0002_count", Checksum: "2", Statements: []string{`INSERT INTO "counter" ("n") VALUES (1)`}},
		{Version: 3, Name: "0003_more", Checksum: "3", Statements: []string{`CREATE TABLE "more" ("n" INTEGER)`, `INSERT INTO "counter" ("n") VALUES (2)`}},
	}
	const callers = 6
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		for _, separate := range []bool{false, true} {
			name := "one handle"
			if separate {
				name = "separate handles"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				d := tg.Open(t, strings.ReplaceAll(name, " ", "_"))
				handles := make([]*db.DB, callers)
				for i := range handles {
					handles[i] = d
					if separate {
						h, err := db.Open(ctx, d.DSN(), db.Options{MaxReadConns: 1})
						if err != nil {
							t.Fatal(err)
						}
						t.Cleanup(func() { h.Close() })
						handles[i] = h
					}
				}
				start := make(chan struct{})
				results := make([]Result, callers)
				errs := make([]error, callers)
				var wg sync.WaitGroup
				for i := range callers {
					wg.Go(func() {
						<-start
						results[i], errs[i] = Apply(ctx, handles[i], migs)
					})
				}
				close(start)
				wg.Wait()
				applied := map[string]int{}
				for i := range callers {
					if errs[i] != nil {
						t.Errorf("caller %d: %v", i, errs[i])
					}
					if results[i].To != 3 {
						t.Errorf("caller %d: result %+v", i, results[i])
					}
					for _, n := range results[i].Applied {
						applied[n]++
					}
				}
				want := map[string]int{"0001_counter": 1, "0002_count": 1, "0003_more": 1}
				if !reflect.DeepEqual(applied, want) {
					t.Fatalf("applied %v, want each once", applied)
				}
				if n := queryInt(t, d, `SELECT count(*) FROM "counter"`); n != 2 {
					t.Fatalf("%d counter rows, want 2", n)
				}
				if n := queryInt(t, d, `SELECT count(*) FROM `+HistoryTable); n != 3 {
					t.Fatalf("%d history rows, want 3", n)
				}
			})
		}
	})
}
