package resource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/schema"
)

// WriteEnv adds what writes need to Env.
type WriteEnv struct {
	Env
	// AllowAccount, for resources with an AccountColumn, tells whether the
	// caller may write rows of that account.
	AllowAccount func(accountID int64) bool
	// Now stamps created/updated; nil means time.Now.
	Now func() time.Time
}

func (w WriteEnv) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

// decodeObject reads a JSON object body.
func decodeObject(body []byte) (map[string]json.RawMessage, *Error) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("The request body is empty; send a JSON object.")
	}
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, badRequest("The request body is not a JSON object.")
	}
	if dec.More() {
		return nil, badRequest("The request body has trailing data after the JSON object.")
	}
	return obj, nil
}

// readOnlyKey tells whether a key in a body is accepted and ignored.
func (r *Resource) readOnlyKey(k string) bool {
	if k == "resource_uri" {
		return true
	}
	f, ok := r.Field(k)
	return ok && f.ReadOnly
}

// parsed is a validated set of column values for a write.
type parsed struct {
	cols []string
	vals []any
	api  map[string]any // API name -> Go value (for Validate hooks and scope checks)
}

func (p *parsed) set(f *Field, v any) {
	p.cols = append(p.cols, f.Column)
	p.vals = append(p.vals, v)
	p.api[f.Name] = v
}

// validate parses body keys into column values. prefix names errors for
// bulk requests ("objects.3."). creating checks required fields.
func (e *Engine) validate(ctx context.Context, tx *db.Tx, r *Resource, loc *time.Location, obj map[string]json.RawMessage, creating bool, prefix string, errs map[string][]string) *parsed {
	p := &parsed{api: map[string]any{}}
	for k, raw := range obj {
		if r.readOnlyKey(k) {
			continue
		}
		f, ok := r.Field(k)
		if !ok {
			errs[prefix+k] = append(errs[prefix+k], "Unknown field.")
			continue
		}
		v, msg := e.parseJSONValue(ctx, tx, f, raw, loc)
		if msg != "" {
			errs[prefix+k] = append(errs[prefix+k], msg)
			continue
		}
		p.set(f, v)
	}
	if creating {
		for _, f := range r.fields {
			if f.ReadOnly || f.Model.Null || f.Model.HasDefault {
				continue
			}
			if _, ok := obj[f.Name]; !ok {
				errs[prefix+f.Name] = append(errs[prefix+f.Name], "This field is required.")
			}
		}
	}
	return p
}

func (e *Engine) parseJSONValue(ctx context.Context, tx *db.Tx, f *Field, raw json.RawMessage, loc *time.Location) (any, string) {
	mf := f.Model
	if string(bytes.TrimSpace(raw)) == "null" {
		if !mf.Null {
			return nil, "This field cannot be null."
		}
		return nil, ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, "Malformed value."
	}
	switch mf.Type {
	case schema.Text:
		s, ok := v.(string)
		if !ok {
			return nil, "Expected a string."
		}
		if strings.ContainsRune(s, 0) {
			return nil, "Text cannot contain NUL characters."
		}
		if mf.MaxLength > 0 && utf8.RuneCountInString(s) > mf.MaxLength {
			return nil, fmt.Sprintf("Ensure this value has at most %d characters.", mf.MaxLength)
		}
		if len(mf.Choices) > 0 && !contains(mf.Choices, s) {
			return nil, fmt.Sprintf("Must be one of: %s.", strings.Join(mf.Choices, ", "))
		}
		return s, ""
	case schema.Int, schema.BigInt:
		n, ok := v.(json.Number)
		if !ok {
			return nil, "Expected an integer."
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil || (mf.Type == schema.Int && (i > math.MaxInt32 || i < math.MinInt32)) {
			return nil, "Expected an integer."
		}
		return i, ""
	case schema.Float:
		n, ok := v.(json.Number)
		if !ok {
			return nil, "Expected a number."
		}
		x, err := n.Float64()
		if err != nil {
			return nil, "Expected a number."
		}
		return x, ""
	case schema.Decimal:
		var s string
		switch x := v.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = x
		default:
			return nil, "Expected a decimal number."
		}
		d, err := parseDecimal(mf, s)
		if err != nil {
			return nil, "Expected a decimal number: " + err.Error() + "."
		}
		return d, ""
	case schema.Bool:
		b, ok := v.(bool)
		if !ok {
			return nil, "Expected true or false."
		}
		return b, ""
	case schema.Date:
		s, ok := v.(string)
		if !ok {
			return nil, "Expected a date (YYYY-MM-DD)."
		}
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, "Expected a date (YYYY-MM-DD)."
		}
		return d.Format("2006-01-02"), ""
	case schema.DateTime:
		s, ok := v.(string)
		if !ok {
			return nil, "Expected an ISO 8601 datetime."
		}
		t, err := parseDateTime(s, loc)
		if err != nil {
			return nil, "Expected an ISO 8601 datetime."
		}
		return t, ""
	case schema.JSON:
		return string(bytes.TrimSpace(raw)), ""
	case schema.ForeignKey:
		return e.resolveRelated(ctx, tx, f, v)
	}
	return nil, "Unsupported field type."
}

