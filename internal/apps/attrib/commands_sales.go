package attrib

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/tenant"
)

// import_offline_sales turns every unprocessed offline_sale_row into an
// event (ConvertOfflineSales: rows are marked processed in the
// transaction that converts them, so a rerun converts nothing). It is not
// limited to the slot's day: an upload holds sales of many days, and they
// are converted as soon as the command runs; later days' commands pick
// the events up, earlier days need a backfill of build_sales onwards.
func runImportOfflineSales(ctx context.Context, env *command.Env) error {
	acct := tenant.Account{ID: env.Account.ID, Token: env.Account.Token, Name: env.Account.Name, Country: env.Account.Country,
		Domain: env.Account.Domain, DBName: env.Account.DBName, TimeZone: env.Account.TimeZone, Currency: env.Account.Currency,
		LookbackDays: env.Account.LookbackDays, SessionTimeoutMinutes: env.Account.SessionTimeoutMinutes, Active: true}
	res, err := ConvertOfflineSales(ctx, env.DB, acct, ConvertOptions{})
	if err != nil {
		return errf(env, CmdImportOfflineSales, err)
	}
	env.Log.Info("offline sales imported", "rows", res.Rows, "matched", res.Matched, "new_visitors", res.NewVisitors)
	return nil
}

// goalConfig maps event names to goals.
type goalConfig struct {
	goal  map[string]int64 // event name -> goal (the lowest id when several)
	macro map[int64]bool   // goal -> is_macro
	names []string         // event names of goals, sorted
}

func loadGoals(ctx context.Context, q db.Querier) (*goalConfig, error) {
	g := &goalConfig{goal: map[string]int64{}, macro: map[int64]bool{}}
	err := db.QueryEach(ctx, q, `SELECT g."id", g."is_macro", ed."name" FROM "goal" g JOIN "goal_event" ge ON ge."goal_id" = g."id"
		JOIN "event_definition" ed ON ed."id" = ge."event_definition_id" WHERE g."active" = TRUE ORDER BY g."id", ed."name"`, nil,
		func(rows *sql.Rows) error {
			var id int64
			var macro bool
			var name string
			if err := rows.Scan(&id, &macro, &name); err != nil {
				return err
			}
			g.macro[id] = macro
			if _, ok := g.goal[name]; !ok {
				g.goal[name] = id
				g.names = append(g.names, name)
			}
			return nil
		})
	slices.Sort(g.names)
	return g, err
}

// saleRow is a sale as build_sales computes and stores it.
type saleRow struct {
	id                          int64
	goalID, visitorID, visitID  int64
	eventID                     int64
	ts                          time.Time
	txn                         string
	revenue                     int64
	currency                    string
	items                       int64
	offline, newCustomer        bool
	hitID                       string
	synthetic                   bool // the event had no transaction id
	storedGoal, storedVisitor   sql.NullInt64
	storedVisit, storedEvent    sql.NullInt64
	storedTS                    time.Time
	storedRevenue, storedItems  int64
	storedCurrency              string
	storedOffline, storedNewCus bool
}

// build_sales (spec/domain.md §9): every event of the day whose name
// belongs to an active goal is a sale (one per event, date = the local
// date of its ts). Transaction ids are unique per account: of events
// sharing one, the earliest (ts, then hit id) anywhere in the account is
// the sale and the others are logged as duplicates. An event without a
// transaction id gets "hit:" + its hit id. is_new_customer: the sale is
// its visitor's first event of a macro goal. items is the sum of the
// event's item quantities.
//
// Sale ids stay stable across reruns: rows are matched by transaction id,
// updated when they differ, added when missing (taking the transaction id
// over from another day's row, which can only be a later duplicate) and
// deleted when no longer produced — all in one transaction.
func runBuildSales(ctx context.Context, env *command.Env) error {
	d := dayOf(env)
	var stats struct{ sales, added, updated, removed, dups int }
	err := env.DB.InTx(ctx, func(tx *db.Tx) error {
		goals, err := loadGoals(ctx, tx)
		if err != nil {
			return fmt.Errorf("goals: %w", err)
		}
		var want []*saleRow
		if len(goals.names) > 0 {
			if want, err = daySales(ctx, tx, d, goals); err != nil {
				return err
			}
		}
		// Duplicates of transaction ids across the account.
		var txns []string
		for _, s := range want {
			if !s.synthetic {
				txns = append(txns, s.txn)
			}
		}
		slices.Sort(txns)
		txns = slices.Compact(txns)
		earliest := map[string]evKey{} // txn -> the earliest goal event
		err = eachChunk(txns, inChunk, func(part []string) error {
			args := append(anys(part), anys(goals.names)...)
			return db.QueryEach(ctx, tx, `SELECT "transaction_id", "ts", "hit_id" FROM "event" WHERE "transaction_id" IN (`+db.Marks(len(part))+`)
				AND "name" IN (`+db.Marks(len(goals.names))+`)`, args, func(rows *sql.Rows) error {
				var txn, hit string
				var ts time.Time
				if err := rows.Scan(&txn, &ts, &hit); err != nil {
					return err
				}
				k := evKey{ts.UTC(), hit}
				if e, ok := earliest[txn]; !ok || k.less(e) {
					earliest[txn] = k
				}
				return nil
			})
		})
		if err != nil {
			return fmt.Errorf("transaction ids: %w", err)
		}
		kept := want[:0]
		for _, s := range want {
			if e, ok := earliest[s.txn]; ok && e.hit != s.hitID {
				stats.dups++
				if stats.dups <= 20 {
					env.Log.Warn("duplicate transaction id: kept the earliest sale", "transaction_id", s.txn, "hit_id", s.hitID, "kept_hit_id", e.hit)
				}
				continue
			}
			kept = append(kept, s)
		}
		want = kept
		if stats.dups > 20 {
			env.Log.Warn("more duplicate transaction ids", "count", stats.dups-20)
		}
		if err := markNewCustomers(ctx, tx, d, goals, want); err != nil {
			return err
		}
		stats.sales = len(want)
		return writeSales(ctx, tx, d, want, &stats.added, &stats.updated, &stats.removed)
	})
	if err != nil {
		return errf(env, CmdBuildSales, err)
	}
	env.Log.Info("sales built", "sales", stats.sales, "added", stats.added, "updated", stats.updated, "removed", stats.removed,
		"duplicates", stats.dups)
	return nil
}

