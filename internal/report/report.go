// Package report is the report resource engine of spec/api.md §10, the Go
// version of the original CubedReportResource: read-only group-by and
// aggregation over aggregate tables, declared as values.
//
// A Report names its dimensions (what rows are grouped and filtered by),
// its metrics (sums and counts of table columns, or formulas over other
// metrics computed after aggregation) and one or more backing tables of
// different grain. The engine parses a request (filters, group_by, having,
// order_by, totals, timeframe, graph, compare, top, format), picks the
// smallest table that can answer it, generates SQL from the declarations
// only (values are always bound parameters) for SQLite and PostgreSQL, and
// does the post-aggregation work (formulas, having, ordering, top-N,
// comparison, zero-filled time series) in Go, identically on both dialects.
//
// Declaring a report:
//
//	r := &report.Report{
//		Name:   "report-channel-performance",
//		Tables: []report.Table{
//			{Name: "agg_channel_daily", Measures: []string{"visits", "sales", "revenue=revenue_minor"}},
//			{Name: "agg_channel_monthly", DateGrain: report.Month, Dims: []string{"date=month", "model", "channel"},
//				Measures: []string{"visits", "sales", "revenue=revenue_minor"}},
//		},
//		DateDimension: "date",
//		Dimensions: []report.Dimension{
//			{Name: "date", Type: report.Date},
//			{Name: "channel", Type: report.Dict, Related: "channel", Filter: resource.Filter{Level: resource.AllWithRelations}},
//			{Name: "model", Type: report.Dict, Related: "attribution_model", Default: report.DefaultQuery(`SELECT ...`)},
//		},
//		Metrics: []report.Metric{
//			{Name: "visits", Type: report.Integer},
//			{Name: "revenue", Type: report.Money},
//			{Name: "conversion_rate", Type: report.Percentage, Formula: "sum(sales) / sum(visits)"},
//		},
//	}
//
// and registering it with registry.AddReports; app builds a Registry from
// them at start-up, where a broken declaration stops the program.
package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/schema"
)

// Type is the type of a dimension or a metric.
type Type string

// Dimension types are String, Integer, Date, DateTime and Dict; metric
// types are Integer, Float, Money, Percentage, DurationSeconds, Date and
// Dict.
const (
	String          Type = "string"
	Integer         Type = "integer"
	Float           Type = "float"
	Money           Type = "money"
	Percentage      Type = "percentage"
	DurationSeconds Type = "duration_seconds"
	Date            Type = "date"
	DateTime        Type = "datetime"
	Dict            Type = "dict"
)

// Agg is a metric's aggregation over one column.
type Agg string

// Aggregations.
const (
	Sum           Agg = "sum"
	Avg           Agg = "avg"
	Min           Agg = "min"
	Max           Agg = "max"
	Count         Agg = "count"
	CountDistinct Agg = "count_distinct"
)

// Grain is the time resolution of a table's date dimension, and the unit
// of timeframe and graph buckets.
type Grain string

// Grains, finest first.
const (
	Hour    Grain = "hour"
	Day     Grain = "day"
	Week    Grain = "week"
	Month   Grain = "month"
	Quarter Grain = "quarter"
	Year    Grain = "year"
)

// Timeframes are the buckets `timeframe=<dim>__<unit>` accepts.
var Timeframes = []string{"day", "week", "month", "quarter", "year"}

// Report is one report resource declaration.
type Report struct {
	// Name is the resource name; it starts with "report-".
	Name    string
	Verbose string
	Help    string
	// Tables back the report. Tables[0] is the finest: it must hold every
	// dimension and measure, and answers whatever no smaller table can.
	// Later tables are rollups the planner prefers when they cover a
	// request.
	Tables     []Table
	Dimensions []Dimension
	Metrics    []Metric
	// DateDimension names the date or datetime dimension compare uses.
	DateDimension string
	// DefaultLimit and MaxLimit bound pages (defaults 20 and 1000).
	DefaultLimit, MaxLimit int

	c *compiled
}

