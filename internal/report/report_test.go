package report

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/db"
)

func fixture() *Report {
	return &Report{
		Name:          "report-my-data",
		Tables:        []Table{{Name: "report_my_data", Measures: []string{"visits", "sales", "revenue"}}},
		DateDimension: "date",
		Dimensions: []Dimension{
			{Name: "date", Type: Date},
			{Name: "channel", Type: Dict, Related: "channel", Filter: resource.Filter{Level: resource.AllWithRelations}},
		},
		Metrics: []Metric{
			{Name: "visits", Type: Integer},
			{Name: "sales", Type: Integer},
			{Name: "revenue", Type: Money},
			{Name: "conversion_rate", Type: Percentage, Formula: "sum(sales) / sum(visits)"},
			{Name: "aov", Type: Money, Formula: "revenue / sales"},
		},
	}
}

// TestDeclarationErrors: a broken declaration stops start-up with an
// error naming the problem.
func TestDeclarationErrors(t *testing.T) {
	cases := []struct {
		name   string
		change func(r *Report)
		want   string
	}{
		{"no metric", func(r *Report) { r.Metrics = nil }, "no metric"},
		{"unknown metric in a formula", func(r *Report) { r.Metrics[4].Formula = "revenue / salez" }, `unknown metric "salez"`},
		{"cycle", func(r *Report) {
			r.Metrics = append(r.Metrics, Metric{Name: "a", Type: Float, Formula: "b + 1"}, Metric{Name: "b", Type: Float, Formula: "aov * a"})
		}, "cycle: a -> b -> a"},
		{"self reference", func(r *Report) { r.Metrics[3].Formula = "conversion_rate * 2" }, "cycle"},
		{"undeclared column in a formula", func(r *Report) { r.Metrics[3].Formula = "sum(orders) / sum(visits)" }, "column orders is not declared"},
		{"undeclared column of a metric", func(r *Report) { r.Metrics[0].Column = "hits" }, "column hits is not declared"},
		{"undeclared column in totals", func(r *Report) { r.Metrics[0].Totals = "max(hits)" }, "column hits is not declared"},
		{"bad syntax", func(r *Report) { r.Metrics[3].Formula = "sum(sales) / " }, "unexpected end"},
		{"raw SQL is not an expression", func(r *Report) { r.Metrics[3].Formula = "sales; DROP TABLE x" }, "unexpected"},
		{"unknown function", func(r *Report) { r.Metrics[3].Formula = "median(sales)" }, `unknown function "median"`},
		{"bad name", func(r *Report) { r.Name = "my-data" }, "report-"},
		{"no table", func(r *Report) { r.Tables = nil }, "no table"},
		{"derived table without sources", func(r *Report) { r.Tables[0].From = `SELECT * FROM "report_my_data"` }, "must list its Sources"},
		{"derived table with a bad source", func(r *Report) {
			r.Tables[0].From, r.Tables[0].Sources = `SELECT * FROM "report_my_data"`, []string{"x; y"}
		}, "invalid source"},
		{"finest table lacks a dimension", func(r *Report) { r.Tables[0].Dims = []string{"date"} }, "channel is missing"},
		{"dict without related", func(r *Report) { r.Dimensions[1].Related = "" }, "Related"},
		{"relations on a plain dimension", func(r *Report) { r.Dimensions[0].Filter.Level = resource.AllWithRelations }, "ALL_WITH_RELATIONS"},
		{"unknown date dimension", func(r *Report) { r.DateDimension = "channel" }, "date dimension"},
		{"reserved dimension name", func(r *Report) { r.Dimensions[0].Name = "limit"; r.DateDimension = "limit" }, "reserved"},
		{"metric and dimension clash", func(r *Report) { r.Metrics[0].Name = "date" }, "same name"},
		{"unknown aggregation", func(r *Report) { r.Metrics[0].Agg = "median" }, "median"},
		{"date metric needs min or max", func(r *Report) { r.Metrics = append(r.Metrics, Metric{Name: "first", Type: Date, Column: "date"}) }, "min or max"},
		{"formula over a date metric", func(r *Report) {
			r.Metrics = append(r.Metrics, Metric{Name: "first", Type: Date, Agg: Min, Column: "date"}, Metric{Name: "x", Type: Float, Formula: "first + 1"})
		}, "not a number"},
		{"duplicate metric", func(r *Report) { r.Metrics = append(r.Metrics, Metric{Name: "visits", Type: Integer}) }, "twice"},
		{"coarse table without a date dimension", func(r *Report) {
			r.DateDimension = ""
			r.Tables = append(r.Tables, Table{Name: "m", DateGrain: Month, Measures: []string{"visits"}})
		}, "DateDimension"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := fixture()
			c.change(r)
			err := NewRegistry().Add(r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	g := NewRegistry()
	if err := g.Add(fixture()); err != nil {
		t.Fatal(err)
	}
	if err := g.Add(fixture()); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate report: %v", err)
	}
}

func TestExpressions(t *testing.T) {
	for src, want := range map[string]string{
		"sum(sales)/sum(visits)":          "sum(sales) / sum(visits)",
		"(revenue*margin - cost) / cost":  "(revenue * margin - cost) / cost",
		"a - (b - c)":                     "a - (b - c)",
		"a - b - c":                       "a - b - c",
		"a / (b * c)":                     "a / (b * c)",
		"-(a + b) * 2.5":                  "-(a + b) * 2.5",
		"count(*) + count_distinct(date)": "count(*) + count_distinct(date)",
	} {
		n, err := parseExpr(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := printNode(n); got != want {
			t.Errorf("%s printed %q, want %q", src, got, want)
		}
	}
	for _, bad := range []string{"", "a +", "(a", "sum(a", "sum()", "count(**)", "a ; b", "'x'", "1.2.3", "sum(a, b)", "A"} {
		if _, err := parseExpr(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	// Division by zero and nulls give null.
	n, _ := parseExpr("x / y")
	bin := n.(*binop)
	bin.l, bin.r = &numLit{v: 1}, &numLit{v: 0}
	if v := eval(n, nil, nil); v.ok {
		t.Errorf("1/0 = %v, want null", v)
	}
	if v := divide(num(1), null); v.ok {
		t.Errorf("1/null = %v", v)
	}
	if v := divide(num(3), num(4)); !v.ok || v.f != 0.75 {
		t.Errorf("3/4 = %v", v)
	}
}

func TestRounding(t *testing.T) {
	for _, c := range []struct {
		x    float64
		d    int
		want float64
	}{
		{1.005, 2, 1.01}, {2.5, 0, 3}, {-2.5, 0, -3}, {0.5666666, 6, 0.566667}, {13.947368, 2, 13.95},
		{0.1 + 0.2, 6, 0.3}, {9.995, 2, 10}, {-0.0000005, 6, -0.000001}, {265, 2, 265}, {1e-9, 6, 0}, {123456789.125, 2, 123456789.13},
	} {
		if got := roundHalfAway(c.x, c.d); got != c.want {
			t.Errorf("round(%v, %d) = %v, want %v", c.x, c.d, got, c.want)
		}
	}
	if f := minorFactor("JPY"); f != 1 {
		t.Errorf("JPY factor %v", f)
	}
	if f := minorFactor("KWD"); f != 1000 {
		t.Errorf("KWD factor %v", f)
	}
	if v := jsonNumber(Money, num(26500), 100); v != int64(265) {
		t.Errorf("money %v (%T)", v, v)
	}
	if v := jsonNumber(Percentage, num(17.0/30), 100); v != 0.566667 {
		t.Errorf("percentage %v", v)
	}
	for v, want := range map[any]string{int64(-5): "-5", 16.5: "16.5", 1e-7: "1e-07", 0.000001: "0.000001", math.Copysign(0, -1): "-0"} {
		if got := numText(v); got != want {
			t.Errorf("numText(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestBuckets(t *testing.T) {
	day := func(s string) time.Time { d, _ := parseDay(s); return d }
	for _, c := range []struct {
		unit Grain
		in   string
		want string
	}{
		{Week, "2023-01-01", "2022-12-26"}, {Week, "2023-01-02", "2023-01-02"}, {Week, "2023-01-08", "2023-01-02"},
		{Month, "2023-02-28", "2023-02-01"}, {Quarter, "2023-05-17", "2023-04-01"}, {Year, "2023-05-17", "2023-01-01"},
	} {
		if got := dayString(bucketOf(c.unit, day(c.in), time.UTC)); got != c.want {
			t.Errorf("%s of %s = %s, want %s", c.unit, c.in, got, c.want)
		}
	}
	london, _ := time.LoadLocation("Europe/London")
	s, _ := db.Bucket("day", time.Date(2024, 7, 1, 23, 30, 0, 0, time.UTC), london)
	if s != "2024-07-02" {
		t.Errorf("local day %s", s)
	}
	s, _ = db.Bucket("hour", time.Date(2024, 10, 27, 1, 30, 0, 0, time.UTC), london) // the repeated 01:00 after the clocks go back
	if s != "2024-10-27 01:00:00+00:00" {
		t.Errorf("hour %s", s)
	}
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	s, _ = db.Bucket("hour", time.Date(2024, 1, 1, 10, 10, 0, 0, time.UTC), kolkata)
	if s != "2024-01-01 09:30:00+00:00" {
		t.Errorf("half-hour zone %s", s)
	}
	if got := previousYear(day("2024-02-29")); dayString(got) != "2023-02-28" {
		t.Errorf("previous year of 29 Feb: %s", dayString(got))
	}
	if i := bucketIndex(Month, day("2022-11-01"), day("2023-02-01")); i != 3 {
		t.Errorf("month index %d", i)
	}
	if i := bucketIndex(Week, day("2022-12-26"), day("2023-01-09")); i != 2 {
		t.Errorf("week index %d", i)
	}
}

func TestAligned(t *testing.T) {
	r := fixture()
	if err := NewRegistry().Add(r); err != nil {
		t.Fatal(err)
	}
	d := r.c.dimBy["date"]
	for _, c := range []struct {
		lookup string
		vals   []any
		want   bool
	}{
		{"gte", []any{"2023-01-01"}, true}, {"gte", []any{"2023-01-02"}, false}, {"lte", []any{"2023-01-31"}, true},
		{"lte", []any{"2023-01-30"}, false}, {"lt", []any{"2023-02-01"}, true}, {"gt", []any{"2023-01-31"}, true},
		{"range", []any{"2023-01-01", "2023-03-31"}, true}, {"range", []any{"2023-01-01", "2023-03-30"}, false},
		{"exact", []any{"2023-01-01"}, false}, {"year", []any{int64(2023)}, true}, {"day", []any{int64(1)}, false},
	} {
		if got := aligned(&filt{dim: d, lookup: c.lookup, vals: c.vals}, Month); got != c.want {
			t.Errorf("%s %v aligned = %v, want %v", c.lookup, c.vals, got, c.want)
		}
	}
}

func TestResultCacheBounds(t *testing.T) {
	c := newResultCache(2, 100)
	c.put("a", &computed{}, 5)
	c.put("b", &computed{}, 5)
	c.get("a")
	c.put("c", &computed{}, 5) // evicts b, the least recently used
	if _, ok := c.get("b"); ok {
		t.Error("b was not evicted")
	}
	if _, ok := c.get("a"); !ok {
		t.Error("a was evicted")
	}
	c.put("big", &computed{}, 11) // over maxRows/10: not cached
	if _, ok := c.get("big"); ok || c.len() != 2 {
		t.Errorf("big result cached; %d entries", c.len())
	}
	for i := 0; i < 20; i++ {
		c.put(string(rune('d'+i)), &computed{}, 10)
	}
	if c.rows > 100 || c.len() > 2 {
		t.Errorf("cache holds %d rows in %d entries", c.rows, c.len())
	}
}

// TestSQLIsFromDeclarations: filter values are bound, identifiers quoted
// from declarations; a hostile value never reaches the SQL text.
func TestSQLIsFromDeclarations(t *testing.T) {
	r := fixture()
	if err := NewRegistry().Add(r); err != nil {
		t.Fatal(err)
	}
	p, _ := resource.ParseQuery("group_by=channel,date&timeframe=date__week&channel__name=x%27%3B%20DROP%20TABLE%20channel%3B--&date__gte=2023-01-01&totals=true")
	for _, dialect := range []string{db.SQLite, db.Postgres} {
		qr, err := parseQuery(r, p, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		x := &exec{c: r.c, dialect: dialect, loc: time.UTC}
		sql, args := x.build(aggSpec{t: r.c.tables[0], groups: qr.groupCols(), atoms: qr.atomsFor(qr.needRow, false), filters: qr.filters})
		if strings.Contains(sql, "DROP") || len(args) == 0 {
			t.Errorf("%s: %s %v", dialect, sql, args)
		}
		// Aggregated first over the two group columns, the channel name joined after.
		if !strings.Contains(sql, `GROUP BY 1, 2) AS "i" LEFT JOIN "channel" AS "d0" ON "d0"."id" = "i"."g0"`) {
			t.Errorf("%s: unexpected shape: %s", dialect, sql)
		}
		want := `"channel_id" IN (SELECT "r"."id" FROM "channel" AS "r" WHERE "r"."name" = ?)`
		if !strings.Contains(sql, want) {
			t.Errorf("%s: relation filter not a subquery: %s", dialect, sql)
		}
	}
}

func BenchmarkBuildSQL(b *testing.B) {
	r := fixture()
	if err := NewRegistry().Add(r); err != nil {
		b.Fatal(err)
	}
	p, _ := resource.ParseQuery("group_by=channel,date&timeframe=date__week&channel__in=1,2,3&date__range=2023-01-01,2023-12-31&having=sales__gt=3&order_by=-revenue&totals=true")
	x := &exec{c: r.c, dialect: db.Postgres, loc: time.UTC}
	b.ReportAllocs()
	for b.Loop() {
		qr, err := parseQuery(r, p, time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		t := r.c.plan(needs{groups: qr.groupCols(), filters: qr.filters, atoms: qr.atomsFor(qr.needRow, false)})
		x.build(aggSpec{t: t, groups: qr.groupCols(), atoms: qr.atomsFor(qr.needRow, false), filters: qr.filters})
	}
}
