package conductor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/tenant"
)

// Pipeline names every command at once in Trigger and `cubed run`.
const Pipeline = "pipeline"

// TriggerParams select the slots to (re)open.
type TriggerParams struct {
	// Command is a command's name or "pipeline" (every command).
	Command string
	// Accounts are tokens or ids; All means every managed account.
	Accounts []string
	All      bool
	// From and To are local dates (inclusive) in each account's zone.
	From, To time.Time
	// WithDownstream adds every command depending on Command, directly
	// or transitively, for the same periods.
	WithDownstream bool
	// OnlyPerAccount leaves out matrix-none commands (housekeeping) that
	// "pipeline" or WithDownstream would add: the API's non-staff triggers.
	OnlyPerAccount bool
}

// TriggerResult counts the slots of a trigger.
type TriggerResult struct {
	// Slots are pending now (created or reopened).
	Slots int
	// Busy slots had a run waiting or running and were left alone.
	Busy int
}

// Commands returns the commands a trigger or run names, parents first.
func (c *Conductor) Commands(name string, downstream, upstream bool) ([]string, error) {
	if name == Pipeline {
		return c.graph.Order(), nil
	}
	if _, ok := c.cmds.Get(name); !ok {
		return nil, apperr.Invalidf("command", name, "is not a command (see `cubed run pipeline --plan`)")
	}
	var out []string
	if upstream {
		out = append(out, c.graph.Upstream(name)...)
	}
	out = append(out, name)
	if downstream {
		out = append(out, c.graph.Downstream(name)...)
	}
	return out, nil
}

