package attrib

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/analytics"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
)

// sessionize (spec/domain.md §9) re-splits the collector's visits.
//
// The collector keys a visit by its session token, so one token's page
// views are one visit however long they run. sessionize cuts them with
// analytics.Sessionize: a gap over the account's session timeout or a new
// campaign in a page view's URL starts a new visit.
//
// Identity: a token's visit is a family. Its first part keeps the
// collector's row (the "root": same id, token, landing data and
// classification), so everything pointing at it stays valid. Each further
// part k ≥ 2 is a derived visit whose token is a function of the root's:
// "." + the first 24 hex digits of SHA-256(root token) + "." + k. The dot
// never occurs in a session token (letters, digits, - and _), so derived
// and collected tokens cannot collide, and a rerun finds, updates, adds or
// removes exactly the parts it computes: the result depends only on the
// family's page views and events, never on earlier runs. A family belongs
// to the local day its root starts on (the root's started_at is the
// family's earliest hit); a derived part may start on a later day and is
// then classified with that day.
//
// Page views and events are moved to the part that contains them (events
// to the part whose first page view is at or before them, the first part
// for earlier ones), with their labels; a derived part that is no longer
// needed is deleted after its rows moved. A derived part takes its landing
// URL, path and campaign from its first page view and device, browser, OS
// and country from the root; its referrer is empty (page views carry no
// referrer). Writes happen only where something changed, so a second run
// writes nothing; all in one transaction.
func runSessionize(ctx context.Context, env *command.Env) error {
	timeout := time.Duration(env.Account.SessionTimeoutMinutes) * time.Minute
	d := dayOf(env)
	var st sessionStats
	err := env.DB.InTx(ctx, func(tx *db.Tx) error {
		fams, total, err := loadFamilies(ctx, tx, d, timeout)
		if err != nil {
			return err
		}
		st.families, st.candidates = total, len(fams)
		env.Progress(0, int64(len(fams)))
		for i, f := range fams {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := f.resplit(ctx, tx, timeout, &st); err != nil {
				return fmt.Errorf("visit %s: %w", f.root.token, err)
			}
			if i%1000 == 999 {
				env.Progress(int64(i+1), int64(len(fams)))
			}
		}
		env.Progress(int64(len(fams)), int64(len(fams)))
		return bump(ctx, tx, "visit")
	})
	if err != nil {
		return errf(env, CmdSessionize, err)
	}
	env.Log.Info("sessionized", "sessions", st.families, "candidates", st.candidates, "visits_split", st.split, "visits_added", st.added,
		"visits_updated", st.updated, "visits_removed", st.removed, "hits_moved", st.moved)
	return nil
}

type sessionStats struct {
	families, candidates, split, added, updated, removed, moved int
}

// sessVisit is a visit row as sessionize reads and writes it.
type sessVisit struct {
	id, visitorID         int64
	token                 string
	startedAt, endedAt    time.Time
	pageViews             int
	isBounce              bool
	landingURL, path      string
	referrer, refHost     string
	campaign              analytics.Campaign
	device, browser, os   string
	country               string
	deleted, fresh, dirty bool
}

const sessVisitCols = `"id", "visitor_id", "token", "started_at", "ended_at", "page_views", "is_bounce", "landing_url", "landing_path",
	"referrer", "referrer_host", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "click_id_type", "click_id",
	"device", "browser", "os", "country"`

func scanSessVisit(rows *sql.Rows) (*sessVisit, error) {
	v := &sessVisit{}
	c := &v.campaign
	err := rows.Scan(&v.id, &v.visitorID, &v.token, &v.startedAt, &v.endedAt, &v.pageViews, &v.isBounce, &v.landingURL, &v.path,
		&v.referrer, &v.refHost, &c.UTMSource, &c.UTMMedium, &c.UTMCampaign, &c.UTMTerm, &c.UTMContent, &c.ClickIDType, &c.ClickID,
		&v.device, &v.browser, &v.os, &v.country)
	v.startedAt, v.endedAt = utc(v.startedAt), utc(v.endedAt)
	return v, err
}

