package conductor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cubedhq/cubed/internal/db"
)

// Start starts this process's share of Conductor and returns at once:
// River's tables are migrated, the River client (Concurrency command
// workers) starts, and the engine loop runs whenever River elects this
// process leader. Stop ends both.
func (c *Conductor) Start(ctx context.Context) error {
	if err := c.startRiver(ctx); err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.loopDone = make(chan struct{})
	c.stopLoop = cancel
	go c.loop(loopCtx)
	return nil
}

func (c *Conductor) startRiver(ctx context.Context) error {
	if c.river != nil {
		return errors.New("conductor: already started")
	}
	if err := MigrateRiver(ctx, c.control); err != nil {
		return err
	}
	if c.control.Dialect() == db.Postgres {
		// Workers, heartbeats, the engine and River's own services each
		// need a connection; the default pool of a control handle is small.
		c.control.Writer().SetMaxOpenConns(2*max(c.opt.Concurrency, 1) + 10)
	}
	c.stopping = make(chan struct{})
	c.startBatcher()
	if err := c.newRiver(ctx); err != nil {
		c.stopBatcher()
		return err
	}
	if err := c.river.Start(context.WithoutCancel(ctx)); err != nil {
		c.river = nil
		c.closeRiver()
		c.stopBatcher()
		return fmt.Errorf("start river: %w", err)
	}
	return nil
}

// Stop ends the engine loop and stops River: running commands get
// SoftStopTimeout (10 s) to finish before their contexts are cancelled.
func (c *Conductor) Stop(ctx context.Context) error {
	if c.stopLoop != nil {
		c.stopLoop()
		<-c.loopDone
		c.stopLoop = nil
	}
	if c.river == nil {
		return nil
	}
	close(c.stopping) // claimed runs waiting for a place are handed back
	err := c.river.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = c.river.StopAndCancel(context.WithoutCancel(ctx))
	}
	c.river = nil
	c.closeRiver()
	c.stopBatcher() // after River: no worker is left to send it a transaction
	c.closeStmts()
	return err
}

// Start builds a Conductor from opt and starts it (see Conductor.Start);
// `cubed serve` and `cubed conductor` call it. stop shuts it down,
// waiting up to 30 s.
func Start(ctx context.Context, opt Options) (stop func(), err error) {
	c, err := New(opt)
	if err != nil {
		return nil, err
	}
	return c.Launch(ctx)
}

// Launch starts c (see Conductor.Start) and returns its stop: running
// commands get River's soft stop, then their contexts are cancelled and
// their runs handed back (Waiting again, attempt kept), waiting up to
// 30 s in all. `cubed serve` keeps c to give it to the API.
func (c *Conductor) Launch(ctx context.Context) (stop func(), err error) {
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := c.Stop(sctx); err != nil {
			c.log.Warn("conductor stop", "err", err)
		}
	}, nil
}

// loop is the engine loop: a full pass every EngineInterval while this
// process is River's leader, a short pass (runs, retries, dispatch) on
// every wake-up. A process that is not leader still dispatches on its own
// wake-ups, so children of a run it finished start without waiting for the
// leader's next pass.
func (c *Conductor) loop(ctx context.Context) {
	defer close(c.loopDone)
	t := time.NewTicker(c.opt.EngineInterval)
	defer t.Stop()
	wasLeader := false
	full := true
	for {
		if ctx.Err() != nil {
			return
		}
		leader := c.isLeader(ctx)
		if leader != wasLeader {
			c.log.Info("conductor leadership", "leader", leader, "worker", c.id)
			wasLeader = leader
			full = true
			c.metrics.setLeader(leader)
		}
		var err error
		switch {
		case leader && full:
			_, err = c.Tick(ctx)
		case leader:
			err = c.shortPass(ctx)
		case full:
			c.emu.Lock()
			_, err = c.dispatch(ctx)
			c.emu.Unlock()
		default:
			c.emu.Lock()
			_, err = c.dispatchIfLow(ctx)
			c.emu.Unlock()
		}
		if err != nil && ctx.Err() == nil {
			c.log.Error("conductor engine", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			full = true
		case <-c.wakeCh:
			full = false
		}
	}
}

// shortPass is what a finished run makes due: retries and dispatch (the
// worker started the run's dependants in the transaction that recorded
// its success).
func (c *Conductor) shortPass(ctx context.Context) error {
	c.emu.Lock()
	ready := c.defsReady
	c.emu.Unlock()
	if !ready {
		_, err := c.Tick(ctx)
		return err
	}
	c.emu.Lock()
	defer c.emu.Unlock()
	if _, err := c.ensureRetries(ctx); err != nil {
		return fmt.Errorf("ensure_retries: %w", err)
	}
	if _, err := c.dispatchIfLow(ctx); err != nil {
		return fmt.Errorf("dispatch: %w", err)
	}
	return nil
}

// OnceResult summarises `cubed conductor --once`.
type OnceResult struct {
	Succeeded, Failed int // slots that ended so, since the start
	Runs              int // runs this process finished
}

// RunOnce creates what is due, works until nothing is runnable (no slot
// waiting or running: retries included), and stops. It runs the engine
// itself, leader or not (every engine step is guarded). progress, if set,
// is called with runs finished and an estimate of the total.
func (c *Conductor) RunOnce(ctx context.Context, progress func(done, total int)) (OnceResult, error) {
	var res OnceResult
	if c.opt.Concurrency < 0 {
		return res, errors.New("--once needs workers (concurrency ≥ 1)")
	}
	started := c.now()
	userDone := c.opt.OnRunDone
	finished := make(chan RunDone, 64)
	c.opt.OnRunDone = func(d RunDone) {
		if userDone != nil {
			userDone(d)
		}
		select {
		case finished <- d:
		default:
		}
	}
	defer func() { c.opt.OnRunDone = userDone }()
	if err := c.startRiver(ctx); err != nil {
		return res, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = c.Stop(sctx)
	}()
	interval := min(c.opt.EngineInterval, time.Second)
	t := time.NewTicker(interval)
	defer t.Stop()
	full := true
	for {
		var err error
		if full {
			_, err = c.Tick(ctx)
		} else {
			err = c.shortPass(ctx)
		}
		if err != nil {
			return res, err
		}
		wasFull := full
		full = false
		var active int
		if err := c.control.QueryRow(ctx, `SELECT count(*) FROM "command_slot" WHERE "status" IN ('waiting', 'running')`).Scan(&active); err != nil {
			return res, err
		}
		if progress != nil {
			progress(res.Runs, res.Runs+active)
		}
		if active == 0 {
			if wasFull {
				break
			}
			full = true // make sure with a full pass
			continue
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-finished:
				res.Runs++
				// drain what else finished, then pass again
				for {
					select {
					case <-finished:
						res.Runs++
					default:
						break wait
					}
				}
			case <-t.C:
				full = true
				break wait
			}
		}
	}
	err := c.control.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN "status" = 'success' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN "status" = 'failed' THEN 1 ELSE 0 END), 0)
		FROM "command_slot" WHERE "updated" >= ?`, started).Scan(&res.Succeeded, &res.Failed)
	return res, err
}
