package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"               // also registers the "sqlite" database/sql driver (readers)
)

// Options tune the pools; zero values take defaults.
type Options struct {
	// MaxReadConns bounds the reader pool (SQLite) or the whole pool
	// (PostgreSQL). Default 4.
	MaxReadConns int
	// BusyTimeout is SQLite's busy_timeout. Default 10 s.
	BusyTimeout time.Duration
	// CreateIfMissing lets Open create a SQLite file that does not exist.
	// Without it a missing file is ErrDatabaseMissing.
	CreateIfMissing bool
}

// ErrDatabaseMissing is returned when a SQLite file is expected but absent.
var ErrDatabaseMissing = errors.New("database file does not exist")

// IsPostgresDSN tells whether dsn names a PostgreSQL database.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens dsn: a postgres:// URL or a SQLite file path.
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	if opt.MaxReadConns <= 0 {
		opt.MaxReadConns = 4
	}
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = 10 * time.Second
	}
	if IsPostgresDSN(dsn) {
		return openPostgres(ctx, dsn, opt)
	}
	return openSQLite(ctx, dsn, opt)
}

func sqliteDSN(path string, opt Options, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opt.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_time_format", "sqlite")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(ctx context.Context, path string, opt Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	if err := registerSQLiteFuncs(); err != nil {
		return nil, fmt.Errorf("sqlite functions: %w", err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if !opt.CreateIfMissing {
			return nil, fmt.Errorf("%s: %w", path, ErrDatabaseMissing)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	// The writer keeps its prepared statements (see stmtConn).
	w := sql.OpenDB(stmtConnector{dsn: sqliteDSN(path, opt, false), drv: &sqlite.Driver{}})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connection creates the file and switches it to WAL before
	// any reader opens it.
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite %s: %w", filepath.Base(path), err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, opt, true))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	r.SetMaxOpenConns(opt.MaxReadConns)
	r.SetMaxIdleConns(opt.MaxReadConns)
	stamp := &stamper{open: func() (*sql.DB, error) { return sql.Open("sqlite", sqliteDSN(path, opt, true)) }}
	return &DB{dialect: SQLite, read: r, write: w, dsn: path, stmts: &stmtCache{m: map[string]*sql.Stmt{}}, stamp: stamp}, nil
}

func openPostgres(ctx context.Context, dsn string, opt Options) (*DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	p.SetMaxOpenConns(opt.MaxReadConns + 1)
	p.SetMaxIdleConns(opt.MaxReadConns + 1)
	p.SetConnMaxIdleTime(5 * time.Minute)
	if err := p.PingContext(ctx); err != nil {
		_ = p.Close()
		return nil, fmt.Errorf("postgres %s: %w", RedactDSN(dsn), err)
	}
	return &DB{dialect: Postgres, read: p, write: p, dsn: dsn}, nil
}

// RedactDSN removes the password from a postgres URL so it can be logged.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// WithDatabase returns the postgres DSN with its database name replaced.
func WithDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse dsn: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// DatabaseName returns the database name of a postgres DSN.
func DatabaseName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// QuoteIdent quotes an identifier for either dialect. Identifiers come from
// declarations only; this is defence in depth, not a licence to quote input.
func QuoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
