package conductor

import (
	"container/heap"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// Waiting reasons (command_run.waiting_reason).
const (
	ReasonDependencies = "dependencies"
	ReasonAccountLimit = "account_limit"
	ReasonGroupLimit   = "group_limit:" // + group
	ReasonCapacity     = "capacity"
	ReasonRetryAfter   = "retry_after:" // + pause, time and error: a 429 snoozed the run
	ReasonHandedBack   = "handed_back:" // + why: a stopping worker gave the run back
)

type waitingRun struct {
	slotMeta
	id, slot  int64
	waitingAt time.Time
	reason    string
	depsOK    bool
}

type groupLimit struct {
	maxRunning sql.NullInt64
	rate       sql.NullFloat64
	tokens     float64
	refilledAt sql.NullTime
}

// available returns the tokens the group would have now.
func (g groupLimit) available(now time.Time) float64 {
	if !g.rate.Valid || g.rate.Float64 <= 0 {
		return 1
	}
	t := g.tokens
	if g.refilledAt.Valid {
		t += now.Sub(g.refilledAt.Time).Minutes() * g.rate.Float64
	}
	return min(t, max(g.rate.Float64, 1))
}

// accountQueue is one account's Waiting runs in dispatch order.
type accountQueue struct {
	account int64
	runs    []*waitingRun
	active  int
	limit   int
}

type rr []*accountQueue

func (h rr) Len() int { return len(h) }
func (h rr) Less(i, j int) bool {
	a, b := h[i].runs[0], h[j].runs[0]
	if a.priority != b.priority {
		return a.priority < b.priority
	}
	if h[i].active != h[j].active {
		return h[i].active < h[j].active
	}
	if !a.waitingAt.Equal(b.waitingAt) {
		return a.waitingAt.Before(b.waitingAt)
	}
	return a.id < b.id
}
func (h rr) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *rr) Push(x any)   { *h = append(*h, x.(*accountQueue)) }
func (h *rr) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// dispatchPage is how many Waiting runs dispatch reads at a time, oldest
// first; it reads further pages only while places remain and the runs
// read so far cannot take them.
const (
	dispatchPage     = 64
	dispatchMaxPages = 100
)

// waitingCols are read for candidates, from command_run alone (see
// slotMetas); dependencies are checked for the runs picked only (runs made
// by ensure_runs have theirs satisfied).
const waitingCols = `r."id", r."slot_id", r."waiting_at", r."waiting_reason"`

func scanWaiting(rows *sql.Rows) ([]*waitingRun, error) {
	defer rows.Close()
	var out []*waitingRun
	for rows.Next() {
		w := &waitingRun{depsOK: true}
		var at sql.NullTime
		if err := rows.Scan(&w.id, &w.slot, &at, &w.reason); err != nil {
			return nil, err
		}
		w.waitingAt = at.Time
		out = append(out, w)
	}
	return out, rows.Err()
}

// slotMeta is what dispatch needs of a run's slot and definition.
type slotMeta struct {
	account        int64 // 0: matrix none
	priority       int
	command, group string
	token          string // the account's
	maxParallel    int    // the account's limit
}

