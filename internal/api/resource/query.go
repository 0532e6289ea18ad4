package resource

import (
	"context"

	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/schema"
)

// MaxFilters bounds filter parameters per request (each occurrence counts).
const MaxFilters = 50

// Reserved query parameters are never filters.
var Reserved = []string{"account", "limit", "offset", "order_by", "format", "username", "api_key", "_"}

// Scope is an extra condition on the main table (alias "t").
type Scope struct {
	SQL  string
	Args []any
}

// Env is what one request gives the engine.
type Env struct {
	DB     *db.DB
	Loc    *time.Location
	Scopes []Scope
}

// Engine serves resources of a registry.
type Engine struct {
	Reg *Registry
}

// URI is a row's resource_uri.
func URI(resource string, id any) string {
	if n, ok := id.(int64); ok {
		return "/api/v1/" + resource + "/" + strconv.FormatInt(n, 10) + "/"
	}
	return fmt.Sprintf("/api/v1/%s/%v/", resource, id)
}

func (e *Engine) selectList(r *Resource) string {
	cols := make([]string, len(r.fields))
	for i, f := range r.fields {
		cols[i] = col("t", f.Column)
	}
	return strings.Join(cols, ", ")
}

// softDeleteDefault hides rows per §5.3 unless a filter named the flags.
func softDeleteDefault(r *Resource, b *builder) {
	switch r.Model.SoftDelete {
	case schema.Deactivate:
		if !b.filtered["active"] {
			b.where = append(b.where, col("t", "active")+" = TRUE")
		}
	case schema.Deleted:
		if !b.filtered["deleted"] && !b.filtered["active"] {
			b.where = append(b.where, col("t", "deleted")+" = FALSE")
		}
	}
}

func (b *builder) addScopes(env Env) {
	for _, s := range env.Scopes {
		b.where = append(b.where, "("+s.SQL+")")
		b.args = append(b.args, s.Args...)
	}
}

func (b *builder) fromWhere() string {
	s := " FROM " + q(b.res.Model.Name) + " AS " + q("t")
	if len(b.joins) > 0 {
		s += " " + strings.Join(b.joins, " ")
	}
	if len(b.where) > 0 {
		s += " WHERE " + strings.Join(b.where, " AND ")
	}
	return s
}

// filters applies every non-reserved parameter as a filter.
func (e *Engine) filters(b *builder, p Params, extraReserved []string) *Error {
	n := 0
	for _, k := range p.Keys {
		if contains(Reserved, k) || contains(extraReserved, k) {
			continue
		}
		n += len(p.Values[k])
		if n > MaxFilters {
			return invalidFilter("At most %d filter parameters are allowed.", MaxFilters)
		}
		if err := b.addFilter(k, p.Values[k]); err != nil {
			return err
		}
	}
	return nil
}

// ordering compiles order_by into ORDER BY terms.
func (e *Engine) ordering(b *builder, p Params) ([]string, *Error) {
	r := b.res
	keys := p.Values["order_by"]
	if len(keys) == 0 {
		keys = r.DefaultOrder
	}
	var terms []string
	for _, k := range keys {
		desc := strings.HasPrefix(k, "-")
		name := strings.TrimPrefix(k, "-")
		var expr string
		first, rest, spans := strings.Cut(name, "__")
		f, ok := r.Field(first)
		if !ok || !contains(r.Ordering, first) {
			return nil, invalidOrdering("Ordering by '%s' is not allowed on resource '%s'.", name, r.Name)
		}
		if spans {
			if f.Related == nil || strings.Contains(rest, "__") {
				return nil, invalidOrdering("Ordering by '%s' is not allowed on resource '%s'.", name, r.Name)
			}
			rel, _ := e.Reg.Get(f.Related.Resource)
			rf, ok := rel.Field(rest)
			if !ok || !contains(rel.Ordering, rest) {
				return nil, invalidOrdering("Ordering by '%s' is not allowed on resource '%s'.", name, r.Name)
			}
			alias, _ := b.join("", "t", f)
			expr = col(alias, rf.Column)
		} else {
			expr = col("t", f.Column)
		}
		dir := " ASC"
		if desc {
			dir = " DESC"
		}
		terms = append(terms, expr+dir+" NULLS LAST")
	}
	return append(terms, col("t", "id")+" ASC"), nil
}