// resolveRelated accepts a resource_uri, {"resource_uri": …} or a pk.
func (e *Engine) resolveRelated(ctx context.Context, tx *db.Tx, f *Field, v any) (any, string) {
	rel, _ := e.Reg.Get(f.Related.Resource)
	var pk int64
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			return nil, "Expected a resource URI or an id."
		}
		pk = n
	case string:
		n, ok := parseURI(rel.Name, x)
		if !ok {
			return nil, fmt.Sprintf("Expected a %s resource URI such as /api/v1/%s/1/.", rel.Name, rel.Name)
		}
		pk = n
	case map[string]any:
		u, ok := x["resource_uri"].(string)
		if !ok || len(x) != 1 {
			return nil, "Nested creation of related objects is not supported; send the resource_uri."
		}
		n, ok := parseURI(rel.Name, u)
		if !ok {
			return nil, fmt.Sprintf("Expected a %s resource URI such as /api/v1/%s/1/.", rel.Name, rel.Name)
		}
		pk = n
	default:
		return nil, "Expected a resource URI or an id."
	}
	var one int
	qs := "SELECT 1 FROM " + q(rel.Model.Name) + " WHERE " + q("id") + " = ?"
	if rel.Model.SoftDelete == schema.Deleted {
		qs += " AND " + q("deleted") + " = FALSE"
	}
	if err := tx.QueryRow(ctx, qs, pk).Scan(&one); err != nil {
		return nil, fmt.Sprintf("No %s with id %d.", rel.Name, pk)
	}
	return pk, ""
}

func parseURI(resource, u string) (int64, bool) {
	prefix := "/api/v1/" + resource + "/"
	if !strings.HasPrefix(u, prefix) || !strings.HasSuffix(u, "/") {
		return 0, false
	}
	return parsePK(strings.TrimSuffix(strings.TrimPrefix(u, prefix), "/"))
}

// conflict turns a unique violation into 409 naming the fields.
func conflict(r *Resource, err error) error {
	v, ok := db.UniqueViolation(err)
	if !ok {
		return err
	}
	cols := v.Columns
	if v.Index != "" {
		cols = r.Model.UniqueFieldsByIndex()[v.Index]
		if v.Index == r.Model.Name+"_pkey" {
			cols = []string{"id"}
		}
	}
	var names []string
	fields := map[string][]string{}
	for _, c := range cols {
		name := c
		for _, f := range r.fields {
			if f.Column == c {
				name = f.Name
			}
		}
		names = append(names, name)
	}
	msg := fmt.Sprintf("A %s with this %s already exists.", r.Model.VerboseName, strings.Join(names, " and "))
	for _, n := range names {
		fields[n] = []string{msg}
	}
	return &Error{Status: http.StatusConflict, Code: "conflict", Message: msg, Fields: fields}
}

func (e *Engine) checkAccount(w WriteEnv, r *Resource, p *parsed, existingAccount any) *Error {
	if r.AccountColumn == "" || w.AllowAccount == nil {
		return nil
	}
	for _, v := range []any{existingAccount, p.api[strings.TrimSuffix(r.AccountColumn, "_id")]} {
		if id, ok := v.(int64); ok && !w.AllowAccount(id) {
			return errf(http.StatusForbidden, "forbidden", "Your role does not allow writing %s of account %d.", r.Name, id)
		}
	}
	return nil
}

