package attrib

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/analytics"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// attrModel is an active attribution_model row.
type attrModel struct {
	id       int64
	code     string
	params   analytics.Params
	lookback int // days; 0 = the touches as built
	model    analytics.Model
}

// attrTouch is a stored touchpoint.
type attrTouch struct {
	seq               int
	visit             sql.NullInt64
	channel, campaign sql.NullInt64
	touch             analytics.Touch
}

type attrSale struct {
	id        int64
	visitorID int64
	revenue   int64
	macro     bool
	touches   []attrTouch
}

// attribute_sales (spec/domain.md §10): for every sale of the day and
// every active attribution model, one sale_attribution row per touch with
// the model's credit (analytics.NewModel; credits sum to exactly 1) and
// revenue_minor_credit = credit × revenue. A model with its own
// lookback_days credits only the touches within it (the last touch at
// least).
//
// data_driven is trained (analytics.TrainMarkov) on the day's paths:
// each converting sale's touch channels (sales of macro goals; all sales
// when none of the day's is), and, as non-converting journeys, every
// other visitor who visited that day, with the channels of their visits
// in the account's lookback window up to the end of the day.
//
// The day's rows are deleted and inserted in one transaction.
func runAttributeSales(ctx context.Context, env *command.Env) error {
	d := dayOf(env)
	var nRows, nSales, nPaths int
	err := env.DB.InTx(ctx, func(tx *db.Tx) error {
		models, err := loadModels(ctx, tx)
		if err != nil {
			return err
		}
		sales, err := loadAttrSales(ctx, tx, d)
		if err != nil {
			return err
		}
		nSales = len(sales)
		if _, err := tx.Exec(ctx, `DELETE FROM "sale_attribution" WHERE "sale_id" IN (SELECT "id" FROM "sale" WHERE "date" = ?)`, d.date); err != nil {
			return fmt.Errorf("delete attribution: %w", err)
		}
		for _, m := range models {
			var weights *analytics.MarkovWeights
			if m.code == analytics.ModelDataDriven {
				paths, err := markovPaths(ctx, tx, d, lookbackDays(env), sales)
				if err != nil {
					return err
				}
				nPaths = len(paths)
				weights = analytics.TrainMarkov(paths)
			}
			if m.model, err = analytics.NewModel(m.code, m.params, weights); err != nil {
				return fmt.Errorf("attribution model %d (%s): %w", m.id, m.code, err)
			}
		}
		var rows [][]any
		for _, s := range sales {
			if len(s.touches) == 0 {
				continue
			}
			for _, m := range models {
				ts := s.touches
				if m.lookback > 0 {
					limit := int64(m.lookback) * 86400
					first := len(ts) - 1
					for first > 0 && ts[first-1].touch.SecondsBeforeSale <= limit {
						first--
					}
					ts = ts[first:]
				}
				in := make([]analytics.Touch, len(ts))
				for i, t := range ts {
					in[i] = t.touch
				}
				credits := m.model.Credits(in)
				for i, t := range ts {
					rows = append(rows, []any{s.id, m.id, t.seq, nullable(t.channel), nullable(t.campaign), nullable(t.visit),
						credits[i], credits[i] * float64(s.revenue)})
				}
			}
		}
		nRows = len(rows)
		if err := db.InsertRows(ctx, tx, "sale_attribution", []string{"sale_id", "model_id", "seq", "channel_id", "campaign_id", "visit_id",
			"credit", "revenue_minor_credit"}, rows); err != nil {
			return err
		}
		return bump(ctx, tx, "sale_attribution")
	})
	if err != nil {
		return errf(env, CmdAttributeSales, err)
	}
	env.Log.Info("sales attributed", "sales", nSales, "rows", nRows, "markov_paths", nPaths)
	return nil
}

func nullable(n sql.NullInt64) any {
	if n.Valid {
		return n.Int64
	}
	return nil
}

