package attrib_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/collect"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/config"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/tenant"
)

// pipe is an account with a collector, for command tests.
type pipe struct {
	app  *app.App
	acct tenant.Account
	d    *db.DB
	col  *collect.Collector
}

func newPipe(t *testing.T, tg dbtest.Target) *pipe {
	t.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.DataDir, cfg.ControlDSN, cfg.PGDatabasePrefix = tg.DataDir, tg.ControlDSN, tg.PGPrefix
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler), app.Registry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.MigrateControl(ctx); err != nil {
		t.Fatal(err)
	}
	acct, err := a.Tenants.Create(ctx, tenant.CreateParams{Name: "shop", Country: "gb", Domain: "shop.example.com", TimeZone: "Europe/London", Currency: "GBP"})
	if err != nil {
		t.Fatal(err)
	}
	d, release, err := a.Tenants.Acquire(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	col, err := collect.New(collect.Options{Tenants: a.Tenants, HitsPerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = col.Close(context.Background()) })
	p := &pipe{app: a, acct: acct, d: d, col: col}
	// Events, goals (purchase is macro, add_to_cart micro) and a campaign.
	for _, ev := range []struct {
		name, goal string
		macro      bool
	}{{"purchase", "Purchase", true}, {"add_to_cart", "Add to cart", false}} {
		evID := p.id(t, `INSERT INTO "event_definition" ("name", "display_name", "active") VALUES (?, ?, TRUE) RETURNING "id"`, ev.name, ev.name)
		goal := p.id(t, `INSERT INTO "goal" ("name", "type", "is_macro", "active") VALUES (?, 'ecommerce', ?, TRUE) RETURNING "id"`, ev.goal, ev.macro)
		p.exec(t, `INSERT INTO "goal_event" ("goal_id", "event_definition_id") VALUES (?, ?)`, goal, evID)
	}
	p.exec(t, `INSERT INTO "campaign" ("channel_id", "platform", "external_id", "name", "utm_campaign", "status", "active")
		VALUES (?, 'email', '', 'Spring', 'spring', 'active', TRUE)`, p.channel(t, "Email"))
	return p
}

