package db_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cubedhq/cubed/internal/db"
)

// TestWriterStatementCache: the SQLite writer reuses prepared statements;
// the same text run again while its rows are open (inside a transaction)
// still works, statements survive a schema change, more texts than the
// cache holds are evicted without breaking anything, and a bad statement
// reports its error each time.
func TestWriterStatementCache(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "c.db"), db.Options{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(ctx, `CREATE TABLE "t" ("id" INTEGER PRIMARY KEY, "v" TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO "t" ("id", "v") VALUES (?, ?)`
	for i := 1; i <= 5; i++ {
		if _, err := d.Exec(ctx, insert, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("same text nested inside a transaction", func(t *testing.T) {
		sel := `SELECT "id" FROM "t" WHERE "id" >= ? ORDER BY "id"`
		err := d.InTx(ctx, func(tx *db.Tx) error {
			outer, err := tx.Query(ctx, sel, 1)
			if err != nil {
				return err
			}
			defer outer.Close()
			var pairs int
			for outer.Next() {
				var id int
				if err := outer.Scan(&id); err != nil {
					return err
				}
				inner, err := tx.Query(ctx, sel, id) // the outer rows hold the cached statement
				if err != nil {
					return err
				}
				for inner.Next() {
					pairs++
				}
				if err := inner.Close(); err != nil {
					return err
				}
			}
			if pairs != 15 {
				return fmt.Errorf("%d pairs, want 15", pairs)
			}
			return outer.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("after a schema change", func(t *testing.T) {
		sel := `SELECT * FROM "t" WHERE "id" = ?`
		var id int
		var v string
		if err := d.WriteRow(ctx, sel, 1).Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `ALTER TABLE "t" ADD COLUMN "w" INTEGER NOT NULL DEFAULT 7`); err != nil {
			t.Fatal(err)
		}
		var w int
		if err := d.WriteRow(ctx, sel, 1).Scan(&id, &v, &w); err != nil || w != 7 {
			t.Fatalf("after ALTER: w %d, err %v", w, err)
		}
	})

	t.Run("more texts than the cache holds", func(t *testing.T) {
		for i := 0; i < 600; i++ {
			var n int
			q := fmt.Sprintf(`SELECT count(*) + %d FROM "t"`, i)
			if err := d.WriteRow(ctx, q).Scan(&n); err != nil || n != 5+i {
				t.Fatalf("%s: %d, %v", q, n, err)
			}
		}
		var n int
		if err := d.WriteRow(ctx, `SELECT count(*) FROM "t" WHERE "v" LIKE ?`, "v%").Scan(&n); err != nil || n != 5 {
			t.Fatalf("count %d, %v", n, err)
		}
	})

	t.Run("a bad statement fails every time", func(t *testing.T) {
		for range 2 {
			if _, err := d.Exec(ctx, `INSERT INTO "nope" VALUES (1)`); err == nil {
				t.Fatal("insert into a missing table succeeded")
			}
		}
		if _, err := d.Exec(ctx, insert, 1, "dup"); err == nil {
			t.Fatal("duplicate key accepted")
		} else if _, ok := db.UniqueViolation(err); !ok {
			t.Fatalf("duplicate key: %v", err)
		}
		if _, err := d.Exec(ctx, insert, 6, "v6"); err != nil { // the statement is usable after its error
			t.Fatal(err)
		}
	})
}

func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "absent.db")
	_, openErr := db.Open(ctx, missing, db.Options{})
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "ok.db"), db.Options{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, syntaxErr := d.Exec(ctx, `SELEC 1`)
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"missing SQLite file", openErr, true},
		{"wrapped missing file", fmt.Errorf("account 7: %w", openErr), true},
		{"syntax error", syntaxErr, false},
		{"other", fmt.Errorf("boom"), false},
	} {
		if got := db.Unavailable(c.err); got != c.want {
			t.Errorf("%s (%v): Unavailable %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