// Trigger (re)opens the slots of a command (or the pipeline) for accounts
// and a range of local dates as pending, with source manual (one day) or
// backfill (a range); ensure_runs then runs them as their dependencies
// allow. Slots with a run waiting or running are left alone.
func (c *Conductor) Trigger(ctx context.Context, p TriggerParams) (TriggerResult, error) {
	var res TriggerResult
	if p.To.Before(p.From) {
		return res, apperr.Invalidf("--to", p.To.Format(time.DateOnly), "is before --from")
	}
	names, err := c.Commands(p.Command, p.WithDownstream, false)
	if err != nil {
		return res, err
	}
	if err := c.Prepare(ctx); err != nil {
		return res, err
	}
	perAccount := false
	for _, name := range names {
		if cmd, ok := c.cmds.Get(name); ok && cmd.Matrix != command.None {
			perAccount = true
		}
	}
	var accts []tenant.Account
	if perAccount || p.All || len(p.Accounts) > 0 {
		// Commands without an account need none.
		if accts, err = c.resolveAccounts(ctx, p.Accounts, p.All); err != nil {
			return res, err
		}
	}
	c.emu.Lock()
	defer c.emu.Unlock()
	source := SourceBackfill
	if p.From.Equal(p.To) {
		source = SourceManual
	}
	now := c.now()
	type group struct {
		def      int64
		account  int64
		from, to time.Time
	}
	var specs []slotSpec
	var groups []group
	for _, name := range names {
		d := c.defs[name]
		if d == nil {
			continue
		}
		add := func(account int64, loc *time.Location) {
			s, e := command.DateRange(p.From, p.To, loc)
			ps := d.cmd.Frequency.Periods(s, e, loc)
			for _, per := range ps {
				specs = append(specs, slotSpec{def: d.id, account: account, p: per, source: source})
			}
			if len(ps) > 0 {
				groups = append(groups, group{d.id, account, ps[0].Start, ps[len(ps)-1].End})
			}
		}
		if d.cmd.Matrix == command.None {
			if !p.OnlyPerAccount {
				add(0, time.UTC)
			}
			continue
		}
		for _, a := range accts {
			add(a.ID, a.Location())
		}
	}
	err = c.control.InTx(ctx, func(tx *db.Tx) error {
		if _, err := c.createSlots(ctx, tx, specs, now); err != nil {
			return err
		}
		for _, g := range groups {
			acct, acctArgs := `"account_id" = ?`, []any{g.account}
			if g.account == 0 {
				acct, acctArgs = `"account_id" IS NULL`, nil
			}
			where := `"definition_id" = ? AND ` + acct + ` AND "period_start" >= ? AND "period_start" < ?`
			args := append(append([]any{g.def}, acctArgs...), ts(g.from), ts(g.to))
			var total int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM "command_slot" WHERE `+where, args...).Scan(&total); err != nil {
				return err
			}
			upd := append([]any{source, priorityOf(source), now}, args...)
			r, err := tx.Exec(ctx, `UPDATE "command_slot" SET "status" = 'pending', "source" = ?, "priority" = ?, "updated" = ? WHERE `+where+`
				AND NOT EXISTS (SELECT 1 FROM "command_run" r WHERE r."slot_id" = "command_slot"."id" AND r."status" IN (0, 1))`, upd...)
			if err != nil {
				return err
			}
			n, _ := r.RowsAffected()
			res.Slots += int(n)
			res.Busy += total - int(n)
		}
		return nil
	})
	if err != nil {
		return TriggerResult{}, err
	}
	c.wake()
	return res, nil
}

func (c *Conductor) resolveAccounts(ctx context.Context, refs []string, all bool) ([]tenant.Account, error) {
	if all {
		var out []tenant.Account
		c.emu.Lock()
		for _, m := range c.accounts {
			if m.enabled {
				out = append(out, m.acct)
			}
		}
		c.emu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out, nil
	}
	if len(refs) == 0 {
		return nil, apperr.Invalidf("--account", "", "is required (or --all)")
	}
	var out []tenant.Account
	for _, ref := range refs {
		a, err := c.opt.Tenants.Lookup(ctx, ref)
		if err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				return nil, apperr.Invalidf("--account", ref, "no such account")
			}
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Retry gives the slot of a finished run a new Waiting run (attempt 1 of a
// fresh set of attempts); the old runs stay. It returns the new run's id.
func (c *Conductor) Retry(ctx context.Context, runID int64) (int64, error) {
	now := c.now()
	var newID int64
	err := c.control.InTx(ctx, func(tx *db.Tx) error {
		var slot int64
		var status int
		err := tx.QueryRow(ctx, `SELECT "slot_id", "status" FROM "command_run" WHERE "id" = ?`, runID).Scan(&slot, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.Invalidf("RUN_ID", fmt.Sprint(runID), "no such run")
		}
		if err != nil {
			return err
		}
		var busy int64
		err = tx.QueryRow(ctx, `SELECT "id" FROM "command_run" WHERE "slot_id" = ? AND "status" IN (0, 1) LIMIT 1`, slot).Scan(&busy)
		if err == nil {
			return apperr.Invalidf("RUN_ID", fmt.Sprint(runID), "its slot already has run %d waiting or running", busy)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		newID, err = db.InsertID(ctx, tx, `INSERT INTO "command_run" ("slot_id", "attempt", "status", "waiting_at") VALUES (?, 1, ?, ?)`, slot, Waiting, now)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE "command_slot" SET "status" = 'waiting', "source" = 'manual', "priority" = 1, "updated" = ? WHERE "id" = ?`, now, slot)
		return err
	})
	if err != nil {
		return 0, err
	}
	c.wake()
	return newID, nil
}

