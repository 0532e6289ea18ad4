package collect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/tenant"
)

// FaultPoint names a place in a batch's write where the test-only fault
// hook is called.
type FaultPoint string

// Fault points, in the order a batch reaches them.
const (
	FaultBegin        FaultPoint = "begin"         // transaction open, nothing written
	FaultMidBatch     FaultPoint = "mid_batch"     // visitors and visits written, hits not yet
	FaultBeforeCommit FaultPoint = "before_commit" // everything written, not committed
	FaultAfterCommit  FaultPoint = "after_commit"  // committed, requests not yet answered
)

// job is one request's validated hits waiting for a writer.
type job struct {
	hits []*hit
	done chan error // buffered; receives the batch's outcome once
}

// writer owns the writes to one client database: it groups the jobs of
// concurrent requests into one transaction per small window and answers
// each job only after that transaction committed.
type writer struct {
	c      *Collector
	acct   tenant.Account
	queue  chan *job
	queued int // hits queued or being written; guarded by c.mu
	// incoming counts requests for this database being validated, which
	// will queue shortly; the writer waits for them (group commit).
	incoming atomic.Int32
	exited   chan struct{}
	stmts    *stmtText

	// SQLite only: statements prepared on the writer connection and reused
	// by every transaction (parsing a multi-row INSERT costs as much as
	// running it). A statement missing here runs unprepared and is
	// prepared after the transaction, since the one writer connection is
	// busy during it.
	prepared map[string]*sql.Stmt
	wanted   []string
}

const maxPrepared = 64

// exec runs q in tx, through a prepared statement when there is one.
func (w *writer) exec(ctx context.Context, tx *db.Tx, q string, args ...any) error {
	if st := w.stmt(tx, q); st != nil {
		_, err := tx.SQL().StmtContext(ctx, st).ExecContext(ctx, args...)
		return err
	}
	_, err := tx.SQL().ExecContext(ctx, q, args...)
	return err
}

// query is exec for statements that return rows.
func (w *writer) query(ctx context.Context, tx *db.Tx, q string, args ...any) (*sql.Rows, error) {
	if st := w.stmt(tx, q); st != nil {
		return tx.SQL().StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.SQL().QueryContext(ctx, q, args...)
}

func (w *writer) stmt(tx *db.Tx, q string) *sql.Stmt {
	if tx.Dialect() != db.SQLite || w.prepared == nil {
		return nil
	}
	st, ok := w.prepared[q]
	if !ok && len(w.prepared)+len(w.wanted) < maxPrepared {
		w.prepared[q] = nil
		w.wanted = append(w.wanted, q)
	}
	return st
}

// prepareWanted prepares the statements the last batch ran unprepared.
func (w *writer) prepareWanted(ctx context.Context, d *db.DB) {
	for _, q := range w.wanted {
		st, err := d.Writer().PrepareContext(ctx, q)
		if err != nil {
			delete(w.prepared, q)
			continue
		}
		w.prepared[q] = st
	}
	w.wanted = w.wanted[:0]
}

func (w *writer) closePrepared() {
	for _, st := range w.prepared {
		if st != nil {
			st.Close()
		}
	}
	w.prepared = nil
}

// stmtText caches generated multi-row statements by shape.
type stmtText struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *stmtText) get(key string, build func() string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.m[key]; ok {
		return q
	}
	q := build()
	s.m[key] = q
	return q
}

