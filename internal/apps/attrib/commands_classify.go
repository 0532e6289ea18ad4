package attrib

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/analytics"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// classify_channels (spec/domain.md §8) sets channel_id, pattern_id,
// campaign_id and segment of every visit starting in the day:
//
//  1. visits the offline import created (utm_source = utm_medium =
//     "offline", no page view) are Offline;
//  2. every other visit gets analytics.Classifier.Classify over the active
//     patterns of active channels, the account's domain and payment
//     referrers;
//  3. per visitor in time order, a payment-referrer visit takes the
//     channel of the visitor's previous visit (its final channel, as
//     stored for earlier days), Direct if none;
//  4. advanced patterns (segmenter rules of kind advanced_pattern, active,
//     not deleted, priority then id order; the first that matches wins)
//     move the visit to their target pattern's channel; a rule whose
//     target pattern is missing or inactive is skipped;
//  5. visitor-segment rules (kind visitor_segment, same order) set segment
//     to the first matching rule's segment_name, else "";
//  6. campaign_id is the active campaign whose utm_campaign equals the
//     visit's (case-insensitive), preferring one of the visit's channel,
//     then one without a channel, then the lowest id.
//
// Direct and Referral are the fallbacks, so every visit gets exactly one
// channel even when patterns are deactivated (an inactive Direct or
// Referral channel is still used as the fallback). Only changed rows are
// written, in one transaction.
func runClassifyChannels(ctx context.Context, env *command.Env) error {
	d := dayOf(env)
	var stats struct{ visits, changed int }
	err := env.DB.InTx(ctx, func(tx *db.Tx) error {
		cfg, err := loadClassifyConfig(ctx, tx, env)
		if err != nil {
			return err
		}
		visits, err := loadClassifyVisits(ctx, tx, d)
		if err != nil {
			return err
		}
		stats.visits = len(visits)
		env.Progress(0, int64(len(visits)))
		var seg *segmentData
		if len(cfg.advanced)+len(cfg.segments) > 0 {
			if seg, err = loadSegmentData(ctx, tx, d, cfg); err != nil {
				return err
			}
		}
		// Base classification.
		for _, v := range visits {
			if v.isOffline() && cfg.offline > 0 {
				v.res = analytics.Result{ChannelID: cfg.offline, Step: analytics.StepPattern, Reason: "offline sale"}
				continue
			}
			v.res = cfg.cls.Classify(v.in)
		}
		// The channel before the day of visitors whose first visit keeps it.
		var need []int64
		for i, v := range visits {
			if v.res.KeepPrevious && (i == 0 || visits[i-1].visitorID != v.visitorID) {
				need = append(need, v.visitorID)
			}
		}
		prev, err := previousChannels(ctx, tx, d, need)
		if err != nil {
			return err
		}
		var rows [][]any
		for i, v := range visits {
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			first := i == 0 || visits[i-1].visitorID != v.visitorID
			ch, pat := v.res.ChannelID, v.res.PatternID
			if v.res.KeepPrevious {
				p := cfg.direct
				if !first {
					p = visits[i-1].channel
				} else if c := prev[v.visitorID]; c > 0 {
					p = c
				}
				ch, pat = p, 0
			}
			segment := ""
			if seg != nil {
				sc := seg.context(v, first, cfg.names[ch])
				for _, r := range cfg.advanced {
					if r.rule.Match(sc) {
						ch, pat = r.channel, r.pattern
						sc.Channel = cfg.names[ch]
						sc.VisitorChannels[len(sc.VisitorChannels)-1] = sc.Channel
						break
					}
				}
				for _, r := range cfg.segments {
					if r.rule.Match(sc) {
						segment = clipRunes(r.segment, 64)
						break
					}
				}
				seg.after(v, cfg.names[ch])
			}
			v.channel = ch
			camp := cfg.campaign(v.utmCampaign, ch)
			if !v.stored.Valid || v.stored.Int64 != ch || idOf(v.storedPattern) != pat || idOf(v.storedCampaign) != camp || v.storedSegment != segment {
				rows = append(rows, []any{v.id, ch, nullID(pat), nullID(camp), segment})
			}
		}
		stats.changed = len(rows)
		if err := updateClassification(ctx, tx, rows); err != nil {
			return err
		}
		env.Progress(int64(len(visits)), int64(len(visits)))
		return bump(ctx, tx, "visit")
	})
	if err != nil {
		return errf(env, CmdClassifyChannels, err)
	}
	env.Log.Info("channels classified", "visits", stats.visits, "changed", stats.changed)
	return nil
}

