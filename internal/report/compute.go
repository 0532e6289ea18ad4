package report

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Evaluation order (spec/api.md §10.3): filters (WHERE) -> group by (with
// timeframe buckets) -> aggregate atoms (SQL) -> formulas -> having ->
// order -> top folding -> limit/offset (at render). Totals and compare
// reuse the same filters.

// maxFoldKeys bounds the key tuples a distinct count over folded groups
// sends to the database.
const maxFoldKeys = 5000

func (qr *query) groupCols() []groupCol {
	out := make([]groupCol, len(qr.groupBy))
	for i, d := range qr.groupBy {
		out[i] = groupCol{dim: d}
		if d == qr.tfDim {
			out[i].unit = qr.tfUnit
		}
	}
	return out
}

func (x *exec) evalRow(qr *query, r *row) {
	r.mets = make([]val, len(x.c.mets))
	for _, m := range x.c.topo {
		if qr.needRow[m.idx] {
			r.mets[m.idx] = eval(m.expr, r.atoms, r.mets)
		}
	}
}

func (x *exec) evalTotals(qr *query, r *row) {
	r.mets = make([]val, len(x.c.mets))
	for _, m := range x.c.totTopo {
		if !qr.needTot[m.idx] {
			continue
		}
		n := m.expr
		if m.totals != nil {
			n = m.totals
		}
		r.mets[m.idx] = eval(n, r.atoms, r.mets)
	}
}

// zeroRow is a group with no rows: 0 for sums and counts, null for the
// rest, formulas of those.
func (x *exec) zeroRow(qr *query, keys []any, dicts []map[string]any) *row {
	r := &row{keys: keys, dicts: dicts, atoms: make([]val, len(x.c.atoms)), zero: true}
	for i, a := range x.c.atoms {
		switch a.fn {
		case Sum, Count, CountDistinct:
			r.atoms[i] = num(0)
		}
	}
	x.evalRow(qr, r)
	return r
}

func (x *exec) havingPasses(qr *query, r *row) bool {
	for _, h := range qr.having {
		v, ok := outNumber(h.met.Type, r.mets[h.met.idx], x.factor)
		if h.null {
			if ok {
				return false
			}
			continue
		}
		if !ok {
			return false
		}
		var pass bool
		switch h.op {
		case "gt":
			pass = v > h.vals[0]
		case "gte":
			pass = v >= h.vals[0]
		case "lt":
			pass = v < h.vals[0]
		case "lte":
			pass = v <= h.vals[0]
		case "exact":
			pass = v == h.vals[0]
		case "range":
			pass = v >= h.vals[0] && v <= h.vals[1]
		}
		if !pass {
			return false
		}
	}
	return true
}

func (x *exec) applyHaving(qr *query, rows []*row) []*row {
	if len(qr.having) == 0 {
		return rows
	}
	out := rows[:0:0]
	for _, r := range rows {
		if x.havingPasses(qr, r) {
			out = append(out, r)
		}
	}
	return out
}

// cmpKey compares key values of one type, nulls last; ok=false when both
// are null.
func cmpKey(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case time.Time:
		return x.Compare(b.(time.Time))
	}
	return 0
}

// cmpDim compares two rows on group column i: dict by name, then id.
func cmpDim(a, b *row, i int, dict bool) int {
	if dict {
		var na, nb any
		if a.dicts != nil {
			na = a.dicts[i]["name"]
		}
		if b.dicts != nil {
			nb = b.dicts[i]["name"]
		}
		if c := cmpKey(na, nb); c != 0 {
			return c
		}
	}
	return cmpKey(a.keys[i], b.keys[i])
}

// sortRows orders groups by order_by, then by every group key ascending;
// nulls last in both directions. first is the index of the first group
// column in the keys (1 in graph mode, where 0 is the bucket).
func (x *exec) sortRows(qr *query, rows []*row, cols []groupCol, first int) {
	pos := map[*dimInfo]int{}
	for i, g := range cols {
		pos[g.dim] = first + i
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		for _, o := range qr.order {
			var c int
			if o.met != nil {
				c = x.cmpMetric(o.met, a.mets[o.met.idx], b.mets[o.met.idx], o.desc)
			} else {
				k := pos[o.dim]
				if a.keys[k] == nil || b.keys[k] == nil {
					c = cmpKey(a.keys[k], b.keys[k])
				} else {
					c = cmpDim(a, b, k, o.dim.Type == Dict)
					if o.desc {
						c = -c
					}
				}
			}
			if c != 0 {
				return c < 0
			}
		}
		for k, g := range cols {
			if c := cmpDim(a, b, first+k, g.dim.Type == Dict); c != 0 {
				return c < 0
			}
		}
		return false
	})
}