func (p *pipe) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := p.d.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (p *pipe) id(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := p.d.WriteRow(context.Background(), q, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (p *pipe) channel(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	if err := p.d.QueryRow(context.Background(), `SELECT "id" FROM "channel" WHERE "name" = ?`, name).Scan(&id); err != nil {
		t.Fatalf("channel %s: %v", name, err)
	}
	return id
}

// tok makes a 32-character token.
func tok(s string) string { return (s + strings.Repeat("0", 32))[:32] }

type hitSpec struct {
	visitor, session string
	at               string // "15:04" on the test day, or "2006-01-02 15:04"; UTC (GMT in March before the DST change)
	path, referrer   string
	event            *collect.Event
	sync             map[string]string
}

const testDay = "2025-03-10"

func (p *pipe) submit(t *testing.T, hs ...hitSpec) {
	t.Helper()
	var hits []collect.Hit
	for i, h := range hs {
		at := h.at
		if len(at) == 5 {
			at = testDay + " " + at
		}
		ts, err := time.Parse("2006-01-02 15:04", at)
		if err != nil {
			t.Fatal(err)
		}
		typ := "pageview"
		if h.event != nil {
			typ = "event"
		}
		hits = append(hits, collect.Hit{ID: h.session + "-" + strings.ReplaceAll(at, " ", "T") + "-" + strconv.Itoa(i), Type: typ, Account: p.acct.Token,
			Visitor: tok(h.visitor), Session: tok(h.session), TS: ts.Format(time.RFC3339), URL: "https://shop.example.com" + h.path,
			Referrer: h.referrer, Event: h.event, Sync: h.sync, UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)"})
	}
	res, err := p.col.Submit(context.Background(), hits, collect.SubmitOptions{AnyTimestamp: true, NoRateLimit: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) > 0 {
		t.Fatalf("rejected: %+v", res.Rejected)
	}
}

// run runs commands for the test day; timeout overrides the account's
// session timeout when > 0.
func (p *pipe) run(t *testing.T, timeout int, names ...string) {
	t.Helper()
	p.runDay(t, testDay, timeout, names...)
}

func (p *pipe) runDay(t *testing.T, date string, timeout int, names ...string) {
	t.Helper()
	loc := p.acct.Location()
	day, _ := time.Parse(time.DateOnly, date)
	start, end := command.DateRange(day, day, loc)
	acct := command.Account{ID: p.acct.ID, Token: p.acct.Token, Domain: p.acct.Domain, TimeZone: p.acct.TimeZone, Currency: p.acct.Currency,
		LookbackDays: p.acct.LookbackDays, SessionTimeoutMinutes: p.acct.SessionTimeoutMinutes, Location: loc}
	if timeout > 0 {
		acct.SessionTimeoutMinutes = timeout
	}
	for _, n := range names {
		c, ok := p.app.Reg.Commands.Get(n)
		if !ok {
			t.Fatalf("no command %s", n)
		}
		if err := c.Run(context.Background(), command.NewEnv(command.Env{Account: acct, DB: p.d, Start: start, End: end, Date: date}, nil, nil)); err != nil {
			t.Fatal(err)
		}
	}
}

// visitRow is what the tests check of a visit.
type visitRow struct {
	Token, Landing, Channel, Campaign, Segment string
	PageViews, Events                          int
	Start, End                                 string
}

func (p *pipe) visits(t *testing.T, visitor string) []visitRow {
	t.Helper()
	var out []visitRow
	rows, err := p.d.Query(context.Background(), `SELECT v."token", v."landing_path", COALESCE(c."name", ''), COALESCE(k."name", ''), v."segment", v."page_views",
		(SELECT COUNT(*) FROM "event" e WHERE e."visit_id" = v."id"), v."started_at", v."ended_at"
		FROM "visit" v JOIN "visitor" r ON r."id" = v."visitor_id" LEFT JOIN "channel" c ON c."id" = v."channel_id" LEFT JOIN "campaign" k ON k."id" = v."campaign_id"
		WHERE r."token" = ? ORDER BY v."started_at", v."id"`, tok(visitor))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r visitRow
		var s, e time.Time
		if err := rows.Scan(&r.Token, &r.Landing, &r.Channel, &r.Campaign, &r.Segment, &r.PageViews, &r.Events, &s, &e); err != nil {
			t.Fatal(err)
		}
		r.Start, r.End = s.UTC().Format("15:04"), e.UTC().Format("15:04")
		if strings.HasPrefix(r.Token, ".") {
			r.Token = "." + r.Token[strings.LastIndex(r.Token, "."):]
		} else {
			r.Token = r.Token[:8]
		}
		out = append(out, r)
	}
	return out
}

func (p *pipe) count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := p.d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func money(s string) collect.Amount { return collect.Amount(s) }

// A session token's page views are re-split by timeout and campaign;
// the parts are rebuilt exactly on rerun, and merged back when the
// timeout grows, with every page view and event pointing at a visit.
func TestSessionizeSplitsAndRebuilds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		p := newPipe(t, tg)
		qty := int64(2)
		p.submit(t,
			hitSpec{visitor: "alice", session: "s1alice", at: "10:00", path: "/", referrer: "https://www.google.co.uk/"},
			hitSpec{visitor: "alice", session: "s1alice", at: "10:05", path: "/p1"},
			hitSpec{visitor: "alice", session: "s1alice", at: "10:50", path: "/p2"},
			hitSpec{visitor: "alice", session: "s1alice", at: "10:52", path: "/offer?utm_source=news&utm_medium=email&utm_campaign=spring"},
			hitSpec{visitor: "alice", session: "s1alice", at: "10:55", path: "/cart"},
			hitSpec{visitor: "alice", session: "s1alice", at: "10:56", path: "/cart", event: &collect.Event{Name: "purchase", Revenue: money("50.00"),
				Currency: "GBP", TransactionID: "TX1", Items: []collect.Item{{SKU: "SKU-1", Quantity: &qty, UnitPrice: money("25.00")}}}},
		)
		p.run(t, 0, attrib.CmdSessionize, attrib.CmdClassifyChannels)
		want := []visitRow{
			{Token: "s1alice0", Landing: "/", Channel: "SEO", PageViews: 2, Start: "10:00", End: "10:05"},
			{Token: "..2", Landing: "/p2", Channel: "Direct", PageViews: 1, Start: "10:50", End: "10:50"},
			{Token: "..3", Landing: "/offer", Channel: "Email", Campaign: "Spring", PageViews: 2, Events: 1, Start: "10:52", End: "10:56"},
		}
		got := p.visits(t, "alice")
		if !slices.Equal(got, want) {
			t.Fatalf("visits after sessionize:\n got %+v\nwant %+v", got, want)
		}
		// A rerun changes nothing.
		before := p.count(t, `SELECT COUNT(*) FROM "visit"`)
		p.run(t, 0, attrib.CmdSessionize, attrib.CmdClassifyChannels)
		if got := p.visits(t, "alice"); !slices.Equal(got, want) || p.count(t, `SELECT COUNT(*) FROM "visit"`) != before {
			t.Fatalf("rerun changed visits: %+v", got)
		}
		// A longer timeout merges /p2 back into the first visit; the
		// campaign part becomes part 2 and part 3 goes.
		p.run(t, 60, attrib.CmdSessionize, attrib.CmdClassifyChannels)
		want = []visitRow{
			{Token: "s1alice0", Landing: "/", Channel: "SEO", PageViews: 3, Start: "10:00", End: "10:50"},
			{Token: "..2", Landing: "/offer", Channel: "Email", Campaign: "Spring", PageViews: 2, Events: 1, Start: "10:52", End: "10:56"},
		}
		if got := p.visits(t, "alice"); !slices.Equal(got, want) {
			t.Fatalf("visits after a 60-minute timeout:\n got %+v\nwant %+v", got, want)
		}
		if n := p.count(t, `SELECT COUNT(*) FROM "page_view" p LEFT JOIN "visit" v ON v."id" = p."visit_id" WHERE v."id" IS NULL`); n != 0 {
			t.Errorf("%d page views point at no visit", n)
		}
		if n := p.count(t, `SELECT COUNT(*) FROM "page_view"`); n != 5 {
			t.Errorf("%d page views, want 5", n)
		}
	})
}

