// Package tenant keeps the accounts registry (control database) and opens
// each account's own client database on demand, caching a bounded number of
// open handles.
package tenant

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/internal/registry"
)

// Account is a row of the control database's account table.
type Account struct {
	ID                    int64
	Token                 string
	Name                  string
	Country               string
	Domain                string
	DBName                string
	DBDSN                 string // empty: SQLite file in the data directory
	TimeZone              string
	Currency              string
	LookbackDays          int
	SessionTimeoutMinutes int
	Active                bool
	Created, Updated      time.Time
	loc                   *time.Location
}

// Location returns the account's time zone.
func (a Account) Location() *time.Location {
	if a.loc != nil {
		return a.loc
	}
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Options configure a Manager.
type Options struct {
	DataDir string
	// ControlDSN is the control database's postgres DSN, if any: accounts
	// then get PostgreSQL databases on the same server.
	ControlDSN string
	// PGDatabasePrefix prefixes physical PostgreSQL database names (tests
	// use it to keep parallel runs apart). Empty in production.
	PGDatabasePrefix string
	// MaxOpen bounds the cache of open client handles (default 64).
	MaxOpen int
	// Migrations holds the client migration set.
	Migrations fs.FS
	Seeders    []registry.Seeder
	Logger     *slog.Logger
}

// Manager is the accounts registry plus the client handle cache.
type Manager struct {
	control *db.DB
	opt     Options

	mu    sync.Mutex
	lru   *list.List // of *entry, most recent first
	byKey map[string]*list.Element

	// accounts caches Get by reference for AccountTTL; this process's
	// own changes invalidate it at once, other processes' within the TTL.
	accMu    sync.Mutex
	accounts map[string]cachedAccount
}

type cachedAccount struct {
	a  Account
	at time.Time
}

// AccountTTL bounds how stale a cached account may be.
const AccountTTL = 5 * time.Second

func (m *Manager) forget() {
	m.accMu.Lock()
	m.accounts = map[string]cachedAccount{}
	m.accMu.Unlock()
}

// Lookup is Get through a short-lived cache, for hot request paths.
func (m *Manager) Lookup(ctx context.Context, ref string) (Account, error) {
	now := time.Now()
	m.accMu.Lock()
	if c, ok := m.accounts[ref]; ok && now.Sub(c.at) < AccountTTL {
		m.accMu.Unlock()
		return c.a, nil
	}
	m.accMu.Unlock()
	a, err := m.Get(ctx, ref)
	if err != nil {
		return a, err
	}
	m.accMu.Lock()
	if len(m.accounts) > 10000 {
		m.accounts = map[string]cachedAccount{}
	}
	m.accounts[ref] = cachedAccount{a: a, at: now}
	m.accMu.Unlock()
	return a, nil
}

type entry struct {
	key      string
	db       *db.DB
	refs     int
	evicted  bool
	openErr  error
	openDone chan struct{}
}

// NewManager returns a manager over the control database.
func NewManager(control *db.DB, opt Options) *Manager {
	if opt.MaxOpen <= 0 {
		opt.MaxOpen = 64
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{control: control, opt: opt, lru: list.New(), byKey: map[string]*list.Element{}, accounts: map[string]cachedAccount{}}
}

// Control returns the control database.
func (m *Manager) Control() *db.DB { return m.control }

const accountCols = `"id", "token", "name", "country", "domain", "db_name", "db_dsn", "timezone", "currency", "lookback_days", "session_timeout_minutes", "active", "created", "updated"`

func scanAccount(sc interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var dsn sql.NullString
	err := sc.Scan(&a.ID, &a.Token, &a.Name, &a.Country, &a.Domain, &a.DBName, &dsn, &a.TimeZone, &a.Currency,
		&a.LookbackDays, &a.SessionTimeoutMinutes, &a.Active, &a.Created, &a.Updated)
	a.DBDSN = dsn.String
	if err == nil {
		if loc, lerr := time.LoadLocation(a.TimeZone); lerr == nil {
			a.loc = loc
		}
	}
	return a, err
}

// List returns every account ordered by id.
func (m *Manager) List(ctx context.Context) ([]Account, error) {
	rows, err := m.control.Query(ctx, `SELECT `+accountCols+` FROM "account" ORDER BY "id"`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Get finds an account by token or numeric id.
func (m *Manager) Get(ctx context.Context, ref string) (Account, error) {
	q := `SELECT ` + accountCols + ` FROM "account" WHERE "token" = ?`
	var arg any = ref
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		q = `SELECT ` + accountCols + ` FROM "account" WHERE "id" = ?`
		arg = id
	}
	a, err := scanAccount(m.control.QueryRow(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("account %q: %w", ref, apperr.ErrNotFound)
	}
	return a, err
}

// SetActive enables or disables an account.
func (m *Manager) SetActive(ctx context.Context, ref string, active bool) (Account, error) {
	a, err := m.Get(ctx, ref)
	if err != nil {
		return a, err
	}
	if _, err := m.control.Exec(ctx, `UPDATE "account" SET "active" = ?, "updated" = ? WHERE "id" = ?`, active, time.Now().UTC(), a.ID); err != nil {
		return a, err
	}
	a.Active = active
	m.forget()
	return a, nil
}

// ClientDSN returns where an account's database lives.
func (m *Manager) ClientDSN(a Account) string {
	if a.DBDSN != "" {
		return a.DBDSN
	}
	return m.sqlitePath(a.DBName)
}

func (m *Manager) sqlitePath(dbName string) string {
	return filepath.Join(m.opt.DataDir, "clients", dbName+".db")
}

// Acquire returns the account's client database, opening it if needed.
// Call release when done; a handle evicted from the cache is closed only
// after its last user released it.
func (m *Manager) Acquire(ctx context.Context, a Account) (*db.DB, func(), error) {
	key := m.ClientDSN(a)
	m.mu.Lock()
	if el, ok := m.byKey[key]; ok {
		e := el.Value.(*entry)
		e.refs++
		m.lru.MoveToFront(el)
		m.mu.Unlock()
		<-e.openDone
		if e.openErr != nil {
			m.release(e)
			return nil, nil, e.openErr
		}
		return e.db, func() { m.release(e) }, nil
	}
	e := &entry{key: key, refs: 1, openDone: make(chan struct{})}
	m.byKey[key] = m.lru.PushFront(e)
	m.mu.Unlock()

	e.db, e.openErr = db.Open(ctx, key, db.Options{})
	m.mu.Lock()
	if e.openErr != nil {
		e.openErr = fmt.Errorf("account %s: open client database: %w", a.Token, e.openErr)
		if el, ok := m.byKey[key]; ok && el.Value == e {
			m.lru.Remove(el)
			delete(m.byKey, key)
		}
	} else {
		// Only a handle that opened makes room: a failing account must
		// not push healthy handles out of the cache.
		m.evictLocked()
	}
	m.mu.Unlock()
	close(e.openDone)
	if e.openErr != nil {
		return nil, nil, e.openErr
	}
	return e.db, func() { m.release(e) }, nil
}

func (m *Manager) release(e *entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.refs--
	if e.refs == 0 && e.evicted && e.db != nil {
		go e.db.Close()
	}
}

// evictLocked closes least recently used handles beyond the bound.
func (m *Manager) evictLocked() {
	for m.lru.Len() > m.opt.MaxOpen {
		el := m.lru.Back()
		e := el.Value.(*entry)
		m.lru.Remove(el)
		delete(m.byKey, e.key)
		e.evicted = true
		if e.refs == 0 && e.db != nil {
			go e.db.Close()
		}
	}
}

// OpenCount reports how many client handles are cached.
func (m *Manager) OpenCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}

// Close closes every cached handle.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	for el := m.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*entry)
		if e.db != nil {
			err = errors.Join(err, e.db.Close())
		}
	}
	m.lru.Init()
	m.byKey = map[string]*list.Element{}
	return err
}

// Create validates p, creates and migrates the account's database, loads
// the default configuration and only then records the account, so no
// account row ever exists without its database.
func (m *Manager) Create(ctx context.Context, p CreateParams) (Account, error) {
	if err := p.Normalise(); err != nil {
		return Account{}, err
	}
	token, dbName := p.Token(), p.DBName()
	var n int
	if err := m.control.QueryRow(ctx, `SELECT count(*) FROM "account" WHERE "token" = ? OR "db_name" = ?`, token, dbName).Scan(&n); err != nil {
		return Account{}, fmt.Errorf("check account: %w", err)
	}
	if n > 0 {
		return Account{}, &apperr.Conflict{Fields: []string{"token"}, Msg: fmt.Sprintf("account %s already exists", token)}
	}
	dsn, cleanup, err := m.createDatabase(ctx, p, dbName)
	if err != nil {
		return Account{}, err
	}
	ok := false
	defer func() {
		if !ok {
			cleanup()
		}
	}()
	if err := m.initDatabase(ctx, dsn, p, token); err != nil {
		return Account{}, fmt.Errorf("account %s: %w", token, err)
	}
	now := time.Now().UTC()
	var dsnArg any
	if dsn != m.sqlitePath(dbName) {
		dsnArg = dsn
	}
	id, err := db.InsertID(ctx, m.control, `INSERT INTO "account" ("token", "name", "country", "domain", "db_name", "db_dsn", "timezone", "currency", "lookback_days", "session_timeout_minutes", "active", "created", "updated") VALUES (?, ?, ?, ?, ?, ?, ?, ?, 30, 30, TRUE, ?, ?)`,
		token, p.Name, p.Country, p.Domain, dbName, dsnArg, p.TimeZone, p.Currency, now, now)
	if err != nil {
		return Account{}, fmt.Errorf("record account %s: %w", token, err)
	}
	ok = true
	m.forget()
	return m.Get(ctx, strconv.FormatInt(id, 10))
}

func (m *Manager) initDatabase(ctx context.Context, dsn string, p CreateParams, token string) error {
	cdb, err := db.Open(ctx, dsn, db.Options{CreateIfMissing: true})
	if err != nil {
		return err
	}
	defer cdb.Close()
	migs, err := migrate.Load(m.opt.Migrations, "client", cdb.Dialect())
	if err != nil {
		return fmt.Errorf("load client migrations: %w", err)
	}
	if _, err := migrate.Apply(ctx, cdb, migs); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	na := registry.NewAccount{Token: token, Name: p.Name, Country: p.Country, Domain: p.Domain, TimeZone: p.TimeZone, Currency: p.Currency}
	return cdb.InTx(ctx, func(tx *db.Tx) error {
		for _, s := range m.opt.Seeders {
			if err := s.Seed(ctx, tx, na); err != nil {
				return fmt.Errorf("seed %s: %w", s.Name, err)
			}
		}
		return nil
	})
}

// createDatabase makes an empty database for the account and returns its
// DSN and a function that removes it again.
func (m *Manager) createDatabase(ctx context.Context, p CreateParams, dbName string) (string, func(), error) {
	if p.DBDSN != "" {
		return p.DBDSN, func() {}, nil
	}
	if m.control.Dialect() == db.Postgres {
		physical := m.opt.PGDatabasePrefix + dbName
		if _, err := m.control.Exec(ctx, `CREATE DATABASE `+db.QuoteIdent(physical)); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "42501" {
				return "", nil, apperr.Invalidf("--db-dsn", "", "the control database role may not create databases; create one and pass its URL")
			}
			// 42P04, or 23505 when a concurrent CREATE DATABASE won the race.
			if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
				return "", nil, &apperr.Conflict{Fields: []string{"db_name"}, Msg: fmt.Sprintf("database %s already exists on the server", physical)}
			}
			return "", nil, fmt.Errorf("create database %s: %w", physical, err)
		}
		dsn, err := db.WithDatabase(m.opt.ControlDSN, physical)
		if err != nil {
			return "", nil, err
		}
		return dsn, func() {
			_, err := m.control.Exec(context.WithoutCancel(ctx), `DROP DATABASE IF EXISTS `+db.QuoteIdent(physical)+` WITH (FORCE)`)
			if err != nil {
				m.opt.Logger.Error("drop half-created database", "database", physical, "err", err)
			}
		}, nil
	}
	path := m.sqlitePath(dbName)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", nil, fmt.Errorf("clients directory: %w", err)
	}
	// Claim the file atomically (an empty file is an empty database): of
	// two concurrent creates only one may own it, else the loser's cleanup
	// would delete the winner's database.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return "", nil, &apperr.Conflict{Fields: []string{"db_name"}, Msg: fmt.Sprintf("database file %s already exists (being created by another process, or left behind: move it away if no account uses it)", path)}
	}
	if err != nil {
		return "", nil, fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", nil, fmt.Errorf("create database file: %w", err)
	}
	return path, func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
	}, nil
}