// cmpMetric compares metric values as output (rounded), nulls last.
func (x *exec) cmpMetric(m *metInfo, a, b val, desc bool) int {
	if !a.ok || !b.ok {
		switch {
		case a.ok:
			return -1
		case b.ok:
			return 1
		}
		return 0
	}
	var c int
	if m.Type == Date {
		c = strings.Compare(a.s, b.s)
	} else {
		fa, _ := outNumber(m.Type, a, x.factor)
		fb, _ := outNumber(m.Type, b, x.factor)
		switch {
		case fa < fb:
			c = -1
		case fa > fb:
			c = 1
		}
	}
	if desc {
		c = -c
	}
	return c
}

func decomposable(c *compiled, atoms []int) bool {
	for _, i := range atoms {
		if c.atoms[i].fn == CountDistinct {
			return false
		}
	}
	return true
}

// mergeInto re-aggregates src's atoms into dst (sums and counts add, min
// and max keep the extreme).
func mergeInto(c *compiled, atoms []int, dst, src *row) {
	for _, i := range atoms {
		a, b := dst.atoms[i], src.atoms[i]
		if !b.ok {
			continue
		}
		if !a.ok {
			dst.atoms[i] = b
			continue
		}
		switch c.atoms[i].fn {
		case Sum, Count:
			dst.atoms[i] = num(a.f + b.f)
		case Min, Max:
			less := a.f < b.f
			if c.atoms[i].kind == dateAtom {
				less = a.s < b.s
			}
			if less == (c.atoms[i].fn == Max) {
				dst.atoms[i] = b
			}
		}
	}
}

// fold aggregates the rows of several groups into one "(other)" row: in Go
// when every atom re-aggregates, else (distinct counts) in SQL over the
// groups' keys.
func (x *exec) fold(ctx context.Context, qr *query, rows []*row, base aggSpec) (*row, error) {
	o := &row{other: true, keys: make([]any, len(base.groups)), atoms: make([]val, len(x.c.atoms))}
	if decomposable(x.c, base.atoms) {
		for i, a := range x.c.atoms {
			if a.fn == Sum || a.fn == Count {
				o.atoms[i] = num(0)
			}
		}
		for _, r := range rows {
			mergeInto(x.c, base.atoms, o, r)
		}
	} else {
		var tuples [][]any
		for _, r := range rows {
			if !r.zero {
				tuples = append(tuples, r.keys)
			}
		}
		if len(tuples) > maxFoldKeys {
			return nil, badRequest("top folds %d groups with a distinct count; narrow the filters.", len(tuples))
		}
		res, err := x.run(ctx, aggSpec{t: base.t, atoms: base.atoms, filters: base.filters, keys: &keyPred{cols: base.groups, tuples: tuples}})
		if err != nil {
			return nil, err
		}
		o.atoms = res[0].atoms
	}
	x.evalRow(qr, o)
	return o, nil
}

// keyString identifies a key tuple.
func keyString(keys []any) string {
	var b strings.Builder
	for _, k := range keys {
		switch v := k.(type) {
		case nil:
			b.WriteString("n")
		case string:
			b.WriteString("s" + v)
		case int64:
			b.WriteString("i" + strconv.FormatInt(v, 10))
		case time.Time:
			b.WriteString("t" + strconv.FormatInt(v.UnixNano(), 10))
		}
		b.WriteByte(0x1f)
	}
	return b.String()
}

// bucketIndex counts buckets of unit from start to b.
func bucketIndex(unit Grain, start, b time.Time) int64 {
	switch unit {
	case Hour:
		return int64(b.Sub(start) / time.Hour)
	case Day:
		return int64(b.Sub(start).Hours()/24 + 0.5)
	case Week:
		return int64(b.Sub(start).Hours()/24/7 + 0.5)
	}
	months := int64(b.Year()-start.Year())*12 + int64(b.Month()-start.Month())
	switch unit {
	case Quarter:
		return months / 3
	case Year:
		return int64(b.Year() - start.Year())
	}
	return months
}