// Table is one backing table of a report.
type Table struct {
	Name string
	// DateGrain is the grain of the report's date dimension in this table
	// (Day when empty; a datetime dimension is exact in Tables[0]).
	DateGrain Grain
	// Dims lists the dimensions the table holds, as "name" (the
	// dimension's Column) or "name=column". Names that are not dimensions
	// declare other key columns (usable by count_distinct). Nil means
	// every dimension with its Column.
	Dims []string
	// Measures lists the measure columns metric expressions may read, as
	// "name" or "name=column".
	Measures []string
	// Size ranks tables for routing: the planner picks the covering table
	// with the smallest Size. Zero means "by position": later tables are
	// assumed smaller.
	Size int
	// From, when set, is a declared SELECT (no request values, the same
	// text on both dialects) the engine reads as a derived table instead
	// of the table Name; Name then only labels it (meta.served_from).
	// Sources lists the tables it reads, whose data versions make the
	// report's.
	From    string
	Sources []string
}

// Field is an extra related column a dict dimension outputs.
type Field struct {
	Name string
	Type schema.Type
}

// Dimension is a field rows are grouped and filtered by.
type Dimension struct {
	Name    string
	Type    Type
	Verbose string
	Help    string
	// Column in the tables; default Name, or Name+"_id" for dict.
	Column string
	// NoGroupBy makes a filter-only dimension.
	NoGroupBy bool
	// Filter says how the dimension may be filtered: the zero value allows
	// every lookup that applies to its type; resource.AllWithRelations
	// also lets a dict dimension filter on the related name and extra
	// fields (channel__name=Email); Lookups restricts.
	Filter   resource.Filter
	NoFilter bool
	// Related is a dict dimension's table (its pk is "id"); NameColumn
	// defaults to "name"; Extra are further related columns output in
	// the object.
	Related    string
	NameColumn string
	Extra      []Field
	// Default returns the value filtered on when a request neither
	// filters nor groups by the dimension (nil value: no filter).
	Default func(ctx context.Context, q db.Querier) (any, error)
	// Timeframes allowed on a date or datetime dimension (default all).
	Timeframes []string
}

// Metric is an aggregated value.
type Metric struct {
	Name    string
	Type    Type
	Verbose string
	Help    string
	// Agg over Column (default Sum over the measure named Name).
	Agg    Agg
	Column string
	// Formula, when set, replaces Agg and Column: an expression over
	// other metrics and aggregates of columns, computed after
	// aggregation; division by zero gives null. Example:
	// "sum(sales) / sum(visits)" or "revenue / sales".
	Formula string
	// Totals optionally overrides how meta.totals computes the metric.
	Totals string
	// LowerIsBetter marks metrics such as cost (schema higher_is_better).
	LowerIsBetter bool
	// Related is a dict metric's table (min/max of a key column).
	Related string
}

// DefaultQuery returns a Default that runs a declared single-value query;
// no row means no default.
func DefaultQuery(query string) func(ctx context.Context, q db.Querier) (any, error) {
	return func(ctx context.Context, q db.Querier) (any, error) {
		var v any
		err := q.QueryRow(ctx, query).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		return v, err
	}
}

// Registry holds every report by name.
type Registry struct {
	byName map[string]*Report
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]*Report{}} }

// Add validates and registers reports; an error must stop start-up.
func (g *Registry) Add(rs ...*Report) error {
	for _, r := range rs {
		c, err := compile(r)
		if err != nil {
			return fmt.Errorf("report %s: %w", r.Name, err)
		}
		if _, dup := g.byName[r.Name]; dup {
			return fmt.Errorf("report %s declared twice", r.Name)
		}
		r.c = c
		g.byName[r.Name] = r
	}
	return nil
}

// Get returns a report by name.
func (g *Registry) Get(name string) (*Report, bool) {
	if g == nil {
		return nil, false
	}
	r, ok := g.byName[name]
	return r, ok
}

