package conductor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

var (
	errCancelled   = errors.New("run cancelled")
	errRunTimeout  = errors.New("run exceeded its timeout")
	errLostClaim   = errors.New("run no longer waiting")
	errNoToken     = errors.New("no rate token")
	errInterrupted = errors.New("interrupted: the worker is stopping")
)

// claim is a run this process marked Running.
type claim struct {
	runRef
	start, end time.Time
	date       string
	group      string
	free       func()    // gives the worker's place back (nil: inline run)
	started    time.Time // when the command started (running_at), if after the claim
}

// placePause is how long a job that found no free place is snoozed.
const placePause = time.Second

// acquirePlace waits for one of this process's command worker places for
// a job of queue (control-queue jobs have River's own single worker and
// need none). The job's run is claimed already (Running, with a heartbeat
// stamped then). It gives up, returning false, when ctx ends, when the
// process is stopping, or after a heartbeat interval: well before the run
// would be taken for lost (three intervals without a heartbeat), and with
// every place busy that long another process may well be free. The
// returned func gives the place back; calling it again does nothing.
func (c *Conductor) acquirePlace(ctx context.Context, queue string) (func(), bool) {
	if queue != QueueCommands {
		return func() {}, true
	}
	t := time.NewTimer(c.opt.HeartbeatInterval)
	defer t.Stop()
	select {
	case c.places <- struct{}{}:
	case <-ctx.Done():
		return nil, false
	case <-c.stopping:
		return nil, false
	case <-t.C:
		return nil, false
	}
	var once sync.Once
	return func() { once.Do(func() { <-c.places }) }, true
}

// claimRun moves a Waiting run to Running, guarded: only from Waiting, only
// while its slot is waiting (which locks the slot row), and only if no
// other run of the slot is Running. Then it takes a rate token when the
// command's group has a rate. errLostClaim and errNoToken roll it back.
func (c *Conductor) claimRun(ctx context.Context, tx *db.Tx, runID int64, worker string, now time.Time) (claim, time.Duration, error) {
	q := c.cached(tx)
	var cl claim
	var status int
	var slotStatus string
	var date any
	err := q.QueryRow(ctx, `SELECT r."status", r."attempt", r."slot_id", s."status", COALESCE(s."account_id", 0), s."period_start", s."period_end",
			s."local_date", d."name", d."concurrency_group"
		FROM "command_run" r JOIN "command_slot" s ON s."id" = r."slot_id" JOIN "command_definition" d ON d."id" = s."definition_id"
		WHERE r."id" = ?`, runID).
		Scan(&status, &cl.attempt, &cl.slot, &slotStatus, &cl.accountID, &cl.start, &cl.end, &date, &cl.command, &cl.group)
	if err != nil {
		return cl, 0, fmt.Errorf("run %d: %w", runID, err)
	}
	cl.id = runID
	cl.date = dateString(date)
	if status != Waiting {
		return cl, 0, errLostClaim
	}
	res, err := q.Exec(ctx, `UPDATE "command_slot" SET "status" = 'running', "updated" = ? WHERE "id" = ? AND "status" = 'waiting'`, now, cl.slot)
	if err != nil {
		return cl, 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return cl, 0, errLostClaim
	}
	res, err = q.Exec(ctx, `UPDATE "command_run" SET "status" = ?, "running_at" = ?, "heartbeat_at" = ?, "worker" = ?, "waiting_reason" = ''
		WHERE "id" = ? AND "status" = ? AND NOT EXISTS (SELECT 1 FROM "command_run" o WHERE o."slot_id" = ? AND o."status" = ?)`,
		Running, now, now, worker, runID, Waiting, cl.slot, Running)
	if err != nil {
		return cl, 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return cl, 0, errLostClaim
	}
	if cl.group != "" {
		ok, wait, err := takeToken(ctx, q, tx.Dialect(), cl.group, now)
		if err != nil {
			return cl, 0, err
		}
		if !ok {
			return cl, wait, errNoToken
		}
	}
	return cl, 0, nil
}

