package command

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func noop(context.Context, *Env) error { return nil }

// domainCommands is the table of spec/domain.md §11.
func domainCommands() []Command {
	c := func(name string, reads, writes []string) Command {
		return Command{Name: name, App: "test", ReadsFrom: reads, WritesTo: writes, Run: noop}
	}
	s := func(v ...string) []string { return v }
	return []Command{
		c("import_offline_sales", s("offline_sale_row"), s("event", "visit", "visitor", "sync_id")),
		c("import_ad_costs", s("control.integration_connection"), s("ad_cost_daily")),
		c("import_search_console", s("control.integration_connection"), s("search_console_daily")),
		c("update_seo_keywords", s("search_console_daily", "market"), s("seo_keyword", "seo_keyword_rank_daily")),
		c("sessionize", s("page_view", "event"), s("visit")),
		c("classify_channels", s("visit", "pattern", "channel", "segmenter_rule", "payment_referrer"), s("visit_channel")),
		c("build_sales", s("event", "goal", "goal_event"), s("sale")),
		c("build_touchpoints", s("sale", "visit_channel", "sync_id"), s("touchpoint")),
		c("attribute_sales", s("touchpoint", "attribution_model"), s("sale_attribution")),
		c("update_agg_channel_daily", s("visit_channel", "sale_attribution", "ad_cost_daily"), s("agg_channel_daily")),
		c("update_agg_channel_monthly", s("agg_channel_daily"), s("agg_channel_monthly")),
		c("update_agg_campaign_daily", s("visit_channel", "sale_attribution", "ad_cost_daily"), s("agg_campaign_daily")),
		c("update_agg_landing_page_daily", s("visit_channel", "touchpoint"), s("agg_landing_page_daily")),
		c("update_agg_goal_daily", s("sale_attribution"), s("agg_goal_daily")),
		c("update_agg_path_daily", s("touchpoint"), s("agg_path_daily")),
		c("update_agg_product_daily", s("sale", "event_item", "touchpoint"), s("agg_product_daily")),
		c("update_agg_keyword_daily", s("seo_keyword_rank_daily", "search_console_daily", "visit_channel", "sale"), s("agg_keyword_daily")),
		c("update_agg_device_geo_daily", s("visit", "sale"), s("agg_device_geo_daily")),
		c("cleanup", nil, nil),
	}
}

// The derived DAG of spec/domain.md §11 (parent → children). The listing in
// the spec omits import_offline_sales → build_touchpoints, which the table
// implies (import_offline_sales writes sync_id, build_touchpoints reads it);
// the spec says the derived graph is authoritative, so it is here.
var domainDAG = map[string][]string{
	"import_offline_sales":     {"sessionize", "classify_channels", "build_sales", "update_agg_device_geo_daily", "build_touchpoints"},
	"sessionize":               {"classify_channels", "update_agg_device_geo_daily"},
	"classify_channels":        {"build_touchpoints", "update_agg_channel_daily", "update_agg_campaign_daily", "update_agg_landing_page_daily", "update_agg_keyword_daily"},
	"build_sales":              {"build_touchpoints", "update_agg_product_daily", "update_agg_keyword_daily", "update_agg_device_geo_daily"},
	"build_touchpoints":        {"attribute_sales", "update_agg_landing_page_daily", "update_agg_path_daily", "update_agg_product_daily"},
	"attribute_sales":          {"update_agg_channel_daily", "update_agg_campaign_daily", "update_agg_goal_daily"},
	"import_ad_costs":          {"update_agg_channel_daily", "update_agg_campaign_daily"},
	"import_search_console":    {"update_seo_keywords", "update_agg_keyword_daily"},
	"update_seo_keywords":      {"update_agg_keyword_daily"},
	"update_agg_channel_daily": {"update_agg_channel_monthly"},
}

