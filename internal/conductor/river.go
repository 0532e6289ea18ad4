package conductor

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// River queues: by class, never one per account.
const (
	QueueCommands = "commands" // matrix-account commands
	QueueControl  = "control"  // matrix-none (control-level) commands
)

// runArgs is a River job: one run of Conductor. Jobs are unique per run id.
type runArgs struct {
	RunID     int64  `json:"run_id" river:"unique"`
	Command   string `json:"command"`
	TimeoutMS int64  `json:"timeout_ms"`
}

func (runArgs) Kind() string { return "conductor_run" }

// driverFor returns River's plain driver for the control database (the
// migrator and River's UI; the workers' client uses workerDriver): riversqlite
// on SQLite (on the single writer connection, so River and Conductor never
// contend for the file's write lock) and riverdatabasesql on PostgreSQL
// (the same database/sql pool as everything else, so a job is inserted in
// the transaction that stamps its run).
func driverFor(d *db.DB) riverdriver.Driver[*sql.Tx] {
	if d.Dialect() == db.Postgres {
		return riverdatabasesql.New(d.Writer())
	}
	return riversqlite.New(d.Writer())
}

// sqlitePollOnly is riversqlite's driver in poll-only mode. riversqlite's
// listener reads a notification table every 50 ms (not configurable), so a
// job inserted by dispatch waited 0–50 ms for that read or River's fetch
// poll, whichever came first: most of Waiting → Running. With no listener
// River instead wakes this process's producer whenever the process inserts
// outside a transaction, which dispatch does after it commits (nudge). On
// SQLite one process works the queue, so no other process needs telling.
type sqlitePollOnly struct{ *riversqlite.Driver }

func (sqlitePollOnly) SupportsListener() bool     { return false }
func (sqlitePollOnly) SupportsListenNotify() bool { return false }

// workerDriver returns the driver of this process's working River client.
// On PostgreSQL it listens (LISTEN/NOTIFY through a connection of its own,
// from a one-connection pgx pool closed by the returned func): a job
// inserted by any process's dispatch wakes every process's producer when
// the transaction commits, instead of at their next fetch poll.
func workerDriver(ctx context.Context, d *db.DB) (riverdriver.Driver[*sql.Tx], func(), error) {
	if d.Dialect() != db.Postgres {
		return sqlitePollOnly{riversqlite.New(d.Writer())}, func() {}, nil
	}
	cfg, err := pgxpool.ParseConfig(d.DSN())
	if err != nil {
		return nil, nil, fmt.Errorf("river listener: %w", err)
	}
	cfg.MinConns, cfg.MaxConns = 0, 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("river listener: %w", err)
	}
	return riverdatabasesql.NewWithPgxListener(d.Writer(), pool), pool.Close, nil
}

// MigrateRiver creates or updates River's own tables (river_job,
// river_leader, ...) in the control database with River's migrator.
// Idempotent; `cubed conductor` and Start call it.
func MigrateRiver(ctx context.Context, control *db.DB) error {
	m, err := rivermigrate.New(driverFor(control), nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if control.Dialect() == db.Postgres {
		// Two processes starting together must not race River's migrator.
		conn, err := control.Writer().Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockKey("river-migrate")); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey("river-migrate")) //nolint:errcheck
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	return nil
}

// runWorker is River's worker for conductor_run jobs.
type runWorker struct {
	river.WorkerDefaults[runArgs]
	c *Conductor
}

func (w *runWorker) Work(ctx context.Context, job *river.Job[runArgs]) error {
	return w.c.work(ctx, job)
}

// jobGrace is added to a command's timeout for River's job timeout: the
// command's own context ends at its timeout exactly (and the run becomes
// Timeout); River's deadline is the backstop, and must leave time to claim
// the run and record its result.
const jobGrace = 30 * time.Second

// Timeout is the command's timeout plus jobGrace.
func (w *runWorker) Timeout(job *river.Job[runArgs]) time.Duration {
	if job.Args.TimeoutMS <= 0 {
		return command.DefaultTimeout + jobGrace
	}
	return time.Duration(job.Args.TimeoutMS)*time.Millisecond + jobGrace
}

// prefetch is how many commands-queue jobs River may hold beyond this
// process's workers (Concurrency) on SQLite. Such a job claims its run at
// once and then waits for a place (Conductor.places), so that when a
// command returns the next one starts without waiting for the control
// database. Without it a worker's place stayed empty while the finished
// run's result was recorded, River noticed the free worker, fetched the
// next job and the job claimed its run: three waits for SQLite's single
// writer, as long as a command of a few milliseconds. See acquirePlace for
// how long a claimed run waits. On PostgreSQL, whose writers do not queue
// behind one another, it made the two-process benchmark twice as slow
// (BENCHMARKS.md), so River there has exactly Concurrency workers.
func (c *Conductor) prefetch() int {
	if c.control.Dialect() == db.Postgres {
		return 0
	}
	return max(c.opt.Concurrency, 1)
}

// newRiver builds this process's River client (not started).
func (c *Conductor) newRiver(ctx context.Context) error {
	workers := river.NewWorkers()
	river.AddWorker(workers, &runWorker{c: c})
	longest := command.DefaultTimeout
	for _, cmd := range c.cmds.All() {
		longest = max(longest, cmd.Timeout)
	}
	queues := map[string]river.QueueConfig{QueueControl: {MaxWorkers: 1}}
	if c.opt.Concurrency > 0 {
		queues[QueueCommands] = river.QueueConfig{MaxWorkers: c.opt.Concurrency + c.prefetch()}
	}
	cfg := &river.Config{
		ID:                          c.id,
		Logger:                      c.log.With("component", "river"),
		Queues:                      queues,
		Workers:                     workers,
		MaxAttempts:                 1, // Conductor owns retries: a new run per attempt
		JobTimeout:                  command.DefaultTimeout + jobGrace,
		RescueStuckJobsAfter:        longest + time.Hour,
		CompletedJobRetentionPeriod: time.Hour, // Conductor keeps the history
		CancelledJobRetentionPeriod: time.Hour,
		DiscardedJobRetentionPeriod: 24 * time.Hour,
		FetchPollInterval:           c.opt.FetchPollInterval,
		// The least pause between two fetches: a fetch right after the
		// one a finishing job triggers is what starts the run dispatch
		// just made due.
		FetchCooldown:   min(time.Millisecond, c.opt.FetchPollInterval),
		SoftStopTimeout: 10 * time.Second,
	}
	driver, closeDriver, err := workerDriver(ctx, c.control)
	if err != nil {
		return err
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		closeDriver()
		return fmt.Errorf("river client: %w", err)
	}
	c.river, c.closeRiver = client, closeDriver
	c.pollOnly = !driver.SupportsListener()
	return nil
}

// isLeader reports whether River elected this process's client leader.
func (c *Conductor) isLeader(ctx context.Context) bool {
	var id string
	if err := c.control.QueryRow(ctx, `SELECT "leader_id" FROM "river_leader" LIMIT 1`).Scan(&id); err != nil {
		return false
	}
	return id == c.id
}
