package db_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/internal/schema"
)

// exec runs statements on d, failing the test on the first error.
func exec(t *testing.T, d *db.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := d.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// createTables creates models on d with the DDL migrations generate, so the
// conformance suite checks the column types production uses.
func createTables(t *testing.T, d *db.DB, models ...*schema.Model) {
	t.Helper()
	reg := schema.NewRegistry()
	for _, m := range models {
		m.DB = schema.Client
		reg.Add(m)
	}
	ops, err := migrate.Diff(migrate.NewState(), reg.Models(schema.Client), nil)
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := migrate.GenerateSQL(d.Dialect(), migrate.NewState(), ops)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, d, stmts...)
}

func itemModel() *schema.Model {
	return &schema.Model{Name: "item", Fields: []schema.Field{schema.TextF("name", 64), schema.IntF("n").DefInt(0)}}
}

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), "SELECT count(*) FROM "+db.QuoteIdent(table)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRebind(t *testing.T) {
	cases := []struct {
		name, dialect, in, want string
	}{
		{"no placeholders", db.Postgres, `SELECT 1`, `SELECT 1`},
		{"in order", db.Postgres, `a = ? AND b = ? OR c = ?`, `a = $1 AND b = $2 OR c = $3`},
		{"single-quoted literal", db.Postgres, `x = '?' AND y = ?`, `x = '?' AND y = $1`},
		{"doubled quote inside literal", db.Postgres, `x = 'it''s ?' AND y = ?`, `x = 'it''s ?' AND y = $1`},
		{"double-quoted identifier", db.Postgres, `SELECT "a?b" FROM t WHERE c = ?`, `SELECT "a?b" FROM t WHERE c = $1`},
		{"literal after identifier", db.Postgres, `"q?" = '?' OR ? = '"?'`, `"q?" = '?' OR $1 = '"?'`},
		{"ten or more", db.Postgres, strings.Repeat("?,", 10) + "?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11"},
		{"sqlite unchanged", db.SQLite, `a = ? AND b = '?'`, `a = ? AND b = '?'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := db.Rebind(c.dialect, c.in); got != c.want {
				t.Errorf("Rebind(%s, %q) = %q, want %q", c.dialect, c.in, got, c.want)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		d := tg.Open(t, "conformance")
		if d.Dialect() != tg.Dialect {
			t.Fatalf("dialect %q, want %q", d.Dialect(), tg.Dialect)
		}

		t.Run("Ping", func(t *testing.T) {
			if err := d.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("RebindOnServer", func(t *testing.T) {
			var a, b int
			var lit, ident string
			err := d.QueryRow(ctx, `SELECT CAST(? AS INTEGER), '?' AS "what?", CAST(? AS INTEGER), 'it''s ?'`, 7, 8).Scan(&a, &lit, &b, &ident)
			if err != nil {
				t.Fatal(err)
			}
			if a != 7 || lit != "?" || b != 8 || ident != "it's ?" {
				t.Fatalf("got %d %q %d %q", a, lit, b, ident)
			}
		})

		createTables(t, d, itemModel())

		t.Run("InsertID", func(t *testing.T) {
			id1, err := db.InsertID(ctx, d, `INSERT INTO "item" ("name") VALUES (?)`, "first")
			if err != nil {
				t.Fatal(err)
			}
			var id2 int64
			err = d.InTx(ctx, func(tx *db.Tx) error {
				id2, err = db.InsertID(ctx, tx, `INSERT INTO "item" ("name") VALUES (?)`, "second")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if id1 <= 0 || id2 <= id1 {
				t.Fatalf("ids %d, %d: want positive and increasing", id1, id2)
			}
			var name string
			if err := d.QueryRow(ctx, `SELECT "name" FROM "item" WHERE "id" = ?`, id2).Scan(&name); err != nil || name != "second" {
				t.Fatalf("row %d: %q, %v", id2, name, err)
			}
			exec(t, d, `DELETE FROM "item"`)
		})

		errBoom := errors.New("boom")
		txCases := []struct {
			name    string
			fn      func(tx *db.Tx) error
			wantErr error
			panics  bool
			rows    int // rows named "tx" after InTx
		}{
			{name: "commit", fn: func(tx *db.Tx) error { return nil }, rows: 2},
			{name: "rollback on error", fn: func(tx *db.Tx) error { return errBoom }, wantErr: errBoom},
			{name: "rollback on panic", fn: func(tx *db.Tx) error { panic(errBoom) }, panics: true},
			{name: "rollback on failed statement", fn: func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO "no_such_table" ("x") VALUES (1)`)
				return err
			}, wantErr: nil},
		}
		for _, c := range txCases {
			t.Run("InTx/"+c.name, func(t *testing.T) {
				exec(t, d, `DELETE FROM "item"`)
				var err error
				var recovered any
				func() {
					defer func() { recovered = recover() }()
					err = d.InTx(ctx, func(tx *db.Tx) error {
						if tx.Dialect() != d.Dialect() {
							t.Errorf("tx dialect %q", tx.Dialect())
						}
						for range 2 {
							if _, err := tx.Exec(ctx, `INSERT INTO "item" ("name") VALUES (?)`, "tx"); err != nil {
								return err
							}
						}
						// The transaction sees its own writes.
						var n int
						if err := tx.QueryRow(ctx, `SELECT count(*) FROM "item" WHERE "name" = ?`, "tx").Scan(&n); err != nil || n != 2 {
							t.Errorf("inside tx: %d rows, %v", n, err)
						}
						return c.fn(tx)
					})
				}()
				switch {
				case c.panics:
					if recovered != errBoom {
						t.Fatalf("panic %v was not re-raised (got %v, err %v)", errBoom, recovered, err)
					}
				case recovered != nil:
					t.Fatalf("unexpected panic %v", recovered)
				case c.wantErr != nil && !errors.Is(err, c.wantErr):
					t.Fatalf("err %v, want %v", err, c.wantErr)
				case c.rows == 0 && err == nil:
					t.Fatal("want an error")
				case c.rows > 0 && err != nil:
					t.Fatal(err)
				}
				if n := count(t, d, "item"); n != c.rows {
					t.Fatalf("%d rows after InTx, want %d", n, c.rows)
				}
				// The writer is free again: the next transaction commits.
				if err := d.InTx(ctx, func(tx *db.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO "item" ("name") VALUES ('after')`)
					return err
				}); err != nil {
					t.Fatalf("transaction after %s: %v", c.name, err)
				}
			})
		}

		t.Run("QueryCount", func(t *testing.T) {
			before := d.QueryCount()
			rows, err := d.Query(ctx, `SELECT "id" FROM "item" WHERE "n" >= ?`, 0)
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
			_ = d.InTx(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE "item" SET "n" = "n" + 1`)
				return err
			})
			if got := d.QueryCount() - before; got != 2 {
				t.Fatalf("QueryCount grew by %d, want 2", got)
			}
		})
	})
}

