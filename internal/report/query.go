package report

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/db"
)

// reserved are the parameters that are never filters on a report.
var reserved = []string{"account", "limit", "offset", "order_by", "format", "username", "api_key", "_",
	"group_by", "having", "totals", "selected_fields", "timeframe", "graph", "graph_group_by",
	"graph_group_by_type", "graph_order_by", "compare", "top"}

// query is a parsed, validated report request.
type query struct {
	r *Report
	c *compiled
	// groupBy are the grouped dimensions in request order; in graph mode
	// the graph dimension is not among them.
	groupBy  []*dimInfo
	tfDim    *dimInfo
	tfUnit   Grain
	filters  []*filt
	having   []havingCond
	order    []orderKey
	limit    int
	offset   int
	totals   bool
	selected []string // nil: every grouped dimension and metric
	graph    *graphSpec
	compare  *compareSpec
	top      int
	format   string
	// defaults applied (dimension name -> value).
	defaults map[string]any
	loc      *time.Location
	// needRow and needTot flag the metrics computed for rows and totals.
	needRow, needTot []bool
}

type orderKey struct {
	desc bool
	dim  *dimInfo
	met  *metInfo
}

type havingCond struct {
	met  *metInfo
	op   string // gt gte lt lte exact range
	vals []float64
	null bool // exact none
}

type graphSpec struct {
	dim  *dimInfo
	unit Grain
	gran string
	desc bool
}

type compareSpec struct {
	text       string
	from, to   time.Time
	pfrom, pto time.Time
	bounds     map[*filt]bool // the current range's filters, replaced in the comparison
}

func parseBool(p resource.Params, key string) (bool, *resource.Error) {
	if !p.Has(key) {
		return false, nil
	}
	if len(p.Values[key]) > 1 {
		return false, badRequest("Parameter '%s' is repeated.", key)
	}
	switch p.Get(key) {
	case "true", "True", "1":
		return true, nil
	case "false", "False", "0":
		return false, nil
	}
	return false, badRequest("Parameter '%s' takes true, false, 1 or 0, not %q.", key, p.Get(key))
}

// single returns the only value of key ("" when absent).
func single(p resource.Params, key string) (string, *resource.Error) {
	if len(p.Values[key]) > 1 {
		return "", badRequest("Parameter '%s' is repeated.", key)
	}
	return p.Get(key), nil
}