// page reads limit and offset.
func page(r *Resource, p Params) (limit, offset int, err *Error) {
	limit, offset = r.DefaultLimit, 0
	if p.Has("limit") {
		n, e := strconv.Atoi(p.Get("limit"))
		if e != nil || n < 0 {
			return 0, 0, invalidPagination("Invalid limit %q: must be an integer >= 0.", p.Get("limit"))
		}
		limit = n
	}
	if limit == 0 || limit > r.MaxLimit {
		limit = r.MaxLimit
	}
	if p.Has("offset") {
		n, e := strconv.Atoi(p.Get("offset"))
		if e != nil || n < 0 {
			return 0, 0, invalidPagination("Invalid offset %q: must be an integer >= 0.", p.Get("offset"))
		}
		offset = n
	}
	return limit, offset, nil
}

// pageLink builds next/previous links: the path, every parameter except
// limit, offset and credentials in request order, then limit and offset.
func pageLink(path string, p Params, limit, offset int) string {
	var parts []string
	for _, kv := range p.Pairs() {
		switch kv[0] {
		case "limit", "offset", "username", "api_key":
			continue
		}
		parts = append(parts, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
	}
	parts = append(parts, "limit="+strconv.Itoa(limit), "offset="+strconv.Itoa(offset))
	return path + "?" + strings.Join(parts, "&")
}

func checkFormat(p Params) *Error {
	if f := p.Get("format"); p.Has("format") && f != "json" {
		return badRequest("Unsupported format %q: model resources answer json only.", f)
	}
	return nil
}

// List serves GET on a list URL.
func (e *Engine) List(ctx context.Context, env Env, r *Resource, p Params, path string) (map[string]any, error) {
	if err := checkFormat(p); err != nil {
		return nil, err
	}
	b := newBuilder(env.DB.Dialect(), e.Reg, r, env.Loc)
	if err := e.filters(b, p, nil); err != nil {
		return nil, err
	}
	softDeleteDefault(r, b)
	b.addScopes(env)
	order, oerr := e.ordering(b, p)
	if oerr != nil {
		return nil, oerr
	}
	limit, offset, perr := page(r, p)
	if perr != nil {
		return nil, perr
	}
	from := b.fromWhere()
	// One query gives the page and the total (a window count over the
	// filtered set); only a page past the end needs a separate count.
	query := "SELECT " + e.selectList(r) + ", count(*) OVER ()" + from + " ORDER BY " + strings.Join(order, ", ") + " LIMIT ? OFFSET ?"
	var total int64
	objs, err := e.fetchWith(ctx, env, r, query, append(append([]any{}, b.args...), limit, offset), &total)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 && offset > 0 {
		if err := env.DB.QueryRow(ctx, "SELECT count(*)"+from, b.args...).Scan(&total); err != nil {
			return nil, fmt.Errorf("%s: count: %w", r.Name, err)
		}
	}
	meta := map[string]any{"limit": limit, "offset": offset, "total_count": total, "next": nil, "previous": nil}
	if int64(offset+limit) < total {
		meta["next"] = pageLink(path, p, limit, offset+limit)
	}
	if offset > 0 {
		meta["previous"] = pageLink(path, p, limit, max(0, offset-limit))
	}
	return map[string]any{"meta": meta, "objects": objs}, nil
}

// fetch runs a SELECT of the resource's columns and serialises the rows,
// loading nested related objects in one query per related field.
func (e *Engine) fetch(ctx context.Context, env Env, r *Resource, query string, args []any) ([]map[string]any, error) {
	return e.fetchWith(ctx, env, r, query, args, nil)
}

// fetchWith is fetch for queries with one extra trailing column, the
// window total, scanned into total when it is not nil.
func (e *Engine) fetchWith(ctx context.Context, env Env, r *Resource, query string, args []any, total *int64) ([]map[string]any, error) {
	rows, err := env.DB.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: query: %w", r.Name, err)
	}
	defer rows.Close()
	var raw [][]any
	for rows.Next() {
		vals := make([]any, len(r.fields))
		ptrs := make([]any, len(vals), len(vals)+1)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if total != nil {
			ptrs = append(ptrs, total)
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("%s: scan: %w", r.Name, err)
		}
		for i, f := range r.fields {
			vals[i] = normalize(f.Model, vals[i])
		}
		raw = append(raw, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: rows: %w", r.Name, err)
	}
	nested, err := e.loadNested(ctx, env, r, raw)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(raw))
	for i, vals := range raw {
		out[i] = e.serialize(r, vals, env.Loc, nested)
	}
	return out, nil
}

