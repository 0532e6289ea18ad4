package resource

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/schema"
)

// MaxRegexLen bounds regex filter patterns.
const MaxRegexLen = 200

// builder accumulates a SELECT's joins, conditions and bound values. Every
// identifier it writes comes from a declaration.
type builder struct {
	dialect string
	reg     *Registry
	res     *Resource
	loc     *time.Location
	joins   []string
	aliases map[string]string
	where   []string
	args    []any
	// filtered records which API fields a filter named (soft-delete rules).
	filtered map[string]bool
}

func newBuilder(dialect string, reg *Registry, res *Resource, loc *time.Location) *builder {
	return &builder{dialect: dialect, reg: reg, res: res, loc: loc, aliases: map[string]string{}, filtered: map[string]bool{}}
}

func q(s string) string { return db.QuoteIdent(s) }

func col(alias, column string) string { return q(alias) + "." + q(column) }

// join returns the alias of the related table reached from alias through
// field f, adding a LEFT JOIN once per path.
func (b *builder) join(path, alias string, f *Field) (string, *Resource) {
	rel, _ := b.reg.Get(f.Related.Resource)
	key := path + "." + f.Name
	if a, ok := b.aliases[key]; ok {
		return a, rel
	}
	a := fmt.Sprintf("j%d", len(b.aliases)+1)
	b.aliases[key] = a
	b.joins = append(b.joins, "LEFT JOIN "+q(rel.Model.Name)+" AS "+q(a)+" ON "+col(a, "id")+" = "+col(alias, f.Column))
	return a, rel
}

func isLookup(s string) bool { return contains(Lookups, s) }