// evKey orders events: by ts, then hit id.
type evKey struct {
	ts  time.Time
	hit string
}

func (a evKey) less(b evKey) bool {
	if c := a.ts.Compare(b.ts); c != 0 {
		return c < 0
	}
	return a.hit < b.hit
}

// daySales reads the day's goal events as sales, in (ts, hit id) order.
func daySales(ctx context.Context, tx *db.Tx, d day, goals *goalConfig) ([]*saleRow, error) {
	var out []*saleRow
	byEvent := map[int64]*saleRow{}
	args := append([]any{d.start, d.end}, anys(goals.names)...)
	err := db.QueryEach(ctx, tx, `SELECT "id", "visit_id", "visitor_id", "hit_id", "ts", "name", "revenue_minor", "currency", "transaction_id", "is_offline"
		FROM "event" WHERE "ts" >= ? AND "ts" < ? AND "name" IN (`+db.Marks(len(goals.names))+`)`, args, func(rows *sql.Rows) error {
		s := &saleRow{}
		var visit sql.NullInt64
		var name string
		if err := rows.Scan(&s.eventID, &visit, &s.visitorID, &s.hitID, &s.ts, &name, &s.revenue, &s.currency, &s.txn, &s.offline); err != nil {
			return err
		}
		s.ts, s.visitID, s.goalID = utc(s.ts), idOf(visit), goals.goal[name]
		s.txn = strings.TrimSpace(s.txn)
		if s.txn == "" {
			s.txn, s.synthetic = "hit:"+s.hitID, true
		}
		s.txn = clipRunes(s.txn, 128)
		out = append(out, s)
		byEvent[s.eventID] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	err = db.QueryEach(ctx, tx, `SELECT i."event_id", COALESCE(SUM(i."quantity"), 0) FROM "event" e JOIN "event_item" i ON i."event_id" = e."id"
		WHERE e."ts" >= ? AND e."ts" < ? AND e."name" IN (`+db.Marks(len(goals.names))+`) GROUP BY i."event_id"`, args, func(rows *sql.Rows) error {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		if s := byEvent[id]; s != nil {
			s.items = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("event items: %w", err)
	}
	slices.SortFunc(out, func(a, b *saleRow) int { return cmp.Or(a.ts.Compare(b.ts), strings.Compare(a.hitID, b.hitID)) })
	return out, nil
}

// markNewCustomers sets newCustomer on macro-goal sales that are their
// visitor's first macro-goal event.
func markNewCustomers(ctx context.Context, tx *db.Tx, d day, goals *goalConfig, sales []*saleRow) error {
	var macroNames []string
	for _, n := range goals.names {
		if goals.macro[goals.goal[n]] {
			macroNames = append(macroNames, n)
		}
	}
	var visitors []int64
	for _, s := range sales {
		if goals.macro[s.goalID] {
			visitors = append(visitors, s.visitorID)
		}
	}
	if len(visitors) == 0 || len(macroNames) == 0 {
		return nil
	}
	slices.Sort(visitors)
	visitors = slices.Compact(visitors)
	first := map[int64]evKey{}
	err := eachChunk(visitors, inChunk, func(part []int64) error {
		args := append(append(anys(part), d.end), anys(macroNames)...)
		return db.QueryEach(ctx, tx, `SELECT "visitor_id", "ts", "hit_id" FROM "event" WHERE "visitor_id" IN (`+db.Marks(len(part))+`) AND "ts" < ?
			AND "name" IN (`+db.Marks(len(macroNames))+`)`, args, func(rows *sql.Rows) error {
			var v int64
			var ts time.Time
			var hit string
			if err := rows.Scan(&v, &ts, &hit); err != nil {
				return err
			}
			k := evKey{ts.UTC(), hit}
			if e, ok := first[v]; !ok || k.less(e) {
				first[v] = k
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("new customers: %w", err)
	}
	for _, s := range sales {
		s.newCustomer = goals.macro[s.goalID] && first[s.visitorID].hit == s.hitID
	}
	return nil
}

// writeSales makes the day's stored sales equal want.
func writeSales(ctx context.Context, tx *db.Tx, d day, want []*saleRow, added, updated, removed *int) error {
	have := map[string]*saleRow{}
	var stale []int64
	err := db.QueryEach(ctx, tx, `SELECT "id", "transaction_id", "goal_id", "visitor_id", "visit_id", "event_id", "ts", "revenue_minor", "currency",
		"items", "is_offline", "is_new_customer" FROM "sale" WHERE "date" = ? ORDER BY "id"`, []any{d.date}, func(rows *sql.Rows) error {
		s := &saleRow{}
		if err := rows.Scan(&s.id, &s.txn, &s.storedGoal, &s.storedVisitor, &s.storedVisit, &s.storedEvent, &s.storedTS, &s.storedRevenue,
			&s.storedCurrency, &s.storedItems, &s.storedOffline, &s.storedNewCus); err != nil {
			return err
		}
		s.storedTS = utc(s.storedTS)
		have[s.txn] = s
		return nil
	})
	if err != nil {
		return fmt.Errorf("stored sales: %w", err)
	}
	wanted := map[string]bool{}
	for _, s := range want {
		wanted[s.txn] = true
	}
	for _, h := range have {
		if !wanted[h.txn] {
			stale = append(stale, h.id)
		}
	}
	slices.Sort(stale)
	if err := eachChunk(stale, inChunk, func(part []int64) error {
		_, err := tx.Exec(ctx, `DELETE FROM "sale" WHERE "id" IN (`+db.Marks(len(part))+`)`, anys(part)...)
		return err
	}); err != nil {
		return fmt.Errorf("remove sales: %w", err)
	}
	*removed = len(stale)
	for _, s := range want {
		h := have[s.txn]
		switch {
		case h == nil:
			_, err := tx.Exec(ctx, `INSERT INTO "sale" ("goal_id", "visitor_id", "visit_id", "event_id", "ts", "date", "transaction_id", "revenue_minor",
				"currency", "items", "is_offline", "is_new_customer") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT ("transaction_id") DO UPDATE SET "goal_id" = excluded."goal_id", "visitor_id" = excluded."visitor_id",
				"visit_id" = excluded."visit_id", "event_id" = excluded."event_id", "ts" = excluded."ts", "date" = excluded."date",
				"revenue_minor" = excluded."revenue_minor", "currency" = excluded."currency", "items" = excluded."items",
				"is_offline" = excluded."is_offline", "is_new_customer" = excluded."is_new_customer"`,
				nullID(s.goalID), nullID(s.visitorID), nullID(s.visitID), nullID(s.eventID), s.ts, d.date, s.txn, s.revenue,
				clipRunes(s.currency, 3), s.items, s.offline, s.newCustomer)
			if err != nil {
				return fmt.Errorf("add sale %s: %w", s.txn, err)
			}
			*added++
		case idOf(h.storedGoal) != s.goalID || idOf(h.storedVisitor) != s.visitorID || idOf(h.storedVisit) != s.visitID ||
			idOf(h.storedEvent) != s.eventID || !h.storedTS.Equal(s.ts) || h.storedRevenue != s.revenue || h.storedCurrency != s.currency ||
			h.storedItems != s.items || h.storedOffline != s.offline || h.storedNewCus != s.newCustomer:
			_, err := tx.Exec(ctx, `UPDATE "sale" SET "goal_id" = ?, "visitor_id" = ?, "visit_id" = ?, "event_id" = ?, "ts" = ?, "revenue_minor" = ?,
				"currency" = ?, "items" = ?, "is_offline" = ?, "is_new_customer" = ? WHERE "id" = ?`,
				nullID(s.goalID), nullID(s.visitorID), nullID(s.visitID), nullID(s.eventID), s.ts, s.revenue, clipRunes(s.currency, 3),
				s.items, s.offline, s.newCustomer, h.id)
			if err != nil {
				return fmt.Errorf("update sale %s: %w", s.txn, err)
			}
			*updated++
		}
	}
	return bump(ctx, tx, "sale")
}