// list splits a comma list, repeated keys concatenating.
func splitList(p resource.Params, key string) []string {
	var out []string
	for _, v := range p.Values[key] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

var graphTypes = map[string]Grain{"hourly": Hour, "daily": Day, "weekly": Week, "monthly": Month}

// parseQuery validates every parameter of a request (spec/api.md §10.2).
func parseQuery(r *Report, p resource.Params, loc *time.Location) (*query, error) {
	c := r.c
	qr := &query{r: r, c: c, loc: loc, format: "json", limit: r.DefaultLimit}
	if p.Has("format") {
		f, e := single(p, "format")
		if e != nil {
			return nil, e
		}
		if f != "json" && f != "csv" {
			return nil, badRequest("Unsupported format %q: reports answer json or csv.", f)
		}
		qr.format = f
	}
	// group_by
	seen := map[string]bool{}
	for _, name := range splitList(p, "group_by") {
		d, ok := c.dimBy[name]
		if !ok {
			if _, isMetric := c.metBy[name]; isMetric {
				return nil, badRequest("Cannot group by metric '%s' (parameter 'group_by').", name)
			}
			return nil, badRequest("Unknown dimension '%s' in group_by.", name)
		}
		if d.NoGroupBy {
			return nil, badRequest("Dimension '%s' cannot be grouped by.", name)
		}
		if seen[name] {
			return nil, badRequest("Dimension '%s' appears twice in group_by.", name)
		}
		seen[name] = true
		qr.groupBy = append(qr.groupBy, d)
	}
	var err *resource.Error
	if qr.totals, err = parseBool(p, "totals"); err != nil {
		return nil, err
	}
	graph, err := parseBool(p, "graph")
	if err != nil {
		return nil, err
	}
	if graph {
		if err := qr.parseGraph(p); err != nil {
			return nil, err
		}
	} else {
		for _, k := range []string{"graph_group_by", "graph_group_by_type", "graph_order_by"} {
			if p.Has(k) {
				return nil, badRequest("Parameter '%s' needs graph=true.", k)
			}
		}
	}
	if tf, e := single(p, "timeframe"); e != nil {
		return nil, e
	} else if tf != "" {
		if qr.graph != nil {
			return nil, badRequest("Parameter 'timeframe' does not apply to graphs; use graph_group_by_type.")
		}
		name, unit, _ := strings.Cut(tf, "__")
		d, ok := c.dimBy[name]
		if !ok || (d.Type != Date && d.Type != DateTime) {
			return nil, badRequest("Parameter 'timeframe': '%s' is not a date dimension.", name)
		}
		if !contains(qr.groupByNames(), name) {
			return nil, badRequest("Parameter 'timeframe': dimension '%s' is not in group_by.", name)
		}
		if !contains(d.timeframes, unit) {
			return nil, badRequest("Parameter 'timeframe': '%s' takes %s, not %q.", name, strings.Join(d.timeframes, ", "), unit)
		}
		qr.tfDim, qr.tfUnit = d, Grain(unit)
	}
	if p.Has("selected_fields") {
		qr.selected = []string{}
		for _, name := range splitList(p, "selected_fields") {
			if _, ok := c.metBy[name]; ok {
				qr.selected = append(qr.selected, name)
				continue
			}
			d, ok := c.dimBy[name]
			if !ok {
				return nil, badRequest("Unknown field '%s' in selected_fields.", name)
			}
			if !contains(qr.groupByNames(), name) && (qr.graph == nil || qr.graph.dim != d) {
				return nil, badRequest("Field '%s' in selected_fields is a dimension that is not grouped.", name)
			}
			qr.selected = append(qr.selected, name)
		}
	}
	if t, e := single(p, "top"); e != nil {
		return nil, e
	} else if p.Has("top") {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || strconv.Itoa(n) != t {
			return nil, badRequest("Parameter 'top' must be an integer >= 1, not %q.", t)
		}
		qr.top = n
	}
	// Filters, then having: both count towards the filter limit.
	n := 0
	for _, k := range p.Keys {
		if contains(reserved, k) {
			continue
		}
		n += len(p.Values[k])
		if n > resource.MaxFilters {
			return nil, invalidFilter("At most %d filter parameters are allowed.", resource.MaxFilters)
		}
		f, e := parseFilter(c, k, p.Values[k], loc)
		if e != nil {
			return nil, e
		}
		qr.filters = append(qr.filters, f)
	}
	if err := qr.parseHaving(p, n); err != nil {
		return nil, err
	}
	if err := qr.parseOrder(p); err != nil {
		return nil, err
	}
	if qr.graph != nil {
		if p.Has("limit") || p.Has("offset") {
			return nil, invalidPagination("Graphs are not paginated: remove limit and offset.")
		}
	} else if err := qr.parsePage(p); err != nil {
		return nil, err
	}
	if cmp, e := single(p, "compare"); e != nil {
		return nil, e
	} else if p.Has("compare") {
		if err := qr.parseCompare(cmp); err != nil {
			return nil, err
		}
	}
	qr.computeNeeds()
	return qr, nil
}

func (qr *query) groupByNames() []string {
	out := make([]string, len(qr.groupBy))
	for i, d := range qr.groupBy {
		out[i] = d.Name
	}
	return out
}

func (qr *query) parseGraph(p resource.Params) *resource.Error {
	c := qr.c
	name, e := single(p, "graph_group_by")
	if e != nil {
		return e
	}
	if name == "" {
		if c.date == nil {
			return badRequest("Parameter 'graph_group_by' is required: this report has no date dimension.")
		}
		name = c.date.Name
	}
	d, ok := c.dimBy[name]
	if !ok || (d.Type != Date && d.Type != DateTime) {
		return badRequest("Parameter 'graph_group_by': '%s' is not a date dimension.", name)
	}
	g := &graphSpec{dim: d, unit: Day, gran: "daily"}
	typ, e := single(p, "graph_group_by_type")
	if e != nil {
		return e
	}
	if typ != "" {
		prefix, gran, ok := strings.Cut(typ, "__")
		if !ok {
			gran, prefix = prefix, name
		}
		unit, known := graphTypes[gran]
		if prefix != name || !known {
			return badRequest("Parameter 'graph_group_by_type' must be %s__hourly, %s__daily, %s__weekly or %s__monthly, not %q.", name, name, name, name, typ)
		}
		if unit == Hour && d.Type != DateTime {
			return badRequest("Parameter 'graph_group_by_type': hourly needs a datetime dimension; '%s' is a date.", name)
		}
		g.unit, g.gran = unit, gran
	}
	if o, e := single(p, "graph_order_by"); e != nil {
		return e
	} else if p.Has("graph_order_by") {
		switch o {
		case name:
		case "-" + name:
			g.desc = true
		default:
			return invalidOrdering("Parameter 'graph_order_by' must be %s or -%s, not %q.", name, name, o)
		}
	}
	// The graph dimension keys the rows; other grouped dimensions split
	// the series.
	var rest []*dimInfo
	for _, gd := range qr.groupBy {
		if gd != d {
			rest = append(rest, gd)
		}
	}
	qr.groupBy = rest
	qr.graph = g
	return nil
}

// parseHaving reads having=m__op=v[,m__op=v] (spec/api.md §10.2); a token
// without '=' continues the previous range.
func (qr *query) parseHaving(p resource.Params, nFilters int) *resource.Error {
	var toks []string
	for _, v := range p.Values["having"] {
		toks = append(toks, strings.Split(v, ",")...)
	}
	var open *havingCond // a range still taking values
	var openRaw []string
	closeRange := func() *resource.Error {
		if open == nil {
			return nil
		}
		if len(openRaw) != 2 {
			return invalidFilter("Parameter 'having': %s__range needs exactly two values.", open.met.Name)
		}
		for _, s := range openRaw {
			x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return invalidFilter("Parameter 'having': bad value %q for %s__range.", s, open.met.Name)
			}
			open.vals = append(open.vals, x)
		}
		qr.having = append(qr.having, *open)
		open, openRaw = nil, nil
		return nil
	}
	for _, tok := range toks {
		key, value, hasEq := strings.Cut(tok, "=")
		if !hasEq {
			if open == nil || len(openRaw) >= 2 || strings.TrimSpace(tok) == "" {
				return invalidFilter("Parameter 'having': %q is not metric__op=value.", tok)
			}
			openRaw = append(openRaw, tok)
			continue
		}
		if err := closeRange(); err != nil {
			return err
		}
		nFilters++
		if nFilters > resource.MaxFilters {
			return invalidFilter("At most %d filter parameters are allowed (having conditions included).", resource.MaxFilters)
		}
		name, op, hasOp := strings.Cut(key, "__")
		if !hasOp {
			op = "exact"
		}
		m, ok := qr.c.metBy[name]
		if !ok {
			if _, isDim := qr.c.dimBy[name]; isDim {
				return invalidFilter("Parameter 'having': '%s' is a dimension; having takes metrics (filter dimensions with %s=…).", name, name)
			}
			return invalidFilter("Parameter 'having': unknown metric '%s'.", name)
		}
		if m.Type == Date || m.Type == Dict {
			return invalidFilter("Parameter 'having': metric '%s' is a %s, not a number.", name, m.Type)
		}
		h := havingCond{met: m, op: op}
		switch op {
		case "range":
			open, openRaw = &h, []string{value}
			continue
		case "gt", "gte", "lt", "lte", "exact":
			if op == "exact" && resource.IsNullWord(value) {
				h.null = true
			} else {
				x, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				if err != nil {
					return invalidFilter("Parameter 'having': bad value %q for %s.", value, key)
				}
				h.vals = []float64{x}
			}
		default:
			return invalidFilter("Parameter 'having': unknown operator '%s' in %s (gt, gte, lt, lte, exact or range).", op, key)
		}
		qr.having = append(qr.having, h)
	}
	return closeRange()
}