var textLookups = []string{"iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "regex", "iregex"}
var datePartLookups = []string{"year", "month", "day", "week_day"}

// addFilter parses one filter parameter and adds its condition.
func (b *builder) addFilter(key string, values []string) *Error {
	segs := strings.Split(key, "__")
	cur, alias, path := b.res, "t", ""
	for {
		name := segs[0]
		f, ok := cur.Field(name)
		if !ok {
			return invalidFilter("Unknown filter field '%s' on resource '%s'.", name, cur.Name)
		}
		rule, ok := cur.Filtering[name]
		if !ok {
			return invalidFilter("Filtering on '%s' is not allowed on resource '%s' (parameter '%s').", name, cur.Name, key)
		}
		if cur == b.res {
			b.filtered[name] = true
		}
		rest := segs[1:]
		if len(rest) > 0 && !isLookup(rest[0]) {
			if f.Related == nil {
				return invalidFilter("'%s' in parameter '%s' is neither a lookup nor a relation of '%s'.", rest[0], key, name)
			}
			if rule.Level != AllWithRelations {
				return invalidFilter("Filtering across relation '%s' is not allowed (parameter '%s').", name, key)
			}
			alias, cur = b.join(path, alias, f)
			path += "." + name
			segs = rest
			continue
		}
		lookup := "exact"
		switch len(rest) {
		case 0:
		case 1:
			lookup = rest[0]
		default:
			return invalidFilter("Lookups do not chain: parameter '%s'.", key)
		}
		if rule.Level == 0 && !contains(rule.Lookups, lookup) {
			return invalidFilter("Lookup '%s' is not allowed on '%s' (parameter '%s').", lookup, name, key)
		}
		return b.condition(key, alias, f, lookup, values)
	}
}

func (b *builder) condition(key, alias string, f *Field, lookup string, values []string) *Error {
	t := f.Model.Type
	c := col(alias, f.Column)
	if contains(textLookups, lookup) && t != schema.Text {
		return invalidFilter("Lookup '%s' needs a text field; '%s' is %s (parameter '%s').", lookup, f.Name, t, key)
	}
	if contains(datePartLookups, lookup) && t != schema.Date && t != schema.DateTime {
		return invalidFilter("Lookup '%s' needs a date or datetime field (parameter '%s').", lookup, key)
	}
	if lookup == "date" && t != schema.DateTime {
		return invalidFilter("Lookup 'date' needs a datetime field (parameter '%s').", key)
	}
	if len(values) > 1 && lookup != "in" && lookup != "range" {
		return invalidFilter("Parameter '%s' is repeated; only __in and __range take several values.", key)
	}
	parse := func(s string) (any, *Error) {
		v, err := parseValue(f.Model, s, b.loc)
		if err != nil {
			return nil, invalidFilter("Bad value for '%s': %v.", key, err)
		}
		return v, nil
	}
	switch lookup {
	case "in", "range":
		var parts []string
		for _, v := range values {
			if v == "" {
				continue
			}
			parts = append(parts, strings.Split(v, ",")...)
		}
		if lookup == "range" {
			if len(parts) != 2 {
				return invalidFilter("Parameter '%s' needs exactly two comma-separated values.", key)
			}
			lo, e := parse(parts[0])
			if e != nil {
				return e
			}
			hi, e := parse(parts[1])
			if e != nil {
				return e
			}
			if lo == nil || hi == nil {
				return invalidFilter("Parameter '%s' cannot take null bounds.", key)
			}
			b.where = append(b.where, c+" BETWEEN ? AND ?")
			b.args = append(b.args, lo, hi)
			return nil
		}
		if len(parts) == 0 {
			b.where = append(b.where, "1 = 0")
			return nil
		}
		marks := make([]string, 0, len(parts))
		for _, p := range parts {
			v, e := parse(p)
			if e != nil {
				return e
			}
			marks = append(marks, "?")
			b.args = append(b.args, v)
		}
		b.where = append(b.where, c+" IN ("+strings.Join(marks, ", ")+")")
		return nil
	case "isnull":
		switch values[0] {
		case "true", "True", "1":
			b.where = append(b.where, c+" IS NULL")
		case "false", "False", "0":
			b.where = append(b.where, c+" IS NOT NULL")
		default:
			return invalidFilter("Parameter '%s' takes true or false.", key)
		}
		return nil
	case "year", "month", "day", "week_day":
		var n int
		if _, err := fmt.Sscanf(values[0], "%d", &n); err != nil || fmt.Sprint(n) != values[0] {
			return invalidFilter("Bad value for '%s': %q is not an integer.", key, values[0])
		}
		tz := "UTC"
		if t == schema.DateTime {
			tz = b.loc.String()
		}
		if b.dialect == db.Postgres {
			expr := c
			if t == schema.DateTime {
				expr = "(" + c + " AT TIME ZONE ?)"
				b.args = append(b.args, tz)
			}
			field := map[string]string{"year": "YEAR", "month": "MONTH", "day": "DAY", "week_day": "DOW"}[lookup]
			add := ""
			if lookup == "week_day" {
				add = " + 1"
			}
			b.where = append(b.where, "(EXTRACT("+field+" FROM "+expr+")"+add+") = ?")
		} else {
			b.where = append(b.where, "cubed_datepart(?, ?, "+c+") = ?")
			b.args = append(b.args, lookup, tz)
		}
		b.args = append(b.args, n)
		return nil
	case "date":
		d, err := time.ParseInLocation("2006-01-02", values[0], b.loc)
		if err != nil {
			return invalidFilter("Bad value for '%s': %q is not a date (YYYY-MM-DD).", key, values[0])
		}
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, b.loc)
		b.where = append(b.where, "("+c+" >= ? AND "+c+" < ?)")
		b.args = append(b.args, d.UTC(), next.UTC())
		return nil
	case "regex", "iregex":
		pat := values[0]
		if strings.ContainsRune(pat, 0) {
			return invalidFilter("Parameter '%s': invalid regular expression.", key)
		}
		if len(pat) > MaxRegexLen {
			return invalidFilter("Parameter '%s': regular expressions are limited to %d characters.", key, MaxRegexLen)
		}
		if _, err := regexp.Compile(pat); err != nil {
			return invalidFilter("Parameter '%s': invalid regular expression.", key)
		}
		if b.dialect == db.Postgres {
			op := " ~ ?"
			if lookup == "iregex" {
				op = " ~* ?"
			}
			b.where = append(b.where, "("+c+" IS NOT NULL AND "+c+op+")")
		} else {
			if lookup == "iregex" {
				pat = "(?i)" + pat
			}
			b.where = append(b.where, "("+c+" IS NOT NULL AND "+c+" REGEXP ?)")
		}
		b.args = append(b.args, pat)
		return nil
	}
	v, e := parse(values[0])
	if e != nil {
		return e
	}
	if v == nil {
		if lookup == "exact" || lookup == "iexact" {
			b.where = append(b.where, c+" IS NULL")
			return nil
		}
		return invalidFilter("Parameter '%s' cannot compare with null.", key)
	}
	lower := func(x string) string { return "lower(" + x + ")" }
	switch lookup {
	case "exact":
		b.where = append(b.where, c+" = ?")
		b.args = append(b.args, v)
	case "iexact":
		b.where = append(b.where, lower(c)+" = "+lower("?"))
		b.args = append(b.args, v)
	case "gt", "gte", "lt", "lte":
		op := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[lookup]
		b.where = append(b.where, c+" "+op+" ?")
		b.args = append(b.args, v)
	case "contains", "icontains":
		x, p := c, "?"
		if lookup == "icontains" {
			x, p = lower(c), lower("?")
		}
		if b.dialect == db.Postgres {
			b.where = append(b.where, "strpos("+x+", "+p+") > 0")
		} else {
			b.where = append(b.where, "instr("+x+", "+p+") > 0")
		}
		b.args = append(b.args, v)
	case "startswith", "istartswith", "endswith", "iendswith":
		x, p := c, "CAST(? AS TEXT)"
		if strings.HasPrefix(lookup, "i") {
			x, p = lower(c), lower(p)
		}
		if strings.HasSuffix(lookup, "startswith") {
			b.where = append(b.where, "substr("+x+", 1, length("+p+")) = "+p)
			b.args = append(b.args, v, v)
		} else {
			b.where = append(b.where, "(length("+x+") >= length("+p+") AND substr("+x+", length("+x+") - length("+p+") + 1) = "+p+")")
			b.args = append(b.args, v, v, v)
		}
	default:
		return invalidFilter("Unknown lookup '%s' (parameter '%s').", lookup, key)
	}
	return nil
}