// kinds has one nullable column of every field type.
func kindsModel() *schema.Model {
	return &schema.Model{Name: "kinds", Fields: []schema.Field{
		schema.IntF("i").Nullable(),
		schema.BigIntF("big").Nullable(),
		schema.FloatF("f").Nullable(),
		schema.DecimalF("amount", 12, 2).Nullable(),
		schema.TextF("t", 200).Nullable(),
		schema.TextF("body", 0).Nullable(),
		{Name: "flag", Type: schema.Bool, Null: true},
		schema.DateF("day").Nullable(),
		schema.DateTimeF("at").Nullable(),
		schema.JSONF("doc").Nullable(),
	}}
}

const kindsCols = `"i", "big", "f", "amount", "t", "body", "flag", "day", "at", "doc"`

type kindsRow struct {
	I      sql.NullInt64
	Big    sql.NullInt64
	F      sql.NullFloat64
	Amount sql.NullFloat64
	T      sql.NullString
	Body   sql.NullString
	Flag   sql.NullBool
	Day    sql.NullTime
	At     sql.NullTime
	Doc    sql.NullString
}

func (r *kindsRow) dest() []any {
	return []any{&r.I, &r.Big, &r.F, &r.Amount, &r.T, &r.Body, &r.Flag, &r.Day, &r.At, &r.Doc}
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func TestRoundTrip(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 3, 31, 1, 30, 15, 123456000, time.UTC)
	cases := []struct {
		name string
		args []any // one per column, in kindsCols order
		want kindsRow
	}{
		{
			name: "values",
			args: []any{int64(-42), int64(1)<<40 + 7, 3.25, "1234567890.12", "héllo ☃ 'quoted' ?", strings.Repeat("long ", 500), true, "2024-02-29", at, `{"b": [1, 2], "a": "x", "n": null}`},
			want: kindsRow{
				I: sql.NullInt64{Int64: -42, Valid: true}, Big: sql.NullInt64{Int64: 1<<40 + 7, Valid: true},
				F: sql.NullFloat64{Float64: 3.25, Valid: true}, Amount: sql.NullFloat64{Float64: 1234567890.12, Valid: true},
				T: sql.NullString{String: "héllo ☃ 'quoted' ?", Valid: true}, Body: sql.NullString{String: strings.Repeat("long ", 500), Valid: true},
				Flag: sql.NullBool{Bool: true, Valid: true}, Day: sql.NullTime{Time: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), Valid: true},
				At: sql.NullTime{Time: at, Valid: true}, Doc: sql.NullString{String: `{"a":"x","b":[1,2],"n":null}`, Valid: true},
			},
		},
		{
			name: "zero values",
			args: []any{int64(0), int64(0), 0.0, "0.00", "", "", false, "1970-01-01", time.Unix(0, 0).UTC(), `[]`},
			want: kindsRow{
				I: sql.NullInt64{Valid: true}, Big: sql.NullInt64{Valid: true}, F: sql.NullFloat64{Valid: true},
				Amount: sql.NullFloat64{Valid: true}, T: sql.NullString{Valid: true}, Body: sql.NullString{Valid: true},
				Flag: sql.NullBool{Valid: true}, Day: sql.NullTime{Time: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), Valid: true},
				At: sql.NullTime{Time: time.Unix(0, 0).UTC(), Valid: true}, Doc: sql.NullString{String: `[]`, Valid: true},
			},
		},
		{
			name: "extremes",
			args: []any{int64(math.MaxInt32), int64(math.MaxInt64), -1.5e-300, "-9999999999.99", "x", "y", false, "9999-12-31", at.In(london), `"text"`},
			want: kindsRow{
				I: sql.NullInt64{Int64: math.MaxInt32, Valid: true}, Big: sql.NullInt64{Int64: math.MaxInt64, Valid: true},
				F: sql.NullFloat64{Float64: -1.5e-300, Valid: true}, Amount: sql.NullFloat64{Float64: -9999999999.99, Valid: true},
				T: sql.NullString{String: "x", Valid: true}, Body: sql.NullString{String: "y", Valid: true},
				Flag: sql.NullBool{Valid: true}, Day: sql.NullTime{Time: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Valid: true},
				// A time in another zone is stored as the same instant.
				At: sql.NullTime{Time: at, Valid: true}, Doc: sql.NullString{String: `"text"`, Valid: true},
			},
		},
		{
			name: "nulls",
			args: []any{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		},
	}
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		d := tg.Open(t, "roundtrip")
		createTables(t, d, kindsModel())
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id, err := db.InsertID(ctx, d, `INSERT INTO "kinds" (`+kindsCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.args...)
				if err != nil {
					t.Fatal(err)
				}
				for _, via := range []string{"reader", "transaction"} {
					var got kindsRow
					q := `SELECT ` + kindsCols + ` FROM "kinds" WHERE "id" = ?`
					if via == "reader" {
						err = d.QueryRow(ctx, q, id).Scan(got.dest()...)
					} else {
						err = d.InTx(ctx, func(tx *db.Tx) error { return tx.QueryRow(ctx, q, id).Scan(got.dest()...) })
					}
					if err != nil {
						t.Fatalf("%s: %v", via, err)
					}
					checkKinds(t, via, got, c.want)
				}
			})
		}
	})
}