func (e *Engine) runHook(r *Resource, current map[string]any, p *parsed, prefix string, errs map[string][]string) {
	if r.Validate == nil {
		return
	}
	merged := map[string]any{}
	for k, v := range current {
		merged[k] = v
	}
	for k, v := range p.api {
		merged[k] = v
	}
	for k, msgs := range r.Validate(merged) {
		errs[prefix+k] = append(errs[prefix+k], msgs...)
	}
}

// insert writes a new row (explicit pk when pk > 0) and returns its id.
func (e *Engine) insert(ctx context.Context, tx *db.Tx, w WriteEnv, r *Resource, p *parsed, pk int64) (int64, error) {
	cols := append([]string{}, p.cols...)
	vals := append([]any{}, p.vals...)
	now := w.now()
	for _, f := range r.Model.Fields {
		if (f.AutoNow || f.AutoNowAdd) && !contains(cols, f.Name) {
			cols = append(cols, f.Name)
			vals = append(vals, now)
		}
	}
	if pk > 0 {
		cols = append(cols, "id")
		vals = append(vals, pk)
	}
	quoted := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, c := range cols {
		quoted[i], marks[i] = q(c), "?"
	}
	stmt := "INSERT INTO " + q(r.Model.Name) + " (" + strings.Join(quoted, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
	if len(cols) == 0 {
		stmt = "INSERT INTO " + q(r.Model.Name) + " DEFAULT VALUES"
	}
	id, err := db.InsertID(ctx, tx, stmt, vals...)
	if err != nil {
		return 0, conflict(r, err)
	}
	if pk > 0 && tx.Dialect() == db.Postgres {
		// Keep the identity ahead of explicitly chosen ids.
		if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence(?, 'id'), (SELECT max("+q("id")+") FROM "+q(r.Model.Name)+"))", q(r.Model.Name)); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func (e *Engine) update(ctx context.Context, tx *db.Tx, w WriteEnv, r *Resource, p *parsed, pk int64) error {
	cols := append([]string{}, p.cols...)
	vals := append([]any{}, p.vals...)
	for _, f := range r.Model.Fields {
		if f.AutoNow && !contains(cols, f.Name) {
			cols = append(cols, f.Name)
			vals = append(vals, w.now())
		}
	}
	if len(cols) == 0 {
		return nil
	}
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = q(c) + " = ?"
	}
	_, err := tx.Exec(ctx, "UPDATE "+q(r.Model.Name)+" SET "+strings.Join(sets, ", ")+" WHERE "+q("id")+" = ?", append(vals, pk)...)
	return conflict(r, err)
}

// existing reads the current API values of a row inside tx, honouring
// scopes; found is false for missing (and deleted-kind deleted) rows.
func (e *Engine) existing(ctx context.Context, tx *db.Tx, w WriteEnv, r *Resource, pk int64) (map[string]any, bool, error) {
	b := newBuilder(tx.Dialect(), e.Reg, r, w.Loc)
	b.where = append(b.where, col("t", "id")+" = ?")
	b.args = append(b.args, pk)
	if r.Model.SoftDelete == schema.Deleted {
		b.where = append(b.where, col("t", "deleted")+" = FALSE")
	}
	b.addScopes(w.Env)
	rows, err := tx.Query(ctx, "SELECT "+e.selectList(r)+b.fromWhere(), b.args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, rows.Err()
	}
	vals := make([]any, len(r.fields))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, false, err
	}
	out := map[string]any{}
	for i, f := range r.fields {
		out[f.Name] = normalize(f.Model, vals[i])
	}
	return out, true, nil
}

func (w WriteEnv) fail(errs map[string][]string) error {
	if len(errs) > 0 {
		return validationFailed(errs)
	}
	return nil
}