// slotMetas reads the slot and definition of each slot id by primary key.
// Dispatch reads runs from command_run alone and then their slots this
// way, so that no plan depends on table statistics: joined in one
// statement, PostgreSQL planned from statistics taken before the day's
// slots existed and scanned every slot (10–30 ms) to find a few runs.
func slotMetas(ctx context.Context, q db.Querier, ids []int64) (map[int64]slotMeta, error) {
	out := make(map[int64]slotMeta, len(ids))
	var todo []int64
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = slotMeta{}
			todo = append(todo, id)
		}
	}
	for _, part := range chunks(todo, 200) {
		rows, err := q.Query(ctx, `SELECT s."id", COALESCE(s."account_id", 0), s."priority", d."name", d."concurrency_group",
				COALESCE(t."token", ''), ca."max_parallel"
			FROM "command_slot" s JOIN "command_definition" d ON d."id" = s."definition_id"
			LEFT JOIN "account" t ON t."id" = s."account_id" LEFT JOIN "command_account" ca ON ca."account_id" = s."account_id"
			WHERE s."id" IN (`+inClause(len(part))+`)`, int64Args(part)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var m slotMeta
			var mp sql.NullInt64
			if err := rows.Scan(&id, &m.account, &m.priority, &m.command, &m.group, &m.token, &mp); err != nil {
				rows.Close()
				return nil, err
			}
			m.maxParallel = DefaultMaxParallel
			if mp.Valid {
				m.maxParallel = int(mp.Int64)
			}
			if m.account == 0 {
				m.maxParallel = 1 << 30 // matrix none: no account limit
			}
			out[id] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// withSlots fills in the slot and definition of runs read by scanWaiting.
func withSlots(ctx context.Context, q db.Querier, ws []*waitingRun) error {
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.slot
	}
	metas, err := slotMetas(ctx, q, ids)
	if err != nil {
		return err
	}
	for _, w := range ws {
		w.slotMeta = metas[w.slot]
	}
	return nil
}

// dispatch hands Waiting runs to River when the limits allow, in one
// transaction that inserts each job and stamps its run, and records why the
// runs it considered wait. Accounts are served round-robin: fewest runs
// active first, then the oldest waiting run; priority (manual, schedule,
// backfill) comes before both. It reads the oldest Waiting runs a page at a
// time (manual ones first), so its cost does not grow with the backlog.
func (c *Conductor) dispatch(ctx context.Context) (int, error) {
	if c.river == nil {
		return 0, nil
	}
	now := c.now()
	dispatched := 0
	var nudge []river.InsertManyParams
	err := c.inTx(ctx, func(tx *db.Tx) error {
		nudge = nudge[:0]
		q := c.cached(tx)
		if err := serialise(ctx, tx, "dispatch"); err != nil {
			return err
		}
		// What is active: Running, or handed to River and not yet started.
		// A run snoozed by a Retry-After (a rate-limited provider) counts
		// for its group only: it may sleep for minutes, and must not hold
		// its account's places or the queue meanwhile.
		rows, err := q.Query(ctx, `SELECT "slot_id", "status", 0 FROM "command_run" WHERE "status" = ?
			UNION ALL SELECT "slot_id", "status", CASE WHEN "waiting_reason" LIKE ? THEN 1 ELSE 0 END
			FROM "command_run" WHERE "status" = ? AND "river_job_id" IS NOT NULL`, Running, ReasonRetryAfter+"%", Waiting)
		if err != nil {
			return err
		}
		type activeRun struct {
			slot            int64
			status, snoozed int
		}
		var active []activeRun
		for rows.Next() {
			var a activeRun
			if err := rows.Scan(&a.slot, &a.status, &a.snoozed); err != nil {
				rows.Close()
				return err
			}
			active = append(active, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		activeSlots := make([]int64, len(active))
		for i, a := range active {
			activeSlots[i] = a.slot
		}
		metas, err := slotMetas(ctx, q, activeSlots)
		if err != nil {
			return err
		}
		activeAcct := map[int64]int{}
		activeGroup := map[string]int{}
		queued := 0
		for _, a := range active {
			m := metas[a.slot]
			if m.group != "" {
				activeGroup[m.group]++
			}
			if a.snoozed == 1 {
				continue
			}
			activeAcct[m.account]++
			if a.status == Waiting {
				queued++
			}
		}
		capacity := c.opt.MaxQueued - queued
		if capacity <= 0 {
			return nil
		}
		limits := map[string]groupLimit{}
		rows, err = q.Query(ctx, `SELECT "group", "max_running", "rate_per_minute", "tokens", "refilled_at" FROM "command_limit"`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var name string
			var g groupLimit
			if err := rows.Scan(&name, &g.maxRunning, &g.rate, &g.tokens, &g.refilledAt); err != nil {
				rows.Close()
				return err
			}
			limits[name] = g
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Candidates: manual runs, then the oldest Waiting runs, page by
		// page while the places cannot all be filled from what was read.
		manual, err := q.Query(ctx, `SELECT `+waitingCols+`
			FROM "command_slot" s CROSS JOIN "command_run" r
			WHERE s."priority" = 1 AND s."status" = 'waiting' AND r."slot_id" = s."id" AND r."status" = ? AND r."river_job_id" IS NULL LIMIT `+fmt.Sprint(dispatchPage), Waiting)
		if err != nil {
			return err
		}
		waiting, err := scanWaiting(manual)
		if err != nil {
			return err
		}
		if err := withSlots(ctx, q, waiting); err != nil {
			return err
		}
		seen := map[int64]bool{}
		room := map[int64]int{} // places an account can still take
		fillable := 0
		consider := func(ws []*waitingRun) {
			for _, w := range ws {
				if !w.depsOK {
					continue
				}
				r, ok := room[w.account]
				if !ok {
					r = max(w.maxParallel-activeAcct[w.account], 0)
				}
				if r > 0 {
					fillable++
					r--
				}
				room[w.account] = r
			}
		}
		for _, w := range waiting {
			seen[w.id] = true
		}
		consider(waiting)
		var afterAt time.Time
		var afterID int64
		for page := 0; page < dispatchMaxPages && fillable < capacity; page++ {
			stmt := `SELECT ` + waitingCols + ` FROM "command_run" r WHERE r."status" = ? AND r."river_job_id" IS NULL`
			args := []any{Waiting}
			if page > 0 {
				stmt += ` AND (r."waiting_at" > ? OR (r."waiting_at" = ? AND r."id" > ?))`
				args = append(args, afterAt, afterAt, afterID)
			}
			rows, err := q.Query(ctx, stmt+` ORDER BY r."waiting_at", r."id" LIMIT `+fmt.Sprint(dispatchPage), args...)
			if err != nil {
				return err
			}
			ws, err := scanWaiting(rows)
			if err != nil {
				return err
			}
			var fresh []*waitingRun
			for _, w := range ws {
				if !seen[w.id] {
					seen[w.id] = true
					fresh = append(fresh, w)
				}
			}
			if err := withSlots(ctx, q, fresh); err != nil {
				return err
			}
			waiting = append(waiting, fresh...)
			consider(fresh)
			if len(ws) < dispatchPage {
				break
			}
			afterAt, afterID = ws[len(ws)-1].waitingAt, ws[len(ws)-1].id
		}
		if len(waiting) == 0 {
			return nil
		}
		sort.SliceStable(waiting, func(i, j int) bool {
			a, b := waiting[i], waiting[j]
			if a.priority != b.priority {
				return a.priority < b.priority
			}
			if !a.waitingAt.Equal(b.waitingAt) {
				return a.waitingAt.Before(b.waitingAt)
			}
			return a.id < b.id
		})

		reasons := map[*waitingRun]string{}
		queues := map[int64]*accountQueue{}
		h := &rr{}
		for _, w := range waiting {
			if !w.depsOK {
				reasons[w] = ReasonDependencies
				continue
			}
			q := queues[w.account]
			if q == nil {
				q = &accountQueue{account: w.account, active: activeAcct[w.account], limit: w.maxParallel}
				queues[w.account] = q
			}
			q.runs = append(q.runs, w)
		}
		for _, q := range queues {
			heap.Push(h, q)
		}
		var picked []*waitingRun
		for h.Len() > 0 {
			q := heap.Pop(h).(*accountQueue)
			if len(picked) >= capacity {
				for _, w := range q.runs {
					reasons[w] = ReasonCapacity
				}
				continue
			}
			if q.active >= q.limit {
				for _, w := range q.runs {
					reasons[w] = ReasonAccountLimit
				}
				continue
			}
			// The account's first run that its group allows.
			took := -1
			for i, w := range q.runs {
				if w.group != "" {
					g, ok := limits[w.group]
					if ok && ((g.maxRunning.Valid && int64(activeGroup[w.group]) >= g.maxRunning.Int64) || g.available(now) < 1) {
						reasons[w] = ReasonGroupLimit + w.group
						continue
					}
				}
				took = i
				break
			}
			if took < 0 {
				continue // every run of the account waits for a group
			}
			w := q.runs[took]
			picked = append(picked, w)
			delete(reasons, w)
			q.active++
			if w.group != "" {
				activeGroup[w.group]++
			}
			q.runs = append(q.runs[:took], q.runs[took+1:]...)
			if len(q.runs) > 0 {
				heap.Push(h, q)
			}
		}
		if len(picked) > 0 {
			// Dependencies of what was picked (a retry or a manual run may
			// precede its parents).
			slots := make([]int64, len(picked))
			for i, w := range picked {
				slots[i] = w.slot
			}
			blocked, err := queryIDs(ctx, q, `SELECT DISTINCT sd."slot_id" FROM "command_slot_dependency" sd JOIN "command_slot" p ON p."id" = sd."depends_on_slot_id"
				WHERE sd."slot_id" IN (`+inClause(len(slots))+`) AND p."status" <> 'success'`, int64Args(slots)...)
			if err != nil {
				return err
			}
			if len(blocked) > 0 {
				isBlocked := map[int64]bool{}
				for _, id := range blocked {
					isBlocked[id] = true
				}
				kept := picked[:0]
				for _, w := range picked {
					if isBlocked[w.slot] {
						reasons[w] = ReasonDependencies
					} else {
						kept = append(kept, w)
					}
				}
				picked = kept
			}
		}
		if len(picked) > 0 {
			params := make([]river.InsertManyParams, len(picked))
			for i, w := range picked {
				timeout := command.DefaultTimeout
				queue := QueueCommands
				if cmd, ok := c.cmds.Get(w.command); ok {
					timeout = cmd.Timeout
					if cmd.Matrix == command.None {
						queue = QueueControl
					}
				}
				tags := []string{"run-" + strconv.FormatInt(w.id, 10), "cmd-" + sanitizeTag(w.command)}
				if w.token != "" {
					tags = append(tags, "acct-"+sanitizeTag(w.token))
				}
				params[i] = river.InsertManyParams{
					Args: runArgs{RunID: w.id, Command: w.command, TimeoutMS: timeout.Milliseconds()},
					InsertOpts: &river.InsertOpts{Queue: queue, MaxAttempts: 1, Priority: min(max(w.priority, 1), 4), Tags: tags,
						UniqueOpts: river.UniqueOpts{ByArgs: true}},
				}
			}
			res, err := c.river.InsertManyTx(ctx, tx.SQL(), params)
			if err != nil {
				return fmt.Errorf("insert river jobs: %w", err)
			}
			// Stamp the runs with their jobs, a statement per 100 runs.
			for start := 0; start < len(picked); start += 100 {
				part := picked[start:min(start+100, len(picked))]
				var b strings.Builder
				args := make([]any, 0, 3*len(part)+1)
				b.WriteString(`UPDATE "command_run" SET "river_job_id" = CASE "id"`)
				for i, w := range part {
					b.WriteString(` WHEN ? THEN CAST(? AS BIGINT)`)
					args = append(args, w.id, res[start+i].Job.ID)
				}
				b.WriteString(` END, "waiting_reason" = '' WHERE ` + byIDGuard + ` = ? AND "river_job_id" IS NULL AND "id" IN (` + inClause(len(part)) + `)`)
				args = append(args, Waiting)
				for _, w := range part {
					args = append(args, w.id)
				}
				if _, err := q.Exec(ctx, b.String(), args...); err != nil {
					return err
				}
			}
			dispatched = len(picked)
			if c.pollOnly {
				// River fetches again as a job finishes only when its last
				// fetch took as many jobs as it had free workers; after a
				// smaller fetch it waits for its next poll (50 ms) even
				// with these jobs due: tell it.
				nudge = firstPerQueue(params)
			}
		}
		byReason := map[string][]int64{}
		for w, reason := range reasons {
			if reason != w.reason {
				byReason[reason] = append(byReason[reason], w.id)
			}
		}
		for reason, ids := range byReason {
			for _, part := range chunks(ids, 200) {
				args := append([]any{reason, Waiting}, int64Args(part)...)
				if _, err := q.Exec(ctx, `UPDATE "command_run" SET "waiting_reason" = ? WHERE `+byIDGuard+` = ? AND "id" IN (`+inClause(len(part))+`)`, args...); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil && len(nudge) > 0 {
		c.nudge(ctx, nudge)
	}
	return dispatched, err
}

// dispatchIfLow is dispatch on a wake-up (a run finished or gave its place
// back): it dispatches only when fewer runs than half of MaxQueued wait in
// River, so that one dispatch fills the queue for several finished runs.
// A dispatch is a write transaction that reads the active runs and pages
// of Waiting runs with their slots however few places it fills; done for
// every run that finished, it was a fifth of the process's CPU in the
// pipeline makespan benchmark. Half the queue still holds about two runs
// per worker. The count is a read (a reader connection on SQLite); the
// engine's full passes dispatch whatever the queue holds.
func (c *Conductor) dispatchIfLow(ctx context.Context) (int, error) {
	if c.river == nil {
		return 0, nil
	}
	var queued int
	err := c.control.QueryRow(ctx, `SELECT count(*) FROM "command_run" WHERE "status" = ? AND "river_job_id" IS NOT NULL AND "waiting_reason" NOT LIKE ?`,
		Waiting, ReasonRetryAfter+"%").Scan(&queued)
	if err != nil {
		return 0, err
	}
	if queued >= max(c.opt.MaxQueued/2, 1) {
		return 0, nil
	}
	return c.dispatch(ctx)
}

// nudge wakes this process's River producers for the queues of jobs that
// dispatch committed, when River has no listener to learn of them (SQLite):
// inserting one of those jobs again, outside a transaction, is skipped as
// a duplicate (jobs are unique per run) and makes River fetch at once
// rather than at its next poll. A failed nudge only costs that wait.
func (c *Conductor) nudge(ctx context.Context, jobs []river.InsertManyParams) {
	if _, err := c.river.InsertMany(ctx, jobs); err != nil && ctx.Err() == nil {
		c.log.Warn("wake river producer", "err", err)
	}
}

// firstPerQueue returns the first job of each queue in jobs.
func firstPerQueue(jobs []river.InsertManyParams) []river.InsertManyParams {
	var out []river.InsertManyParams
	seen := map[string]bool{}
	for _, j := range jobs {
		if !seen[j.InsertOpts.Queue] {
			seen[j.InsertOpts.Queue] = true
			out = append(out, j)
		}
	}
	return out
}

// byIDGuard is a run's status in a statement that picks runs by id and
// checks their status too: written as an expression, so no planner takes
// the status indexes (SQLite did, and visited every Waiting run) over the
// primary key. slotByIDGuard is the same for slots.
const (
	byIDGuard     = `("status" + 0)`
	slotByIDGuard = `("status" || '')`
)

// takeToken consumes one rate token of group, refilling continuously. It
// returns how long until a token exists when there is none. Groups without
// a rate always have tokens.
func takeToken(ctx context.Context, tx db.Querier, dialect, group string, now time.Time) (bool, time.Duration, error) {
	var g groupLimit
	lock := ""
	if dialect == db.Postgres {
		lock = " FOR UPDATE" // two workers must not take the same token
	}
	err := tx.QueryRow(ctx, `SELECT "max_running", "rate_per_minute", "tokens", "refilled_at" FROM "command_limit" WHERE "group" = ?`+lock, group).
		Scan(&g.maxRunning, &g.rate, &g.tokens, &g.refilledAt)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (!g.rate.Valid || g.rate.Float64 <= 0)) {
		return true, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	t := g.available(now)
	if t < 1 {
		wait := time.Duration((1 - t) / g.rate.Float64 * float64(time.Minute))
		return false, wait, nil
	}
	_, err = tx.Exec(ctx, `UPDATE "command_limit" SET "tokens" = ?, "refilled_at" = ? WHERE "group" = ?`, t-1, now, group)
	return err == nil, 0, err
}