func (qr *query) parseOrder(p resource.Params) *resource.Error {
	for _, k := range splitList(p, "order_by") {
		desc := strings.HasPrefix(k, "-")
		name := strings.TrimPrefix(k, "-")
		if m, ok := qr.c.metBy[name]; ok {
			qr.order = append(qr.order, orderKey{desc: desc, met: m})
			continue
		}
		d, ok := qr.c.dimBy[name]
		if !ok {
			return invalidOrdering("Ordering by '%s' is not allowed: it is neither a metric nor a dimension of %s.", name, qr.r.Name)
		}
		if !contains(qr.groupByNames(), name) {
			if qr.graph != nil && qr.graph.dim == d {
				return invalidOrdering("Ordering a graph by '%s': use graph_order_by.", name)
			}
			return invalidOrdering("Ordering by '%s' needs it in group_by.", name)
		}
		qr.order = append(qr.order, orderKey{desc: desc, dim: d})
	}
	if len(qr.order) == 0 {
		qr.order = []orderKey{{desc: true, met: qr.c.mets[0]}}
	}
	return nil
}

func (qr *query) parsePage(p resource.Params) *resource.Error {
	if qr.format == "csv" {
		qr.limit, qr.offset = 0, 0
		return nil
	}
	r := qr.r
	if p.Has("limit") {
		n, e := strconv.Atoi(p.Get("limit"))
		if e != nil || n < 0 || len(p.Values["limit"]) > 1 {
			return invalidPagination("Invalid limit %q: must be an integer >= 0.", p.Get("limit"))
		}
		qr.limit = n
	}
	if qr.limit == 0 || qr.limit > r.MaxLimit {
		qr.limit = r.MaxLimit
	}
	if p.Has("offset") {
		n, e := strconv.Atoi(p.Get("offset"))
		if e != nil || n < 0 || len(p.Values["offset"]) > 1 {
			return invalidPagination("Invalid offset %q: must be an integer >= 0.", p.Get("offset"))
		}
		qr.offset = n
	}
	return nil
}