// classifyConfig is the account's classification configuration.
type classifyConfig struct {
	cls       *analytics.Classifier
	direct    int64
	offline   int64
	names     map[int64]string // every channel, by id
	campaigns map[string][]campaignRow
	advanced  []compiledRule
	segments  []compiledRule
}

type campaignRow struct{ id, channel int64 }

type compiledRule struct {
	id               int64
	rule             *analytics.Rule
	pattern, channel int64 // advanced_pattern target
	segment          string
}

func loadClassifyConfig(ctx context.Context, tx *db.Tx, env *command.Env) (*classifyConfig, error) {
	cfg := &classifyConfig{names: map[int64]string{}, campaigns: map[string][]campaignRow{}}
	var active, all []analytics.NamedChannel
	activeChannel := map[int64]bool{}
	err := db.QueryEach(ctx, tx, `SELECT "id", "name", "active" FROM "channel" ORDER BY "id"`, nil, func(rows *sql.Rows) error {
		var c analytics.NamedChannel
		var on bool
		if err := rows.Scan(&c.ID, &c.Name, &on); err != nil {
			return err
		}
		cfg.names[c.ID] = c.Name
		all = append(all, c)
		if on {
			active = append(active, c)
			activeChannel[c.ID] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	set, err := analytics.NewChannelSet(active)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	if set.Direct == 0 || set.Referral == 0 {
		// The fallbacks must exist: use them even when deactivated.
		full, err := analytics.NewChannelSet(all)
		if err != nil {
			return nil, fmt.Errorf("channels: %w", err)
		}
		set.Direct, set.Referral = cmp.Or(set.Direct, full.Direct), cmp.Or(set.Referral, full.Referral)
	}
	cfg.direct, cfg.offline = set.Direct, set.Offline

	var patterns []analytics.Pattern
	targets := map[int64]int64{} // active pattern -> channel
	err = db.QueryEach(ctx, tx, `SELECT "id", "channel_id", "pattern", "match_on", "priority", "active" FROM "pattern" ORDER BY "priority", "id"`, nil,
		func(rows *sql.Rows) error {
			var id, ch int64
			var expr, on string
			var prio int
			var act bool
			if err := rows.Scan(&id, &ch, &expr, &on, &prio, &act); err != nil {
				return err
			}
			if !act || !activeChannel[ch] {
				return nil
			}
			p, err := analytics.CompilePattern(id, ch, expr, on, prio, true)
			if err != nil {
				env.Log.Warn("pattern skipped", "err", err)
				return nil
			}
			patterns = append(patterns, p)
			targets[id] = ch
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("patterns: %w", err)
	}
	var payments []string
	err = db.QueryEach(ctx, tx, `SELECT "domain" FROM "payment_referrer" ORDER BY "domain"`, nil, func(rows *sql.Rows) error {
		var s string
		err := rows.Scan(&s)
		payments = append(payments, s)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("payment referrers: %w", err)
	}
	if cfg.cls, err = analytics.NewClassifier(patterns, set, env.Account.Domain, payments); err != nil {
		return nil, err
	}
	err = db.QueryEach(ctx, tx, `SELECT "id", "channel_id", "utm_campaign" FROM "campaign" WHERE "active" = TRUE AND "utm_campaign" <> '' ORDER BY "id"`, nil,
		func(rows *sql.Rows) error {
			var c campaignRow
			var ch sql.NullInt64
			var utm string
			if err := rows.Scan(&c.id, &ch, &utm); err != nil {
				return err
			}
			c.channel = idOf(ch)
			k := strings.ToLower(strings.TrimSpace(utm))
			cfg.campaigns[k] = append(cfg.campaigns[k], c)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	if err := loadRules(ctx, tx, env, cfg, targets); err != nil {
		return nil, fmt.Errorf("segmenter rules: %w", err)
	}
	return cfg, nil
}

func loadRules(ctx context.Context, tx *db.Tx, env *command.Env, cfg *classifyConfig, targets map[int64]int64) error {
	type ruleRow struct {
		id                  int64
		kind, expr, segment string
		target              sql.NullInt64
		conds               []analytics.Condition
	}
	var rules []*ruleRow
	byID := map[int64]*ruleRow{}
	err := db.QueryEach(ctx, tx, `SELECT "id", "kind", "expression", "target_pattern_id", "segment_name" FROM "segmenter_rule"
		WHERE "active" = TRUE AND "deleted" = FALSE ORDER BY "priority", "id"`, nil, func(rows *sql.Rows) error {
		r := &ruleRow{}
		if err := rows.Scan(&r.id, &r.kind, &r.expr, &r.target, &r.segment); err != nil {
			return err
		}
		rules = append(rules, r)
		byID[r.id] = r
		return nil
	})
	if err != nil || len(rules) == 0 {
		return err
	}
	err = db.QueryEach(ctx, tx, `SELECT c."rule_id", c."number", c."function", c."operator", c."value" FROM "segmenter_condition" c
		JOIN "segmenter_rule" r ON r."id" = c."rule_id" WHERE r."active" = TRUE AND r."deleted" = FALSE ORDER BY c."rule_id", c."number"`, nil,
		func(rows *sql.Rows) error {
			var id int64
			var c analytics.Condition
			if err := rows.Scan(&id, &c.Number, &c.Function, &c.Operator, &c.Value); err != nil {
				return err
			}
			if r := byID[id]; r != nil {
				r.conds = append(r.conds, c)
			}
			return nil
		})
	if err != nil {
		return err
	}
	for _, r := range rules {
		rule, err := analytics.CompileRule(r.expr, r.conds)
		if err != nil {
			env.Log.Warn("segmenter rule skipped", "rule", r.id, "err", err)
			continue
		}
		switch r.kind {
		case "advanced_pattern":
			ch, ok := targets[idOf(r.target)]
			if !ok {
				env.Log.Warn("advanced pattern skipped: its target pattern is missing or inactive", "rule", r.id)
				continue
			}
			cfg.advanced = append(cfg.advanced, compiledRule{id: r.id, rule: rule, pattern: r.target.Int64, channel: ch})
		case "visitor_segment":
			cfg.segments = append(cfg.segments, compiledRule{id: r.id, rule: rule, segment: r.segment})
		}
	}
	return nil
}

// campaign picks the campaign row of a utm_campaign for a channel.
func (cfg *classifyConfig) campaign(utm string, channel int64) int64 {
	cs := cfg.campaigns[strings.ToLower(strings.TrimSpace(utm))]
	if len(cs) == 0 {
		return 0
	}
	for _, c := range cs {
		if c.channel == channel {
			return c.id
		}
	}
	for _, c := range cs {
		if c.channel == 0 {
			return c.id
		}
	}
	return cs[0].id
}

// classifyVisit is one visit of the day.
type classifyVisit struct {
	id, visitorID  int64
	startedAt      time.Time
	in             analytics.Visit
	utmCampaign    string
	pageViews      int
	stored         sql.NullInt64
	storedPattern  sql.NullInt64
	storedCampaign sql.NullInt64
	storedSegment  string
	res            analytics.Result
	channel        int64 // final
}

func (v *classifyVisit) isOffline() bool {
	return v.pageViews == 0 && v.in.UTMSource == "offline" && v.in.UTMMedium == "offline"
}

// loadClassifyVisits reads the day's visits, by visitor and time.
func loadClassifyVisits(ctx context.Context, tx *db.Tx, d day) ([]*classifyVisit, error) {
	var out []*classifyVisit
	err := db.QueryEach(ctx, tx, `SELECT "id", "visitor_id", "started_at", "referrer", "referrer_host", "landing_url", "utm_source", "utm_medium",
		"utm_campaign", "utm_term", "utm_content", "click_id_type", "click_id", "page_views", "channel_id", "pattern_id", "campaign_id", "segment"
		FROM "visit" WHERE "started_at" >= ? AND "started_at" < ?`, []any{d.start, d.end}, func(rows *sql.Rows) error {
		v := &classifyVisit{}
		in := &v.in
		if err := rows.Scan(&v.id, &v.visitorID, &v.startedAt, &in.Referrer, &in.ReferrerHost, &in.LandingURL, &in.UTMSource, &in.UTMMedium,
			&in.UTMCampaign, &in.UTMTerm, &in.UTMContent, &in.ClickIDType, &in.ClickID, &v.pageViews, &v.stored, &v.storedPattern,
			&v.storedCampaign, &v.storedSegment); err != nil {
			return err
		}
		v.startedAt = utc(v.startedAt)
		v.utmCampaign = in.UTMCampaign
		out = append(out, v)
		return nil
	})
	slices.SortFunc(out, func(a, b *classifyVisit) int {
		return cmp.Or(cmp.Compare(a.visitorID, b.visitorID), a.startedAt.Compare(b.startedAt), cmp.Compare(a.id, b.id))
	})
	return out, err
}

// previousChannels returns, for visitors, the stored channel of their last
// visit before the day.
func previousChannels(ctx context.Context, tx *db.Tx, d day, visitors []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, id := range visitors {
		var ch sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT "channel_id" FROM "visit" WHERE "visitor_id" = ? AND "started_at" < ? AND "channel_id" IS NOT NULL
			ORDER BY "started_at" DESC, "id" DESC LIMIT 1`, id, d.start).Scan(&ch)
		if err != nil && err != sql.ErrNoRows {
			return nil, err
		}
		out[id] = idOf(ch)
	}
	return out, nil
}

// segmentData is what segmenter conditions read beyond the visit itself.
type segmentData struct {
	labels, events map[int64][]string // visit -> label keys, event names
	priorCount     map[int64]int      // visitor -> visits before the day
	priorChannels  map[int64][]string // visitor -> channel names before the day (and so far in the day)
	count          map[int64]int      // visitor -> visits so far in the day
}

func loadSegmentData(ctx context.Context, tx *db.Tx, d day, cfg *classifyConfig) (*segmentData, error) {
	s := &segmentData{labels: map[int64][]string{}, events: map[int64][]string{}, priorCount: map[int64]int{},
		priorChannels: map[int64][]string{}, count: map[int64]int{}}
	add := func(m map[int64][]string) func(*sql.Rows) error {
		return func(rows *sql.Rows) error {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				return err
			}
			if !slices.Contains(m[id], v) {
				m[id] = append(m[id], v)
			}
			return nil
		}
	}
	if err := db.QueryEach(ctx, tx, `SELECT l."visit_id", l."key" FROM "visit" v JOIN "label" l ON l."visit_id" = v."id"
		WHERE v."started_at" >= ? AND v."started_at" < ? ORDER BY l."visit_id", l."key"`, []any{d.start, d.end}, add(s.labels)); err != nil {
		return nil, err
	}
	if err := db.QueryEach(ctx, tx, `SELECT e."visit_id", e."name" FROM "visit" v JOIN "event" e ON e."visit_id" = v."id"
		WHERE v."started_at" >= ? AND v."started_at" < ? ORDER BY e."visit_id", e."ts", e."id"`, []any{d.start, d.end}, add(s.events)); err != nil {
		return nil, err
	}
	err := db.QueryEach(ctx, tx, `SELECT DISTINCT p."id", p."visitor_id", p."started_at", p."channel_id" FROM "visit" v
		JOIN "visit" p ON p."visitor_id" = v."visitor_id" AND p."started_at" < ?
		WHERE v."started_at" >= ? AND v."started_at" < ? ORDER BY p."visitor_id", p."started_at", p."id"`, []any{d.start, d.start, d.end},
		func(rows *sql.Rows) error {
			var id, visitor int64
			var at time.Time
			var ch sql.NullInt64
			if err := rows.Scan(&id, &visitor, &at, &ch); err != nil {
				return err
			}
			s.priorCount[visitor]++
			if name := cfg.names[idOf(ch)]; name != "" && !slices.Contains(s.priorChannels[visitor], name) {
				s.priorChannels[visitor] = append(s.priorChannels[visitor], name)
			}
			return nil
		})
	return s, err
}

// context is the segmenter context of v, whose channel so far is channel.
// VisitorChannels ends with the visit's own channel.
func (s *segmentData) context(v *classifyVisit, first bool, channel string) *analytics.SegmentContext {
	if first {
		s.count[v.visitorID] = 0
	}
	chans := append(slices.Clone(s.priorChannels[v.visitorID]), channel)
	return &analytics.SegmentContext{
		Channel: channel, Referrer: v.in.Referrer, LandingURL: v.in.LandingURL, UTMSource: v.in.UTMSource, UTMMedium: v.in.UTMMedium,
		UTMCampaign: v.in.UTMCampaign, UTMTerm: v.in.UTMTerm, UTMContent: v.in.UTMContent,
		LabelKeys: s.labels[v.id], EventNames: s.events[v.id],
		VisitorVisitCount: s.priorCount[v.visitorID] + s.count[v.visitorID] + 1,
		VisitorChannels:   chans,
	}
}

// after records v's final channel for the visitor's later visits.
func (s *segmentData) after(v *classifyVisit, channel string) {
	s.count[v.visitorID]++
	if channel != "" && !slices.Contains(s.priorChannels[v.visitorID], channel) {
		s.priorChannels[v.visitorID] = append(s.priorChannels[v.visitorID], channel)
	}
}

// updateClassification writes (id, channel, pattern, campaign, segment)
// rows, in id order. On SQLite one prepared UPDATE per row is the fastest
// (an UPDATE ... FROM (VALUES ...) costs five times more there); on
// PostgreSQL one batched UPDATE ... FROM (VALUES ...) per 400 rows saves
// the round trips.
func updateClassification(ctx context.Context, tx *db.Tx, rows [][]any) error {
	slices.SortFunc(rows, func(a, b []any) int { return cmp.Compare(a[0].(int64), b[0].(int64)) })
	if tx.Dialect() == db.SQLite {
		st, err := tx.SQL().PrepareContext(ctx, `UPDATE "visit" SET "channel_id" = ?, "pattern_id" = ?, "campaign_id" = ?, "segment" = ? WHERE "id" = ?`)
		if err != nil {
			return fmt.Errorf("update visits: %w", err)
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r[1], r[2], r[3], r[4], r[0]); err != nil {
				return fmt.Errorf("update visit %d: %w", r[0], err)
			}
		}
		return nil
	}
	const tuple = `(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT))`
	per := db.MaxParams / 5
	for i := 0; i < len(rows); i += per {
		part := rows[i:min(i+per, len(rows))]
		var b strings.Builder
		b.WriteString(`UPDATE "visit" SET "channel_id" = u.column2, "pattern_id" = u.column3, "campaign_id" = u.column4, "segment" = u.column5 FROM (VALUES `)
		args := make([]any, 0, len(part)*5)
		for j, r := range part {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, r...)
		}
		b.WriteString(`) AS u WHERE "visit"."id" = u.column1`)
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("update visits: %w", err)
		}
	}
	return nil
}