func checkKinds(t *testing.T, via string, got, want kindsRow) {
	t.Helper()
	eq := func(col string, ok bool, g, w any) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %s = %#v, want %#v", via, col, g, w)
		}
	}
	eq("i", got.I == want.I, got.I, want.I)
	eq("big", got.Big == want.Big, got.Big, want.Big)
	eq("f", got.F == want.F, got.F, want.F)
	eq("amount", got.Amount == want.Amount, got.Amount, want.Amount)
	eq("t", got.T == want.T, got.T, want.T)
	eq("body", got.Body == want.Body, got.Body.Valid, want.Body.Valid)
	eq("flag", got.Flag == want.Flag, got.Flag, want.Flag)
	eq("day", got.Day.Valid == want.Day.Valid && got.Day.Time.UTC().Format(time.DateOnly) == want.Day.Time.Format(time.DateOnly), got.Day, want.Day)
	eq("at", got.At.Valid == want.At.Valid && got.At.Time.Equal(want.At.Time), got.At, want.At)
	if want.At.Valid && got.At.Time.UTC().Format(time.RFC3339Nano) != want.At.Time.UTC().Format(time.RFC3339Nano) {
		t.Errorf("%s: at in UTC = %s, want %s (microseconds kept)", via, got.At.Time.UTC().Format(time.RFC3339Nano), want.At.Time.UTC().Format(time.RFC3339Nano))
	}
	eq("doc", got.Doc.Valid == want.Doc.Valid && (!want.Doc.Valid || sameJSON(got.Doc.String, want.Doc.String)), got.Doc, want.Doc)
}

