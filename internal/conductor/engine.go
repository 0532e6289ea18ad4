package conductor

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// TickStats says what one engine pass did.
type TickStats struct {
	Accounts   int // managed accounts
	NewSlots   int
	NewRuns    int // Waiting runs created by ensure_runs
	TimedOut   int
	Retried    int
	Dispatched int
}

// Busy reports whether the pass changed anything.
func (s TickStats) Busy() bool {
	return s.NewSlots+s.NewRuns+s.TimedOut+s.Retried+s.Dispatched > 0
}

// Tick runs the engine loop once: ensure_accounts, ensure_definitions,
// ensure_dependencies, ensure_slots, ensure_runs, ensure_timeouts,
// ensure_retries, then dispatch (when this process has a River client).
// Every step is idempotent. The loop started by Start calls it on the
// leader; tests and `--once` call it directly.
func (c *Conductor) Tick(ctx context.Context) (TickStats, error) {
	c.emu.Lock()
	defer c.emu.Unlock()
	var st TickStats
	var err error
	if err = c.ensureDefinitions(ctx, true); err != nil {
		return st, fmt.Errorf("ensure_definitions: %w", err)
	}
	if st.Accounts, err = c.ensureAccounts(ctx); err != nil {
		return st, fmt.Errorf("ensure_accounts: %w", err)
	}
	if st.NewSlots, err = c.ensureSlots(ctx); err != nil {
		return st, fmt.Errorf("ensure_slots: %w", err)
	}
	if st.NewRuns, err = c.ensureRuns(ctx); err != nil {
		return st, fmt.Errorf("ensure_runs: %w", err)
	}
	if st.TimedOut, err = c.ensureTimeouts(ctx); err != nil {
		return st, fmt.Errorf("ensure_timeouts: %w", err)
	}
	if st.Retried, err = c.ensureRetries(ctx); err != nil {
		return st, fmt.Errorf("ensure_retries: %w", err)
	}
	if c.river != nil {
		if st.Dispatched, err = c.dispatch(ctx); err != nil {
			return st, fmt.Errorf("dispatch: %w", err)
		}
	}
	return st, nil
}

// Prepare runs the start-up steps (definitions, dependencies, accounts) so
// that control commands (trigger, run) find their rows. Unlike the
// engine, it never deactivates a definition nor removes an edge: a control
// command's binary may know fewer commands than the running Conductor.
func (c *Conductor) Prepare(ctx context.Context) error {
	c.emu.Lock()
	defer c.emu.Unlock()
	if err := c.ensureDefinitions(ctx, false); err != nil {
		return fmt.Errorf("ensure_definitions: %w", err)
	}
	if _, err := c.ensureAccounts(ctx); err != nil {
		return fmt.Errorf("ensure_accounts: %w", err)
	}
	return nil
}

type defRow struct {
	app, frequency, matrix string
	reads, writes          []string
	retryMax               int
	retryBase, retryCap    float64
	timeout                float64
	group, startsOn        string
	sequential             bool
	source                 string
	active                 bool
}

func rowOf(cmd *command.Command) defRow {
	r := defRow{
		app: cmd.App, frequency: string(cmd.Frequency), matrix: string(cmd.Matrix),
		reads: append([]string{}, cmd.ReadsFrom...), writes: append([]string{}, cmd.WritesTo...),
		retryMax: cmd.Retry.MaxAttempts, retryBase: cmd.Retry.Base.Seconds(), retryCap: cmd.Retry.Cap.Seconds(),
		timeout: cmd.Timeout.Seconds(), group: cmd.Group, sequential: cmd.IsSequential(), source: "cron", active: true,
	}
	if !cmd.StartsOn.IsZero() {
		r.startsOn = cmd.StartsOn.Format(time.DateOnly)
	}
	if cmd.Frequency == command.Manual {
		r.source = "manual"
	}
	return r
}