func TestDerivedEdgesMatchDomainTable(t *testing.T) {
	r := NewRegistry()
	r.Add(domainCommands()...)
	g, err := r.Graph()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, e := range g.Edges() {
		got[e.Parent] = append(got[e.Parent], e.Child)
	}
	for p := range got {
		sort.Strings(got[p])
	}
	want := map[string][]string{}
	for p, kids := range domainDAG {
		want[p] = append([]string(nil), kids...)
		sort.Strings(want[p])
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("derived edges differ\n got: %v\nwant: %v", got, want)
	}
	// Parents come before children in the order.
	pos := map[string]int{}
	for i, n := range g.Order() {
		pos[n] = i
	}
	if len(pos) != r.Len() {
		t.Fatalf("order has %d commands, want %d", len(pos), r.Len())
	}
	for _, e := range g.Edges() {
		if pos[e.Parent] >= pos[e.Child] {
			t.Errorf("order puts %s after its child %s", e.Parent, e.Child)
		}
	}
	if d := g.Downstream("attribute_sales"); !reflect.DeepEqual(d, []string{"update_agg_channel_daily", "update_agg_channel_monthly", "update_agg_campaign_daily", "update_agg_goal_daily"}) {
		t.Errorf("downstream of attribute_sales: %v", d)
	}
	if u := g.Upstream("update_seo_keywords"); !reflect.DeepEqual(u, []string{"import_search_console"}) {
		t.Errorf("upstream of update_seo_keywords: %v", u)
	}
	plan := g.Plan(100)
	for _, line := range []string{"sessionize               → classify_channels, update_agg_device_geo_daily", "independent: cleanup"} {
		if !strings.Contains(plan, line) {
			t.Errorf("plan lacks %q:\n%s", line, plan)
		}
	}
}

func TestSelfReadWriteIsNoDependency(t *testing.T) {
	r := NewRegistry()
	r.Add(Command{Name: "dedupe", App: "t", ReadsFrom: []string{"visit"}, WritesTo: []string{"visit"}, Run: noop})
	g, err := r.Graph()
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Edges()) != 0 {
		t.Fatalf("edges: %v", g.Edges())
	}
}

func TestCycleIsNamed(t *testing.T) {
	r := NewRegistry()
	r.Add(
		Command{Name: "sessionize", App: "t", ReadsFrom: []string{"page_view", "visit_channel"}, WritesTo: []string{"visit"}, Run: noop},
		Command{Name: "classify_channels", App: "t", ReadsFrom: []string{"visit"}, WritesTo: []string{"visit_channel"}, Run: noop},
		Command{Name: "other", App: "t", ReadsFrom: []string{"visit"}, Run: noop},
	)
	_, err := r.Graph()
	var ce *CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("want a cycle error, got %v", err)
	}
	if err.Error() != "command dependency cycle: classify_channels -> sessionize -> classify_channels" {
		t.Fatalf("message: %s", err)
	}
}

func TestAddRejectsBadDeclarations(t *testing.T) {
	cases := []struct {
		cmd  Command
		want string
	}{
		{Command{Name: "Bad-Name", App: "t", Run: noop}, "snake_case"},
		{Command{Name: "x", Run: noop}, "App"},
		{Command{Name: "x", App: "t"}, "Run"},
		{Command{Name: "x", App: "t", Frequency: "yearly", Run: noop}, "yearly"},
		{Command{Name: "x", App: "t", Matrix: "all", Run: noop}, "all"},
		{Command{Name: "x", App: "t", ReadsFrom: []string{"bad table"}, Run: noop}, "bad table"},
		{Command{Name: "x", App: "t", Retry: RetryPolicy{Jitter: 2}, Run: noop}, "Jitter"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				p := recover()
				if p == nil || !strings.Contains(p.(string), c.want) {
					t.Errorf("%+v: panic %v, want one naming %q", c.cmd.Name, p, c.want)
				}
			}()
			NewRegistry().Add(c.cmd)
		}()
	}
	func() {
		defer func() {
			if p := recover(); p == nil || !strings.Contains(p.(string), "twice") {
				t.Errorf("duplicate: panic %v", p)
			}
		}()
		r := NewRegistry()
		r.Add(Command{Name: "x", App: "t", Run: noop})
		r.Add(Command{Name: "x", App: "t", Run: noop})
	}()
	r := NewRegistry()
	r.Add(Command{Name: "x", App: "t", Run: noop})
	c, _ := r.Get("x")
	if c.Frequency != Daily || c.Matrix != PerAccount || c.Retry != DefaultRetry() || c.Timeout != DefaultTimeout || !c.IsSequential() {
		t.Fatalf("defaults: %+v", c)
	}
	r.Add(Command{Name: "y", App: "t", Sequential: new(false), Run: noop})
	if c, _ := r.Get("y"); c.IsSequential() {
		t.Fatal("Sequential: new(false) ignored")
	}
}