func (w *writer) run() {
	defer close(w.exited)
	c := w.c
	ctx := context.Background() // a writer outlives the requests it serves
	d, release, err := c.opt.Tenants.Acquire(ctx, w.acct)
	if err != nil {
		c.log.Error("collector: open client database", "account", w.acct.Token, "err", err)
		// Fail everything queued until the writer is retired.
		c.retire(w, func(j *job) { j.done <- err })
		return
	}
	defer release()
	if d.Dialect() == db.SQLite {
		w.prepared = map[string]*sql.Stmt{}
		defer w.closePrepared()
		// Bulk-write tuning of the one writer connection: a bigger page
		// cache keeps the unique indexes' pages (hit ids, tokens) in
		// memory, and a larger WAL makes checkpoints (which fsync) rarer.
		for _, pragma := range []string{`PRAGMA cache_size = -32768`, `PRAGMA wal_autocheckpoint = 4096`} {
			if _, err := d.Exec(ctx, pragma); err != nil {
				c.log.Warn("collector: tune writer connection", "account", w.acct.Token, "pragma", pragma, "err", err)
			}
		}
	}
	idle := time.NewTimer(c.opt.IdleTimeout)
	defer idle.Stop()
	poll := time.NewTimer(time.Hour)
	defer poll.Stop()
	for {
		select {
		case j, ok := <-w.queue:
			if !ok {
				return
			}
			batch := []*job{j}
			n := len(j.hits)
			open := true
			add := func(j *job, ok bool) {
				if !ok {
					open = false
					return
				}
				batch = append(batch, j)
				n += len(j.hits)
			}
		drain:
			for open && n < c.opt.MaxBatchHits {
				select {
				case j2, ok := <-w.queue:
					add(j2, ok)
				default:
					break drain
				}
			}
			// Group commit: while requests for this database are being
			// validated (they will queue in a moment), wait for them, up
			// to Window; nobody coming means no waiting.
			deadline := time.Now().Add(c.opt.Window)
			for open && n < c.opt.MaxBatchHits && w.incoming.Load() > 0 {
				wait := time.Until(deadline)
				if wait <= 0 {
					break
				}
				poll.Reset(min(wait, 200*time.Microsecond))
				select {
				case j2, ok := <-w.queue:
					add(j2, ok)
				case <-poll.C:
				}
			}
			err := w.commit(ctx, d, batch, n)
			c.mu.Lock()
			w.queued -= n
			c.mu.Unlock()
			for _, j := range batch {
				j.done <- err
			}
			if len(w.wanted) > 0 {
				w.prepareWanted(ctx, d)
			}
			if !open {
				return
			}
			if !idle.Stop() {
				select {
				case <-idle.C:
				default:
				}
			}
			idle.Reset(c.opt.IdleTimeout)
		case <-idle.C:
			if c.retireIfIdle(w) {
				return
			}
			idle.Reset(c.opt.IdleTimeout)
		}
	}
}

// errWriterCrashed is what jobs of a batch get when the write panicked.
var errWriterCrashed = errors.New("collector: batch writer crashed; batch rolled back")

// commit writes one batch in one transaction; any error (or panic) rolls
// the whole batch back and fails every job in it.
func (w *writer) commit(ctx context.Context, d *db.DB, batch []*job, n int) (err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			w.c.log.Error("collector: batch writer panic", "account", w.acct.Token, "panic", p)
			err = errWriterCrashed
		}
		w.c.metrics.commit.Observe(time.Since(start).Seconds())
		w.c.metrics.batchHits.Observe(float64(n))
		if err != nil {
			w.c.metrics.batches.WithLabelValues("failed").Inc()
			w.c.log.Error("collector: batch failed", "account", w.acct.Token, "hits", n, "err", err)
		} else {
			w.c.metrics.batches.WithLabelValues("committed").Inc()
			w.c.log.Debug("collector: batch committed", "account", w.acct.Token, "hits", n, "requests", len(batch), "duration", time.Since(start))
		}
	}()
	fault := w.c.opt.Fault
	err = d.InTx(ctx, func(tx *db.Tx) error {
		if fault != nil {
			if err := fault(FaultBegin, n); err != nil {
				return err
			}
		}
		return w.write(ctx, tx, batch, n)
	})
	if err != nil {
		return err
	}
	if fault != nil {
		if err := fault(FaultAfterCommit, n); err != nil {
			return err
		}
	}
	return nil
}

// visitAgg is what a batch knows about one session.
type visitAgg struct {
	visitor  string
	first    time.Time
	last     time.Time
	newPV    int
	landing  *hit
	landIsPV bool
}

type visitorAgg struct{ first, last time.Time }