// Create serves POST on a list URL.
func (e *Engine) Create(ctx context.Context, w WriteEnv, r *Resource, body []byte) (map[string]any, error) {
	obj, derr := decodeObject(body)
	if derr != nil {
		return nil, derr
	}
	var id int64
	err := w.DB.InTx(ctx, func(tx *db.Tx) error {
		errs := map[string][]string{}
		p := e.validate(ctx, tx, r, w.Loc, obj, true, "", errs)
		e.runHook(r, nil, p, "", errs)
		if err := w.fail(errs); err != nil {
			return err
		}
		if err := e.checkAccount(w, r, p, nil); err != nil {
			return err
		}
		var err error
		id, err = e.insert(ctx, tx, w, r, p, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e.getRow(ctx, w.Env, r, id, true)
}

// Put serves PUT on a detail URL: update when the row exists, else create
// it with that pk.
func (e *Engine) Put(ctx context.Context, w WriteEnv, r *Resource, pkText string, body []byte) (map[string]any, bool, error) {
	pk, ok := parsePK(pkText)
	if !ok {
		return nil, false, NotFound("No %s with id %q.", r.Name, pkText)
	}
	obj, derr := decodeObject(body)
	if derr != nil {
		return nil, false, derr
	}
	created := false
	err := w.DB.InTx(ctx, func(tx *db.Tx) error {
		cur, found, err := e.existing(ctx, tx, w, r, pk)
		if err != nil {
			return err
		}
		if !found {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+q(r.Model.Name)+" WHERE "+q("id")+" = ?", pk).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				// The pk exists but is not visible (deleted or out of scope).
				return NotFound("No %s with id %d.", r.Name, pk)
			}
		}
		errs := map[string][]string{}
		p := e.validate(ctx, tx, r, w.Loc, obj, !found, "", errs)
		e.runHook(r, cur, p, "", errs)
		if err := w.fail(errs); err != nil {
			return err
		}
		var acct any
		if cur != nil && r.AccountColumn != "" {
			acct = cur[strings.TrimSuffix(r.AccountColumn, "_id")]
		}
		if err := e.checkAccount(w, r, p, acct); err != nil {
			return err
		}
		if found {
			return e.update(ctx, tx, w, r, p, pk)
		}
		created = true
		_, err = e.insert(ctx, tx, w, r, p, pk)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	o, err := e.getRow(ctx, w.Env, r, pk, true)
	return o, created, err
}

// Patch serves PATCH on a detail URL.
func (e *Engine) Patch(ctx context.Context, w WriteEnv, r *Resource, pkText string, body []byte) (map[string]any, error) {
	pk, ok := parsePK(pkText)
	if !ok {
		return nil, NotFound("No %s with id %q.", r.Name, pkText)
	}
	obj, derr := decodeObject(body)
	if derr != nil {
		return nil, derr
	}
	err := w.DB.InTx(ctx, func(tx *db.Tx) error {
		return e.patchOne(ctx, tx, w, r, pk, obj, "")
	})
	if err != nil {
		return nil, err
	}
	return e.getRow(ctx, w.Env, r, pk, true)
}

func (e *Engine) patchOne(ctx context.Context, tx *db.Tx, w WriteEnv, r *Resource, pk int64, obj map[string]json.RawMessage, prefix string) error {
	cur, found, err := e.existing(ctx, tx, w, r, pk)
	if err != nil {
		return err
	}
	if !found {
		return NotFound("No %s with id %d.", r.Name, pk)
	}
	errs := map[string][]string{}
	p := e.validate(ctx, tx, r, w.Loc, obj, false, prefix, errs)
	e.runHook(r, cur, p, prefix, errs)
	if err := w.fail(errs); err != nil {
		return err
	}
	var acct any
	if r.AccountColumn != "" {
		acct = cur[strings.TrimSuffix(r.AccountColumn, "_id")]
	}
	if err := e.checkAccount(w, r, p, acct); err != nil {
		return err
	}
	return e.update(ctx, tx, w, r, p, pk)
}

// softDelete applies §5.3 to one row; gone reports a deleted-kind row that
// was already deleted.
func (e *Engine) deleteRow(ctx context.Context, tx *db.Tx, w WriteEnv, r *Resource, pk int64) error {
	switch r.Model.SoftDelete {
	case schema.Deactivate:
		_, err := tx.Exec(ctx, "UPDATE "+q(r.Model.Name)+" SET "+q("active")+" = FALSE"+e.touch(r)+" WHERE "+q("id")+" = ?", append(e.touchArgs(r, w), pk)...)
		return err
	case schema.Deleted:
		_, err := tx.Exec(ctx, "UPDATE "+q(r.Model.Name)+" SET "+q("deleted")+" = TRUE, "+q("active")+" = FALSE"+e.touch(r)+" WHERE "+q("id")+" = ?", append(e.touchArgs(r, w), pk)...)
		return err
	}
	_, err := tx.Exec(ctx, "DELETE FROM "+q(r.Model.Name)+" WHERE "+q("id")+" = ?", pk)
	return err
}

func (e *Engine) touch(r *Resource) string {
	for _, f := range r.Model.Fields {
		if f.AutoNow {
			return ", " + q(f.Name) + " = ?"
		}
	}
	return ""
}

func (e *Engine) touchArgs(r *Resource, w WriteEnv) []any {
	if e.touch(r) != "" {
		return []any{w.now()}
	}
	return nil
}

// Delete serves DELETE on a detail URL.
func (e *Engine) Delete(ctx context.Context, w WriteEnv, r *Resource, pkText string) error {
	pk, ok := parsePK(pkText)
	if !ok {
		return NotFound("No %s with id %q.", r.Name, pkText)
	}
	return w.DB.InTx(ctx, func(tx *db.Tx) error {
		cur, found, err := e.existing(ctx, tx, w, r, pk)
		if err != nil {
			return err
		}
		if !found {
			return NotFound("No %s with id %d.", r.Name, pk)
		}
		if r.AccountColumn != "" {
			if err := e.checkAccount(w, r, &parsed{api: map[string]any{}}, cur[strings.TrimSuffix(r.AccountColumn, "_id")]); err != nil {
				return err
			}
		}
		return e.deleteRow(ctx, tx, w, r, pk)
	})
}

// BulkPatch serves PATCH on a list URL (§5.2): one transaction.
func (e *Engine) BulkPatch(ctx context.Context, w WriteEnv, r *Resource, body []byte) (map[string]any, error) {
	var req struct {
		Objects        *[]json.RawMessage `json:"objects"`
		DeletedObjects []string           `json:"deleted_objects"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 || dec.Decode(&req) != nil {
		return nil, badRequest("The request body must be a JSON object with an objects list.")
	}
	if req.Objects == nil {
		return nil, badRequest("The request body must have an objects list.")
	}
	if len(*req.Objects)+len(req.DeletedObjects) > r.MaxLimit {
		return nil, badRequest("At most %d objects and deleted objects are allowed in one request.", r.MaxLimit)
	}
	var ids []int64
	err := w.DB.InTx(ctx, func(tx *db.Tx) error {
		type op struct {
			pk  int64
			obj map[string]json.RawMessage
			p   *parsed
			cur map[string]any
		}
		ops := make([]op, len(*req.Objects))
		errs := map[string][]string{}
		for i, raw := range *req.Objects {
			prefix := fmt.Sprintf("objects.%d.", i)
			obj, derr := decodeObject(raw)
			if derr != nil {
				errs[strings.TrimSuffix(prefix, ".")] = []string{"Expected a JSON object."}
				continue
			}
			ops[i].obj = obj
			if rawURI, ok := obj["resource_uri"]; ok {
				var u string
				if json.Unmarshal(rawURI, &u) == nil {
					if pk, ok := parseURI(r.Name, u); ok {
						cur, found, err := e.existing(ctx, tx, w, r, pk)
						if err != nil {
							return err
						}
						if found {
							ops[i].pk, ops[i].cur = pk, cur
						}
					}
				}
			}
			ops[i].p = e.validate(ctx, tx, r, w.Loc, obj, ops[i].pk == 0, prefix, errs)
			e.runHook(r, ops[i].cur, ops[i].p, prefix, errs)
		}
		if err := w.fail(errs); err != nil {
			return err
		}
		for i := range ops {
			var acct any
			if ops[i].cur != nil && r.AccountColumn != "" {
				acct = ops[i].cur[strings.TrimSuffix(r.AccountColumn, "_id")]
			}
			if err := e.checkAccount(w, r, ops[i].p, acct); err != nil {
				return err
			}
			if ops[i].pk > 0 {
				if err := e.update(ctx, tx, w, r, ops[i].p, ops[i].pk); err != nil {
					return err
				}
				ids = append(ids, ops[i].pk)
				continue
			}
			id, err := e.insert(ctx, tx, w, r, ops[i].p, 0)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		for _, u := range req.DeletedObjects {
			pk, ok := parseURI(r.Name, u)
			if !ok {
				return NotFound("Unknown resource URI %q in deleted_objects.", u)
			}
			cur, found, err := e.existing(ctx, tx, w, r, pk)
			if err != nil {
				return err
			}
			if !found {
				return NotFound("Unknown resource URI %q in deleted_objects.", u)
			}
			if r.AccountColumn != "" {
				if err := e.checkAccount(w, r, &parsed{api: map[string]any{}}, cur[strings.TrimSuffix(r.AccountColumn, "_id")]); err != nil {
					return err
				}
			}
			if err := e.deleteRow(ctx, tx, w, r, pk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	objs := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		o, err := e.getRow(ctx, w.Env, r, id, true)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return map[string]any{"objects": objs}, nil
}

// hasFilter tells whether any non-reserved parameter is present.
func hasFilter(p Params) bool {
	for _, k := range p.Keys {
		if !contains(Reserved, k) {
			return true
		}
	}
	return false
}

// matching returns the ids of rows the filters select (no paging).
func (e *Engine) matching(ctx context.Context, tx *db.Tx, w WriteEnv, r *Resource, p Params) ([]int64, error) {
	b := newBuilder(tx.Dialect(), e.Reg, r, w.Loc)
	if err := e.filters(b, p, nil); err != nil {
		return nil, err
	}
	if r.Model.SoftDelete == schema.Deleted {
		b.where = append(b.where, col("t", "deleted")+" = FALSE")
	}
	b.addScopes(w.Env)
	rows, err := tx.Query(ctx, "SELECT "+col("t", "id")+b.fromWhere()+" ORDER BY "+col("t", "id"), b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// DeleteList serves DELETE on a list URL: needs a filter.
func (e *Engine) DeleteList(ctx context.Context, w WriteEnv, r *Resource, p Params) error {
	if !hasFilter(p) {
		return badRequest("DELETE on a list needs at least one filter; nothing was deleted.")
	}
	return w.DB.InTx(ctx, func(tx *db.Tx) error {
		ids, err := e.matching(ctx, tx, w, r, p)
		if err != nil {
			return err
		}
		return e.deleteIDs(ctx, tx, w, r, ids)
	})
}

func (e *Engine) deleteIDs(ctx context.Context, tx *db.Tx, w WriteEnv, r *Resource, ids []int64) error {
	for _, id := range ids {
		if r.AccountColumn != "" {
			cur, found, err := e.existing(ctx, tx, w, r, id)
			if err != nil {
				return err
			}
			if found {
				if err := e.checkAccount(w, r, &parsed{api: map[string]any{}}, cur[strings.TrimSuffix(r.AccountColumn, "_id")]); err != nil {
					return err
				}
			}
		}
		if err := e.deleteRow(ctx, tx, w, r, id); err != nil {
			return err
		}
	}
	return nil
}

// PutList serves PUT on a list URL: deletes the filtered set, then creates
// the objects, in one transaction; needs a filter.
func (e *Engine) PutList(ctx context.Context, w WriteEnv, r *Resource, p Params, body []byte) (map[string]any, error) {
	if !hasFilter(p) {
		return nil, badRequest("PUT on a list needs at least one filter; nothing was changed.")
	}
	var req struct {
		Objects *[]json.RawMessage `json:"objects"`
	}
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &req) != nil || req.Objects == nil {
		return nil, badRequest("The request body must be a JSON object with an objects list.")
	}
	if len(*req.Objects) > r.MaxLimit {
		return nil, badRequest("At most %d objects are allowed in one request.", r.MaxLimit)
	}
	var ids []int64
	err := w.DB.InTx(ctx, func(tx *db.Tx) error {
		errs := map[string][]string{}
		ps := make([]*parsed, len(*req.Objects))
		for i, raw := range *req.Objects {
			prefix := fmt.Sprintf("objects.%d.", i)
			obj, derr := decodeObject(raw)
			if derr != nil {
				errs[strings.TrimSuffix(prefix, ".")] = []string{"Expected a JSON object."}
				continue
			}
			ps[i] = e.validate(ctx, tx, r, w.Loc, obj, true, prefix, errs)
			e.runHook(r, nil, ps[i], prefix, errs)
		}
		if err := w.fail(errs); err != nil {
			return err
		}
		old, err := e.matching(ctx, tx, w, r, p)
		if err != nil {
			return err
		}
		if err := e.deleteIDs(ctx, tx, w, r, old); err != nil {
			return err
		}
		for _, ps := range ps {
			if err := e.checkAccount(w, r, ps, nil); err != nil {
				return err
			}
			id, err := e.insert(ctx, tx, w, r, ps, 0)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	objs := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		o, err := e.getRow(ctx, w.Env, r, id, true)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return map[string]any{"objects": objs}, nil
}

// AsError extracts an engine error.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