// Classification: the payment-referrer rule, advanced patterns, visitor
// segments, campaigns; sales with duplicate and missing transaction ids;
// touches across visitors sharing a sync id; credits per model, including
// a model's own lookback.
func TestClassifySalesTouchesAttribution(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		p := newPipe(t, tg)
		// Advanced pattern: landing on /offer moves the visit to
		// Affiliate (through a pattern of that channel); visitor segment:
		// second visit or later is "returning".
		target := p.id(t, `INSERT INTO "pattern" ("channel_id", "pattern", "match_on", "priority", "is_default", "active", "created", "updated")
			VALUES (?, '^never$', 'click_id', 500, FALSE, TRUE, ?, ?) RETURNING "id"`, p.channel(t, "Affiliate"), time.Now().UTC(), time.Now().UTC())
		rule := p.id(t, `INSERT INTO "segmenter_rule" ("name", "kind", "expression", "target_pattern_id", "segment_name", "priority", "active", "deleted", "created", "updated")
			VALUES ('offers', 'advanced_pattern', '1 and not 2', ?, '', 10, TRUE, FALSE, ?, ?) RETURNING "id"`, target, time.Now().UTC(), time.Now().UTC())
		p.exec(t, `INSERT INTO "segmenter_condition" ("rule_id", "number", "function", "operator", "value") VALUES (?, 1, 'visit_landing_url', 'contains', '/offer'),
			(?, 2, 'visit_utm_medium', 'eq', 'email')`, rule, rule)
		seg := p.id(t, `INSERT INTO "segmenter_rule" ("name", "kind", "expression", "segment_name", "priority", "active", "deleted", "created", "updated")
			VALUES ('returning', 'visitor_segment', '1', 'returning', 10, TRUE, FALSE, ?, ?) RETURNING "id"`, time.Now().UTC(), time.Now().UTC())
		p.exec(t, `INSERT INTO "segmenter_condition" ("rule_id", "number", "function", "operator", "value") VALUES (?, 1, 'visitor_visit_count', 'gte', '2')`, seg)

		buy := func(txn, rev string) *collect.Event {
			return &collect.Event{Name: "purchase", Revenue: money(rev), Currency: "GBP", TransactionID: txn}
		}
		p.submit(t,
			// Alice: PPC, then back from PayPal (keeps PPC) and buys; buys
			// again later with the same transaction id (a duplicate).
			hitSpec{visitor: "alice", session: "a1", at: "09:00", path: "/?gclid=abc&utm_source=google&utm_medium=cpc", referrer: "https://www.google.co.uk/"},
			hitSpec{visitor: "alice", session: "a2", at: "09:40", path: "/checkout/complete", referrer: "https://www.paypal.com/checkoutnow"},
			hitSpec{visitor: "alice", session: "a2", at: "09:41", path: "/checkout/complete", event: buy("TX1", "80.00")},
			hitSpec{visitor: "alice", session: "a3", at: "15:00", path: "/"},
			hitSpec{visitor: "alice", session: "a3", at: "15:01", path: "/", event: buy("TX1", "80.00")},
			// Bob: an offer visit from an affiliate site, then adds to cart
			// (no transaction id); he logs in (sync email hash h1).
			hitSpec{visitor: "bob", session: "b1", at: "08:00", path: "/offer/spring", referrer: "https://deals.example.org/", sync: map[string]string{"email_hash": "h1"}},
			hitSpec{visitor: "bob", session: "b1", at: "08:01", path: "/offer/spring", event: &collect.Event{Name: "add_to_cart", Revenue: money("5.00"), Currency: "GBP"}},
			// Carol shares h1 and buys on a direct visit.
			hitSpec{visitor: "carol", session: "c1", at: "12:00", path: "/", sync: map[string]string{"email_hash": "h1"}},
			hitSpec{visitor: "carol", session: "c1", at: "12:05", path: "/", event: buy("TX2", "30.00")},
			// Dave: an organic Bing visit 9 days before a direct purchase.
			hitSpec{visitor: "dave", session: "d1", at: "2025-03-01 10:00", path: "/", referrer: "https://www.bing.com/"},
			hitSpec{visitor: "dave", session: "d2", at: "13:00", path: "/"},
			hitSpec{visitor: "dave", session: "d2", at: "13:05", path: "/", event: buy("TX3", "10.00")},
		)
		// linear looks back 5 days only.
		p.exec(t, `UPDATE "attribution_model" SET "lookback_days" = 5 WHERE "code" = 'linear'`)
		p.runDay(t, "2025-03-01", 0, attrib.CmdSessionize, attrib.CmdClassifyChannels)
		p.run(t, 0, attrib.CmdSessionize, attrib.CmdClassifyChannels, attrib.CmdBuildSales, attrib.CmdBuildTouchpoints, attrib.CmdAttributeSales)

		if got, want := p.visits(t, "alice"), []visitRow{
			{Token: "a1000000", Landing: "/", Channel: "PPC", PageViews: 1, Start: "09:00", End: "09:00"},
			{Token: "a2000000", Landing: "/checkout/complete", Channel: "PPC", Segment: "returning", PageViews: 1, Events: 1, Start: "09:40", End: "09:41"},
			{Token: "a3000000", Landing: "/", Channel: "Direct", Segment: "returning", PageViews: 1, Events: 1, Start: "15:00", End: "15:01"},
		}; !slices.Equal(got, want) {
			t.Errorf("alice:\n got %+v\nwant %+v", got, want)
		}
		if got := p.visits(t, "bob"); len(got) != 1 || got[0].Channel != "Affiliate" {
			t.Errorf("bob's offer visit: %+v, want Affiliate (advanced pattern)", got)
		}
		// Sales: TX1 once (the earliest), TX2, and Bob's add to cart.
		type sale struct {
			Txn          string
			Revenue      int64
			Items        int64
			NewCustomer  bool
			Touches      string
			LastClickKey string
		}
		var sales []sale
		rows, err := p.d.Query(context.Background(), `SELECT s."transaction_id", s."revenue_minor", s."items", s."is_new_customer",
			(SELECT COUNT(*) FROM "touchpoint" t WHERE t."sale_id" = s."id") FROM "sale" s ORDER BY s."ts"`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s sale
			var n int64
			if err := rows.Scan(&s.Txn, &s.Revenue, &s.Items, &s.NewCustomer, &n); err != nil {
				t.Fatal(err)
			}
			s.Touches = string(rune('0' + n))
			if strings.HasPrefix(s.Txn, "hit:") {
				s.Txn = "hit:"
			}
			sales = append(sales, s)
		}
		rows.Close()
		want := []sale{
			{Txn: "hit:", Revenue: 500, Touches: "1"},
			{Txn: "TX1", Revenue: 8000, NewCustomer: true, Touches: "2"},
			{Txn: "TX2", Revenue: 3000, NewCustomer: true, Touches: "2"},
			{Txn: "TX3", Revenue: 1000, NewCustomer: true, Touches: "2"},
		}
		if !slices.Equal(sales, want) {
			t.Errorf("sales:\n got %+v\nwant %+v", sales, want)
		}
		// Carol's sale is touched by Bob's visit (shared sync id) first.
		var chans []string
		rows, err = p.d.Query(context.Background(), `SELECT c."name" FROM "touchpoint" t JOIN "sale" s ON s."id" = t."sale_id" JOIN "channel" c ON c."id" = t."channel_id"
			WHERE s."transaction_id" = 'TX2' ORDER BY t."seq"`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			_ = rows.Scan(&c)
			chans = append(chans, c)
		}
		rows.Close()
		if !slices.Equal(chans, []string{"Affiliate", "Direct"}) {
			t.Errorf("TX2 touches %v, want [Affiliate Direct]", chans)
		}
		// Credits per model for TX2 (Affiliate 4 h before, Direct 5 min).
		credits := map[string][]float64{}
		rows, err = p.d.Query(context.Background(), `SELECT m."code", a."credit", a."revenue_minor_credit" FROM "sale_attribution" a JOIN "sale" s ON s."id" = a."sale_id"
			JOIN "attribution_model" m ON m."id" = a."model_id" WHERE s."transaction_id" = 'TX2' ORDER BY m."id", a."seq"`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var code string
			var c, rc float64
			_ = rows.Scan(&code, &c, &rc)
			if math.Abs(rc-c*3000) > 1e-9 {
				t.Errorf("%s: revenue credit %v for credit %v", code, rc, c)
			}
			credits[code] = append(credits[code], c)
		}
		rows.Close()
		for code, want := range map[string][]float64{
			"last_click": {0, 1}, "first_click": {1, 0}, "last_non_direct": {1, 0}, "linear": {0.5, 0.5}, "position_based": {0.5, 0.5},
		} {
			if !slices.Equal(credits[code], want) {
				t.Errorf("%s credits %v, want %v", code, credits[code], want)
			}
		}
		if c := credits["time_decay"]; len(c) != 2 || !(c[0] < c[1]) || math.Abs(c[0]+c[1]-1) > 1e-12 {
			t.Errorf("time_decay credits %v", c)
		}
		if c := credits["data_driven"]; len(c) != 2 || math.Abs(c[0]+c[1]-1) > 1e-12 {
			t.Errorf("data_driven credits %v", c)
		}
		// TX3: linear credits only the touch within its 5 days; the
		// other models both touches.
		var seos, rowsLinear, rowsLast int64
		seos = p.count(t, `SELECT COUNT(*) FROM "touchpoint" t JOIN "sale" s ON s."id" = t."sale_id" JOIN "channel" c ON c."id" = t."channel_id"
			WHERE s."transaction_id" = 'TX3' AND c."name" = 'SEO' AND t."seq" = 1 AND t."seconds_before_sale" > 8 * 86400`)
		rowsLinear = p.count(t, `SELECT COUNT(*) FROM "sale_attribution" a JOIN "sale" s ON s."id" = a."sale_id" JOIN "attribution_model" m ON m."id" = a."model_id"
			WHERE s."transaction_id" = 'TX3' AND m."code" = 'linear' AND a."credit" = 1 AND a."seq" = 2`)
		rowsLast = p.count(t, `SELECT COUNT(*) FROM "sale_attribution" a JOIN "sale" s ON s."id" = a."sale_id" JOIN "attribution_model" m ON m."id" = a."model_id"
			WHERE s."transaction_id" = 'TX3' AND m."code" = 'first_click'`)
		if seos != 1 || rowsLinear != 1 || rowsLast != 2 {
			t.Errorf("TX3: SEO first touch %d, linear full-credit rows on the last touch %d, first_click rows %d; want 1, 1, 2", seos, rowsLinear, rowsLast)
		}
		// Rerunning leaves every row as it was.
		sum := func() []string {
			var out []string
			rows, err := p.d.Query(context.Background(), `SELECT s."transaction_id", s."id", a."model_id", a."seq", a."credit", a."revenue_minor_credit"
				FROM "sale_attribution" a JOIN "sale" s ON s."id" = a."sale_id" ORDER BY 1, 3, 4`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var txn string
				var id, m, q int64
				var c, rc float64
				if err := rows.Scan(&txn, &id, &m, &q, &c, &rc); err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprint(txn, id, m, q, strconv.FormatFloat(c, 'g', -1, 64), strconv.FormatFloat(rc, 'g', -1, 64)))
			}
			return out
		}
		before := sum()
		p.run(t, 0, attrib.CmdSessionize, attrib.CmdClassifyChannels, attrib.CmdBuildSales, attrib.CmdBuildTouchpoints, attrib.CmdAttributeSales)
		if after := sum(); !slices.Equal(before, after) {
			t.Errorf("rerun changed sale_attribution:\n%v\n%v", before, after)
		}
	})
}