func loadModels(ctx context.Context, q db.Querier) ([]*attrModel, error) {
	var out []*attrModel
	err := db.QueryEach(ctx, q, `SELECT "id", "code", "params", "lookback_days" FROM "attribution_model" WHERE "active" = TRUE ORDER BY "id"`, nil,
		func(rows *sql.Rows) error {
			m := &attrModel{}
			var params sql.NullString
			var lb sql.NullInt64
			if err := rows.Scan(&m.id, &m.code, &params, &lb); err != nil {
				return err
			}
			if p := strings.TrimSpace(params.String); p != "" && p != "null" {
				if err := json.Unmarshal([]byte(p), &m.params); err != nil {
					return fmt.Errorf("attribution model %d: params: %w", m.id, err)
				}
			}
			if lb.Valid && lb.Int64 > 0 {
				m.lookback = int(lb.Int64)
			}
			out = append(out, m)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("attribution models: %w", err)
	}
	return out, nil
}

// loadAttrSales reads the day's sales with their touches, by sale id.
func loadAttrSales(ctx context.Context, tx *db.Tx, d day) ([]*attrSale, error) {
	var sales []*attrSale
	byID := map[int64]*attrSale{}
	err := db.QueryEach(ctx, tx, `SELECT s."id", s."visitor_id", s."revenue_minor", g."is_macro" FROM "sale" s LEFT JOIN "goal" g ON g."id" = s."goal_id"
		WHERE s."date" = ? ORDER BY s."id"`, []any{d.date}, func(rows *sql.Rows) error {
		s := &attrSale{}
		var visitor sql.NullInt64
		var macro sql.NullBool
		if err := rows.Scan(&s.id, &visitor, &s.revenue, &macro); err != nil {
			return err
		}
		s.visitorID, s.macro = idOf(visitor), macro.Bool
		sales = append(sales, s)
		byID[s.id] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sales: %w", err)
	}
	err = db.QueryEach(ctx, tx, `SELECT t."sale_id", t."seq", t."visit_id", t."channel_id", t."campaign_id", t."seconds_before_sale", t."is_direct"
		FROM "sale" s JOIN "touchpoint" t ON t."sale_id" = s."id" WHERE s."date" = ? ORDER BY t."sale_id", t."seq"`, []any{d.date},
		func(rows *sql.Rows) error {
			var id int64
			var t attrTouch
			if err := rows.Scan(&id, &t.seq, &t.visit, &t.channel, &t.campaign, &t.touch.SecondsBeforeSale, &t.touch.IsDirect); err != nil {
				return err
			}
			t.touch.ChannelID = idOf(t.channel)
			if s := byID[id]; s != nil {
				s.touches = append(s.touches, t)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("touchpoints: %w", err)
	}
	return sales, nil
}

// markovPaths are the day's journeys for the data-driven model.
func markovPaths(ctx context.Context, tx *db.Tx, d day, lookback int, sales []*attrSale) ([]analytics.Path, error) {
	anyMacro := false
	for _, s := range sales {
		anyMacro = anyMacro || s.macro
	}
	var paths []analytics.Path
	converted := map[int64]bool{}
	for _, s := range sales {
		if len(s.touches) == 0 || (anyMacro && !s.macro) {
			continue
		}
		p := analytics.Path{Converted: true, Channels: make([]int64, len(s.touches))}
		for i, t := range s.touches {
			p.Channels[i] = t.touch.ChannelID
		}
		paths = append(paths, p)
		converted[s.visitorID] = true
	}
	from := d.start.Add(-time.Duration(lookback) * 24 * time.Hour)
	var cur int64 = -1
	var path []int64
	flush := func() {
		if cur >= 0 && !converted[cur] && len(path) > 0 {
			paths = append(paths, analytics.Path{Channels: path})
		}
		path = nil
	}
	err := db.QueryEach(ctx, tx, `SELECT p."visitor_id", p."channel_id" FROM "visit" p
		WHERE p."visitor_id" IN (SELECT v."visitor_id" FROM "visit" v WHERE v."started_at" >= ? AND v."started_at" < ?)
		AND p."started_at" >= ? AND p."started_at" < ? ORDER BY p."visitor_id", p."started_at", p."id"`, []any{d.start, d.end, from, d.end},
		func(rows *sql.Rows) error {
			var visitor int64
			var ch sql.NullInt64
			if err := rows.Scan(&visitor, &ch); err != nil {
				return err
			}
			if visitor != cur {
				flush()
				cur = visitor
			}
			path = append(path, idOf(ch))
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("journeys: %w", err)
	}
	flush()
	return paths, nil
}