// parseCompare needs both bounds of a filter on the date dimension.
func (qr *query) parseCompare(text string) *resource.Error {
	d := qr.c.date
	if d == nil {
		return badRequest("Parameter 'compare': report %s has no date dimension.", qr.r.Name)
	}
	cs := &compareSpec{text: text, bounds: map[*filt]bool{}}
	var lo, hi *filt
	for _, f := range qr.filters {
		if f.dim != d || f.rel != "" {
			continue
		}
		switch f.lookup {
		case "gte":
			lo = f
		case "lte":
			hi = f
		case "range":
			lo, hi = f, f
		}
	}
	if lo == nil || hi == nil || lo.vals[0] == nil || hi.vals[len(hi.vals)-1] == nil {
		return badRequest("Parameter 'compare' needs both bounds of the date: %s__gte and %s__lte, or %s__range.", d.Name, d.Name, d.Name)
	}
	day := func(v any) time.Time {
		switch x := v.(type) {
		case string:
			t, _ := parseDay(x)
			return t
		case time.Time:
			return localDay(x, qr.loc)
		}
		return time.Time{}
	}
	cs.from, cs.to = day(lo.vals[0]), day(hi.vals[len(hi.vals)-1])
	cs.bounds[lo], cs.bounds[hi] = true, true
	if cs.to.Before(cs.from) {
		return badRequest("Parameter 'compare': the date range is empty.")
	}
	switch text {
	case "previous_period":
		days := int(cs.to.Sub(cs.from).Hours()/24) + 1
		cs.pto = cs.from.AddDate(0, 0, -1)
		cs.pfrom = cs.pto.AddDate(0, 0, -(days - 1))
	case "previous_year":
		cs.pfrom, cs.pto = previousYear(cs.from), previousYear(cs.to)
	default:
		a, b, ok := strings.Cut(text, "..")
		pf, ok1 := parseDay(a)
		pt, ok2 := parseDay(b)
		if !ok || !ok1 || !ok2 || pt.Before(pf) {
			return badRequest("Parameter 'compare' takes previous_period, previous_year or YYYY-MM-DD..YYYY-MM-DD, not %q.", text)
		}
		cs.pfrom, cs.pto = pf, pt
	}
	qr.compare = cs
	return nil
}

