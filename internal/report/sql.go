package report

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/schema"
)

// aggSpec is one aggregation query: group columns, atoms and filters over
// a table, optionally restricted to (or excluding) listed key tuples.
type aggSpec struct {
	t       *tableInfo
	groups  []groupCol
	atoms   []int
	filters []*filt
	keys    *keyPred
}

// keyPred restricts rows to the tuples of cols (exclude: all but them).
type keyPred struct {
	cols    []groupCol
	tuples  [][]any
	exclude bool
}

// row is one group: key values per group column (normalised: string,
// int64, time.Time or nil), dict objects for dict columns, atom values
// and computed metrics.
type row struct {
	keys  []any
	dicts []map[string]any
	atoms []val
	mets  []val
	other bool
	zero  bool // a filled-in group or bucket with no rows
	cmp   *row
}

// exec runs the engine's SQL on one client database.
type exec struct {
	c         *compiled
	d         *db.DB
	dialect   string
	loc       *time.Location
	maxGroups int
	graphMax  int
	factor    float64 // minor units per major unit of the account's currency
	onQuery   func(query string, args []any, took time.Duration)
}

// groupExpr is the SQL of a group column (with its bound values).
func (x *exec) groupExpr(t *tableInfo, g groupCol) (string, []any) {
	col := q("t") + "." + q(t.dims[g.dim.Name])
	if g.unit == "" || (g.dim.Type == Date && (g.unit == Day || (g.dim == x.c.date && g.unit == t.grain))) {
		return col, nil
	}
	unit := string(g.unit)
	if x.dialect == db.Postgres {
		if g.dim.Type == Date {
			return "CAST(date_trunc('" + unit + "', CAST(" + col + " AS timestamp)) AS date)", nil
		}
		if g.unit == Hour {
			return "date_trunc('hour', " + col + ", CAST(? AS TEXT))", []any{x.loc.String()}
		}
		if g.unit == Day {
			return "CAST(timezone(CAST(? AS TEXT), " + col + ") AS date)", []any{x.loc.String()}
		}
		return "CAST(date_trunc('" + unit + "', timezone(CAST(? AS TEXT), " + col + ")) AS date)", []any{x.loc.String()}
	}
	tz := "UTC"
	if g.dim.Type == DateTime {
		tz = x.loc.String()
	}
	return "cubed_bucket(?, ?, " + col + ")", []any{unit, tz}
}

func atomSQL(a atom, t *tableInfo) string {
	col := "*"
	if a.col != "" {
		c, _ := t.column(a.col)
		col = q("t") + "." + q(c)
	}
	switch a.fn {
	case Sum:
		return "COALESCE(SUM(" + col + "), 0)"
	case Count:
		return "COUNT(" + col + ")"
	case CountDistinct:
		return "COUNT(DISTINCT " + col + ")"
	case Min:
		return "MIN(" + col + ")"
	case Max:
		return "MAX(" + col + ")"
	}
	return "NULL"
}

// build writes the SELECT of an aggregation query. Identifiers come from
// the declarations; every value is a bound parameter. Dictionary
// dimensions (a foreign key shown with its name) are joined after the
// aggregation, so a large table costs one lookup per group, not per row:
//
//	SELECT i.g0, d0.name, ..., i.a0, ... FROM (SELECT <groups> AS g0.., <atoms> AS a0..
//	  FROM table WHERE ... GROUP BY ...) AS i LEFT JOIN dict AS d0 ON d0.id = i.g0
func (x *exec) build(s aggSpec) (string, []any) {
	var inner, outer, joins, where []string
	var args, whereArgs []any
	for i, g := range s.groups {
		e, a := x.groupExpr(s.t, g)
		gi := q("g" + strconv.Itoa(i))
		inner = append(inner, e+" AS "+gi)
		args = append(args, a...)
		outer = append(outer, q("i")+"."+gi)
		if g.dim.Type == Dict {
			alias := q("d" + strconv.Itoa(i))
			joins = append(joins, "LEFT JOIN "+q(g.dim.Related)+" AS "+alias+" ON "+alias+"."+q("id")+" = "+q("i")+"."+gi)
			outer = append(outer, alias+"."+q(g.dim.nameCol))
			for _, f := range g.dim.Extra {
				outer = append(outer, alias+"."+q(f.Name))
			}
		}
	}
	for j, i := range s.atoms {
		ai := q("a" + strconv.Itoa(j))
		inner = append(inner, atomSQL(x.c.atoms[i], s.t)+" AS "+ai)
		outer = append(outer, q("i")+"."+ai)
	}
	if len(inner) == 0 {
		inner = append(inner, "COUNT(*)")
	}
	for _, f := range s.filters {
		c := condSQL(f, s.t, x.dialect, x.loc)
		where = append(where, c.sql)
		whereArgs = append(whereArgs, c.args...)
	}
	if kp := s.keys; kp != nil {
		c := x.keySQL(s.t, kp)
		where = append(where, c.sql)
		whereArgs = append(whereArgs, c.args...)
	}
	var b strings.Builder
	from := q(s.t.name)
	if s.t.from != "" {
		from = "(" + s.t.from + ")"
	}
	b.WriteString("SELECT " + strings.Join(inner, ", ") + " FROM " + from + " AS " + q("t"))
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	if n := len(s.groups); n > 0 {
		ords := make([]string, n)
		for i := range ords {
			ords[i] = strconv.Itoa(i + 1)
		}
		b.WriteString(" GROUP BY " + strings.Join(ords, ", "))
	}
	if len(joins) == 0 {
		return b.String(), append(args, whereArgs...)
	}
	return "SELECT " + strings.Join(outer, ", ") + " FROM (" + b.String() + ") AS " + q("i") + " " + strings.Join(joins, " "),
		append(args, whereArgs...)
}

