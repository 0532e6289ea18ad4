// Package conductor runs every account's commands on schedule: the
// original Cubed Conductor's definitions, accounts, slots and runs, its
// idempotent ensure_* engine loop and AfterSuccess start policy, executed on
// River (spec/conductor.md).
//
// One Conductor value per process. The engine loop runs on the River-elected
// leader only; every process with workers executes runs. Everything the
// engine does is a guarded, idempotent transaction, so two engines (a
// leader hand-over, `cubed conductor --once` beside a server) never
// corrupt state: at worst they do the same work twice and one of them
// finds nothing left to do.
package conductor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/tenant"
)

// Clock tells the engine and the workers the time; tests inject one they
// move by hand.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Tenants is what Conductor needs of the accounts registry; *tenant.Manager
// implements it.
type Tenants interface {
	List(ctx context.Context) ([]tenant.Account, error)
	Lookup(ctx context.Context, ref string) (tenant.Account, error)
	Acquire(ctx context.Context, a tenant.Account) (*db.DB, func(), error)
}

// Defaults.
const (
	DefaultConcurrency       = 4
	DefaultEngineInterval    = 5 * time.Second
	DefaultHeartbeatInterval = 10 * time.Second
	DefaultSlotsAheadDays    = 10
	DefaultMaxParallel       = 2
	// LogLinesKept bounds command_run_log per run.
	LogLinesKept = 1000
)

// Options configure a Conductor. Control, Tenants and Commands are required.
type Options struct {
	Control  *db.DB
	Tenants  Tenants
	Commands *command.Registry
	Logger   *slog.Logger
	// Clock defaults to the real clock.
	Clock Clock
	// Concurrency is the number of command workers in this process
	// (default 4); negative: none (an engine-only or insert-only node).
	Concurrency int
	// EngineInterval is how often the leader runs the engine loop besides
	// wake-ups (default 5 s).
	EngineInterval time.Duration
	// HeartbeatInterval: a Running run's worker stamps heartbeat_at this
	// often; a run silent for 3 intervals times out (default 10 s).
	HeartbeatInterval time.Duration
	// CancelCheckInterval: how often a worker looks whether its run was
	// cancelled or timed out elsewhere (default 1 s, at most the heartbeat).
	CancelCheckInterval time.Duration
	// FetchPollInterval is River's poll for new jobs (default 50 ms).
	FetchPollInterval time.Duration
	// SlotsAheadDays: slots exist up to now + this many days (default 10;
	// negative: 0).
	SlotsAheadDays int
	// MaxQueued caps runs handed to River but not yet started, across all
	// processes (default 4 × Concurrency, at least 8; with several worker
	// processes, about 4 × their workers in all). Larger means fewer
	// dispatches per run; River starts manual runs first whatever is queued.
	MaxQueued int
	// MaxSnooze caps how long a run that found no rate token is snoozed
	// (default 1 min).
	MaxSnooze time.Duration
	// ID names this process in command_run.worker and as River client
	// (default cubed-<host>-<pid>-<random>).
	ID string
	// OnRunDone, if set, is called after a run of this process finished.
	OnRunDone func(RunDone)
	// Metrics, if set, gets Conductor's Prometheus series (metrics.go);
	// `cubed serve` passes the registry served at /metrics.
	Metrics prometheus.Registerer
}

// RunDone describes a finished run (for observers: progress bars, tests).
type RunDone struct {
	RunID, SlotID int64
	Command       string
	AccountID     int64
	Status        int
	Error         string
	// Snoozed > 0: the run asked to be retried later (Retry-After) and is
	// Waiting again; OnRunDone is not called for it.
	Snoozed time.Duration
}

// Conductor is the command system of one process.
type Conductor struct {
	opt     Options
	control *db.DB
	cmds    *command.Registry
	graph   *command.Graph
	log     *slog.Logger
	clock   Clock
	id      string

	river      *river.Client[*sql.Tx]
	closeRiver func() // the driver's listener pool
	pollOnly   bool   // River learns of this process's inserts only when told (nudge)
	wakeCh     chan struct{}
	// places is this process's command workers (Concurrency): a
	// commands-queue job takes one after it claimed its run and gives it
	// back when the command returns, before the result is recorded.
	// River's queue has more workers than places (see prefetch).
	places   chan struct{}
	stopping chan struct{} // closed when Stop begins: jobs waiting for a place give up
	batchMu  sync.RWMutex
	batch    *batcher // the workers' group commit (SQLite), while River runs

	// engine state (leader), guarded by emu
	emu       sync.Mutex
	defs      map[string]*definition // by name
	defsByID  map[int64]*definition
	defsReady bool
	defsOwned bool // synced by the engine (may deactivate), not only by Prepare
	accounts  map[int64]managedAccount
	horizon   map[pairKey]time.Time
	horizonOK bool

	mu      sync.Mutex
	running map[int64]context.CancelCauseFunc // runs executing in this process

	metrics  *metrics
	loopDone chan struct{}
	stopLoop context.CancelFunc
	stmts    stmtCache
}

type definition struct {
	id  int64
	cmd *command.Command
}