// write inserts a batch: visitors, visits (upserted by token), page views,
// labels, events with items, sync ids and impressions. A hit id already
// stored is skipped (ON CONFLICT DO NOTHING on its unique index).
func (w *writer) write(ctx context.Context, tx *db.Tx, batch []*job, n int) error {
	fault := w.c.opt.Fault
	// Group the batch, dropping repeated hit ids (first wins).
	seen := make(map[string]struct{}, n)
	var pvs, evs, imps []*hit
	visitors := map[string]*visitorAgg{}
	var visitorOrder []string
	visits := map[string]*visitAgg{}
	var visitOrder []string
	for _, j := range batch {
		for _, h := range j.hits {
			key := string(rune('0'+h.kind)) + h.id
			if _, dup := seen[key]; dup {
				continue
			}
			seen[key] = struct{}{}
			switch h.kind {
			case kindImpression:
				imps = append(imps, h)
				continue
			case kindPageView:
				pvs = append(pvs, h)
			case kindEvent:
				evs = append(evs, h)
			}
			va := visitors[h.visitor]
			if va == nil {
				va = &visitorAgg{first: h.ts, last: h.ts}
				visitors[h.visitor] = va
				visitorOrder = append(visitorOrder, h.visitor)
			}
			if h.ts.Before(va.first) {
				va.first = h.ts
			}
			if h.ts.After(va.last) {
				va.last = h.ts
			}
			v := visits[h.session]
			if v == nil {
				v = &visitAgg{visitor: h.visitor, first: h.ts, last: h.ts}
				visits[h.session] = v
				visitOrder = append(visitOrder, h.session)
			}
			if h.ts.Before(v.first) {
				v.first = h.ts
			}
			if h.ts.After(v.last) {
				v.last = h.ts
			}
			isPV := h.kind == kindPageView
			switch {
			case v.landing == nil,
				isPV && !v.landIsPV,
				isPV == v.landIsPV && h.ts.Before(v.landing.ts):
				v.landing, v.landIsPV = h, isPV
			}
		}
	}

	// Rows go in key order: on PostgreSQL, concurrent batches (several
	// web nodes) then take their row locks in the same order and cannot
	// deadlock; on SQLite it keeps index inserts local.
	slices.Sort(visitorOrder)
	slices.Sort(visitOrder)
	byID := func(a, b *hit) int { return strings.Compare(a.id, b.id) }
	slices.SortFunc(pvs, byID)
	slices.SortFunc(evs, byID)
	slices.SortFunc(imps, byID)

	// Page views already stored (client retries) neither count nor get
	// written again.
	existing, err := w.existingHits(ctx, tx, "page_view", pvs)
	if err != nil {
		return fmt.Errorf("page views: %w", err)
	}
	for _, h := range pvs {
		if !existing[h.id] {
			visits[h.session].newPV++
		}
	}

	visitorIDs, err := w.upsertVisitors(ctx, tx, visitorOrder, visitors)
	if err != nil {
		return fmt.Errorf("visitors: %w", err)
	}
	visitIDs, err := w.upsertVisits(ctx, tx, visitOrder, visits, visitorIDs)
	if err != nil {
		return fmt.Errorf("visits: %w", err)
	}
	if fault != nil {
		if err := fault(FaultMidBatch, n); err != nil {
			return err
		}
	}

	var labelRows []any
	pvRows := make([]any, 0, len(pvs)*6)
	for _, h := range pvs {
		if existing[h.id] {
			continue
		}
		vid := visitIDs[h.session]
		pvRows = append(pvRows, vid, h.id, h.ts, h.url, h.path, h.title)
		for _, l := range h.labels {
			labelRows = append(labelRows, vid, nil, l.key, l.typ, l.value)
		}
	}
	if err := w.insert(ctx, tx, "page_view", []string{"visit_id", "hit_id", "ts", "url", "path", "title"}, pvRows, ` ON CONFLICT ("hit_id") DO NOTHING`, nil); err != nil {
		return fmt.Errorf("page views: %w", err)
	}

	if len(evs) > 0 {
		evRows := make([]any, 0, len(evs)*8)
		byID := make(map[string]*hit, len(evs))
		for _, h := range evs {
			byID[h.id] = h
			e := h.event
			evRows = append(evRows, visitIDs[h.session], visitorIDs[h.visitor], h.id, h.ts, e.name, e.revenueMinor, e.currency, e.transaction)
		}
		type newEvent struct {
			id  int64
			hit *hit
		}
		var inserted []newEvent
		err := w.insert(ctx, tx, "event", []string{"visit_id", "visitor_id", "hit_id", "ts", "name", "revenue_minor", "currency", "transaction_id"}, evRows,
			` ON CONFLICT ("hit_id") DO NOTHING RETURNING "id", "hit_id"`, func(rows *sql.Rows) error {
				var id int64
				var hid string
				if err := rows.Scan(&id, &hid); err != nil {
					return err
				}
				inserted = append(inserted, newEvent{id, byID[hid]})
				return nil
			})
		if err != nil {
			return fmt.Errorf("events: %w", err)
		}
		var itemRows []any
		for _, ne := range inserted {
			h := ne.hit
			for _, it := range h.event.items {
				itemRows = append(itemRows, ne.id, it.sku, it.name, it.category, it.quantity, it.unitPriceMinor)
			}
			for _, l := range h.labels {
				labelRows = append(labelRows, visitIDs[h.session], ne.id, l.key, l.typ, l.value)
			}
		}
		if err := w.insert(ctx, tx, "event_item", []string{"event_id", "sku", "name", "category", "quantity", "unit_price_minor"}, itemRows, "", nil); err != nil {
			return fmt.Errorf("event items: %w", err)
		}
	}
	if err := w.insert(ctx, tx, "label", []string{"visit_id", "event_id", "key", "type", "value"}, labelRows, "", nil); err != nil {
		return fmt.Errorf("labels: %w", err)
	}

	var syncRows []any
	syncSeen := map[[3]string]bool{}
	for _, list := range [][]*hit{pvs, evs} {
		for _, h := range list {
			for _, s := range h.sync {
				k := [3]string{h.visitor, s.kind, s.value}
				if syncSeen[k] {
					continue
				}
				syncSeen[k] = true
				syncRows = append(syncRows, visitorIDs[h.visitor], s.kind, s.value, h.ts)
			}
		}
	}
	if err := w.insert(ctx, tx, "sync_id", []string{"visitor_id", "kind", "value_hash", "ts"}, syncRows,
		` ON CONFLICT ("visitor_id", "kind", "value_hash") DO NOTHING`, nil); err != nil {
		return fmt.Errorf("sync ids: %w", err)
	}

	if len(imps) > 0 {
		impRows := make([]any, 0, len(imps)*7)
		for _, h := range imps {
			im := h.imp
			impRows = append(impRows, h.id, h.ts, im.SyncHash, im.Medium, im.Source, im.Campaign, im.Content)
		}
		if err := w.insert(ctx, tx, "impression", []string{"hit_id", "ts", "sync_id_hash", "medium", "source", "campaign", "content"}, impRows,
			` ON CONFLICT ("hit_id") DO NOTHING`, nil); err != nil {
			return fmt.Errorf("impressions: %w", err)
		}
	}
	if fault != nil {
		if err := fault(FaultBeforeCommit, n); err != nil {
			return err
		}
	}
	return nil
}