// work is River's entry point for a conductor_run job.
func (c *Conductor) work(ctx context.Context, job *river.Job[runArgs]) error {
	now := c.now()
	var cl claim
	var wait time.Duration
	err := c.workerTx(ctx, func(tx *db.Tx) error {
		var err error
		cl, wait, err = c.claimRun(ctx, tx, job.Args.RunID, c.id, now)
		return err
	})
	switch {
	case errors.Is(err, errNoToken):
		// Snoozed by River: the job's attempt is not consumed, the run
		// stays Waiting.
		_, _ = c.control.Exec(ctx, `UPDATE "command_run" SET "waiting_reason" = ? WHERE "id" = ? AND "status" = ?`, ReasonGroupLimit+cl.group, cl.id, Waiting)
		return river.JobSnooze(min(max(wait, 10*time.Millisecond), c.opt.MaxSnooze))
	case errors.Is(err, errLostClaim):
		// Cancelled, or already run: finish the job without touching the slot.
		return nil
	case err != nil:
		return err
	}
	// The run is claimed; its command starts when one of this process's
	// places is free (see prefetch): claiming first keeps the claim's wait
	// for the control database off the places.
	free, ok := c.acquirePlace(ctx, job.Queue)
	if !ok {
		// No place came free soon enough, or this process is stopping:
		// the run goes back to Waiting (same attempt) and River runs the
		// job again after the pause, here or in another process.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := c.workerTx(hctx, func(tx *db.Tx) error {
			return c.handBackRun(hctx, tx, cl, "no free worker place", c.now())
		}); err != nil {
			return err
		}
		return river.JobSnooze(placePause)
	}
	defer free() // if execute did not give the place back already
	cl.started = c.now()
	// River's completer marks the job completed when Work returns. The
	// run's result is not committed with it: completing the job in the
	// result's transaction cost a third of the control database's work per
	// run on SQLite (River's statement parsed each time, then River's
	// completer ran again anyway), and it is not needed: if this process
	// dies between the two, River rescues the job, runs it again, and the
	// guarded claim finds the run finished (errLostClaim).
	cl.free = free
	done := c.execute(ctx, cl)
	if done.Snoozed > 0 {
		// The command was told to come back later (HTTP 429 Retry-After):
		// the run is Waiting again and River runs the job after the pause,
		// without using up an attempt of the run.
		return river.JobSnooze(done.Snoozed)
	}
	return nil
}

// retryAfter is implemented by errors that say when to try again
// (integrations.RetryAfterError: an HTTP 429 or 503 with Retry-After).
type retryAfter interface{ RetryAfter() time.Duration }

// MaxRetryAfter caps a Retry-After pause.
const MaxRetryAfter = 6 * time.Hour

// snoozeFor returns the pause a run's error asks for, 0 if none.
func snoozeFor(err error) time.Duration {
	var ra retryAfter
	if err == nil || !errors.As(err, &ra) {
		return 0
	}
	return min(max(ra.RetryAfter(), 10*time.Millisecond), MaxRetryAfter)
}

// handBackPause is how long a handed-back run's River job is snoozed: any
// process's workers (this one's after a restart) run it after the pause.
const handBackPause = time.Second

// handBackRun returns a Running run interrupted by this worker's shutdown
// to Waiting (same run, same attempt); its River job is snoozed, not
// completed, so River runs it again (River jobs are unique per run: a new
// job for the same run could not be inserted while the old one is kept).
func (c *Conductor) handBackRun(ctx context.Context, tx *db.Tx, cl claim, msg string, now time.Time) error {
	reason := ReasonHandedBack + msg
	if len(reason) > 200 {
		reason = reason[:200]
	}
	res, err := tx.Exec(ctx, `UPDATE "command_run" SET "status" = ?, "running_at" = NULL, "heartbeat_at" = NULL, "worker" = '',
		"waiting_reason" = ? WHERE "id" = ? AND "status" = ?`, Waiting, reason, cl.id, Running)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `UPDATE "command_slot" SET "status" = 'waiting', "updated" = ? WHERE "id" = ? AND "status" = 'running'`, now, cl.slot)
	return err
}

// snoozeRun puts a Running run back to Waiting (same run, same attempt)
// with the reason visible until River runs its job again.
func (c *Conductor) snoozeRun(ctx context.Context, tx *db.Tx, cl claim, d time.Duration, msg string, now time.Time) error {
	reason := fmt.Sprintf("%s%s until %s: %s", ReasonRetryAfter, d.Round(time.Millisecond), now.Add(d).Format(time.RFC3339), msg)
	if len(reason) > 200 {
		reason = reason[:200]
	}
	res, err := tx.Exec(ctx, `UPDATE "command_run" SET "status" = ?, "running_at" = NULL, "heartbeat_at" = NULL, "worker" = '', "waiting_reason" = ?
		WHERE "id" = ? AND "status" = ?`, Waiting, reason, cl.id, Running)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // cancelled or timed out meanwhile
	}
	_, err = tx.Exec(ctx, `UPDATE "command_slot" SET "status" = 'waiting', "updated" = ? WHERE "id" = ? AND "status" = 'running'`, now, cl.slot)
	return err
}

