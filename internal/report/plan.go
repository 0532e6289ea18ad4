package report

import (
	"sort"
	"time"
)

// Rollup routing: a report may list several tables of different grain.
// For each query (rows, totals, comparison) the planner picks the
// smallest table whose dimensions cover the grouping, the filters and the
// time grain asked, and whose measures can be re-aggregated at that grain;
// Tables[0], the finest, answers everything else.

// groupCol is one grouping column: a dimension, bucketed by unit when set.
type groupCol struct {
	dim  *dimInfo
	unit Grain // "" = the raw value
}

// needs is what one aggregation query asks of a table.
type needs struct {
	groups  []groupCol
	filters []*filt
	atoms   []int
}

// plan returns the table to read.
func (c *compiled) plan(n needs) *tableInfo {
	cands := append([]*tableInfo{}, c.tables...)
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].size < cands[j].size })
	for _, t := range cands {
		if t.idx == 0 || c.covers(t, n) {
			return t
		}
	}
	return c.tables[0]
}

// nests tells whether buckets of unit are unions of grain buckets.
func nests(unit, grain Grain) bool {
	switch grain {
	case Day:
		return unit != Hour && unit != ""
	case Week:
		return unit == Week
	case Month:
		return unit == Month || unit == Quarter || unit == Year
	case Quarter:
		return unit == Quarter || unit == Year
	case Year:
		return unit == Year
	}
	return false
}

func (c *compiled) covers(t *tableInfo, n needs) bool {
	coarse := t.grain != Day
	// A datetime date dimension is exact only in the finest table.
	usable := func(d *dimInfo) bool {
		_, ok := t.dims[d.Name]
		return ok && (d != c.date || d.Type == Date || t.idx == 0)
	}
	for _, g := range n.groups {
		if !usable(g.dim) {
			return false
		}
		if g.dim == c.date && coarse && !nests(g.unit, t.grain) {
			return false
		}
	}
	for _, f := range n.filters {
		if !usable(f.dim) {
			return false
		}
		if f.dim == c.date && coarse && !aligned(f, t.grain) {
			return false
		}
	}
	for _, i := range n.atoms {
		a := c.atoms[i]
		switch a.fn {
		case Sum:
			if _, ok := t.measures[a.col]; !ok {
				return false
			}
		case CountDistinct, Min, Max:
			if _, ok := t.dims[a.col]; !ok {
				return false
			}
			if coarse && c.date != nil && a.col == c.date.Name {
				return false
			}
		default:
			// count and avg depend on the rows' grain.
			return false
		}
	}
	return true
}

// aligned tells whether a filter on the date dimension selects whole
// buckets of grain, so the coarse table answers it exactly.
func aligned(f *filt, grain Grain) bool {
	if f.dim.Type != Date || f.rel != "" {
		return false
	}
	day := func(v any) (time.Time, bool) {
		s, ok := v.(string)
		if !ok {
			return time.Time{}, false
		}
		return parseDay(s)
	}
	start := func(v any) bool {
		d, ok := day(v)
		return ok && bucketOf(grain, d, time.UTC).Equal(d)
	}
	end := func(v any) bool {
		d, ok := day(v)
		return ok && nextBucket(grain, bucketOf(grain, d, time.UTC)).AddDate(0, 0, -1).Equal(d)
	}
	switch f.lookup {
	case "gte", "lt":
		return start(f.vals[0])
	case "lte", "gt":
		return end(f.vals[0])
	case "range":
		return start(f.vals[0]) && end(f.vals[1])
	case "isnull":
		return true
	case "year":
		return grain == Month || grain == Quarter || grain == Year
	case "month":
		return grain == Month
	}
	return false
}