// sessHit is a page view or event of a family.
type sessHit struct {
	id      int64
	visitID int64
	ts      time.Time
	key     string // hit_id: the tie-break of equal timestamps
	url     string
}

type family struct {
	root    *sessVisit
	prefix  string             // derived token prefix, "." + 24 hex + "."
	derived map[int]*sessVisit // part number (≥ 2) -> visit
	pvs     []sessHit
	evs     []sessHit
}

// derivedPrefix is the token prefix of a root's derived visits.
func derivedPrefix(rootToken string) string {
	sum := sha256.Sum256([]byte(rootToken))
	return "." + hex.EncodeToString(sum[:])[:24] + "."
}

// rootCond selects the day's roots (visits alias v).
const rootCond = `v."started_at" >= ? AND v."started_at" < ? AND v."token" NOT LIKE '.%'`

// campaignLike finds page views whose URL may carry a campaign (UTM
// parameters or a click id: gclid, msclkid, fbclid, ttclid, gbraid,
// wbraid), case-insensitively (SQLite's LIKE is, for ASCII);
// ParseLanding decides.
func campaignLike(dialect string) string {
	like := "LIKE"
	if dialect == db.Postgres {
		like = "ILIKE"
	}
	return `(p."url" ` + like + ` '%utm%' OR p."url" ` + like + ` '%clid%' OR p."url" ` + like + ` '%braid%')`
}