// runState collects a run's progress and log lines between flushes.
type runState struct {
	mu          sync.Mutex
	done, total int64
	progressed  bool
	lines       []logLine
	seq         int
	beat        chan struct{}
}

type logLine struct {
	seq   int
	at    time.Time
	level string
	msg   string
}

func (s *runState) progress(done, total int64) {
	s.mu.Lock()
	s.done, s.total, s.progressed = done, total, true
	s.mu.Unlock()
}

func (s *runState) heartbeat() {
	select {
	case s.beat <- struct{}{}:
	default:
	}
}

func (s *runState) add(at time.Time, level slog.Level, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.lines = append(s.lines, logLine{seq: s.seq, at: at, level: level.String(), msg: msg})
	if len(s.lines) > LogLinesKept {
		s.lines = s.lines[len(s.lines)-LogLinesKept:]
	}
}

// take returns what is to be written and clears it.
func (s *runState) take() (lines []logLine, done, total int64, progressed bool, lastSeq int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines, s.lines = s.lines, nil
	progressed, s.progressed = s.progressed, false
	return lines, s.done, s.total, progressed, s.seq
}

// teeHandler writes a command's log records to the process log and keeps
// them (Info and above) for command_run_log.
type teeHandler struct {
	base  slog.Handler
	state *runState
	attrs []slog.Attr
	group string
}

func (h *teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.base.Enabled(ctx, l)
}

func (h *teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.base.Enabled(ctx, r.Level) {
		err = h.base.Handle(ctx, r)
	}
	if r.Level >= slog.LevelInfo {
		var b strings.Builder
		b.WriteString(r.Message)
		write := func(a slog.Attr) bool {
			if a.Equal(slog.Attr{}) {
				return true
			}
			key := a.Key
			if h.group != "" {
				key = h.group + "." + key
			}
			fmt.Fprintf(&b, " %s=%v", key, a.Value.Resolve())
			return true
		}
		for _, a := range h.attrs {
			write(a)
		}
		r.Attrs(write)
		h.state.add(r.Time, r.Level, b.String())
	}
	return err
}

func (h *teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &teeHandler{base: h.base.WithAttrs(as), state: h.state, attrs: append(append([]slog.Attr(nil), h.attrs...), as...), group: h.group}
}

func (h *teeHandler) WithGroup(name string) slog.Handler {
	g := name
	if h.group != "" {
		g = h.group + "." + name
	}
	return &teeHandler{base: h.base.WithGroup(name), state: h.state, attrs: h.attrs, group: g}
}

// flush writes progress, heartbeat and pending log lines of a Running run.
// It reports false when the run is no longer Running.
func (c *Conductor) flush(ctx context.Context, q db.Querier, runID int64, st *runState, beat bool) (bool, error) {
	lines, done, total, progressed, lastSeq := st.take()
	now := c.now()
	running := true
	if beat || progressed {
		res, err := q.Exec(ctx, `UPDATE "command_run" SET "heartbeat_at" = ?, "progress_done" = ?, "progress_total" = ? WHERE "id" = ? AND "status" = ?`,
			now, done, total, runID, Running)
		if err != nil {
			return true, err
		}
		n, _ := res.RowsAffected()
		running = n > 0
	}
	if len(lines) > 0 {
		for _, part := range chunkLines(lines, 100) {
			var b strings.Builder
			b.WriteString(`INSERT INTO "command_run_log" ("run_id", "seq", "at", "level", "message") VALUES `)
			args := make([]any, 0, 5*len(part))
			for i, l := range part {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?)")
				args = append(args, runID, l.seq, ts(l.at), l.level, l.msg)
			}
			b.WriteString(` ON CONFLICT ("run_id", "seq") DO NOTHING`)
			if _, err := q.Exec(ctx, b.String(), args...); err != nil {
				return running, err
			}
		}
		if lastSeq > LogLinesKept {
			if _, err := q.Exec(ctx, `DELETE FROM "command_run_log" WHERE "run_id" = ? AND "seq" <= ?`, runID, lastSeq-LogLinesKept); err != nil {
				return running, err
			}
		}
	}
	return running, nil
}