// pairKey keys a row for the comparison join: the date dimension's
// bucket becomes its position from the range start, so buckets pair by
// position; other keys match as they are.
func (x *exec) pairKey(qr *query, r *row, cols []groupCol, from time.Time) string {
	keys := append([]any{}, r.keys...)
	for i, g := range cols {
		if g.dim != x.c.date || keys[i] == nil {
			continue
		}
		unit := g.unit
		switch v := keys[i].(type) {
		case string:
			if unit == "" {
				unit = Day
			}
			d, _ := parseDay(v)
			keys[i] = "p" + strconv.FormatInt(bucketIndex(unit, bucketOf(unit, from, time.UTC), d), 10)
		case time.Time:
			start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, x.loc)
			if unit == Hour {
				keys[i] = "p" + strconv.FormatInt(bucketIndex(Hour, bucketOf(Hour, start, x.loc), v), 10)
			} else {
				keys[i] = "p" + strconv.FormatInt(int64(v.Sub(start)), 10)
			}
		}
	}
	return keyString(keys)
}

func (x *exec) totals(ctx context.Context, qr *query, filters []*filt) (*row, string, error) {
	atoms := qr.atomsFor(qr.needTot, true)
	t := x.c.plan(needs{filters: filters, atoms: atoms})
	res, err := x.run(ctx, aggSpec{t: t, atoms: atoms, filters: filters})
	if err != nil {
		return nil, "", err
	}
	tr := res[0]
	x.evalTotals(qr, tr)
	return tr, t.name, nil
}

func (x *exec) withTotals(ctx context.Context, qr *query, comp *computed) error {
	if !qr.totals {
		return nil
	}
	tr, _, err := x.totals(ctx, qr, qr.filters)
	if err != nil {
		return err
	}
	if qr.compare != nil {
		if tr.cmp, _, err = x.totals(ctx, qr, qr.compareFilters()); err != nil {
			return err
		}
	}
	comp.totals = tr
	return nil
}

// computeGroups answers a list request.
func (x *exec) computeGroups(ctx context.Context, qr *query) (*computed, error) {
	cols := qr.groupCols()
	atoms := qr.atomsFor(qr.needRow, false)
	t := x.c.plan(needs{groups: cols, filters: qr.filters, atoms: atoms})
	base := aggSpec{t: t, groups: cols, atoms: atoms, filters: qr.filters}
	rows, err := x.run(ctx, base)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		x.evalRow(qr, r)
	}
	rows = x.applyHaving(qr, rows)
	x.sortRows(qr, rows, cols, 0)
	var folded []*row
	if qr.top > 0 && len(rows) > qr.top {
		folded = append([]*row{}, rows[qr.top:]...)
		rows = append([]*row{}, rows[:qr.top]...)
		other, err := x.fold(ctx, qr, folded, base)
		if err != nil {
			return nil, err
		}
		rows = append(rows, other)
	}
	comp := &computed{cols: qr.groupBy, rows: rows, servedFrom: t.name}
	if cs := qr.compare; cs != nil {
		cf := qr.compareFilters()
		t2 := x.c.plan(needs{groups: cols, filters: cf, atoms: atoms})
		pbase := aggSpec{t: t2, groups: cols, atoms: atoms, filters: cf}
		prev, err := x.run(ctx, pbase)
		if err != nil {
			return nil, err
		}
		index := map[string]*row{}
		for _, p := range prev {
			x.evalRow(qr, p)
			index[x.pairKey(qr, p, cols, cs.pfrom)] = p
		}
		match := func(r *row) *row {
			if p, ok := index[x.pairKey(qr, r, cols, cs.from)]; ok {
				return p
			}
			return x.zeroRow(qr, r.keys, r.dicts)
		}
		for _, r := range rows {
			if !r.other {
				r.cmp = match(r)
			}
		}
		if folded != nil {
			var matched []*row
			for _, r := range folded {
				matched = append(matched, match(r))
			}
			if rows[len(rows)-1].cmp, err = x.fold(ctx, qr, matched, pbase); err != nil {
				return nil, err
			}
		}
	}
	if err := x.withTotals(ctx, qr, comp); err != nil {
		return nil, err
	}
	return comp, nil
}