type managedAccount struct {
	acct        tenant.Account
	enabled     bool
	maxParallel int
	added       time.Time
}

type pairKey struct{ def, account int64 }

// New checks the commands (a dependency cycle is an error naming it) and
// returns a Conductor. It starts nothing: see Start, RunOnce and Tick.
func New(opt Options) (*Conductor, error) {
	if opt.Control == nil || opt.Tenants == nil || opt.Commands == nil {
		return nil, errors.New("conductor: Control, Tenants and Commands are required")
	}
	g, err := opt.Commands.Graph()
	if err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Clock == nil {
		opt.Clock = realClock{}
	}
	if opt.Concurrency == 0 {
		opt.Concurrency = DefaultConcurrency
	}
	if opt.EngineInterval <= 0 {
		opt.EngineInterval = DefaultEngineInterval
	}
	if opt.HeartbeatInterval <= 0 {
		opt.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if opt.CancelCheckInterval <= 0 {
		opt.CancelCheckInterval = time.Second
	}
	opt.CancelCheckInterval = min(opt.CancelCheckInterval, opt.HeartbeatInterval)
	if opt.FetchPollInterval <= 0 {
		opt.FetchPollInterval = 50 * time.Millisecond
	}
	if opt.SlotsAheadDays == 0 {
		opt.SlotsAheadDays = DefaultSlotsAheadDays
	} else if opt.SlotsAheadDays < 0 {
		opt.SlotsAheadDays = 0
	}
	if opt.MaxQueued <= 0 {
		opt.MaxQueued = max(8, 4*max(opt.Concurrency, 0))
	}
	if opt.MaxSnooze <= 0 {
		opt.MaxSnooze = time.Minute
	}
	if opt.ID == "" {
		host, _ := os.Hostname()
		opt.ID = fmt.Sprintf("cubed-%s-%d-%s", sanitizeTag(host), os.Getpid(), strconv.FormatInt(time.Now().UnixNano()%1e6, 36))
	}
	m, err := newMetrics(opt.Metrics, opt.Control)
	if err != nil {
		return nil, fmt.Errorf("conductor metrics: %w", err)
	}
	c := &Conductor{
		metrics: m,
		opt:     opt, control: opt.Control, cmds: opt.Commands, graph: g, log: opt.Logger, clock: opt.Clock, id: opt.ID,
		wakeCh: make(chan struct{}, 1), places: make(chan struct{}, max(opt.Concurrency, 1)), running: map[int64]context.CancelCauseFunc{},
		accounts: map[int64]managedAccount{}, horizon: map[pairKey]time.Time{},
	}
	return c, nil
}

// Graph returns the derived command graph.
func (c *Conductor) Graph() *command.Graph { return c.graph }

// ID is this process's worker name.
func (c *Conductor) ID() string { return c.id }

// now is the clock's time in UTC at the precision both dialects store.
func (c *Conductor) now() time.Time { return ts(c.clock.Now()) }

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// wake asks the engine loop for a pass now.
func (c *Conductor) wake() {
	select {
	case c.wakeCh <- struct{}{}:
	default:
	}
}

// lockKey is the PostgreSQL advisory lock that serialises slot creation
// and dispatch across processes.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("cubed-conductor-" + name))
	return int64(h.Sum64() >> 1)
}

// serialise takes a transaction-scoped lock on PostgreSQL; SQLite write
// transactions are serial already.
func serialise(ctx context.Context, tx *db.Tx, name string) error {
	if tx.Dialect() != db.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?)", lockKey(name))
	return err
}

// sanitizeTag keeps letters, digits, '_' and '-' (River tags, ids).
func sanitizeTag(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, ch := range b {
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '_', ch == '-':
			out = append(out, ch)
		case ch == ':' || ch == '.' || ch == ' ':
			out = append(out, '-')
		}
	}
	if len(out) == 0 {
		return "x"
	}
	return string(out)
}

// dateString normalises a scanned date column.
func dateString(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.DateOnly)
	case string:
		if len(x) >= 10 {
			return x[:10]
		}
		return x
	case []byte:
		if len(x) >= 10 {
			return string(x[:10])
		}
		return string(x)
	}
	return ""
}

// timeValue normalises a scanned instant: SQLite returns text for
// expressions over datetime columns (MAX, COALESCE).
func timeValue(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case []byte:
		v = string(x)
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("not a time: %T", v)
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", s)
}

// toCommandAccount converts a tenant account for a command's Env.
func toCommandAccount(a tenant.Account) command.Account {
	return command.Account{
		ID: a.ID, Token: a.Token, Name: a.Name, Country: a.Country, Domain: a.Domain, DBName: a.DBName,
		TimeZone: a.TimeZone, Currency: a.Currency, LookbackDays: a.LookbackDays,
		SessionTimeoutMinutes: a.SessionTimeoutMinutes, Location: a.Location(),
	}
}

// inClause renders "?, ?, ?" for n values.
func inClause(n int) string {
	if n <= 0 {
		return "NULL"
	}
	b := make([]byte, 0, 3*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// chunks splits ids for IN lists.
func chunks(ids []int64, n int) [][]int64 {
	var out [][]int64
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