// compareFilters are the filters of the comparison: the current date
// bounds replaced by the comparison range.
func (qr *query) compareFilters() []*filt {
	cs := qr.compare
	d := qr.c.date
	var out []*filt
	for _, f := range qr.filters {
		if !cs.bounds[f] {
			out = append(out, f)
		}
	}
	if d.Type == Date {
		out = append(out, &filt{key: d.Name + "__range", dim: d, typ: fDate, lookup: "range", vals: []any{dayString(cs.pfrom), dayString(cs.pto)}})
	} else {
		from := time.Date(cs.pfrom.Year(), cs.pfrom.Month(), cs.pfrom.Day(), 0, 0, 0, 0, qr.loc)
		to := time.Date(cs.pto.Year(), cs.pto.Month(), cs.pto.Day()+1, 0, 0, 0, 0, qr.loc)
		out = append(out,
			&filt{key: d.Name + "__gte", dim: d, typ: fDateTime, lookup: "gte", vals: []any{from.UTC()}},
			&filt{key: d.Name + "__lt", dim: d, typ: fDateTime, lookup: "lt", vals: []any{to.UTC()}})
	}
	return out
}

// applyDefaults adds each dimension's default filter when the request
// neither filters nor groups by it.
func (qr *query) applyDefaults(ctx context.Context, d *db.DB) error {
	for _, dim := range qr.c.dims {
		if dim.Default == nil || contains(qr.groupByNames(), dim.Name) || (qr.graph != nil && qr.graph.dim == dim) {
			continue
		}
		filtered := false
		for _, f := range qr.filters {
			filtered = filtered || f.dim == dim
		}
		if filtered {
			continue
		}
		v, err := dim.Default(ctx, d)
		if err != nil {
			return fmt.Errorf("default of %s: %w", dim.Name, err)
		}
		if v == nil {
			continue
		}
		if s, ok := v.(string); ok {
			if pv, err := parseFilterValue(dimFType(dim.Type), s, qr.loc); err == nil {
				v = pv
			}
		}
		if f, ok := v.(float64); ok && (dim.Type == Integer || dim.Type == Dict) {
			v = int64(f)
		}
		if n, ok := v.(int32); ok {
			v = int64(n)
		}
		qr.filters = append(qr.filters, &filt{key: dim.Name, dim: dim, typ: dimFType(dim.Type), lookup: "exact", vals: []any{v}, raw: []string{fmt.Sprint(v)}})
		if qr.defaults == nil {
			qr.defaults = map[string]any{}
		}
		qr.defaults[dim.Name] = v
	}
	return nil
}

// computeNeeds flags the metrics rows and totals must compute.
func (qr *query) computeNeeds() {
	c := qr.c
	qr.needRow = make([]bool, len(c.mets))
	qr.needTot = make([]bool, len(c.mets))
	var markRow, markTot func(m *metInfo)
	markRow = func(m *metInfo) {
		if qr.needRow[m.idx] {
			return
		}
		qr.needRow[m.idx] = true
		for _, r := range m.refs {
			markRow(r)
		}
	}
	markTot = func(m *metInfo) {
		if qr.needTot[m.idx] {
			return
		}
		qr.needTot[m.idx] = true
		refs := m.refs
		if m.totals != nil {
			refs = m.totRefs
		}
		for _, r := range refs {
			markTot(r)
		}
	}
	for _, m := range qr.outMetrics() {
		markRow(m)
		if qr.totals {
			markTot(m)
		}
	}
	for _, h := range qr.having {
		markRow(h.met)
	}
	for _, o := range qr.order {
		if o.met != nil {
			markRow(o.met)
		}
	}
}