// loadFamilies reads the families of the day's roots that may need
// re-splitting, with their derived visits, page views and events. The
// others are left alone, since the collector's row is already exactly
// what re-splitting would write: a family needs it only when it has
// derived visits, when it spans more than the timeout (or there can be no
// gap over it), or when a page view other than the landing one carries a
// campaign (the landing one is counted when the root has a campaign).
// total is the number of roots of the day.
func loadFamilies(ctx context.Context, tx *db.Tx, d day, timeout time.Duration) (fams []*family, total int, err error) {
	if timeout <= 0 {
		timeout = analytics.DefaultSessionTimeout
	}
	type rootInfo struct {
		id, visitor       int64
		token             string
		start, end        time.Time
		pageViews         int
		campaign, derived bool
		campaignPVs       int
	}
	var roots []*rootInfo
	byID := map[int64]*rootInfo{}
	byPrefix := map[string]*rootInfo{}
	err = db.QueryEach(ctx, tx, `SELECT v."id", v."visitor_id", v."token", v."started_at", v."ended_at", v."page_views",
		CASE WHEN v."utm_source" <> '' OR v."utm_medium" <> '' OR v."utm_campaign" <> '' OR v."utm_term" <> '' OR v."utm_content" <> ''
			OR v."click_id_type" <> '' OR v."click_id" <> '' THEN 1 ELSE 0 END
		FROM "visit" v WHERE `+rootCond, []any{d.start, d.end}, func(rows *sql.Rows) error {
		r := &rootInfo{}
		var camp int
		if err := rows.Scan(&r.id, &r.visitor, &r.token, &r.start, &r.end, &r.pageViews, &camp); err != nil {
			return err
		}
		r.campaign = camp == 1
		roots = append(roots, r)
		byID[r.id] = r
		byPrefix[derivedPrefix(r.token)] = r
		return nil
	})
	if err != nil || len(roots) == 0 {
		return nil, len(roots), err
	}
	// Derived visits of the roots' visitors (other roots' parts are
	// ignored). On SQLite a look at the token index says whether the
	// account has any derived visit at all.
	anyDerived := true
	if tx.Dialect() == db.SQLite {
		var one int
		switch err := tx.QueryRow(ctx, `SELECT 1 FROM "visit" WHERE "token" >= '.' AND "token" < '/' LIMIT 1`).Scan(&one); {
		case errors.Is(err, sql.ErrNoRows):
			anyDerived = false
		case err != nil:
			return nil, 0, err
		}
	}
	derived := map[int64][]*sessVisit{} // root id -> its derived visits
	if anyDerived {
		err = db.QueryEach(ctx, tx, `SELECT DISTINCT `+prefixCols("d", sessVisitCols)+` FROM "visit" v JOIN "visit" d ON d."visitor_id" = v."visitor_id"
			WHERE `+rootCond+` AND d."token" LIKE '.%'`, []any{d.start, d.end}, func(rows *sql.Rows) error {
			v, err := scanSessVisit(rows)
			if err != nil {
				return err
			}
			if len(v.token) <= 26 {
				return nil
			}
			r := byPrefix[v.token[:26]]
			if r == nil {
				return nil
			}
			r.derived = true
			derived[r.id] = append(derived[r.id], v)
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	err = db.QueryEach(ctx, tx, `SELECT p."visit_id", COUNT(*) FROM "visit" v JOIN "page_view" p ON p."visit_id" = v."id" WHERE `+rootCond+`
		AND v."page_views" > 1 AND `+campaignLike(tx.Dialect())+` GROUP BY p."visit_id"`, []any{d.start, d.end}, func(rows *sql.Rows) error {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		if r := byID[id]; r != nil {
			r.campaignPVs = n
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	var ids []int64 // candidate roots
	for _, r := range roots {
		if r.derived || (r.pageViews > 1 && (r.end.Sub(r.start) > timeout || r.campaignPVs > 1 || (r.campaignPVs == 1 && !r.campaign))) {
			ids = append(ids, r.id)
		}
	}
	if len(ids) == 0 {
		return nil, len(roots), nil
	}
	famByID := map[int64]*family{}
	err = eachChunk(ids, inChunk, func(part []int64) error {
		return db.QueryEach(ctx, tx, `SELECT `+sessVisitCols+` FROM "visit" WHERE "id" IN (`+db.Marks(len(part))+`)`, anys(part), func(rows *sql.Rows) error {
			v, err := scanSessVisit(rows)
			if err != nil {
				return err
			}
			f := &family{root: v, prefix: derivedPrefix(v.token), derived: map[int]*sessVisit{}}
			famByID[v.id] = f
			return nil
		})
	})
	if err != nil {
		return nil, 0, err
	}
	owner := map[int64]*family{} // visit id (root or derived) -> family
	var visitIDs []int64
	for _, id := range ids {
		f := famByID[id]
		if f == nil {
			continue
		}
		fams = append(fams, f)
		owner[id] = f
		visitIDs = append(visitIDs, id)
		for _, v := range derived[id] {
			k, perr := strconv.Atoi(v.token[26:])
			if perr != nil || k < 2 {
				continue
			}
			f.derived[k] = v
			owner[v.id] = f
			visitIDs = append(visitIDs, v.id)
		}
	}
	addHit := func(pv bool) func(*sql.Rows) error {
		return func(rows *sql.Rows) error {
			var h sessHit
			if err := rows.Scan(&h.id, &h.visitID, &h.ts, &h.key, &h.url); err != nil {
				return err
			}
			h.ts = utc(h.ts)
			f := owner[h.visitID]
			switch {
			case f == nil:
			case pv:
				f.pvs = append(f.pvs, h)
			default:
				f.evs = append(f.evs, h)
			}
			return nil
		}
	}
	slices.Sort(visitIDs)
	err = eachChunk(visitIDs, inChunk, func(part []int64) error {
		if err := db.QueryEach(ctx, tx, `SELECT "id", "visit_id", "ts", "hit_id", "url" FROM "page_view" WHERE "visit_id" IN (`+db.Marks(len(part))+`)`,
			anys(part), addHit(true)); err != nil {
			return err
		}
		return db.QueryEach(ctx, tx, `SELECT "id", "visit_id", "ts", "hit_id", '' FROM "event" WHERE "visit_id" IN (`+db.Marks(len(part))+`)`,
			anys(part), addHit(false))
	})
	if err != nil {
		return nil, 0, err
	}
	byTime := func(a, b sessHit) int { return cmp.Or(a.ts.Compare(b.ts), strings.Compare(a.key, b.key)) }
	for _, f := range fams {
		slices.SortFunc(f.pvs, byTime)
		slices.SortFunc(f.evs, byTime)
	}
	return fams, len(roots), nil
}

// prefixCols qualifies a column list with a table alias.
func prefixCols(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// resplit computes the family's parts and writes what differs.
func (f *family) resplit(ctx context.Context, tx *db.Tx, timeout time.Duration, st *sessionStats) error {
	if len(f.pvs) == 0 {
		return nil // an event-only session: nothing to split
	}
	hits := make([]analytics.Hit, len(f.pvs))
	for i, p := range f.pvs {
		hits[i] = analytics.NewHit(p.ts, p.url)
	}
	parts, err := analytics.Sessionize(hits, timeout)
	if err != nil {
		return err
	}
	if len(parts) > 1 {
		st.split++
	}
	// Events go to the last part starting at or before them.
	evPart := make([]int, len(f.evs))
	for i, e := range f.evs {
		k := 0
		for k+1 < len(parts) && !parts[k+1].StartedAt.After(e.ts) {
			k++
		}
		evPart[i] = k
	}
	targets := make([]*sessVisit, len(parts))
	for k, p := range parts {
		start, end := p.StartedAt, p.EndedAt
		for i, e := range f.evs {
			if evPart[i] == k {
				if e.ts.Before(start) {
					start = e.ts
				}
				if e.ts.After(end) {
					end = e.ts
				}
			}
		}
		if k == 0 {
			r := f.root
			if !r.startedAt.Equal(start) || !r.endedAt.Equal(end) || r.pageViews != p.PageViews || r.isBounce != p.IsBounce {
				r.startedAt, r.endedAt, r.pageViews, r.isBounce, r.dirty = start, end, p.PageViews, p.IsBounce, true
			}
			targets[0] = r
			continue
		}
		want := &sessVisit{
			visitorID: f.root.visitorID, token: f.prefix + strconv.Itoa(k+1), startedAt: start, endedAt: end,
			pageViews: p.PageViews, isBounce: p.IsBounce, landingURL: clipRunes(p.LandingURL, 2000), path: clipRunes(p.Landing.Path, 2000),
			campaign: clipCampaign(p.Landing.Campaign), device: f.root.device, browser: f.root.browser, os: f.root.os, country: f.root.country,
		}
		have := f.derived[k+1]
		switch {
		case have == nil:
			want.fresh = true
		case !sameVisit(have, want):
			want.id, want.dirty = have.id, true
		default:
			want = have
		}
		targets[k] = want
	}
	for k, n := range f.derived {
		if k > len(parts) {
			n.deleted = true
		}
	}
	// Write the parts, then move hits, then drop unused parts.
	for _, v := range targets {
		switch {
		case v.fresh:
			id, err := db.InsertID(ctx, tx, `INSERT INTO "visit" ("visitor_id", "token", "started_at", "ended_at", "page_views", "is_bounce",
				"landing_url", "landing_path", "referrer", "referrer_host", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
				"click_id_type", "click_id", "device", "browser", "os", "country") VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				v.visitorID, v.token, v.startedAt, v.endedAt, v.pageViews, v.isBounce, v.landingURL, v.path,
				v.campaign.UTMSource, v.campaign.UTMMedium, v.campaign.UTMCampaign, v.campaign.UTMTerm, v.campaign.UTMContent,
				v.campaign.ClickIDType, v.campaign.ClickID, v.device, v.browser, v.os, v.country)
			if err != nil {
				return fmt.Errorf("add visit %s: %w", v.token, err)
			}
			v.id = id
			st.added++
		case v.dirty && v == f.root:
			if _, err := tx.Exec(ctx, `UPDATE "visit" SET "started_at" = ?, "ended_at" = ?, "page_views" = ?, "is_bounce" = ? WHERE "id" = ?`,
				v.startedAt, v.endedAt, v.pageViews, v.isBounce, v.id); err != nil {
				return err
			}
			st.updated++
		case v.dirty:
			if _, err := tx.Exec(ctx, `UPDATE "visit" SET "started_at" = ?, "ended_at" = ?, "page_views" = ?, "is_bounce" = ?, "landing_url" = ?,
				"landing_path" = ?, "referrer" = '', "referrer_host" = '', "utm_source" = ?, "utm_medium" = ?, "utm_campaign" = ?, "utm_term" = ?,
				"utm_content" = ?, "click_id_type" = ?, "click_id" = ?, "device" = ?, "browser" = ?, "os" = ?, "country" = ? WHERE "id" = ?`,
				v.startedAt, v.endedAt, v.pageViews, v.isBounce, v.landingURL, v.path, v.campaign.UTMSource, v.campaign.UTMMedium,
				v.campaign.UTMCampaign, v.campaign.UTMTerm, v.campaign.UTMContent, v.campaign.ClickIDType, v.campaign.ClickID,
				v.device, v.browser, v.os, v.country, v.id); err != nil {
				return err
			}
			st.updated++
		}
	}
	move := map[int64][]int64{} // target visit -> page view ids
	for i, p := range f.pvs {
		k := partOf(parts, i)
		if t := targets[k].id; p.visitID != t {
			move[t] = append(move[t], p.id)
		}
	}
	if err := moveRows(ctx, tx, "page_view", move, st); err != nil {
		return err
	}
	move = map[int64][]int64{}
	for i, e := range f.evs {
		if t := targets[evPart[i]].id; e.visitID != t {
			move[t] = append(move[t], e.id)
		}
	}
	if err := moveRows(ctx, tx, "event", move, st); err != nil {
		return err
	}
	for _, n := range sortedParts(f.derived) {
		if !n.deleted {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE "label" SET "visit_id" = ? WHERE "visit_id" = ?`, f.root.id, n.id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM "visit" WHERE "id" = ?`, n.id); err != nil {
			return err
		}
		st.removed++
	}
	return nil
}

// partOf returns the part holding page view i.
func partOf(parts []analytics.SessionVisit, i int) int {
	for k, p := range parts {
		if i >= p.Start && i < p.End {
			return k
		}
	}
	return 0
}

// moveRows points page views or events (and an event's labels) at their
// new visit.
func moveRows(ctx context.Context, tx *db.Tx, table string, move map[int64][]int64, st *sessionStats) error {
	targets := make([]int64, 0, len(move))
	for t := range move {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	for _, t := range targets {
		ids := move[t]
		err := eachChunk(ids, inChunk, func(part []int64) error {
			args := append([]any{t}, anys(part)...)
			if _, err := tx.Exec(ctx, `UPDATE `+db.QuoteIdent(table)+` SET "visit_id" = ? WHERE "id" IN (`+db.Marks(len(part))+`)`, args...); err != nil {
				return err
			}
			if table == "event" {
				if _, err := tx.Exec(ctx, `UPDATE "label" SET "visit_id" = ? WHERE "event_id" IN (`+db.Marks(len(part))+`)`, args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("move %s: %w", table, err)
		}
		st.moved += len(ids)
	}
	return nil
}

func sortedParts(m map[int]*sessVisit) []*sessVisit {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*sessVisit, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

func sameVisit(a, b *sessVisit) bool {
	return a.visitorID == b.visitorID && a.startedAt.Equal(b.startedAt) && a.endedAt.Equal(b.endedAt) && a.pageViews == b.pageViews &&
		a.isBounce == b.isBounce && a.landingURL == b.landingURL && a.path == b.path && a.referrer == "" && a.refHost == "" &&
		a.campaign == b.campaign && a.device == b.device && a.browser == b.browser && a.os == b.os && a.country == b.country
}

func clipCampaign(c analytics.Campaign) analytics.Campaign {
	c.UTMSource, c.UTMMedium, c.UTMCampaign = clipRunes(c.UTMSource, 255), clipRunes(c.UTMMedium, 255), clipRunes(c.UTMCampaign, 255)
	c.UTMTerm, c.UTMContent, c.ClickID = clipRunes(c.UTMTerm, 255), clipRunes(c.UTMContent, 255), clipRunes(c.ClickID, 255)
	c.ClickIDType = clipRunes(c.ClickIDType, 8)
	return c
}