func TestUniqueViolation(t *testing.T) {
	model := func() *schema.Model {
		return &schema.Model{Name: "member", Fields: []schema.Field{
			schema.TextF("email", 100).Uniq(),
			schema.IntF("team"),
			schema.IntF("seat"),
			schema.TextF("note", 100).Nullable(),
		}, UniqueTogether: [][]string{{"team", "seat"}}}
	}
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		d := tg.Open(t, "unique")
		createTables(t, d, model())
		// Ids come from the database: on PostgreSQL an explicit id would not
		// move the identity sequence on.
		id, err := db.InsertID(ctx, d, `INSERT INTO "member" ("email", "team", "seat") VALUES ('ana@example.com', 1, 1)`)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name    string
			stmt    string
			unique  bool
			index   string   // PostgreSQL names the index
			columns []string // SQLite names the columns
		}{
			{"single column", `INSERT INTO "member" ("email", "team", "seat") VALUES ('ana@example.com', 2, 2)`, true, "member_email_uniq", []string{"email"}},
			{"unique together", `INSERT INTO "member" ("email", "team", "seat") VALUES ('bo@example.com', 1, 1)`, true, "member_team_seat_uniq", []string{"team", "seat"}},
			{"primary key", fmt.Sprintf(`INSERT INTO "member" ("id", "email", "team", "seat") VALUES (%d, 'cy@example.com', 3, 3)`, id), true, "member_pkey", []string{"id"}},
			{"not null is not a unique violation", `INSERT INTO "member" ("email", "team", "seat") VALUES (NULL, 4, 4)`, false, "", nil},
			{"missing table is not a unique violation", `INSERT INTO "nobody" ("x") VALUES (1)`, false, "", nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := d.Exec(ctx, c.stmt)
				if err == nil {
					t.Fatal("want an error")
				}
				// Wrapping must not hide it.
				v, ok := db.UniqueViolation(fmt.Errorf("insert member: %w", err))
				if ok != c.unique {
					t.Fatalf("UniqueViolation(%v) = %v, want %v", err, ok, c.unique)
				}
				if !ok {
					return
				}
				if tg.Dialect == db.Postgres {
					if v.Index != c.index {
						t.Errorf("index %q, want %q", v.Index, c.index)
					}
				} else if !reflect.DeepEqual(v.Columns, c.columns) {
					t.Errorf("columns %q, want %q", v.Columns, c.columns)
				}
			})
		}
		if _, ok := db.UniqueViolation(nil); ok {
			t.Error("nil is not a violation")
		}
		// A violation inside a transaction is detected too, and the
		// transaction rolls back.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO "member" ("email", "team", "seat") VALUES ('dee@example.com', 9, 9)`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO "member" ("email", "team", "seat") VALUES ('dee@example.com', 9, 10)`)
			return err
		})
		if _, ok := db.UniqueViolation(err); !ok {
			t.Fatalf("in transaction: %v", err)
		}
		if n := count(t, d, "member"); n != 1 {
			t.Fatalf("%d rows, want 1 after the rollback", n)
		}
	})
}