// outMetrics are the metrics in the output, in declared order (or the
// order of selected_fields).
func (qr *query) outMetrics() []*metInfo {
	if qr.selected == nil {
		return qr.c.mets
	}
	var out []*metInfo
	for _, n := range qr.selected {
		if m, ok := qr.c.metBy[n]; ok {
			out = append(out, m)
		}
	}
	return out
}

// outDims are the dimensions in the output, graph dimension first.
func (qr *query) outDims() []*dimInfo {
	var out []*dimInfo
	if qr.graph != nil {
		out = append(out, qr.graph.dim)
	}
	out = append(out, qr.groupBy...)
	if qr.selected == nil {
		return out
	}
	var kept []*dimInfo
	for _, d := range out {
		if contains(qr.selected, d.Name) {
			kept = append(kept, d)
		}
	}
	return kept
}

// atomsFor lists the atoms the flagged metrics read (totals expressions
// when tot).
func (qr *query) atomsFor(need []bool, tot bool) []int {
	set := map[int]bool{}
	var walk func(n node)
	walk = func(n node) {
		switch x := n.(type) {
		case *call:
			set[x.atom] = true
			if x.fn == Avg {
				set[x.atom2] = true
			}
		case *binop:
			walk(x.l)
			walk(x.r)
		case *neg:
			walk(x.x)
		}
	}
	for _, m := range qr.c.mets {
		if !need[m.idx] {
			continue
		}
		if tot && m.totals != nil {
			walk(m.totals)
		} else {
			walk(m.expr)
		}
	}
	out := make([]int, 0, len(set))
	for i := range set {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// key is the normalised request: the same for equivalent requests.
// withPage adds limit and offset (the ETag needs them; the results cache
// does not).
func (qr *query) key(withPage bool) string {
	var b strings.Builder
	w := func(k, v string) { b.WriteString(k + "=" + v + "\x1e") }
	w("g", strings.Join(qr.groupByNames(), ","))
	if qr.tfDim != nil {
		w("tf", qr.tfDim.Name+"__"+string(qr.tfUnit))
	}
	var fs []string
	for _, f := range qr.filters {
		fs = append(fs, f.key+"\x1f"+fmt.Sprint(f.vals...))
	}
	sort.Strings(fs)
	w("f", strings.Join(fs, "\x1d"))
	var hs []string
	for _, h := range qr.having {
		hs = append(hs, fmt.Sprint(h.met.Name, h.op, h.vals, h.null))
	}
	w("h", strings.Join(hs, ";"))
	var os []string
	for _, o := range qr.order {
		n := ""
		if o.met != nil {
			n = o.met.Name
		} else {
			n = o.dim.Name
		}
		if o.desc {
			n = "-" + n
		}
		os = append(os, n)
	}
	w("o", strings.Join(os, ","))
	w("t", strconv.FormatBool(qr.totals))
	if qr.selected != nil {
		w("s", strings.Join(qr.selected, ","))
	}
	if g := qr.graph; g != nil {
		w("graph", fmt.Sprint(g.dim.Name, g.unit, g.desc))
	}
	if cs := qr.compare; cs != nil {
		w("cmp", dayString(cs.pfrom)+".."+dayString(cs.pto))
	}
	w("top", strconv.Itoa(qr.top))
	if withPage {
		w("fmt", qr.format)
		w("page", strconv.Itoa(qr.limit)+","+strconv.Itoa(qr.offset))
	}
	return b.String()
}