// graphBounds reads the bucket range the filters on the graph dimension
// ask for.
func (x *exec) graphBounds(qr *query, filters []*filt) (lo, hi time.Time, hasLo, hasHi bool) {
	g := qr.graph
	setLo := func(t time.Time) {
		if !hasLo || t.After(lo) {
			lo, hasLo = t, true
		}
	}
	setHi := func(t time.Time) {
		if !hasHi || t.Before(hi) {
			hi, hasHi = t, true
		}
	}
	for _, f := range filters {
		if f.dim != g.dim || f.rel != "" || len(f.vals) == 0 || f.vals[0] == nil {
			continue
		}
		if g.dim.Type == Date {
			day := func(v any) time.Time { d, _ := parseDay(v.(string)); return d }
			v := day(f.vals[0])
			switch f.lookup {
			case "gte":
				setLo(v)
			case "gt":
				setLo(v.AddDate(0, 0, 1))
			case "lte":
				setHi(v)
			case "lt":
				setHi(v.AddDate(0, 0, -1))
			case "exact":
				setLo(v)
				setHi(v)
			case "range":
				setLo(v)
				setHi(day(f.vals[1]))
			}
			continue
		}
		v, ok := f.vals[0].(time.Time)
		if !ok {
			continue
		}
		switch f.lookup {
		case "gte", "gt":
			setLo(v)
		case "lte":
			setHi(v)
		case "lt":
			setHi(v.Add(-time.Nanosecond))
		case "exact":
			setLo(v)
			setHi(v)
		case "range":
			setLo(v)
			setHi(f.vals[1].(time.Time))
		case "date":
			setLo(v)
			setHi(v.AddDate(0, 0, 1).Add(-time.Nanosecond))
		}
	}
	// To buckets.
	conv := func(t time.Time) time.Time {
		switch {
		case g.unit == Hour:
			return bucketOf(Hour, t, x.loc)
		case g.dim.Type == DateTime:
			return bucketOf(g.unit, localDay(t, x.loc), time.UTC)
		}
		return bucketOf(g.unit, t, time.UTC)
	}
	if hasLo {
		lo = conv(lo)
	}
	if hasHi {
		hi = conv(hi)
	}
	return
}

// bucketTime reads a bucket key as a time.
func bucketTime(k any) (time.Time, bool) {
	switch v := k.(type) {
	case string:
		return parseDay(v)
	case time.Time:
		return v, true
	}
	return time.Time{}, false
}

func (x *exec) bucketKey(g *graphSpec, t time.Time) any {
	if g.unit == Hour {
		return t
	}
	return dayString(t)
}

type combo struct {
	keys  []any
	dicts []map[string]any
	other bool
}

