// Package dbtest gives every database test its own fresh database on each
// dialect: SQLite always, PostgreSQL when CUBED_TEST_POSTGRES_URL names a
// server where the role may create databases. A skipped PostgreSQL run says
// so in the test output; ./scripts/test always provides PostgreSQL.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/db"
)

// EnvPostgres names the admin URL of a PostgreSQL server for tests.
const EnvPostgres = "CUBED_TEST_POSTGRES_URL"

// Target is one dialect's fresh environment for a test.
type Target struct {
	Dialect string
	// ControlDSN is a fresh PostgreSQL database's URL, or empty for SQLite
	// (the control database then lives in DataDir).
	ControlDSN string
	// DataDir is a fresh temporary directory.
	DataDir string
	// PGPrefix keeps this test's client databases apart on a shared server.
	PGPrefix string
}

// Each runs fn once per dialect, as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, Target{Dialect: db.SQLite, DataDir: t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		admin := os.Getenv(EnvPostgres)
		if admin == "" {
			t.Skip("PostgreSQL not tested: " + EnvPostgres + " is not set (./scripts/test sets it)")
		}
		prefix := "t" + randomHex(5) + "_"
		dsn := CreateDatabase(t, admin, prefix+"control")
		t.Cleanup(func() { dropPrefixed(admin, prefix) })
		fn(t, Target{Dialect: db.Postgres, ControlDSN: dsn, DataDir: t.TempDir(), PGPrefix: prefix})
	})
}

// Open returns a fresh empty database of tg's dialect, closed at cleanup.
func (tg Target) Open(t *testing.T, name string) *db.DB {
	t.Helper()
	dsn := filepath.Join(tg.DataDir, name+".db")
	if tg.Dialect == db.Postgres {
		dsn = CreateDatabase(t, os.Getenv(EnvPostgres), tg.PGPrefix+name)
	}
	d, err := db.Open(context.Background(), dsn, db.Options{CreateIfMissing: true})
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// CreateDatabase creates a PostgreSQL database and returns its URL.
func CreateDatabase(t *testing.T, admin, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := db.Open(ctx, admin, db.Options{MaxReadConns: 1})
	if err != nil {
		t.Fatalf("postgres admin: %v", err)
	}
	defer a.Close()
	if _, err := a.Exec(ctx, "CREATE DATABASE "+db.QuoteIdent(name)); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	dsn, err := db.WithDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

func dropPrefixed(admin, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := db.Open(ctx, admin, db.Options{MaxReadConns: 1})
	if err != nil {
		return
	}
	defer a.Close()
	rows, err := a.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, ?)", prefix)
	if err != nil {
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		_, _ = a.Exec(ctx, "DROP DATABASE IF EXISTS "+db.QuoteIdent(n)+" WITH (FORCE)")
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Rows runs q on d and returns its column names and every row's values as
// the driver scanned them into any (for tests that dump or compare tables).
func Rows(t testing.TB, d *db.DB, q string, args ...any) ([]string, [][]any) {
	t.Helper()
	rows, err := d.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, out
}