// Names returns every report name, sorted.
func (g *Registry) Names() []string {
	if g == nil {
		return nil
	}
	out := make([]string, 0, len(g.byName))
	for n := range g.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// compiled is a validated report, ready for the engine.
type compiled struct {
	dims   []*dimInfo
	dimBy  map[string]*dimInfo
	mets   []*metInfo
	metBy  map[string]*metInfo
	atoms  []atom
	atomBy map[atom]int
	tables []*tableInfo
	date   *dimInfo
	// topo orders metrics so each comes after those it references;
	// totTopo does the same for totals, where a declared totals
	// expression replaces the metric's own references.
	topo, totTopo []*metInfo
	// related lists the dict tables (for data_version).
	related []string
}

type dimInfo struct {
	*Dimension
	idx        int
	column     string
	nameCol    string
	timeframes []string
}

type metInfo struct {
	*Metric
	idx        int
	expr       node
	text       string
	totals     node
	totalsText string
	refs       []*metInfo // metrics referenced by expr
	totRefs    []*metInfo // metrics referenced by totals
}

type tableInfo struct {
	name     string
	grain    Grain
	dims     map[string]string // dimension or key name -> column
	measures map[string]string // measure name -> column
	size     int
	idx      int
	from     string   // a derived table's SELECT
	sources  []string // the tables a derived table reads
}

// atom is one aggregate the SQL computes: fn over a logical column ("" for
// count(*)); kind says how its value scans.
type atom struct {
	fn   Agg
	col  string
	kind atomKind
}

type atomKind uint8

const (
	numAtom  atomKind = iota
	dateAtom          // min/max of a date column: YYYY-MM-DD text
	idAtom            // min/max of a key column: an id
)

var (
	nameRe = regexp.MustCompile(`^report-[a-z0-9]+(-[a-z0-9]+)*$`)
	// Parameters a dimension may not be named after.
	reservedNames = []string{"account", "limit", "offset", "order_by", "format", "username", "api_key", "_",
		"group_by", "having", "totals", "selected_fields", "timeframe", "graph", "graph_group_by",
		"graph_group_by_type", "graph_order_by", "compare", "top", "change"}
)

func isDimType(t Type) bool {
	switch t {
	case String, Integer, Date, DateTime, Dict:
		return true
	}
	return false
}

func isMetricType(t Type) bool {
	switch t {
	case Integer, Float, Money, Percentage, DurationSeconds, Date, Dict:
		return true
	}
	return false
}

func isAgg(a Agg) bool {
	switch a {
	case Sum, Avg, Min, Max, Count, CountDistinct:
		return true
	}
	return false
}

func grainRank(g Grain) int {
	switch g {
	case Hour:
		return 0
	case Day:
		return 1
	case Week:
		return 2
	case Month:
		return 3
	case Quarter:
		return 4
	case Year:
		return 5
	}
	return -1
}

// splitMap parses "name" or "name=column".
func splitMap(s string) (string, string) {
	name, col, ok := strings.Cut(s, "=")
	if !ok {
		return s, ""
	}
	return name, col
}

func compile(r *Report) (*compiled, error) {
	if !nameRe.MatchString(r.Name) {
		return nil, fmt.Errorf("name must look like report-<words> (lower case, digits, hyphens)")
	}
	if r.DefaultLimit == 0 {
		r.DefaultLimit = 20
	}
	if r.MaxLimit == 0 {
		r.MaxLimit = 1000
	}
	if r.Verbose == "" {
		r.Verbose = strings.ReplaceAll(strings.TrimPrefix(r.Name, "report-"), "-", " ")
	}
	c := &compiled{dimBy: map[string]*dimInfo{}, metBy: map[string]*metInfo{}, atomBy: map[atom]int{}}
	if len(r.Metrics) == 0 {
		return nil, fmt.Errorf("no metric declared: a report needs at least one")
	}
	if len(r.Tables) == 0 {
		return nil, fmt.Errorf("no table declared")
	}
	for i := range r.Dimensions {
		d := &r.Dimensions[i]
		if !schema.ValidIdent(d.Name) {
			return nil, fmt.Errorf("dimension %q: invalid name", d.Name)
		}
		for _, n := range reservedNames {
			if d.Name == n {
				return nil, fmt.Errorf("dimension %s: the name is a reserved parameter", d.Name)
			}
		}
		if _, dup := c.dimBy[d.Name]; dup {
			return nil, fmt.Errorf("dimension %s declared twice", d.Name)
		}
		if !isDimType(d.Type) {
			return nil, fmt.Errorf("dimension %s: type %q is not string, integer, date, datetime or dict", d.Name, d.Type)
		}
		di := &dimInfo{Dimension: d, idx: i, column: d.Column}
		if di.column == "" {
			di.column = d.Name
			if d.Type == Dict {
				di.column = d.Name + "_id"
			}
		}
		if !schema.ValidIdent(di.column) {
			return nil, fmt.Errorf("dimension %s: invalid column %q", d.Name, di.column)
		}
		if d.Verbose == "" {
			d.Verbose = strings.ReplaceAll(d.Name, "_", " ")
		}
		if d.Type == Dict {
			if !schema.ValidIdent(d.Related) {
				return nil, fmt.Errorf("dimension %s: a dict dimension needs Related (the related table)", d.Name)
			}
			di.nameCol = d.NameColumn
			if di.nameCol == "" {
				di.nameCol = "name"
			}
			if !schema.ValidIdent(di.nameCol) {
				return nil, fmt.Errorf("dimension %s: invalid name column %q", d.Name, di.nameCol)
			}
			for _, x := range d.Extra {
				if !schema.ValidIdent(x.Name) || x.Name == "id" || x.Name == di.nameCol {
					return nil, fmt.Errorf("dimension %s: invalid extra field %q", d.Name, x.Name)
				}
			}
			c.related = append(c.related, d.Related)
		} else {
			if d.Related != "" || len(d.Extra) > 0 {
				return nil, fmt.Errorf("dimension %s: Related and Extra need a dict dimension", d.Name)
			}
			if d.Filter.Level == resource.AllWithRelations {
				return nil, fmt.Errorf("dimension %s: ALL_WITH_RELATIONS needs a dict dimension", d.Name)
			}
		}
		for _, l := range d.Filter.Lookups {
			if !contains(resource.Lookups, l) {
				return nil, fmt.Errorf("dimension %s: unknown lookup %s", d.Name, l)
			}
		}
		if d.Type == Date || d.Type == DateTime {
			di.timeframes = d.Timeframes
			if di.timeframes == nil {
				di.timeframes = Timeframes
			}
			for _, tf := range di.timeframes {
				if !contains(Timeframes, tf) {
					return nil, fmt.Errorf("dimension %s: unknown timeframe %q", d.Name, tf)
				}
			}
		} else if len(d.Timeframes) > 0 {
			return nil, fmt.Errorf("dimension %s: timeframes need a date or datetime dimension", d.Name)
		}
		c.dims = append(c.dims, di)
		c.dimBy[d.Name] = di
	}
	if r.DateDimension != "" {
		d, ok := c.dimBy[r.DateDimension]
		if !ok || (d.Type != Date && d.Type != DateTime) {
			return nil, fmt.Errorf("date dimension %q is not a declared date or datetime dimension", r.DateDimension)
		}
		c.date = d
	}
	if err := compileTables(r, c); err != nil {
		return nil, err
	}
	for i := range r.Metrics {
		m := &r.Metrics[i]
		if !schema.ValidIdent(m.Name) {
			return nil, fmt.Errorf("metric %q: invalid name", m.Name)
		}
		if _, dup := c.metBy[m.Name]; dup {
			return nil, fmt.Errorf("metric %s declared twice", m.Name)
		}
		if _, clash := c.dimBy[m.Name]; clash {
			return nil, fmt.Errorf("metric %s: a dimension has the same name", m.Name)
		}
		if m.Name == "compare" || m.Name == "change" {
			return nil, fmt.Errorf("metric %s: the name is a reserved output key", m.Name)
		}
		if !isMetricType(m.Type) {
			return nil, fmt.Errorf("metric %s: type %q is not integer, float, money, percentage, duration_seconds, date or dict", m.Name, m.Type)
		}
		if m.Verbose == "" {
			m.Verbose = strings.ReplaceAll(m.Name, "_", " ")
		}
		mi := &metInfo{Metric: m, idx: i}
		c.mets = append(c.mets, mi)
		c.metBy[m.Name] = mi
	}
	for _, mi := range c.mets {
		if err := compileMetric(c, mi); err != nil {
			return nil, fmt.Errorf("metric %s: %w", mi.Name, err)
		}
	}
	topo, err := topoSort(c, func(m *metInfo) []*metInfo { return m.refs })
	if err != nil {
		return nil, err
	}
	c.topo = topo
	totTopo, err := topoSort(c, func(m *metInfo) []*metInfo {
		if m.totals != nil {
			return m.totRefs
		}
		return m.refs
	})
	if err != nil {
		return nil, fmt.Errorf("totals: %w", err)
	}
	c.totTopo = totTopo
	// Every atom must be readable from the finest table.
	for _, a := range c.atoms {
		if _, ok := c.tables[0].column(a.col); !ok && a.col != "" {
			return nil, fmt.Errorf("column %s is not declared in table %s", a.col, c.tables[0].name)
		}
	}
	return c, nil
}

func compileTables(r *Report, c *compiled) error {
	seen := map[string]bool{}
	for i, t := range r.Tables {
		if !schema.ValidIdent(t.Name) {
			return fmt.Errorf("table %q: invalid name", t.Name)
		}
		if seen[t.Name] {
			return fmt.Errorf("table %s listed twice", t.Name)
		}
		seen[t.Name] = true
		ti := &tableInfo{name: t.Name, grain: t.DateGrain, dims: map[string]string{}, measures: map[string]string{}, size: t.Size, idx: i,
			from: t.From, sources: t.Sources}
		if t.From != "" && len(t.Sources) == 0 {
			return fmt.Errorf("table %s: a derived table (From) must list its Sources", t.Name)
		}
		for _, src := range t.Sources {
			if !schema.ValidIdent(src) {
				return fmt.Errorf("table %s: invalid source %q", t.Name, src)
			}
		}
		if ti.grain == "" {
			ti.grain = Day
		}
		if grainRank(ti.grain) < 1 {
			return fmt.Errorf("table %s: date grain %q is not day, week, month, quarter or year", t.Name, t.DateGrain)
		}
		if ti.size == 0 {
			ti.size = (len(r.Tables) - i) * 1000
		}
		if t.Dims == nil {
			for _, d := range c.dims {
				ti.dims[d.Name] = d.column
			}
		}
		for _, s := range t.Dims {
			name, col := splitMap(s)
			if col == "" {
				col = name
				if d, ok := c.dimBy[name]; ok {
					col = d.column
				}
			}
			if !schema.ValidIdent(name) || !schema.ValidIdent(col) {
				return fmt.Errorf("table %s: invalid dimension entry %q", t.Name, s)
			}
			if _, dup := ti.dims[name]; dup {
				return fmt.Errorf("table %s: dimension %s listed twice", t.Name, name)
			}
			ti.dims[name] = col
		}
		for _, s := range t.Measures {
			name, col := splitMap(s)
			if col == "" {
				col = name
			}
			if !schema.ValidIdent(name) || !schema.ValidIdent(col) {
				return fmt.Errorf("table %s: invalid measure entry %q", t.Name, s)
			}
			if _, dup := ti.measures[name]; dup {
				return fmt.Errorf("table %s: measure %s listed twice", t.Name, name)
			}
			if _, clash := ti.dims[name]; clash {
				return fmt.Errorf("table %s: %s is both a dimension and a measure", t.Name, name)
			}
			ti.measures[name] = col
		}
		if i == 0 {
			if ti.grain != Day {
				return fmt.Errorf("table %s: the first (finest) table must have day grain", t.Name)
			}
			for _, d := range c.dims {
				if _, ok := ti.dims[d.Name]; !ok {
					return fmt.Errorf("table %s: the first (finest) table must hold every dimension; %s is missing", t.Name, d.Name)
				}
			}
		} else if c.date == nil && ti.grain != Day {
			return fmt.Errorf("table %s: a date grain needs the report's DateDimension", t.Name)
		}
		c.tables = append(c.tables, ti)
	}
	return nil
}

// column resolves a logical column (measure, dimension or key) in t.
func (t *tableInfo) column(name string) (string, bool) {
	if col, ok := t.measures[name]; ok {
		return col, true
	}
	col, ok := t.dims[name]
	return col, ok
}

func (c *compiled) addAtom(a atom) int {
	if i, ok := c.atomBy[a]; ok {
		return i
	}
	c.atoms = append(c.atoms, a)
	c.atomBy[a] = len(c.atoms) - 1
	return len(c.atoms) - 1
}

func compileMetric(c *compiled, mi *metInfo) error {
	m := mi.Metric
	fin := c.tables[0]
	if m.Formula == "" {
		agg := m.Agg
		if agg == "" {
			agg = Sum
		}
		if !isAgg(agg) {
			return fmt.Errorf("unknown aggregation %q", m.Agg)
		}
		col := m.Column
		if col == "" {
			col = m.Name
		}
		if col != "*" {
			if _, ok := fin.column(col); !ok {
				return fmt.Errorf("column %s is not declared in table %s", col, fin.name)
			}
		} else if agg != Count {
			return fmt.Errorf("only count takes *")
		}
		if col == "*" {
			col = ""
		}
		kind := numAtom
		switch m.Type {
		case Date, Dict:
			if agg != Min && agg != Max {
				return fmt.Errorf("a %s metric needs min or max", m.Type)
			}
			kind = dateAtom
			if m.Type == Dict {
				kind = idAtom
				if !schema.ValidIdent(m.Related) {
					return fmt.Errorf("a dict metric needs Related (the related table)")
				}
			}
		}
		n := &call{fn: agg, col: col}
		if agg == Avg {
			n.atom = c.addAtom(atom{fn: Sum, col: col})
			n.atom2 = c.addAtom(atom{fn: Count, col: col})
		} else {
			n.atom = c.addAtom(atom{fn: agg, col: col, kind: kind})
		}
		mi.expr = n
		mi.text = printNode(n)
	} else {
		if m.Type == Date || m.Type == Dict {
			return fmt.Errorf("a %s metric cannot be a formula", m.Type)
		}
		n, refs, err := compileExpr(c, m.Formula)
		if err != nil {
			return fmt.Errorf("formula %q: %w", m.Formula, err)
		}
		mi.expr, mi.refs, mi.text = n, refs, printNode(n)
	}
	if m.Totals != "" {
		n, refs, err := compileExpr(c, m.Totals)
		if err != nil {
			return fmt.Errorf("totals %q: %w", m.Totals, err)
		}
		for _, r := range refs {
			if r == mi {
				return fmt.Errorf("totals %q: a totals expression cannot name its own metric", m.Totals)
			}
		}
		mi.totals, mi.totRefs, mi.totalsText = n, refs, printNode(n)
	}
	return nil
}

// compileExpr parses an expression and resolves metric names and columns.
func compileExpr(c *compiled, src string) (node, []*metInfo, error) {
	n, err := parseExpr(src)
	if err != nil {
		return nil, nil, err
	}
	var refs []*metInfo
	var walk func(n node) error
	walk = func(n node) error {
		switch x := n.(type) {
		case *metRef:
			m, ok := c.metBy[x.name]
			if !ok {
				return fmt.Errorf("unknown metric %q", x.name)
			}
			if m.Type == Date || m.Type == Dict {
				return fmt.Errorf("metric %s is a %s, not a number", x.name, m.Type)
			}
			x.m = m
			refs = append(refs, m)
		case *call:
			if x.col != "" {
				if _, ok := c.tables[0].column(x.col); !ok {
					return fmt.Errorf("column %s is not declared in table %s", x.col, c.tables[0].name)
				}
			}
			if x.fn == Avg {
				x.atom = c.addAtom(atom{fn: Sum, col: x.col})
				x.atom2 = c.addAtom(atom{fn: Count, col: x.col})
			} else {
				x.atom = c.addAtom(atom{fn: x.fn, col: x.col})
			}
		case *binop:
			if err := walk(x.l); err != nil {
				return err
			}
			return walk(x.r)
		case *neg:
			return walk(x.x)
		}
		return nil
	}
	if err := walk(n); err != nil {
		return nil, nil, err
	}
	return n, refs, nil
}

// topoSort orders metrics by their references and rejects cycles.
func topoSort(c *compiled, edges func(*metInfo) []*metInfo) ([]*metInfo, error) {
	const (
		white = iota
		grey
		black
	)
	state := make([]int, len(c.mets))
	var out []*metInfo
	var visit func(m *metInfo, path []string) error
	visit = func(m *metInfo, path []string) error {
		switch state[m.idx] {
		case grey:
			return fmt.Errorf("formulas form a cycle: %s", strings.Join(append(path, m.Name), " -> "))
		case black:
			return nil
		}
		state[m.idx] = grey
		for _, r := range edges(m) {
			if err := visit(r, append(path, m.Name)); err != nil {
				return err
			}
		}
		state[m.idx] = black
		out = append(out, m)
		return nil
	}
	for _, m := range c.mets {
		if err := visit(m, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