// computeGraph answers graph=true: one row per bucket (and group),
// zero-filled between the bounds.
func (x *exec) computeGraph(ctx context.Context, qr *query) (*computed, error) {
	g := qr.graph
	dcols := qr.groupCols()
	scols := append([]groupCol{{dim: g.dim, unit: g.unit}}, dcols...)
	atoms := qr.atomsFor(qr.needRow, false)
	t := x.c.plan(needs{groups: scols, filters: qr.filters, atoms: atoms})
	// having and top pick groups by their whole-range values.
	var keep, fold map[string]bool
	var foldTuples [][]any
	if len(qr.having) > 0 || qr.top > 0 {
		keep, fold = map[string]bool{}, map[string]bool{}
		tw := x.c.plan(needs{groups: dcols, filters: qr.filters, atoms: atoms})
		whole, err := x.run(ctx, aggSpec{t: tw, groups: dcols, atoms: atoms, filters: qr.filters})
		if err != nil {
			return nil, err
		}
		for _, r := range whole {
			x.evalRow(qr, r)
		}
		whole = x.applyHaving(qr, whole)
		x.sortRows(qr, whole, dcols, 0)
		for i, r := range whole {
			if qr.top > 0 && i >= qr.top {
				fold[keyString(r.keys)] = true
				foldTuples = append(foldTuples, r.keys)
			} else {
				keep[keyString(r.keys)] = true
			}
		}
	}
	series := func(t *tableInfo, filters []*filt) (map[string]*row, map[string]*combo, map[string]*row, []time.Time, error) {
		rows, err := x.run(ctx, aggSpec{t: t, groups: scols, atoms: atoms, filters: filters})
		if err != nil {
			return nil, nil, nil, nil, err
		}
		byKey := map[string]*row{}
		combos := map[string]*combo{}
		others := map[string]*row{} // bucket key -> (other)
		var seen []time.Time
		base := aggSpec{t: t, groups: dcols, atoms: atoms, filters: filters}
		var foldedRows []*row
		for _, r := range rows {
			dk := keyString(r.keys[1:])
			if keep != nil && !keep[dk] && !fold[dk] {
				continue
			}
			if bt, ok := bucketTime(r.keys[0]); ok {
				seen = append(seen, bt)
			}
			if fold[dk] {
				foldedRows = append(foldedRows, r)
				continue
			}
			x.evalRow(qr, r)
			byKey[keyString(r.keys)] = r
			if _, ok := combos[dk]; !ok {
				var dicts []map[string]any
				if r.dicts != nil {
					dicts = r.dicts[1:]
				}
				combos[dk] = &combo{keys: r.keys[1:], dicts: dicts}
			}
		}
		if len(foldTuples) > 0 {
			combos["\x00other"] = &combo{keys: make([]any, len(dcols)), other: true}
			if decomposable(x.c, atoms) {
				for _, r := range foldedRows {
					bk := keyString(r.keys[:1])
					o, ok := others[bk]
					if !ok {
						o = &row{other: true, keys: append([]any{r.keys[0]}, make([]any, len(dcols))...), atoms: make([]val, len(x.c.atoms))}
						others[bk] = o
					}
					mergeInto(x.c, atoms, o, r)
				}
			} else {
				if len(foldTuples) > maxFoldKeys {
					return nil, nil, nil, nil, badRequest("top folds %d groups with a distinct count; narrow the filters.", len(foldTuples))
				}
				res, err := x.run(ctx, aggSpec{t: base.t, groups: scols[:1], atoms: atoms, filters: filters, keys: &keyPred{cols: dcols, tuples: foldTuples}})
				if err != nil {
					return nil, nil, nil, nil, err
				}
				for _, r := range res {
					r.other = true
					r.keys = append(r.keys, make([]any, len(dcols))...)
					others[keyString(r.keys[:1])] = r
				}
			}
			for _, o := range others {
				x.evalRow(qr, o)
			}
		}
		return byKey, combos, others, seen, nil
	}
	byKey, combos, others, seen, err := series(t, qr.filters)
	if err != nil {
		return nil, err
	}
	lo, hi, hasLo, hasHi := x.graphBounds(qr, qr.filters)
	if len(seen) > 0 {
		minS, maxS := seen[0], seen[0]
		for _, s := range seen {
			if s.Before(minS) {
				minS = s
			}
			if s.After(maxS) {
				maxS = s
			}
		}
		if !hasLo {
			lo, hasLo = minS, true
		}
		if !hasHi {
			hi, hasHi = maxS, true
		}
	}
	if !hasLo && hasHi {
		lo, hasLo = hi, true
	}
	if hasLo && !hasHi {
		hi, hasHi = lo, true
	}
	if len(dcols) == 0 && keep != nil && len(keep) == 0 {
		combos = map[string]*combo{} // having removed the one group
	} else if len(dcols) == 0 {
		combos = map[string]*combo{"": {}}
	}
	var buckets []time.Time
	if hasLo && hasHi {
		for b := lo; !b.After(hi); b = nextBucket(g.unit, b) {
			buckets = append(buckets, b)
			if len(buckets)*max(1, len(combos)) > x.graphMax {
				return nil, badRequest("The graph would have more than %d rows; narrow the date range, use a coarser graph_group_by_type or group by fewer dimensions.", x.graphMax)
			}
		}
	}
	// Combos in group-key order, (other) last.
	clist := make([]*combo, 0, len(combos))
	for _, c := range combos {
		clist = append(clist, c)
	}
	sort.SliceStable(clist, func(i, j int) bool {
		a, b := clist[i], clist[j]
		if a.other != b.other {
			return b.other
		}
		ra, rb := &row{keys: a.keys, dicts: a.dicts}, &row{keys: b.keys, dicts: b.dicts}
		for k, gc := range dcols {
			if c := cmpDim(ra, rb, k, gc.dim.Type == Dict); c != 0 {
				return c < 0
			}
		}
		return false
	})
	if g.desc {
		for i, j := 0, len(buckets)-1; i < j; i, j = i+1, j-1 {
			buckets[i], buckets[j] = buckets[j], buckets[i]
		}
	}
	lookup := func(byKey map[string]*row, others map[string]*row, bk any, c *combo) *row {
		keys := append([]any{bk}, c.keys...)
		var r *row
		if c.other {
			r = others[keyString(keys[:1])]
		} else {
			r = byKey[keyString(keys)]
		}
		if r == nil {
			var dicts []map[string]any
			if c.dicts != nil {
				dicts = append([]map[string]any{nil}, c.dicts...)
			}
			r = x.zeroRow(qr, keys, dicts)
			r.other = c.other
		}
		return r
	}
	var rows []*row
	for _, b := range buckets {
		for _, c := range clist {
			rows = append(rows, lookup(byKey, others, x.bucketKey(g, b), c))
		}
	}
	comp := &computed{cols: append([]*dimInfo{g.dim}, qr.groupBy...), rows: rows, servedFrom: t.name}
	if cs := qr.compare; cs != nil {
		cf := qr.compareFilters()
		t2 := x.c.plan(needs{groups: scols, filters: cf, atoms: atoms})
		pByKey, _, pOthers, _, err := series(t2, cf)
		if err != nil {
			return nil, err
		}
		// Pair buckets by position from each range's start.
		startOf := func(from time.Time) time.Time {
			if g.unit == Hour {
				return bucketOf(Hour, time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, x.loc), x.loc)
			}
			return bucketOf(g.unit, from, time.UTC)
		}
		cur, prevStart := startOf(cs.from), startOf(cs.pfrom)
		for _, r := range rows {
			bt, _ := bucketTime(r.keys[0])
			pos := bucketIndex(g.unit, cur, bt)
			pb := prevStart
			for i := int64(0); i < pos; i++ {
				pb = nextBucket(g.unit, pb)
			}
			c := &combo{keys: r.keys[1:], other: r.other}
			if r.dicts != nil {
				c.dicts = r.dicts[1:]
			}
			r.cmp = lookup(pByKey, pOthers, x.bucketKey(g, pb), c)
		}
	}
	if err := x.withTotals(ctx, qr, comp); err != nil {
		return nil, err
	}
	return comp, nil
}

