package report

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/schema"
)

// Filters follow spec/api.md §4.3 on the report's dimensions, applied
// before aggregation. Dict dimensions filter on the related pk; with
// ALL_WITH_RELATIONS also on the related name and extra fields, through a
// subquery on the related table.

// ftype is the value type a filter compares.
type ftype uint8

const (
	fText ftype = iota
	fInt
	fFloat
	fBool
	fDate
	fDateTime
)

// filt is one parsed filter parameter.
type filt struct {
	key    string
	dim    *dimInfo
	rel    string // related column for dim__<field>, else ""
	typ    ftype
	lookup string
	vals   []any // parsed; nil element = null
	raw    []string
}

var textLookups = []string{"iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "regex", "iregex"}
var datePartLookups = []string{"year", "month", "day", "week_day"}

func isLookup(s string) bool { return contains(resource.Lookups, s) }

func dimFType(t Type) ftype {
	switch t {
	case Integer, Dict:
		return fInt
	case Date:
		return fDate
	case DateTime:
		return fDateTime
	}
	return fText
}

func schemaFType(t schema.Type) ftype {
	switch t {
	case schema.Int, schema.BigInt, schema.ForeignKey:
		return fInt
	case schema.Float, schema.Decimal:
		return fFloat
	case schema.Bool:
		return fBool
	case schema.Date:
		return fDate
	case schema.DateTime:
		return fDateTime
	}
	return fText
}

// parseFilterValue converts one query-string value with the resources'
// parser (resource.ParseValue), so reports and resources read filter
// values alike.
func parseFilterValue(t ftype, s string, loc *time.Location) (any, error) {
	st := schema.Text
	switch t {
	case fInt:
		st = schema.BigInt
	case fFloat:
		st = schema.Float
	case fBool:
		st = schema.Bool
	case fDate:
		st = schema.Date
	case fDateTime:
		st = schema.DateTime
	}
	return resource.ParseValue(schema.Field{Type: st}, s, loc)
}

// parseFilter parses one filter parameter on report r.
func parseFilter(c *compiled, key string, values []string, loc *time.Location) (*filt, *resource.Error) {
	segs := strings.Split(key, "__")
	d, ok := c.dimBy[segs[0]]
	if !ok {
		if _, isMetric := c.metBy[segs[0]]; isMetric {
			return nil, invalidFilter("Filtering on metric '%s' is not allowed (parameter '%s'); use having to filter after aggregation.", segs[0], key)
		}
		return nil, invalidFilter("Unknown filter field '%s' (parameter '%s').", segs[0], key)
	}
	if d.NoFilter {
		return nil, invalidFilter("Filtering on '%s' is not allowed (parameter '%s').", d.Name, key)
	}
	f := &filt{key: key, dim: d, typ: dimFType(d.Type), lookup: "exact", raw: values}
	rest := segs[1:]
	if len(rest) > 0 && !isLookup(rest[0]) {
		if d.Type != Dict {
			return nil, invalidFilter("'%s' in parameter '%s' is neither a lookup nor a relation of '%s'.", rest[0], key, d.Name)
		}
		if d.Filter.Level != resource.AllWithRelations {
			return nil, invalidFilter("Filtering across relation '%s' is not allowed (parameter '%s').", d.Name, key)
		}
		switch rest[0] {
		case "id":
			f.rel, f.typ = "id", fInt
		case "name", d.nameCol:
			f.rel, f.typ = d.nameCol, fText
		default:
			found := false
			for _, x := range d.Extra {
				if x.Name == rest[0] {
					f.rel, f.typ, found = x.Name, schemaFType(x.Type), true
				}
			}
			if !found {
				return nil, invalidFilter("Unknown field '%s' of '%s' (parameter '%s').", rest[0], d.Name, key)
			}
		}
		rest = rest[1:]
	}
	switch len(rest) {
	case 0:
	case 1:
		f.lookup = rest[0]
		if !isLookup(f.lookup) {
			return nil, invalidFilter("Unknown lookup '%s' (parameter '%s').", f.lookup, key)
		}
	default:
		return nil, invalidFilter("Lookups do not chain: parameter '%s'.", key)
	}
	if d.Filter.Level == 0 && len(d.Filter.Lookups) > 0 && !contains(d.Filter.Lookups, f.lookup) {
		return nil, invalidFilter("Lookup '%s' is not allowed on '%s' (parameter '%s').", f.lookup, d.Name, key)
	}
	if contains(textLookups, f.lookup) && f.typ != fText {
		return nil, invalidFilter("Lookup '%s' needs a text field (parameter '%s').", f.lookup, key)
	}
	if contains(datePartLookups, f.lookup) && f.typ != fDate && f.typ != fDateTime {
		return nil, invalidFilter("Lookup '%s' needs a date or datetime field (parameter '%s').", f.lookup, key)
	}
	if f.lookup == "date" && f.typ != fDateTime {
		return nil, invalidFilter("Lookup 'date' needs a datetime field (parameter '%s').", key)
	}
	if len(values) > 1 && f.lookup != "in" && f.lookup != "range" {
		return nil, invalidFilter("Parameter '%s' is repeated; only __in and __range take several values.", key)
	}
	parse := func(s string) (any, *resource.Error) {
		v, err := parseFilterValue(f.typ, s, loc)
		if err != nil {
			return nil, invalidFilter("Bad value for '%s': %v.", key, err)
		}
		return v, nil
	}
	switch f.lookup {
	case "in", "range":
		var parts []string
		for _, v := range values {
			if v != "" {
				parts = append(parts, strings.Split(v, ",")...)
			}
		}
		if f.lookup == "range" && len(parts) != 2 {
			return nil, invalidFilter("Parameter '%s' needs exactly two comma-separated values.", key)
		}
		for _, p := range parts {
			v, e := parse(p)
			if e != nil {
				return nil, e
			}
			if v == nil && f.lookup == "range" {
				return nil, invalidFilter("Parameter '%s' cannot take null bounds.", key)
			}
			f.vals = append(f.vals, v)
		}
	case "isnull":
		switch values[0] {
		case "true", "True", "1":
			f.vals = []any{true}
		case "false", "False", "0":
			f.vals = []any{false}
		default:
			return nil, invalidFilter("Parameter '%s' takes true or false.", key)
		}
	case "year", "month", "day", "week_day":
		n, err := strconv.Atoi(values[0])
		if err != nil || strconv.Itoa(n) != values[0] {
			return nil, invalidFilter("Bad value for '%s': %q is not an integer.", key, values[0])
		}
		f.vals = []any{int64(n)}
	case "date":
		d, err := time.ParseInLocation("2006-01-02", values[0], loc)
		if err != nil {
			return nil, invalidFilter("Bad value for '%s': %q is not a date (YYYY-MM-DD).", key, values[0])
		}
		f.vals = []any{d}
	case "regex", "iregex":
		pat := values[0]
		if strings.ContainsRune(pat, 0) {
			return nil, invalidFilter("Parameter '%s': invalid regular expression.", key)
		}
		if len(pat) > resource.MaxRegexLen {
			return nil, invalidFilter("Parameter '%s': regular expressions are limited to %d characters.", key, resource.MaxRegexLen)
		}
		if _, err := regexp.Compile(pat); err != nil {
			return nil, invalidFilter("Parameter '%s': invalid regular expression.", key)
		}
		f.vals = []any{pat}
	default:
		v, e := parse(values[0])
		if e != nil {
			return nil, e
		}
		if v == nil && f.lookup != "exact" && f.lookup != "iexact" {
			return nil, invalidFilter("Parameter '%s' cannot compare with null.", key)
		}
		f.vals = []any{v}
	}
	return f, nil
}

// sqlCond is a WHERE condition with its bound values.
type sqlCond struct {
	sql  string
	args []any
}

// condSQL compiles a filter against table t (alias "t").
func condSQL(f *filt, t *tableInfo, dialect string, loc *time.Location) sqlCond {
	col := q("t") + "." + q(t.dims[f.dim.Name])
	if f.rel == "" || f.rel == "id" {
		return lookupSQL(col, f, dialect, loc)
	}
	inner := lookupSQL(q("r")+"."+q(f.rel), f, dialect, loc)
	return sqlCond{
		sql:  col + " IN (SELECT " + q("r") + "." + q("id") + " FROM " + q(f.dim.Related) + " AS " + q("r") + " WHERE " + inner.sql + ")",
		args: inner.args,
	}
}

func q(s string) string { return db.QuoteIdent(s) }

// lookupSQL is the condition of one lookup on a column expression.
func lookupSQL(c string, f *filt, dialect string, loc *time.Location) sqlCond {
	v := f.vals
	switch f.lookup {
	case "in":
		if len(v) == 0 {
			return sqlCond{sql: "1 = 0"}
		}
		return sqlCond{sql: c + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(v)), ", ") + ")", args: v}
	case "range":
		return sqlCond{sql: c + " BETWEEN ? AND ?", args: v}
	case "isnull":
		if v[0] == true {
			return sqlCond{sql: c + " IS NULL"}
		}
		return sqlCond{sql: c + " IS NOT NULL"}
	case "year", "month", "day", "week_day":
		tz := "UTC"
		if f.typ == fDateTime {
			tz = loc.String()
		}
		if dialect == db.Postgres {
			expr, args := c, []any{}
			if f.typ == fDateTime {
				expr = "(" + c + " AT TIME ZONE ?)"
				args = append(args, tz)
			}
			field := map[string]string{"year": "YEAR", "month": "MONTH", "day": "DAY", "week_day": "DOW"}[f.lookup]
			add := ""
			if f.lookup == "week_day" {
				add = " + 1"
			}
			return sqlCond{sql: "(EXTRACT(" + field + " FROM " + expr + ")" + add + ") = ?", args: append(args, v[0])}
		}
		return sqlCond{sql: "cubed_datepart(?, ?, " + c + ") = ?", args: []any{f.lookup, tz, v[0]}}
	case "date":
		d := v[0].(time.Time)
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		return sqlCond{sql: "(" + c + " >= ? AND " + c + " < ?)", args: []any{d.UTC(), next.UTC()}}
	case "regex", "iregex":
		pat := v[0].(string)
		if dialect == db.Postgres {
			op := " ~ ?"
			if f.lookup == "iregex" {
				op = " ~* ?"
			}
			return sqlCond{sql: "(" + c + " IS NOT NULL AND " + c + op + ")", args: []any{pat}}
		}
		if f.lookup == "iregex" {
			pat = "(?i)" + pat
		}
		return sqlCond{sql: "(" + c + " IS NOT NULL AND " + c + " REGEXP ?)", args: []any{pat}}
	}
	x := v[0]
	if x == nil {
		return sqlCond{sql: c + " IS NULL"}
	}
	lower := func(s string) string { return "lower(" + s + ")" }
	switch f.lookup {
	case "exact":
		return sqlCond{sql: c + " = ?", args: []any{x}}
	case "iexact":
		return sqlCond{sql: lower(c) + " = " + lower("?"), args: []any{x}}
	case "gt", "gte", "lt", "lte":
		op := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[f.lookup]
		return sqlCond{sql: c + " " + op + " ?", args: []any{x}}
	case "contains", "icontains":
		cc, p := c, "?"
		if f.lookup == "icontains" {
			cc, p = lower(c), lower("?")
		}
		if dialect == db.Postgres {
			return sqlCond{sql: "strpos(" + cc + ", " + p + ") > 0", args: []any{x}}
		}
		return sqlCond{sql: "instr(" + cc + ", " + p + ") > 0", args: []any{x}}
	case "startswith", "istartswith", "endswith", "iendswith":
		cc, p := c, "CAST(? AS TEXT)"
		if strings.HasPrefix(f.lookup, "i") {
			cc, p = lower(c), lower(p)
		}
		if strings.HasSuffix(f.lookup, "startswith") {
			return sqlCond{sql: "substr(" + cc + ", 1, length(" + p + ")) = " + p, args: []any{x, x}}
		}
		return sqlCond{sql: "(length(" + cc + ") >= length(" + p + ") AND substr(" + cc + ", length(" + cc + ") - length(" + p + ") + 1) = " + p + ")", args: []any{x, x, x}}
	}
	return sqlCond{sql: "1 = 0"}
}