// keySQL matches (or excludes) key tuples.
func (x *exec) keySQL(t *tableInfo, kp *keyPred) sqlCond {
	if len(kp.tuples) == 0 {
		if kp.exclude {
			return sqlCond{sql: "1 = 1"}
		}
		return sqlCond{sql: "1 = 0"}
	}
	exprs := make([]string, len(kp.cols))
	exprArgs := make([][]any, len(kp.cols))
	for i, g := range kp.cols {
		exprs[i], exprArgs[i] = x.groupExpr(t, g)
	}
	var ors []string
	var args []any
	for _, tup := range kp.tuples {
		var ands []string
		for i, v := range tup {
			if v == nil {
				ands = append(ands, exprs[i]+" IS NULL")
				args = append(args, exprArgs[i]...)
				continue
			}
			ands = append(ands, exprs[i]+" = ?")
			args = append(args, exprArgs[i]...)
			args = append(args, v)
		}
		if len(ands) == 0 {
			ands = []string{"1 = 1"}
		}
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	s := "(" + strings.Join(ors, " OR ") + ")"
	if kp.exclude {
		s = "NOT " + s
	}
	return sqlCond{sql: s, args: args}
}

// run executes an aggregation query and scans its rows.
func (x *exec) run(ctx context.Context, s aggSpec) ([]*row, error) {
	query, args := x.build(s)
	if x.onQuery != nil {
		start := time.Now()
		defer func() { x.onQuery(query, args, time.Since(start)) }()
	}
	rows, err := x.d.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("report query on %s: %w", s.t.name, err)
	}
	defer rows.Close()
	ncols := len(s.atoms)
	for _, g := range s.groups {
		ncols++
		if g.dim.Type == Dict {
			ncols += 1 + len(g.dim.Extra)
		}
	}
	if ncols == 0 {
		ncols = 1
	}
	vals := make([]any, ncols)
	ptrs := make([]any, ncols)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []*row
	for rows.Next() {
		if len(out) >= x.maxGroups {
			return nil, badRequest("The request makes more than %d groups; add filters or group by fewer dimensions.", x.maxGroups)
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("report scan on %s: %w", s.t.name, err)
		}
		r := &row{keys: make([]any, len(s.groups)), atoms: make([]val, len(x.c.atoms))}
		k := 0
		for i, g := range s.groups {
			r.keys[i] = x.normKey(g, vals[k])
			k++
			if g.dim.Type == Dict {
				if r.dicts == nil {
					r.dicts = make([]map[string]any, len(s.groups))
				}
				obj := map[string]any{"id": r.keys[i], "name": str(vals[k])}
				k++
				for _, f := range g.dim.Extra {
					obj[f.Name] = normField(f.Type, vals[k])
					k++
				}
				r.dicts[i] = obj
			}
		}
		for _, i := range s.atoms {
			r.atoms[i] = normAtom(x.c.atoms[i], vals[k])
			k++
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report rows on %s: %w", s.t.name, err)
	}
	return out, nil
}

// normKey converts a scanned group value.
func (x *exec) normKey(g groupCol, v any) any {
	if v == nil {
		return nil
	}
	switch g.dim.Type {
	case Integer, Dict:
		n, ok := toInt(v)
		if !ok {
			return nil
		}
		return n
	case Date:
		return toDay(v)
	case DateTime:
		if g.unit == "" || g.unit == Hour {
			t, ok := toInstant(v)
			if !ok {
				return nil
			}
			return t
		}
		return toDay(v)
	}
	return str(v)
}

func normAtom(a atom, v any) val {
	if v == nil {
		return null
	}
	switch a.kind {
	case dateAtom:
		s := toDay(v)
		if s == nil {
			return null
		}
		return val{s: s.(string), ok: true}
	}
	f, ok := toFloat(v)
	if !ok {
		return null
	}
	return num(f)
}

func normField(t schema.Type, v any) any {
	if v == nil {
		return nil
	}
	switch t {
	case schema.Bool:
		switch x := v.(type) {
		case bool:
			return x
		case int64:
			return x != 0
		}
		s := fmt.Sprint(str(v))
		return s == "1" || s == "true" || s == "t"
	case schema.Int, schema.BigInt, schema.ForeignKey:
		n, _ := toInt(v)
		return n
	case schema.Float, schema.Decimal:
		f, _ := toFloat(v)
		return f
	case schema.Date:
		return toDay(v)
	}
	return str(v)
}

func str(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case []byte:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	case float64:
		return int64(x), true
	case []byte:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// toDay renders a date value as YYYY-MM-DD (nil when it is not one).
func toDay(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02")
	case string:
		if len(x) >= 10 {
			return x[:10]
		}
	case []byte:
		if len(x) >= 10 {
			return string(x[:10])
		}
	}
	return nil
}

var storedLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02",
}

func toInstant(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case []byte:
		v = string(x)
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	for _, l := range storedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