// resolveDictMetrics loads the names of dict metrics' ids.
func (x *exec) resolveDictMetrics(ctx context.Context, qr *query, comp *computed) error {
	for _, m := range x.c.mets {
		if m.Type != Dict || (!qr.needRow[m.idx] && !qr.needTot[m.idx]) {
			continue
		}
		ids := map[int64]bool{}
		add := func(r *row) {
			if r != nil && r.mets != nil && r.mets[m.idx].ok {
				ids[int64(r.mets[m.idx].f)] = true
			}
		}
		for _, r := range comp.rows {
			add(r)
			add(r.cmp)
		}
		if comp.totals != nil {
			add(comp.totals)
			add(comp.totals.cmp)
		}
		names := map[int64]any{}
		if comp.dictNames == nil {
			comp.dictNames = map[int]map[int64]any{}
		}
		comp.dictNames[m.idx] = names
		if len(ids) == 0 {
			continue
		}
		args := make([]any, 0, len(ids))
		for id := range ids {
			args = append(args, id)
		}
		rows, err := x.d.Query(ctx, "SELECT "+q("id")+", "+q("name")+" FROM "+q(m.Related)+" WHERE "+q("id")+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+")", args...)
		if err != nil {
			return fmt.Errorf("report %s: names of %s: %w", qr.r.Name, m.Name, err)
		}
		for rows.Next() {
			var id, name any
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return err
			}
			if n, ok := toInt(id); ok {
				names[n] = str(name)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