func chunkLines(ls []logLine, n int) [][]logLine {
	var out [][]logLine
	for len(ls) > n {
		out = append(out, ls[:n])
		ls = ls[n:]
	}
	if len(ls) > 0 {
		out = append(out, ls)
	}
	return out
}

func (c *Conductor) register(runID int64, cancel context.CancelCauseFunc) {
	c.mu.Lock()
	c.running[runID] = cancel
	c.mu.Unlock()
}

func (c *Conductor) unregister(runID int64) {
	c.mu.Lock()
	delete(c.running, runID)
	c.mu.Unlock()
}

// cancelLocal cancels a run executing in this process, if it is.
func (c *Conductor) cancelLocal(runID int64, cause error) {
	c.mu.Lock()
	cancel := c.running[runID]
	c.mu.Unlock()
	if cancel != nil {
		cancel(cause)
	}
}

// execute runs a claimed (Running) run to its end: heartbeat, per-command
// timeout, panic recovery, cancellation, logs and progress; then, in one
// transaction, the run's and the slot's final status and complete (River's
// job completion, or nothing for inline runs).
func (c *Conductor) execute(ctx context.Context, cl claim) RunDone {
	st := &runState{beat: make(chan struct{}, 1)}
	began := time.Now()
	attrs := []slog.Attr{slog.String("command", cl.command), slog.Int64("slot", cl.slot), slog.Int64("run", cl.id)}
	cmd, known := c.cmds.Get(cl.command)
	timeout := command.DefaultTimeout
	if known {
		timeout = cmd.Timeout
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	runCtx, cancelT := context.WithTimeoutCause(runCtx, timeout, errRunTimeout)
	defer cancelT()
	c.register(cl.id, cancel)
	defer c.unregister(cl.id)

	env := command.Env{Control: c.control, Start: cl.start, End: cl.end, Date: cl.date, SlotID: cl.slot, RunID: cl.id, Attempt: cl.attempt}
	var runErr error
	var panicked bool
	var stack string
	release := func() {}
	if !known {
		runErr = fmt.Errorf("command %s is not registered in this process", cl.command)
	} else if cl.accountID != 0 {
		acct, err := c.opt.Tenants.Lookup(ctx, strconv.FormatInt(cl.accountID, 10))
		if err == nil {
			env.Account = toCommandAccount(acct)
			attrs = append([]slog.Attr{slog.String("account", acct.Token)}, attrs...)
			var d *db.DB
			var rel func()
			if d, rel, err = c.opt.Tenants.Acquire(ctx, acct); err == nil {
				env.DB, release = d, rel // on error release stays a no-op
			}
		}
		if err != nil {
			runErr = fmt.Errorf("account %d: %w", cl.accountID, err)
		}
	}
	env.Log = slog.New(&teeHandler{base: c.log.Handler().WithAttrs(attrs), state: st})

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { c.monitor(runCtx, cl.id, st, cancel, stop) })

	if runErr == nil {
		stack, panicked, runErr = safeRun(runCtx, cmd.Run, command.NewEnv(env, st.progress, st.heartbeat))
	}
	release()
	close(stop)
	wg.Wait()
	if cl.free != nil {
		cl.free() // the next command may start while this result is recorded
	}

	status, msg, detail := Success, "", ""
	cause := context.Cause(runCtx)
	var snooze time.Duration
	if !cl.inline && !panicked && cause == nil && ctx.Err() == nil {
		snooze = snoozeFor(runErr)
	}
	// River stopping this worker (shutdown: soft stop over, contexts
	// cancelled) hands the run back instead of failing it.
	handBack := !cl.inline && runErr != nil && !panicked && errors.Is(ctx.Err(), context.Canceled) &&
		!errors.Is(cause, errCancelled) && !errors.Is(cause, errTimedOutElsewhere)
	switch {
	case snooze > 0:
		status, msg = -1, runErr.Error()
		env.Log.Warn("run snoozed: retry later", "after", snooze, "err", msg)
	case handBack:
		status, msg = -1, errInterrupted.Error()+": "+runErr.Error()
		env.Log.Warn("run handed back: the worker is stopping", "err", runErr)
	case errors.Is(cause, errCancelled), errors.Is(cause, errTimedOutElsewhere):
		status = -1 // already Cancelled or Timeout: nothing to record
	case panicked:
		status, msg, detail = Failed, runErr.Error(), stack
	case runErr == nil:
	case errors.Is(cause, errRunTimeout), errors.Is(cause, context.DeadlineExceeded):
		status, msg = Timeout, fmt.Sprintf("exceeded its %s timeout: %v", timeout, runErr)
	case ctx.Err() != nil:
		status, msg = Failed, errInterrupted.Error()+": "+runErr.Error()
	default:
		status, msg = Failed, runErr.Error()
	}
	if status == Failed || status == Timeout {
		env.Log.Error("run failed", "status", StatusName(status), "err", msg)
	}
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer fcancel()
	now := c.now()
	err := c.workerTx(fctx, func(tx *db.Tx) error {
		if _, err := c.flush(fctx, c.cached(tx), cl.id, st, false); err != nil {
			return err
		}
		if snooze > 0 {
			return c.snoozeRun(fctx, tx, cl, snooze, msg, now) // the River job stays, snoozed
		}
		if handBack {
			return c.handBackRun(fctx, tx, cl, msg, now) // the River job stays, snoozed
		}
		if status >= 0 {
			if _, err := c.finishRun(fctx, tx, cl.runRef, status, msg, detail, cl.started, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		c.log.Error("record run result", "run", cl.id, "err", err)
	}
	if handBack {
		snooze = handBackPause
	}
	if snooze > 0 {
		c.wake() // its place is free: dispatch may start another run
		return RunDone{RunID: cl.id, SlotID: cl.slot, Command: cl.command, AccountID: cl.accountID, Status: Waiting, Error: msg, Snoozed: snooze}
	}
	if status < 0 {
		var cur int
		_ = c.control.QueryRow(fctx, `SELECT "status" FROM "command_run" WHERE "id" = ?`, cl.id).Scan(&cur)
		status, msg = cur, cause.Error()
	}
	c.wake()
	if !errors.Is(cause, errTimedOutElsewhere) { // the engine counted that one
		c.metrics.runDone(cl.command, status, time.Since(began))
	}
	done := RunDone{RunID: cl.id, SlotID: cl.slot, Command: cl.command, AccountID: cl.accountID, Status: status, Error: msg}
	if c.opt.OnRunDone != nil {
		c.opt.OnRunDone(done)
	}
	return done
}

// safeRun calls run, turning a panic into an error with its stack.
func safeRun(ctx context.Context, run func(context.Context, *command.Env) error, env *command.Env) (stack string, panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			stack, panicked, err = string(debug.Stack()), true, fmt.Errorf("panic: %v", p)
		}
	}()
	return "", false, run(ctx, env)
}

// monitor heartbeats the run, flushes its logs and progress, and cancels it
// when its row says it was cancelled or timed out elsewhere.
func (c *Conductor) monitor(ctx context.Context, runID int64, st *runState, cancel context.CancelCauseFunc, stop <-chan struct{}) {
	check := time.NewTicker(c.opt.CancelCheckInterval)
	defer check.Stop()
	lastBeat := time.Now()
	for {
		beat := false
		select {
		case <-stop:
			return
		case <-st.beat:
			beat = time.Since(lastBeat) >= c.opt.CancelCheckInterval
		case <-check.C:
			beat = time.Since(lastBeat) >= c.opt.HeartbeatInterval
		}
		if beat {
			lastBeat = time.Now()
		}
		running, err := c.flush(ctx, c.control, runID, st, beat)
		if err != nil && ctx.Err() == nil {
			c.log.Warn("heartbeat", "run", runID, "err", err)
		}
		if !running {
			cancel(c.stopCause(ctx, runID))
			continue
		}
		var status int
		if err := c.control.QueryRow(ctx, `SELECT "status" FROM "command_run" WHERE "id" = ?`, runID).Scan(&status); err == nil && status != Running {
			cancel(c.stopCause(ctx, runID))
		}
	}
}

func (c *Conductor) stopCause(ctx context.Context, runID int64) error {
	var status int
	_ = c.control.QueryRow(ctx, `SELECT "status" FROM "command_run" WHERE "id" = ?`, runID).Scan(&status)
	if status == Timeout {
		return errTimedOutElsewhere
	}
	return errCancelled
}