func TestBackoff(t *testing.T) {
	p := DefaultRetry()
	for _, c := range []struct {
		n    int
		want time.Duration
	}{{1, 30 * time.Second}, {2, 2 * time.Minute}, {3, 8 * time.Minute}, {4, 30 * time.Minute}, {9, 30 * time.Minute}} {
		if got := p.Backoff(c.n, 0.5); got != c.want {
			t.Errorf("backoff(%d) = %v, want %v", c.n, got, c.want)
		}
		lo, hi := p.Backoff(c.n, 0), p.Backoff(c.n, 0.999999)
		if lo < c.want*9/10-time.Millisecond || hi > c.want*11/10 || lo >= hi {
			t.Errorf("jitter band of %d: [%v, %v]", c.n, lo, hi)
		}
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestPeriodsInAccountZones(t *testing.T) {
	london := mustLoc(t, "Europe/London")
	day := func(s string) time.Time { d, _ := ParseDate(s); return d }
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }

	cases := []struct {
		name       string
		date       string
		start, end string
		hours      int
	}{
		{"ordinary winter day", "2026-03-09", "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z", 24},
		{"spring forward", "2026-03-29", "2026-03-29T00:00:00Z", "2026-03-29T23:00:00Z", 23},
		{"summer day", "2026-06-01", "2026-05-31T23:00:00Z", "2026-06-01T23:00:00Z", 24},
		{"fall back", "2026-10-25", "2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z", 25},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, e := DateRange(day(c.date), day(c.date), london)
			ps := Daily.Periods(s, e, london)
			if len(ps) != 1 {
				t.Fatalf("periods: %v", ps)
			}
			p := ps[0]
			if !p.Start.Equal(utc(c.start)) || !p.End.Equal(utc(c.end)) || p.Date != c.date {
				t.Fatalf("day %s: %v → %v (%s)", c.date, p.Start, p.End, p.Date)
			}
			if p.Duration() != time.Duration(c.hours)*time.Hour {
				t.Fatalf("day %s lasts %v, want %dh", c.date, p.Duration(), c.hours)
			}
			hours := Hourly.Periods(s, e, london)
			if len(hours) != c.hours {
				t.Fatalf("hourly slots: %d, want %d", len(hours), c.hours)
			}
			seen := map[string]int{}
			for i, h := range hours {
				if h.Date != c.date || h.Duration() != time.Hour {
					t.Fatalf("hour %d: %+v", i, h)
				}
				if i > 0 && !h.Start.Equal(hours[i-1].End) {
					t.Fatalf("hours not contiguous at %d", i)
				}
				seen[h.Start.In(london).Format("15")]++
			}
			switch c.hours {
			case 23:
				if seen["01"] != 0 {
					t.Fatalf("01:00 does not exist on %s but has a slot", c.date)
				}
			case 25:
				if seen["01"] != 2 {
					t.Fatalf("01:00 repeats on %s: want two slots, got %d", c.date, seen["01"])
				}
			}
		})
	}

	// Weeks and months.
	w := Weekly.PeriodAt(utc("2026-03-11T12:00:00Z"), london)
	if w.Date != "2026-03-09" || !w.End.Equal(utc("2026-03-16T00:00:00Z")) {
		t.Fatalf("week: %+v", w)
	}
	w = Weekly.PeriodAt(utc("2026-03-29T12:00:00Z"), london) // a Sunday: week of the 23rd, 167 hours
	if w.Date != "2026-03-23" || w.Duration() != 167*time.Hour {
		t.Fatalf("DST week: %+v %v", w, w.Duration())
	}
	m := Monthly.PeriodAt(utc("2026-10-31T23:30:00Z"), london) // 23:30 GMT on the 31st
	if m.Date != "2026-10-01" || !m.Start.Equal(utc("2026-09-30T23:00:00Z")) || !m.End.Equal(utc("2026-11-01T00:00:00Z")) {
		t.Fatalf("month: %+v", m)
	}
	tokyo := mustLoc(t, "Asia/Tokyo")
	d := Daily.PeriodAt(utc("2026-03-10T06:00:00Z"), tokyo)
	if d.Date != "2026-03-10" || !d.Start.Equal(utc("2026-03-09T15:00:00Z")) || !d.End.Equal(utc("2026-03-10T15:00:00Z")) {
		t.Fatalf("tokyo: %+v", d)
	}
}
