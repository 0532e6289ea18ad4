package db_test

import (
	"context"
	"testing"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// ChangeStamp changes after every commit — through this handle or another
// handle on the same file (another process) — and only then; PostgreSQL
// offers none (ok = false).
func TestChangeStamp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		d := tg.Open(t, "stamp")
		if _, err := d.Exec(ctx, `CREATE TABLE "t" ("id" INTEGER PRIMARY KEY, "v" TEXT)`); err != nil {
			t.Fatal(err)
		}
		stamp := func() int64 {
			t.Helper()
			s, ok, err := d.ChangeStamp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Fatalf("no stamp on %s", tg.Dialect)
			}
			return s
		}
		if tg.Dialect == db.Postgres {
			if _, ok, err := d.ChangeStamp(ctx); ok || err != nil {
				t.Fatalf("PostgreSQL ChangeStamp: ok=%v err=%v, want no stamp", ok, err)
			}
			return
		}
		s0 := stamp()
		if _, err := d.Query(ctx, `SELECT * FROM "t"`); err != nil {
			t.Fatal(err)
		}
		if s := stamp(); s != s0 {
			t.Fatalf("stamp moved without a commit: %d -> %d", s0, s)
		}
		if _, err := d.Exec(ctx, `INSERT INTO "t" ("v") VALUES ('a')`); err != nil {
			t.Fatal(err)
		}
		s1 := stamp()
		if s1 == s0 {
			t.Fatal("stamp unchanged after an insert through the same handle")
		}
		// Another handle on the same file stands for another process.
		other, err := db.Open(ctx, d.DSN(), db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := other.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE "t" SET "v" = 'b'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		s2 := stamp()
		if s2 == s1 {
			t.Fatal("stamp unchanged after a commit by another handle")
		}
		if s := stamp(); s != s2 {
			t.Fatalf("stamp moved again without a commit: %d -> %d", s2, s)
		}
		// A rolled-back transaction commits nothing.
		_ = other.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE "t" SET "v" = 'c'`); err != nil {
				return err
			}
			return context.Canceled
		})
		if s := stamp(); s != s2 {
			t.Fatalf("stamp moved after a rollback: %d -> %d", s2, s)
		}
	})
}