// Cancel cancels a Waiting or Running run and its slot. A running command's
// context is cancelled: at once in this process, within the cancel check
// interval in another.
func (c *Conductor) Cancel(ctx context.Context, runID int64) error {
	now := c.now()
	err := c.control.InTx(ctx, func(tx *db.Tx) error {
		var slot int64
		var status int
		err := tx.QueryRow(ctx, `SELECT "slot_id", "status" FROM "command_run" WHERE "id" = ?`, runID).Scan(&slot, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.Invalidf("RUN_ID", fmt.Sprint(runID), "no such run")
		}
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE "command_run" SET "status" = ?, "cancelled_at" = ?, "error" = 'cancelled' WHERE "id" = ? AND "status" IN (0, 1)`, Cancelled, now, runID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.Invalidf("RUN_ID", fmt.Sprint(runID), "run is %s: only a waiting or running run can be cancelled", StatusName(status))
		}
		_, err = tx.Exec(ctx, `UPDATE "command_slot" SET "status" = 'cancelled', "updated" = ? WHERE "id" = ? AND "status" IN ('pending', 'waiting', 'running')`, now, slot)
		return err
	})
	if err != nil {
		return err
	}
	c.cancelLocal(runID, errCancelled)
	c.wake()
	return nil
}

// RunInfo describes a run for status reports.
type RunInfo struct {
	RunID, SlotID    int64
	Command, Account string
	Date             string
	Status, Attempt  int
	Done, Total      int64
	Worker, Error    string
	Reason           string
}

// AccountStatus is one account's part of `cubed conductor status`.
type AccountStatus struct {
	Account  string // token, or "(control)" for matrix-none slots
	Slots    map[string]int
	Running  []RunInfo
	Waiting  []RunInfo
	Failures []RunInfo
}

// Status reports slots by status, running runs with progress, waiting runs
// with their reason and failed slots with their last error, per account;
// account and date (a local date) filter when not empty.
func (c *Conductor) Status(ctx context.Context, account, date string) ([]AccountStatus, error) {
	var where []string
	var args []any
	if account != "" {
		a, err := c.opt.Tenants.Lookup(ctx, account)
		if err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				return nil, apperr.Invalidf("--account", account, "no such account")
			}
			return nil, err
		}
		where, args = append(where, `s."account_id" = ?`), append(args, a.ID)
	}
	if date != "" {
		if _, err := command.ParseDate(date); err != nil {
			return nil, apperr.Invalidf("--date", date, "must be a date, 2006-01-02")
		}
		where, args = append(where, `s."local_date" = ?`), append(args, date)
	}
	cond := ""
	if len(where) > 0 {
		cond = " AND " + strings.Join(where, " AND ")
	}
	byAcct := map[string]*AccountStatus{}
	get := func(token string) *AccountStatus {
		if token == "" {
			token = "(control)"
		}
		a := byAcct[token]
		if a == nil {
			a = &AccountStatus{Account: token, Slots: map[string]int{}}
			byAcct[token] = a
		}
		return a
	}
	rows, err := c.control.Query(ctx, `SELECT COALESCE(a."token", ''), s."status", count(*) FROM "command_slot" s LEFT JOIN "account" a ON a."id" = s."account_id"
		WHERE 1 = 1`+cond+` GROUP BY a."token", s."status"`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var token, status string
		var n int
		if err := rows.Scan(&token, &status, &n); err != nil {
			rows.Close()
			return nil, err
		}
		get(token).Slots[status] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	runQuery := func(extra string, limit int) ([]RunInfo, []string, error) {
		rows, err := c.control.Query(ctx, `SELECT r."id", s."id", d."name", COALESCE(a."token", ''), s."local_date", r."status", r."attempt",
			r."progress_done", r."progress_total", r."worker", r."error", r."waiting_reason"
			FROM "command_run" r JOIN "command_slot" s ON s."id" = r."slot_id" JOIN "command_definition" d ON d."id" = s."definition_id"
			LEFT JOIN "account" a ON a."id" = s."account_id"
			WHERE `+extra+cond+` ORDER BY s."local_date" DESC, r."id" DESC LIMIT `+fmt.Sprint(limit), args...)
		if err != nil {
			return nil, nil, err
		}
		defer rows.Close()
		var out []RunInfo
		var tokens []string
		for rows.Next() {
			var ri RunInfo
			var d any
			if err := rows.Scan(&ri.RunID, &ri.SlotID, &ri.Command, &ri.Account, &d, &ri.Status, &ri.Attempt, &ri.Done, &ri.Total, &ri.Worker, &ri.Error, &ri.Reason); err != nil {
				return nil, nil, err
			}
			ri.Date = dateString(d)
			out = append(out, ri)
			tokens = append(tokens, ri.Account)
		}
		return out, tokens, rows.Err()
	}
	running, tokens, err := runQuery(fmt.Sprintf(`r."status" = %d`, Running), 500)
	if err != nil {
		return nil, err
	}
	for i, r := range running {
		a := get(tokens[i])
		a.Running = append(a.Running, r)
	}
	waiting, tokens, err := runQuery(fmt.Sprintf(`r."status" = %d`, Waiting), 500)
	if err != nil {
		return nil, err
	}
	for i, r := range waiting {
		a := get(tokens[i])
		a.Waiting = append(a.Waiting, r)
	}
	failed, tokens, err := runQuery(`s."status" = 'failed' AND r."id" = (SELECT MAX(r2."id") FROM "command_run" r2 WHERE r2."slot_id" = s."id")`, 200)
	if err != nil {
		return nil, err
	}
	for i, r := range failed {
		a := get(tokens[i])
		a.Failures = append(a.Failures, r)
	}
	out := make([]AccountStatus, 0, len(byAcct))
	for _, a := range byAcct {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out, nil
}

// InlineParams describe `cubed run`.
type InlineParams struct {
	// Commands run in this order for each day (parents first).
	Commands []string
	Account  tenant.Account
	// From and To are local dates (inclusive).
	From, To time.Time
	// Progress, if set, is told of each finished run.
	Progress func(d RunDone, done, total int)
}

// ErrSlotBusy means a slot to run inline has a run waiting or running.
var ErrSlotBusy = errors.New("slot is busy")

// RunInline runs commands in this process for an account and dates,
// recording manual slots and runs. It stops at the first failure and
// returns it. Matrix-none commands are skipped.
func (c *Conductor) RunInline(ctx context.Context, p InlineParams) error {
	if p.To.Before(p.From) {
		return apperr.Invalidf("--to", p.To.Format(time.DateOnly), "is before --from")
	}
	if err := c.Prepare(ctx); err != nil {
		return err
	}
	loc := p.Account.Location()
	type item struct {
		d *definition
		p command.Period
	}
	var items []item
	seen := map[string]bool{}
	for day := p.From; !day.After(p.To); day = day.AddDate(0, 0, 1) {
		s, e := command.DateRange(day, day, loc)
		for _, name := range p.Commands {
			c.emu.Lock()
			d := c.defs[name]
			c.emu.Unlock()
			if d == nil || d.cmd.Matrix == command.None {
				continue
			}
			for _, per := range d.cmd.Frequency.Periods(s, e, loc) {
				k := fmt.Sprintf("%d/%d", d.id, per.Start.Unix())
				if !seen[k] {
					seen[k] = true
					items = append(items, item{d, per})
				}
			}
		}
	}
	worker := "inline-" + c.id
	for i, it := range items {
		now := c.now()
		var cl claim
		err := c.control.InTx(ctx, func(tx *db.Tx) error {
			if _, err := c.createSlots(ctx, tx, []slotSpec{{def: it.d.id, account: p.Account.ID, p: it.p, source: SourceManual}}, now); err != nil {
				return err
			}
			var slot int64
			if err := tx.QueryRow(ctx, `SELECT "id" FROM "command_slot" WHERE "definition_id" = ? AND "account_id" = ? AND "period_start" = ?`,
				it.d.id, p.Account.ID, ts(it.p.Start)).Scan(&slot); err != nil {
				return err
			}
			var busy int64
			err := tx.QueryRow(ctx, `SELECT "id" FROM "command_run" WHERE "slot_id" = ? AND "status" IN (0, 1) LIMIT 1`, slot).Scan(&busy)
			if err == nil {
				return fmt.Errorf("%s %s %s: %w: run %d is in progress", it.d.cmd.Name, p.Account.Token, it.p.Date, ErrSlotBusy, busy)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE "command_slot" SET "status" = 'running', "source" = 'manual', "priority" = 1, "updated" = ? WHERE "id" = ?`, now, slot); err != nil {
				return err
			}
			id, err := db.InsertID(ctx, tx, `INSERT INTO "command_run" ("slot_id", "attempt", "status", "waiting_at", "running_at", "heartbeat_at", "worker")
				VALUES (?, 1, ?, ?, ?, ?, ?)`, slot, Running, now, now, now, worker)
			if err != nil {
				return err
			}
			cl = claim{runRef: runRef{id: id, slot: slot, attempt: 1, command: it.d.cmd.Name, accountID: p.Account.ID, inline: true},
				start: it.p.Start, end: it.p.End, date: it.p.Date, group: it.d.cmd.Group}
			return nil
		})
		if err != nil {
			return err
		}
		done := c.execute(ctx, cl)
		if p.Progress != nil {
			p.Progress(done, i+1, len(items))
		}
		if done.Status != Success {
			return fmt.Errorf("%s for %s on %s: %s (run %d)", done.Command, p.Account.Token, it.p.Date, done.Error, done.RunID)
		}
	}
	return nil
}

// Command returns a declared command by name.
func (c *Conductor) Command(name string) (*command.Command, bool) { return c.cmds.Get(name) }