// loadNested fetches related objects declared Full, one query per field.
func (e *Engine) loadNested(ctx context.Context, env Env, r *Resource, raw [][]any) (map[string]map[int64]map[string]any, error) {
	var out map[string]map[int64]map[string]any
	for i, f := range r.fields {
		if f.Related == nil || !f.Related.Full {
			continue
		}
		rel, _ := e.Reg.Get(f.Related.Resource)
		var ids []any
		var marks []string
		seen := map[int64]bool{}
		for _, vals := range raw {
			if id, ok := vals[i].(int64); ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
				marks = append(marks, "?")
			}
		}
		if out == nil {
			out = map[string]map[int64]map[string]any{}
		}
		out[f.Name] = map[int64]map[string]any{}
		if len(ids) == 0 {
			continue
		}
		objs, err := e.fetch(ctx, env, rel, "SELECT "+e.selectList(rel)+" FROM "+q(rel.Model.Name)+" AS "+q("t")+" WHERE "+col("t", "id")+" IN ("+strings.Join(marks, ", ")+")", ids)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			out[f.Name][o["id"].(int64)] = o
		}
	}
	return out, nil
}

func (e *Engine) serialize(r *Resource, vals []any, loc *time.Location, nested map[string]map[int64]map[string]any) map[string]any {
	obj := make(map[string]any, len(vals)+1)
	for i, f := range r.fields {
		v := vals[i]
		switch x := v.(type) {
		case nil:
			obj[f.Name] = nil
		case time.Time:
			obj[f.Name] = formatDateTime(x, loc)
		case decimalString:
			obj[f.Name] = string(x)
		case dateString:
			obj[f.Name] = string(x)
		default:
			if f.Related != nil {
				id := x.(int64)
				if f.Related.Full {
					obj[f.Name] = nested[f.Name][id]
				} else {
					obj[f.Name] = URI(f.Related.Resource, id)
				}
			} else {
				obj[f.Name] = v
			}
		}
	}
	obj["resource_uri"] = URI(r.Name, vals[0])
	return obj
}

// parsePK reads a primary key from a URL segment.
func parsePK(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0 && strconv.FormatInt(n, 10) == s
}

// getRow loads one row by pk (including inactive rows; deleted rows of the
// deleted kind only when withDeleted).
func (e *Engine) getRow(ctx context.Context, env Env, r *Resource, pk int64, withDeleted bool) (map[string]any, error) {
	b := newBuilder(env.DB.Dialect(), e.Reg, r, env.Loc)
	b.where = append(b.where, col("t", "id")+" = ?")
	b.args = append(b.args, pk)
	if r.Model.SoftDelete == schema.Deleted && !withDeleted {
		b.where = append(b.where, col("t", "deleted")+" = FALSE")
	}
	b.addScopes(env)
	objs, err := e.fetch(ctx, env, r, "SELECT "+e.selectList(r)+b.fromWhere(), b.args)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, NotFound("No %s with id %d.", r.Name, pk)
	}
	return objs[0], nil
}

// Detail serves GET on a detail URL.
func (e *Engine) Detail(ctx context.Context, env Env, r *Resource, pkText string, p Params) (map[string]any, error) {
	if err := checkFormat(p); err != nil {
		return nil, err
	}
	pk, ok := parsePK(pkText)
	if !ok {
		return nil, NotFound("No %s with id %q.", r.Name, pkText)
	}
	return e.getRow(ctx, env, r, pk, false)
}

// Set serves GET /<name>/set/<pk>;<pk>;.../ in the requested order.
func (e *Engine) Set(ctx context.Context, env Env, r *Resource, list string, p Params) (map[string]any, error) {
	if err := checkFormat(p); err != nil {
		return nil, err
	}
	parts := strings.Split(list, ";")
	if len(parts) > r.MaxLimit {
		return nil, badRequest("At most %d ids are allowed in a set.", r.MaxLimit)
	}
	var notFound []string
	var ids []any
	var marks []string
	for _, s := range parts {
		if pk, ok := parsePK(s); ok {
			ids = append(ids, pk)
			marks = append(marks, "?")
		}
	}
	found := map[int64]map[string]any{}
	if len(ids) > 0 {
		b := newBuilder(env.DB.Dialect(), e.Reg, r, env.Loc)
		b.where = append(b.where, col("t", "id")+" IN ("+strings.Join(marks, ", ")+")")
		b.args = append(b.args, ids...)
		if r.Model.SoftDelete == schema.Deleted {
			b.where = append(b.where, col("t", "deleted")+" = FALSE")
		}
		b.addScopes(env)
		objs, err := e.fetch(ctx, env, r, "SELECT "+e.selectList(r)+b.fromWhere(), b.args)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			found[o["id"].(int64)] = o
		}
	}
	objs := []map[string]any{}
	for _, s := range parts {
		pk, ok := parsePK(s)
		if o, hit := found[pk]; ok && hit {
			objs = append(objs, o)
		} else {
			notFound = append(notFound, s)
		}
	}
	out := map[string]any{"objects": objs}
	if len(notFound) > 0 {
		out["not_found"] = notFound
	}
	return out, nil
}