// Several goroutines writing through InTx, on one handle and on two handles
// of the same file (two processes), never see SQLITE_BUSY: the single
// writer connection queues them and BEGIN IMMEDIATE plus busy_timeout
// covers the second handle.
func TestSQLiteConcurrentWriters(t *testing.T) {
	cases := []struct {
		name    string
		handles int
	}{
		{"one handle", 1},
		{"two handles", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "busy.db")
			var handles []*db.DB
			for range c.handles {
				d, err := db.Open(ctx, path, db.Options{CreateIfMissing: true})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Close() })
				handles = append(handles, d)
			}
			createTables(t, handles[0], &schema.Model{Name: "counter", Fields: []schema.Field{schema.IntF("n")}})
			exec(t, handles[0], `INSERT INTO "counter" ("id", "n") VALUES (1, 0)`)

			const writers, each = 8, 25
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				d := handles[w%len(handles)]
				wg.Go(func() {
					for range each {
						// Read-modify-write: lost updates would show in the total.
						err := d.InTx(ctx, func(tx *db.Tx) error {
							var n int
							if err := tx.QueryRow(ctx, `SELECT "n" FROM "counter" WHERE "id" = 1`).Scan(&n); err != nil {
								return err
							}
							if _, err := tx.Exec(ctx, `UPDATE "counter" SET "n" = ? WHERE "id" = 1`, n+1); err != nil {
								return err
							}
							_, err := db.InsertID(ctx, tx, `INSERT INTO "counter" ("n") VALUES (?)`, -1)
							return err
						})
						if err != nil {
							errs <- err
						}
						// Readers run beside the writers.
						var n int
						if err := d.QueryRow(ctx, `SELECT count(*) FROM "counter"`).Scan(&n); err != nil {
							errs <- fmt.Errorf("read: %w", err)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			var n int
			if err := handles[0].QueryRow(ctx, `SELECT "n" FROM "counter" WHERE "id" = 1`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != writers*each {
				t.Fatalf("counter %d, want %d", n, writers*each)
			}
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	t.Run("missing file without CreateIfMissing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "clients", "absent.db")
		d, err := db.Open(ctx, path, db.Options{})
		if err == nil {
			d.Close()
		}
		if !errors.Is(err, db.ErrDatabaseMissing) {
			t.Fatalf("err %v, want ErrDatabaseMissing", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Open created %s: %v", path, err)
		}
	})
	t.Run("CreateIfMissing makes directories, file and WAL", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "new.db")
		d, err := db.Open(ctx, path, db.Options{CreateIfMissing: true})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
		var mode string
		if err := d.QueryRow(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode %q, %v", mode, err)
		}
		var fk int
		if err := d.QueryRow(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Fatalf("foreign_keys %d, %v", fk, err)
		}
		if d.DSN() != path {
			t.Fatalf("DSN %q", d.DSN())
		}
	})
	t.Run("reader is read-only", func(t *testing.T) {
		d, err := db.Open(ctx, filepath.Join(t.TempDir(), "ro.db"), db.Options{CreateIfMissing: true})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Reader().ExecContext(ctx, "CREATE TABLE x (y INTEGER)"); err == nil {
			t.Fatal("the reader pool accepted a write")
		}
	})
	t.Run("empty path", func(t *testing.T) {
		if _, err := db.Open(ctx, "", db.Options{CreateIfMissing: true}); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestDSNHelpers(t *testing.T) {
	cases := []struct {
		dsn, redacted, name, renamed string
		postgres                     bool
	}{
		{"postgres://u:secret@h:5432/control?sslmode=disable", "postgres://u:xxxxx@h:5432/control?sslmode=disable", "control", "postgres://u:secret@h:5432/other?sslmode=disable", true},
		{"postgresql://u@h/db", "postgresql://u@h/db", "db", "postgresql://u@h/other", true},
		{"/data/control.db", "/data/control.db", "data/control.db", "/other", false},
	}
	for _, c := range cases {
		t.Run(c.dsn, func(t *testing.T) {
			if got := db.IsPostgresDSN(c.dsn); got != c.postgres {
				t.Errorf("IsPostgresDSN = %v", got)
			}
			if got := db.RedactDSN(c.dsn); got != c.redacted {
				t.Errorf("RedactDSN = %q, want %q", got, c.redacted)
			}
			if !c.postgres {
				return
			}
			if got := db.DatabaseName(c.dsn); got != c.name {
				t.Errorf("DatabaseName = %q, want %q", got, c.name)
			}
			if got, err := db.WithDatabase(c.dsn, "other"); err != nil || got != c.renamed {
				t.Errorf("WithDatabase = %q, %v; want %q", got, err, c.renamed)
			}
		})
	}
	if got := db.QuoteIdent(`we"ird`); got != `"we""ird"` {
		t.Errorf("QuoteIdent = %s", got)
	}
}