func (r defRow) equal(o defRow) bool {
	return r.app == o.app && r.frequency == o.frequency && r.matrix == o.matrix && slices.Equal(r.reads, o.reads) &&
		slices.Equal(r.writes, o.writes) && r.retryMax == o.retryMax && r.retryBase == o.retryBase && r.retryCap == o.retryCap &&
		r.timeout == o.timeout && r.group == o.group && r.startsOn == o.startsOn && r.sequential == o.sequential &&
		r.source == o.source && r.active == o.active
}

func jsonList(v []string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ensureDefinitions upserts one command_definition per registered command,
// deactivates the definitions whose command disappeared, rebuilds the
// definition edges (ensure_dependencies) and writes declared group limits.
// It runs once per process (commands do not change while it runs); owner
// is false for control commands, which only add (see Prepare).
func (c *Conductor) ensureDefinitions(ctx context.Context, owner bool) error {
	if c.defsReady && (c.defsOwned || !owner) {
		return nil
	}
	now := c.now()
	defs := map[string]*definition{}
	err := c.control.InTx(ctx, func(tx *db.Tx) error {
		if err := serialise(ctx, tx, "definitions"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT "id", "name", "app", "frequency", "matrix", "reads_from", "writes_to", "retry_max", "retry_base_s",
			"retry_cap_s", "timeout_s", "concurrency_group", "starts_on", "sequential", "source", "active" FROM "command_definition"`)
		if err != nil {
			return err
		}
		type existing struct {
			id  int64
			row defRow
		}
		have := map[string]existing{}
		for rows.Next() {
			var e existing
			var name string
			var reads, writes []byte
			var startsOn any
			if err := rows.Scan(&e.id, &name, &e.row.app, &e.row.frequency, &e.row.matrix, &reads, &writes, &e.row.retryMax, &e.row.retryBase,
				&e.row.retryCap, &e.row.timeout, &e.row.group, &startsOn, &e.row.sequential, &e.row.source, &e.row.active); err != nil {
				rows.Close()
				return err
			}
			_ = json.Unmarshal(reads, &e.row.reads)
			_ = json.Unmarshal(writes, &e.row.writes)
			if e.row.reads == nil {
				e.row.reads = []string{}
			}
			if e.row.writes == nil {
				e.row.writes = []string{}
			}
			if startsOn != nil {
				e.row.startsOn = dateString(startsOn)
			}
			have[name] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, cmd := range c.cmds.All() {
			want := rowOf(cmd)
			e, ok := have[cmd.Name]
			switch {
			case !ok:
				id, err := db.InsertID(ctx, tx, `INSERT INTO "command_definition" ("name", "app", "frequency", "matrix", "reads_from", "writes_to",
					"retry_max", "retry_base_s", "retry_cap_s", "timeout_s", "concurrency_group", "starts_on", "sequential", "source", "active", "created", "updated")
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?)`,
					cmd.Name, want.app, want.frequency, want.matrix, jsonList(want.reads), jsonList(want.writes), want.retryMax, want.retryBase,
					want.retryCap, want.timeout, want.group, nullString(want.startsOn), want.sequential, want.source, now, now)
				if err != nil {
					return fmt.Errorf("definition %s: %w", cmd.Name, err)
				}
				e.id = id
			case !e.row.equal(want):
				if _, err := tx.Exec(ctx, `UPDATE "command_definition" SET "app" = ?, "frequency" = ?, "matrix" = ?, "reads_from" = ?, "writes_to" = ?,
					"retry_max" = ?, "retry_base_s" = ?, "retry_cap_s" = ?, "timeout_s" = ?, "concurrency_group" = ?, "starts_on" = ?, "sequential" = ?,
					"source" = ?, "active" = TRUE, "updated" = ? WHERE "id" = ?`,
					want.app, want.frequency, want.matrix, jsonList(want.reads), jsonList(want.writes), want.retryMax, want.retryBase, want.retryCap,
					want.timeout, want.group, nullString(want.startsOn), want.sequential, want.source, now, e.id); err != nil {
					return fmt.Errorf("definition %s: %w", cmd.Name, err)
				}
			}
			defs[cmd.Name] = &definition{id: e.id, cmd: cmd}
		}
		for name, e := range have {
			if _, ok := defs[name]; !ok && e.row.active && owner {
				if _, err := tx.Exec(ctx, `UPDATE "command_definition" SET "active" = FALSE, "updated" = ? WHERE "id" = ?`, now, e.id); err != nil {
					return err
				}
			}
		}
		if err := c.ensureDependencies(ctx, tx, defs, owner); err != nil {
			return fmt.Errorf("ensure_dependencies: %w", err)
		}
		for _, g := range c.cmds.Groups() {
			var maxRunning, rate any
			if g.MaxRunning > 0 {
				maxRunning = g.MaxRunning
			}
			if g.RatePerMinute > 0 {
				rate = g.RatePerMinute
			}
			if _, err := tx.Exec(ctx, `INSERT INTO "command_limit" ("group", "max_running", "rate_per_minute", "tokens", "refilled_at")
				VALUES (?, ?, ?, ?, ?) ON CONFLICT ("group") DO NOTHING`, g.Name, maxRunning, rate, max(g.RatePerMinute, 0), now); err != nil {
				return fmt.Errorf("group %s: %w", g.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.defs = defs
	c.defsByID = map[int64]*definition{}
	for _, d := range defs {
		c.defsByID[d.id] = d
	}
	c.defsReady = true
	c.defsOwned = owner
	c.horizonOK = false
	return nil
}

// ensureDependencies rebuilds command_definition_dependency from the
// derived graph when it differs.
func (c *Conductor) ensureDependencies(ctx context.Context, tx *db.Tx, defs map[string]*definition, owner bool) error {
	type edge struct{ p, c int64 }
	want := map[edge]bool{}
	for _, e := range c.graph.Edges() {
		want[edge{defs[e.Parent].id, defs[e.Child].id}] = true
	}
	rows, err := tx.Query(ctx, `SELECT "parent_id", "child_id" FROM "command_definition_dependency"`)
	if err != nil {
		return err
	}
	have := map[edge]bool{}
	for rows.Next() {
		var e edge
		if err := rows.Scan(&e.p, &e.c); err != nil {
			rows.Close()
			return err
		}
		have[e] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for e := range have {
		if !want[e] && owner {
			if _, err := tx.Exec(ctx, `DELETE FROM "command_definition_dependency" WHERE "parent_id" = ? AND "child_id" = ?`, e.p, e.c); err != nil {
				return err
			}
		}
	}
	for e := range want {
		if !have[e] {
			if _, err := tx.Exec(ctx, `INSERT INTO "command_definition_dependency" ("parent_id", "child_id") VALUES (?, ?)`, e.p, e.c); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensureAccounts makes command_account hold exactly the active accounts
// (an operator may disable one with enabled = false), and cancels the
// waiting slots of accounts no longer managed.
func (c *Conductor) ensureAccounts(ctx context.Context) (int, error) {
	all, err := c.opt.Tenants.List(ctx)
	if err != nil {
		return 0, err
	}
	active := map[int64]bool{}
	for _, a := range all {
		if a.Active {
			active[a.ID] = true
		}
	}
	now := c.now()
	managed := map[int64]managedAccount{}
	err = c.control.InTx(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT "account_id", "enabled", "max_parallel", "added" FROM "command_account"`)
		if err != nil {
			return err
		}
		have := map[int64]managedAccount{}
		for rows.Next() {
			var id int64
			var m managedAccount
			if err := rows.Scan(&id, &m.enabled, &m.maxParallel, &m.added); err != nil {
				rows.Close()
				return err
			}
			have[id] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		removed := false
		for id := range have {
			if !active[id] {
				if _, err := tx.Exec(ctx, `DELETE FROM "command_account" WHERE "account_id" = ?`, id); err != nil {
					return err
				}
				delete(have, id)
				removed = true
			}
		}
		for _, a := range all {
			if !a.Active {
				continue
			}
			if _, ok := have[a.ID]; !ok {
				if _, err := tx.Exec(ctx, `INSERT INTO "command_account" ("account_id", "enabled", "max_parallel", "added") VALUES (?, TRUE, ?, ?)
					ON CONFLICT ("account_id") DO NOTHING`, a.ID, DefaultMaxParallel, now); err != nil {
					return err
				}
				have[a.ID] = managedAccount{enabled: true, maxParallel: DefaultMaxParallel, added: now}
			}
		}
		disabledChanged := false
		for id, m := range have {
			old, known := c.accounts[id]
			if !m.enabled && (!known || old.enabled) {
				disabledChanged = true
			}
		}
		if removed || disabledChanged || len(c.accounts) == 0 {
			unmanaged := `SELECT "id" FROM "command_slot" WHERE "status" = 'waiting' AND "account_id" IS NOT NULL
				AND "account_id" NOT IN (SELECT "account_id" FROM "command_account" WHERE "enabled" = TRUE)`
			if _, err := tx.Exec(ctx, `UPDATE "command_run" SET "status" = ?, "cancelled_at" = ?, "error" = 'account no longer managed'
				WHERE "status" = ? AND "slot_id" IN (`+unmanaged+`)`, Cancelled, now, Waiting); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE "command_slot" SET "status" = 'cancelled', "updated" = ? WHERE "id" IN (`+unmanaged+`)`, now); err != nil {
				return err
			}
		}
		for _, a := range all {
			if m, ok := have[a.ID]; ok {
				m.acct = a
				managed[a.ID] = m
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	c.accounts = managed
	n := 0
	for _, m := range managed {
		if m.enabled {
			n++
		}
	}
	return n, nil
}

// slotRange is where a (definition, account) pair's slots begin.
func (c *Conductor) slotStart(d *definition, m *managedAccount) time.Time {
	loc := time.UTC
	start := c.now()
	if m != nil {
		loc = m.acct.Location()
		start = m.added
	}
	if !d.cmd.StartsOn.IsZero() {
		y, mo, dd := d.cmd.StartsOn.Date()
		s := time.Date(y, mo, dd, 0, 0, 0, 0, loc)
		if m == nil || s.After(start) {
			start = s
		}
	}
	return start
}

// loadHorizon learns, per (definition, account), up to where slots exist
// without gaps, so ensure_slots only adds new periods.
func (c *Conductor) loadHorizon(ctx context.Context) error {
	c.horizon = map[pairKey]time.Time{}
	rows, err := c.control.Query(ctx, `SELECT "definition_id", COALESCE("account_id", 0), MIN("local_date"), MAX("period_end"), count(*)
		FROM "command_slot" GROUP BY "definition_id", "account_id"`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k pairKey
		var minDate any
		var maxEndV any
		var n int
		if err := rows.Scan(&k.def, &k.account, &minDate, &maxEndV, &n); err != nil {
			return err
		}
		maxEnd, err := timeValue(maxEndV)
		if err != nil {
			return err
		}
		d := c.defsByID[k.def]
		if d == nil {
			continue
		}
		var m *managedAccount
		loc := time.UTC
		if k.account != 0 {
			ma, ok := c.accounts[k.account]
			if !ok {
				continue
			}
			m = &ma
			loc = ma.acct.Location()
		}
		first := d.cmd.Frequency.PeriodAt(c.slotStart(d, m), loc)
		md, err := command.ParseDate(dateString(minDate))
		if err != nil {
			continue
		}
		from, _ := command.DateRange(md, md, loc)
		if from.After(first.Start) {
			continue // slots missing at the start: a full pass fills them
		}
		if len(d.cmd.Frequency.Periods(from, ts(maxEnd), loc)) != n {
			continue // a gap somewhere
		}
		c.horizon[k] = ts(maxEnd)
	}
	return rows.Err()
}

// ensureSlots creates, for each active scheduled definition and managed
// account, the slots of every period from max(starts_on, added) to now +
// SlotsAheadDays, in the account's time zone (matrix none: UTC).
func (c *Conductor) ensureSlots(ctx context.Context) (int, error) {
	if !c.horizonOK {
		if err := c.loadHorizon(ctx); err != nil {
			return 0, err
		}
		c.horizonOK = true
	}
	now := c.now()
	limit := now.Add(time.Duration(c.opt.SlotsAheadDays) * 24 * time.Hour)
	type pending struct {
		key pairKey
		end time.Time
	}
	var specs []slotSpec
	var ends []pending
	total := 0
	flush := func() error {
		if len(specs) == 0 {
			return nil
		}
		err := c.control.InTx(ctx, func(tx *db.Tx) error {
			n, err := c.createSlots(ctx, tx, specs, now)
			total += n
			return err
		})
		if err != nil {
			return err
		}
		for _, p := range ends {
			c.horizon[p.key] = p.end
		}
		specs, ends = specs[:0], ends[:0]
		return nil
	}
	accts := make([]int64, 0, len(c.accounts))
	for id, m := range c.accounts {
		if m.enabled {
			accts = append(accts, id)
		}
	}
	sort.Slice(accts, func(i, j int) bool { return accts[i] < accts[j] })
	for _, name := range c.graph.Order() {
		d := c.defs[name]
		if d == nil || d.cmd.Frequency == command.Manual {
			continue
		}
		add := func(key pairKey, m *managedAccount, loc *time.Location) {
			from := c.slotStart(d, m)
			if h, ok := c.horizon[key]; ok {
				if !h.Before(limit) {
					return
				}
				if h.After(from) {
					from = h // slots exist up to h (earlier manual slots do not count)
				}
			}
			ps := d.cmd.Frequency.Periods(from, limit, loc)
			if len(ps) == 0 {
				return
			}
			for _, p := range ps {
				specs = append(specs, slotSpec{def: d.id, account: key.account, p: p, source: SourceSchedule})
			}
			ends = append(ends, pending{key, ps[len(ps)-1].End})
		}
		if d.cmd.Matrix == command.None {
			add(pairKey{d.id, 0}, nil, time.UTC)
		} else {
			for _, id := range accts {
				m := c.accounts[id]
				add(pairKey{d.id, id}, &m, m.acct.Location())
				if len(specs) >= 5000 {
					if err := flush(); err != nil {
						return total, err
					}
				}
			}
		}
	}
	return total, flush()
}

// ensureRuns (start policy AfterSuccess): a pending slot whose period has
// ended, whose dependencies all succeeded and that has no run in progress
// becomes waiting with a new Waiting run.
func (c *Conductor) ensureRuns(ctx context.Context) (int, error) {
	now := c.now()
	total := 0
	for {
		n, created := 0, 0
		err := c.inTx(ctx, func(tx *db.Tx) error {
			var err error
			n, created, err = c.promote(ctx, tx, now, 0)
			return err
		})
		if err != nil {
			return total, err
		}
		total += created
		if n < promoteBatch || created == 0 {
			return total, nil
		}
	}
}

const promoteBatch = 1000

// promote is ensure_runs over all pending slots, or, when dependantsOf is
// not 0, over the slots depending on that one (a worker calls it in the
// transaction that records a success, so children start at once). It
// returns the candidates found and the runs created.
func (c *Conductor) promote(ctx context.Context, tx *db.Tx, now time.Time, dependantsOf int64) (int, int, error) {
	// For dependants, the planners must look the few slots up by primary
	// key, not through the status indexes (see slotByIDGuard).
	status := `s."status"`
	if dependantsOf != 0 {
		status = `(s."status" || '')`
	}
	q := `SELECT s."id" FROM "command_slot" s
		JOIN "command_definition" d ON d."id" = s."definition_id" AND d."active" = TRUE
		WHERE ` + status + ` = 'pending' AND s."period_end" <= ?
		AND (s."account_id" IS NULL OR EXISTS (SELECT 1 FROM "command_account" ca WHERE ca."account_id" = s."account_id" AND ca."enabled" = TRUE))
		AND NOT EXISTS (SELECT 1 FROM "command_slot_dependency" sd JOIN "command_slot" p ON p."id" = sd."depends_on_slot_id"
			WHERE sd."slot_id" = s."id" AND p."status" <> 'success')
		AND NOT EXISTS (SELECT 1 FROM "command_run" r WHERE r."slot_id" = s."id" AND r."status" IN (0, 1))`
	const order = ` ORDER BY s."priority", s."period_start", s."id" LIMIT `
	var ids []int64
	if dependantsOf == 0 {
		var err error
		if ids, err = queryIDs(ctx, c.cached(tx), q+order+fmt.Sprint(promoteBatch), now); err != nil {
			return 0, 0, err
		}
	} else {
		// The dependants first, then the candidates among them by primary
		// key: one statement joining both let PostgreSQL, with statistics
		// from before the day's slots existed, scan every pending slot
		// (10 ms a run with 12,000 slots) instead of the few dependants;
		// SQLite did the same through the status index.
		children, err := queryIDs(ctx, c.cached(tx), `SELECT "slot_id" FROM "command_slot_dependency" WHERE "depends_on_slot_id" = ?`, dependantsOf)
		if err != nil {
			return 0, 0, err
		}
		for _, part := range chunks(children, 200) {
			args := append([]any{now}, int64Args(part)...)
			got, err := queryIDs(ctx, c.cached(tx), q+` AND s."id" IN (`+inClause(len(part))+`)`+order+fmt.Sprint(len(part)), args...)
			if err != nil {
				return 0, 0, err
			}
			ids = append(ids, got...)
		}
	}
	created := 0
	for _, part := range chunks(ids, 200) {
		args := append([]any{now}, int64Args(part)...)
		moved, err := queryIDs(ctx, c.cached(tx), `UPDATE "command_slot" SET "status" = 'waiting', "updated" = ? WHERE `+slotByIDGuard+` = 'pending' AND "id" IN (`+inClause(len(part))+`) RETURNING "id"`, args...)
		if err != nil {
			return 0, 0, err
		}
		if len(moved) == 0 {
			continue
		}
		args = append([]any{Waiting, now}, int64Args(moved)...)
		if _, err := c.cached(tx).Exec(ctx, `INSERT INTO "command_run" ("slot_id", "attempt", "status", "waiting_at")
			SELECT "id", 1, ?, ? FROM "command_slot" WHERE "id" IN (`+inClause(len(moved))+`)`, args...); err != nil {
			return 0, 0, err
		}
		created += len(moved)
	}
	return len(ids), created, nil
}

type runRef struct {
	id, slot  int64
	attempt   int
	command   string
	accountID int64
	inline    bool // `cubed run`: not retried, dependants not started
}

// finishRun moves a Running run to Success, Failed or Timeout and its slot
// accordingly: success; or waiting (a retry will come) while attempts
// remain; or failed. It reports false when the run was no longer Running
// (cancelled or timed out meanwhile): then nothing changed.
func (c *Conductor) finishRun(ctx context.Context, tx *db.Tx, r runRef, status int, msg, detail string, started, now time.Time) (bool, error) {
	col := map[int]string{Success: "success_at", Failed: "failed_at", Timeout: "timeout_at"}[status]
	var start any // running_at: when the command started, if later than the claim
	if !started.IsZero() {
		start = started
	}
	res, err := c.cached(tx).Exec(ctx, `UPDATE "command_run" SET "status" = ?, "`+col+`" = ?, "error" = ?, "exit_detail" = ?, "running_at" = COALESCE(?, "running_at") WHERE "id" = ? AND "status" = ?`,
		status, now, msg, detail, start, r.id, Running)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	slot := SlotSuccess
	if status != Success {
		slot = SlotFailed
		if cmd, ok := c.cmds.Get(r.command); ok && !r.inline && r.attempt < cmd.Retry.MaxAttempts {
			slot = SlotWaiting
		}
	}
	if _, err := c.cached(tx).Exec(ctx, `UPDATE "command_slot" SET "status" = ?, "updated" = ? WHERE "id" = ? AND "status" = 'running'`, slot, now, r.slot); err != nil {
		return false, err
	}
	if slot == SlotSuccess && !r.inline {
		if _, _, err := c.promote(ctx, tx, now, r.slot); err != nil {
			return false, err
		}
	}
	if slot == SlotFailed {
		c.log.Warn("slot failed", "command", r.command, "slot", r.slot, "run", r.id, "attempt", r.attempt, "err", msg)
	}
	return true, nil
}

// ensureTimeouts marks Timeout the Running runs whose heartbeat is older
// than 3 heartbeat intervals or that outlived their timeout by 60 s, and
// hands back to dispatch the Waiting runs whose River job ended without
// starting them.
func (c *Conductor) ensureTimeouts(ctx context.Context) (int, error) {
	now := c.now()
	rows, err := c.control.Query(ctx, `SELECT r."id", r."slot_id", r."attempt", r."running_at", r."heartbeat_at", d."name", COALESCE(s."account_id", 0)
		FROM "command_run" r JOIN "command_slot" s ON s."id" = r."slot_id" JOIN "command_definition" d ON d."id" = s."definition_id"
		WHERE r."status" = ?`, Running)
	if err != nil {
		return 0, err
	}
	type late struct {
		r   runRef
		msg string
	}
	var lates []late
	for rows.Next() {
		var r runRef
		var runningAt, hb sql.NullTime
		if err := rows.Scan(&r.id, &r.slot, &r.attempt, &runningAt, &hb, &r.command, &r.accountID); err != nil {
			rows.Close()
			return 0, err
		}
		timeout := command.DefaultTimeout
		if cmd, ok := c.cmds.Get(r.command); ok {
			timeout = cmd.Timeout
		}
		switch {
		case hb.Valid && now.Sub(hb.Time) > 3*c.opt.HeartbeatInterval:
			lates = append(lates, late{r, fmt.Sprintf("no heartbeat for %s (worker lost)", now.Sub(hb.Time).Round(time.Millisecond))})
		case runningAt.Valid && now.Sub(runningAt.Time) > timeout+time.Minute:
			lates = append(lates, late{r, fmt.Sprintf("running for %s, over the %s timeout", now.Sub(runningAt.Time).Round(time.Second), timeout)})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, l := range lates {
		err := c.control.InTx(ctx, func(tx *db.Tx) error {
			ok, err := c.finishRun(ctx, tx, l.r, Timeout, l.msg, "", time.Time{}, now)
			if ok {
				n++
				c.metrics.runDone(l.r.command, Timeout, 0)
			}
			return err
		})
		if err != nil {
			return n, err
		}
		c.log.Warn("run timed out", "command", l.r.command, "run", l.r.id, "slot", l.r.slot, "reason", l.msg)
		c.cancelLocal(l.r.id, errTimedOutElsewhere)
	}
	if c.river != nil {
		if err := c.requeueLost(ctx); err != nil {
			return n, err
		}
	}
	return n, nil
}

// requeueLost clears river_job_id of Waiting runs whose River job is gone
// or finished (a worker that failed before claiming the run), so dispatch
// hands them to River again.
//
// A worker that dies between River's fetch and the claim (SIGKILL, a
// crash) leaves its job "running" in River while the run is still
// Waiting; River's rescuer would only free it after RescueStuckJobsAfter
// (the longest command timeout + 1 h). A claim follows a fetch within
// moments, so such a job older than three heartbeat intervals — the
// threshold after which a Running run's worker counts as lost — is
// discarded here first, as River's rescuer does with an exhausted job. Were
// its worker alive after all, the guarded claim lets only one of the two
// jobs run the run.
func (c *Conductor) requeueLost(ctx context.Context) error {
	if _, err := c.control.Exec(ctx, `UPDATE "river_job" SET "state" = 'discarded', "finalized_at" = ?
		WHERE "state" = 'running' AND "attempted_at" < ?
		AND "id" IN (SELECT "river_job_id" FROM "command_run" WHERE "status" = ? AND "river_job_id" IS NOT NULL)`,
		ts(c.now()), ts(c.now().Add(-3*c.opt.HeartbeatInterval)), Waiting); err != nil {
		return err
	}
	_, err := c.control.Exec(ctx, `UPDATE "command_run" SET "river_job_id" = NULL WHERE "status" = ? AND "river_job_id" IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM "river_job" j WHERE j."id" = "command_run"."river_job_id"
			AND j."state" NOT IN ('completed', 'discarded', 'cancelled'))`, Waiting)
	return err
}

// jitterUnit maps a run id to [0, 1): the same run always gets the same
// point in the jitter band, so the retry time is stable across passes.
func jitterUnit(runID int64) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d", runID)
	return float64(h.Sum64()>>11) / float64(1<<53)
}

// RetryAt is when the attempt after failed run runID (attempt n, ended at
// ended) may start under policy p.
func RetryAt(p command.RetryPolicy, runID int64, n int, ended time.Time) time.Time {
	return ts(ended.Add(p.Backoff(n, jitterUnit(runID))))
}

// ensureRetries gives a slot whose last run is Failed or Timeout a new
// Waiting run once the backoff has passed, if attempts remain; otherwise
// the slot fails.
func (c *Conductor) ensureRetries(ctx context.Context) (int, error) {
	now := c.now()
	rows, err := c.control.Query(ctx, `SELECT s."id", r."id", r."attempt", r."failed_at", r."timeout_at", d."name"
		FROM "command_slot" s JOIN "command_definition" d ON d."id" = s."definition_id"
		JOIN "command_run" r ON r."slot_id" = s."id"
		WHERE s."status" IN ('waiting', 'running') AND r."status" IN (?, ?)
		AND r."id" = (SELECT MAX(r2."id") FROM "command_run" r2 WHERE r2."slot_id" = s."id")`, Timeout, Failed)
	if err != nil {
		return 0, err
	}
	type due struct {
		slot, run int64
		attempt   int
		fail      bool
		command   string
	}
	var dues []due
	for rows.Next() {
		var d due
		var failedAt, timeoutAt sql.NullTime
		if err := rows.Scan(&d.slot, &d.run, &d.attempt, &failedAt, &timeoutAt, &d.command); err != nil {
			rows.Close()
			return 0, err
		}
		ended := failedAt.Time
		if timeoutAt.Valid {
			ended = timeoutAt.Time
		}
		cmd, ok := c.cmds.Get(d.command)
		switch {
		case !ok || d.attempt >= cmd.Retry.MaxAttempts:
			d.fail = true
			dues = append(dues, d)
		case !now.Before(RetryAt(cmd.Retry, d.run, d.attempt, ended)):
			dues = append(dues, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range dues {
		err := c.control.InTx(ctx, func(tx *db.Tx) error {
			if d.fail {
				_, err := tx.Exec(ctx, `UPDATE "command_slot" SET "status" = 'failed', "updated" = ? WHERE "id" = ? AND "status" IN ('waiting', 'running')`, now, d.slot)
				return err
			}
			res, err := tx.Exec(ctx, `INSERT INTO "command_run" ("slot_id", "attempt", "status", "waiting_at")
				SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM "command_run" WHERE "slot_id" = ? AND ("id" > ? OR "status" IN (0, 1)))`,
				d.slot, d.attempt+1, Waiting, now, d.slot, d.run)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			_, err = tx.Exec(ctx, `UPDATE "command_slot" SET "status" = 'waiting', "updated" = ? WHERE "id" = ?`, now, d.slot)
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

var errTimedOutElsewhere = errors.New("run timed out")

// queryIDs runs a statement returning one id column.
func queryIDs(ctx context.Context, q db.Querier, stmt string, args ...any) ([]int64, error) {
	rows, err := q.Query(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