// existingHits returns which of hits' ids table already holds.
func (w *writer) existingHits(ctx context.Context, tx *db.Tx, table string, hits []*hit) (map[string]bool, error) {
	out := map[string]bool{}
	for i := 0; i < len(hits); {
		k := chunkSize(len(hits)-i, 512)
		part := hits[i : i+k]
		i += k
		q := w.stmts.get(tx.Dialect()+":exists:"+table+":"+strconv.Itoa(len(part)), func() string {
			return db.Rebind(tx.Dialect(), `SELECT "hit_id" FROM `+db.QuoteIdent(table)+` WHERE "hit_id" IN (`+placeholders(len(part))+`)`)
		})
		args := make([]any, len(part))
		for j, h := range part {
			args[j] = h.id
		}
		rows, err := w.query(ctx, tx, q, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (w *writer) upsertVisitors(ctx context.Context, tx *db.Tx, order []string, aggs map[string]*visitorAgg) (map[string]int64, error) {
	ids := make(map[string]int64, len(order))
	rows := make([]any, 0, len(order)*3)
	for _, tok := range order {
		a := aggs[tok]
		rows = append(rows, tok, a.first, a.last)
	}
	err := w.insert(ctx, tx, "visitor", []string{"token", "first_seen", "last_seen"}, rows,
		` ON CONFLICT ("token") DO UPDATE SET `+
			`"first_seen" = CASE WHEN excluded."first_seen" < "visitor"."first_seen" THEN excluded."first_seen" ELSE "visitor"."first_seen" END, `+
			`"last_seen" = CASE WHEN excluded."last_seen" > "visitor"."last_seen" THEN excluded."last_seen" ELSE "visitor"."last_seen" END `+
			`RETURNING "id", "token"`,
		func(r *sql.Rows) error {
			var id int64
			var tok string
			if err := r.Scan(&id, &tok); err != nil {
				return err
			}
			ids[tok] = id
			return nil
		})
	if err == nil && len(ids) != len(order) {
		err = fmt.Errorf("upsert returned %d of %d visitors", len(ids), len(order))
	}
	return ids, err
}

// visitLanding are the columns a visit takes from its landing hit.
var visitLanding = []string{"landing_url", "landing_path", "referrer", "referrer_host", "utm_source", "utm_medium", "utm_campaign",
	"utm_term", "utm_content", "click_id_type", "click_id", "device", "browser", "os", "country"}

var visitUpsertTail = func() string {
	var b strings.Builder
	b.WriteString(` ON CONFLICT ("token") DO UPDATE SET `)
	b.WriteString(`"started_at" = CASE WHEN excluded."started_at" < "visit"."started_at" THEN excluded."started_at" ELSE "visit"."started_at" END, `)
	b.WriteString(`"ended_at" = CASE WHEN excluded."ended_at" > "visit"."ended_at" THEN excluded."ended_at" ELSE "visit"."ended_at" END, `)
	// The landing data come from the session's earliest page view: taken
	// when this batch brings the first page view of the visit, or one
	// earlier than the visit's start.
	cond := `(excluded."page_views" > 0 AND ("visit"."page_views" = 0 OR excluded."started_at" < "visit"."started_at"))`
	for _, col := range visitLanding {
		q := db.QuoteIdent(col)
		b.WriteString(q + ` = CASE WHEN ` + cond + ` THEN excluded.` + q + ` ELSE "visit".` + q + ` END, `)
	}
	b.WriteString(`"page_views" = "visit"."page_views" + excluded."page_views", `)
	b.WriteString(`"is_bounce" = ("visit"."page_views" + excluded."page_views" <= 1) `)
	b.WriteString(`RETURNING "id", "token"`)
	return b.String()
}()

func (w *writer) upsertVisits(ctx context.Context, tx *db.Tx, order []string, aggs map[string]*visitAgg, visitorIDs map[string]int64) (map[string]int64, error) {
	cols := append([]string{"visitor_id", "token", "started_at", "ended_at"}, visitLanding...)
	cols = append(cols, "page_views", "is_bounce")
	ids := make(map[string]int64, len(order))
	rows := make([]any, 0, len(order)*len(cols))
	for _, tok := range order {
		a := aggs[tok]
		l := a.landing
		rows = append(rows, visitorIDs[a.visitor], tok, a.first, a.last,
			l.url, l.path, l.referrer, l.refHost, l.land.UTMSource, l.land.UTMMedium, l.land.UTMCampaign,
			l.land.UTMTerm, l.land.UTMContent, l.land.ClickIDType, l.land.ClickID, l.agent.device, l.agent.browser, l.agent.os, l.country,
			a.newPV, a.newPV <= 1)
	}
	err := w.insert(ctx, tx, "visit", cols, rows, visitUpsertTail, func(r *sql.Rows) error {
		var id int64
		var tok string
		if err := r.Scan(&id, &tok); err != nil {
			return err
		}
		ids[tok] = id
		return nil
	})
	if err == nil && len(ids) != len(order) {
		err = fmt.Errorf("upsert returned %d of %d visits", len(ids), len(order))
	}
	return ids, err
}

// maxParams bounds the bound values of one statement (SQLite allows
// 32,766, PostgreSQL 65,535); big enough to amortise parsing.
const maxParams = 2400

// insert writes rows (flattened, len(cols) values each) with multi-row
// INSERTs; tail follows VALUES (ON CONFLICT ..., RETURNING ...). With scan
// set, the statement's rows are read through it.
func (w *writer) insert(ctx context.Context, tx *db.Tx, table string, cols []string, flat []any, tail string, scan func(*sql.Rows) error) error {
	nc := len(cols)
	total := len(flat) / nc
	for i := 0; i < total; {
		k := chunkSize(total-i, maxParams/nc)
		q := w.stmts.get(tx.Dialect()+":"+table+":"+strconv.Itoa(k)+":"+tail, func() string {
			return db.Rebind(tx.Dialect(), insertSQL(table, cols, k)+tail)
		})
		args := flat[i*nc : (i+k)*nc]
		i += k
		if scan == nil {
			if err := w.exec(ctx, tx, q, args...); err != nil {
				return err
			}
			continue
		}
		rows, err := w.query(ctx, tx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// chunkSize is how many of n remaining rows the next statement takes: the
// largest of limit, 64, 16, 4 and 1 that fits. Statements thus come in five
// shapes per table, so few texts are cached and prepared, whatever the
// batch sizes.
func chunkSize(n, limit int) int {
	if n >= limit {
		return limit
	}
	for _, k := range [...]int{64, 16, 4} {
		if n >= k && k < limit {
			return k
		}
	}
	return 1
}

func insertSQL(table string, cols []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + db.QuoteIdent(table) + " (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(db.QuoteIdent(c))
	}
	b.WriteString(") VALUES ")
	row := "(" + placeholders(len(cols)) + ")"
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
