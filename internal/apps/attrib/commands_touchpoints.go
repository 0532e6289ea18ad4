package attrib

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/cubedhq/cubed/internal/analytics"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// touchVisit is a visit that may be a touch.
type touchVisit struct {
	id, visitorID     int64
	startedAt         time.Time
	channel, campaign int64
	haveChannel       bool
}

// build_touchpoints (spec/domain.md §9): a sale's touches are the visits
// of its visitor, and of every visitor sharing a sync id with it (any
// kind, one hop), that started within the lookback window before the sale
// and not after it, in time order (started_at, then id), seq from 1. A
// touch carries its visit's channel and campaign (a payment-referrer
// visit already carries the channel it kept), ts = the visit's start and
// seconds_before_sale. A sale with no such visit gets one touch on its own
// visit, or, with no visit at all (an offline sale), one Offline touch at
// the sale's time.
//
// The window is the account's lookback_days, or the longest lookback of an
// active attribution model when that is longer (attribute_sales narrows
// touches per model). The day's touchpoints are deleted and inserted in
// one transaction.
func runBuildTouchpoints(ctx context.Context, env *command.Env) error {
	d := dayOf(env)
	var nSales, nTouches int
	err := env.DB.InTx(ctx, func(tx *db.Tx) error {
		ch, err := loadChannelInfo(ctx, tx)
		if err != nil {
			return err
		}
		lookback := lookbackDays(env)
		var longest sql.NullInt64
		if err := tx.QueryRow(ctx, `SELECT MAX("lookback_days") FROM "attribution_model" WHERE "active" = TRUE`).Scan(&longest); err != nil {
			return fmt.Errorf("models: %w", err)
		}
		if longest.Valid && int(longest.Int64) > lookback {
			lookback = int(longest.Int64)
		}
		window := time.Duration(lookback) * 24 * time.Hour

		type sale struct {
			id, visitorID, visitID int64
			ts                     time.Time
		}
		var sales []sale
		err = db.QueryEach(ctx, tx, `SELECT "id", "visitor_id", "visit_id", "ts" FROM "sale" WHERE "date" = ? ORDER BY "id"`, []any{d.date},
			func(rows *sql.Rows) error {
				var s sale
				var visitor, visit sql.NullInt64
				if err := rows.Scan(&s.id, &visitor, &visit, &s.ts); err != nil {
					return err
				}
				s.visitorID, s.visitID, s.ts = idOf(visitor), idOf(visit), utc(s.ts)
				sales = append(sales, s)
				return nil
			})
		if err != nil {
			return fmt.Errorf("sales: %w", err)
		}
		nSales = len(sales)
		if _, err := tx.Exec(ctx, `DELETE FROM "touchpoint" WHERE "sale_id" IN (SELECT "id" FROM "sale" WHERE "date" = ?)`, d.date); err != nil {
			return fmt.Errorf("delete touchpoints: %w", err)
		}
		if len(sales) == 0 {
			return bump(ctx, tx, "touchpoint")
		}

		// Visitors and those sharing a sync id with them.
		linked := map[int64][]int64{}
		var visitors []int64
		earliest := sales[0].ts
		for _, s := range sales {
			if s.visitorID != 0 {
				visitors = append(visitors, s.visitorID)
			}
			if s.ts.Before(earliest) {
				earliest = s.ts
			}
		}
		slices.Sort(visitors)
		visitors = slices.Compact(visitors)
		err = eachChunk(visitors, inChunk, func(part []int64) error {
			return db.QueryEach(ctx, tx, `SELECT DISTINCT a."visitor_id", b."visitor_id" FROM "sync_id" a JOIN "sync_id" b ON b."value_hash" = a."value_hash"
				WHERE a."visitor_id" IN (`+db.Marks(len(part))+`) AND b."visitor_id" <> a."visitor_id"`, anys(part), func(rows *sql.Rows) error {
				var a, b int64
				if err := rows.Scan(&a, &b); err != nil {
					return err
				}
				linked[a] = append(linked[a], b)
				return nil
			})
		})
		if err != nil {
			return fmt.Errorf("sync ids: %w", err)
		}
		all := slices.Clone(visitors)
		for _, l := range linked {
			all = append(all, l...)
		}
		slices.Sort(all)
		all = slices.Compact(all)
		byVisitor := map[int64][]touchVisit{}
		byID := map[int64]touchVisit{}
		scanVisit := func(rows *sql.Rows) error {
			var v touchVisit
			var chn, camp sql.NullInt64
			if err := rows.Scan(&v.id, &v.visitorID, &v.startedAt, &chn, &camp); err != nil {
				return err
			}
			v.startedAt, v.channel, v.campaign, v.haveChannel = utc(v.startedAt), idOf(chn), idOf(camp), chn.Valid
			byID[v.id] = v
			return nil
		}
		err = eachChunk(all, inChunk, func(part []int64) error {
			args := append(anys(part), earliest.Add(-window), d.end)
			return db.QueryEach(ctx, tx, `SELECT "id", "visitor_id", "started_at", "channel_id", "campaign_id" FROM "visit"
				WHERE "visitor_id" IN (`+db.Marks(len(part))+`) AND "started_at" >= ? AND "started_at" < ?`, args, scanVisit)
		})
		if err != nil {
			return fmt.Errorf("visits: %w", err)
		}
		// Sales' own visits outside the window (a visit after the sale's
		// time cannot happen after sessionize, but the data may not have
		// been sessionized).
		var own []int64
		for _, s := range sales {
			if _, ok := byID[s.visitID]; s.visitID != 0 && !ok {
				own = append(own, s.visitID)
			}
		}
		slices.Sort(own)
		own = slices.Compact(own)
		err = eachChunk(own, inChunk, func(part []int64) error {
			return db.QueryEach(ctx, tx, `SELECT "id", "visitor_id", "started_at", "channel_id", "campaign_id" FROM "visit" WHERE "id" IN (`+db.Marks(len(part))+`)`,
				anys(part), scanVisit)
		})
		if err != nil {
			return fmt.Errorf("own visits: %w", err)
		}
		for _, v := range byID {
			byVisitor[v.visitorID] = append(byVisitor[v.visitorID], v)
		}

		var rows [][]any
		for _, s := range sales {
			var cands []touchVisit
			if s.visitorID != 0 {
				for _, vid := range append([]int64{s.visitorID}, linked[s.visitorID]...) {
					for _, v := range byVisitor[vid] {
						if !v.startedAt.After(s.ts) && !v.startedAt.Before(s.ts.Add(-window)) {
							cands = append(cands, v)
						}
					}
				}
			}
			slices.SortFunc(cands, func(a, b touchVisit) int { return cmp.Or(a.startedAt.Compare(b.startedAt), cmp.Compare(a.id, b.id)) })
			cands = slices.CompactFunc(cands, func(a, b touchVisit) bool { return a.id == b.id })
			if len(cands) == 0 {
				if v, ok := byID[s.visitID]; ok {
					cands = []touchVisit{v}
				}
			}
			if len(cands) == 0 {
				rows = append(rows, []any{s.id, 1, nil, nullID(ch.offline), nil, s.ts, int64(0), false})
				continue
			}
			for i, v := range cands {
				secs := max(int64(s.ts.Sub(v.startedAt)/time.Second), 0)
				var channel any
				if v.haveChannel {
					channel = v.channel
				}
				rows = append(rows, []any{s.id, i + 1, v.id, channel, nullID(v.campaign), v.startedAt, secs, ch.direct[v.channel]})
			}
		}
		nTouches = len(rows)
		if err := db.InsertRows(ctx, tx, "touchpoint", []string{"sale_id", "seq", "visit_id", "channel_id", "campaign_id", "ts",
			"seconds_before_sale", "is_direct"}, rows); err != nil {
			return err
		}
		return bump(ctx, tx, "touchpoint")
	})
	if err != nil {
		return errf(env, CmdBuildTouchpoints, err)
	}
	env.Log.Info("touchpoints built", "sales", nSales, "touches", nTouches)
	return nil
}

// channelInfo is what touch building needs of channels.
type channelInfo struct {
	direct  map[int64]bool // channel -> is_direct
	offline int64          // the Offline channel, 0 if none
}

func loadChannelInfo(ctx context.Context, q db.Querier) (*channelInfo, error) {
	ci := &channelInfo{direct: map[int64]bool{}}
	var named []analytics.NamedChannel
	err := db.QueryEach(ctx, q, `SELECT "id", "name", "is_direct" FROM "channel" ORDER BY "active" DESC, "id"`, nil, func(rows *sql.Rows) error {
		var c analytics.NamedChannel
		var direct bool
		if err := rows.Scan(&c.ID, &c.Name, &direct); err != nil {
			return err
		}
		ci.direct[c.ID] = direct
		for _, n := range named {
			if n.Name == c.Name {
				return nil
			}
		}
		named = append(named, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	if set, err := analytics.NewChannelSet(named); err == nil {
		ci.offline = set.Offline
	}
	return ci, nil
}
