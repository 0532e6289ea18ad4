package api

// Conductor's control resources (spec/conductor.md §10): command-definition
// (read), command-slot and command-run (read, filterable), run logs, and the
// actions retry, cancel and trigger. command_run has no account column (its
// slot has), so these are served here with their own SQL rather than by the
// model resource engine; the list shape, paging links, error envelope and
// tenancy rules are those of spec/api.md.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/auth"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/conductor"
	"github.com/cubedhq/cubed/internal/db"
)

// ConductorControl is what the API needs of Conductor for its actions;
// *conductor.Conductor implements it (started or not: a web node may pass
// one built with conductor.New and never started).
type ConductorControl interface {
	Trigger(ctx context.Context, p conductor.TriggerParams) (conductor.TriggerResult, error)
	Retry(ctx context.Context, runID int64) (int64, error)
	Cancel(ctx context.Context, runID int64) error
	Commands(name string, downstream, upstream bool) ([]string, error)
	Command(name string) (*command.Command, bool)
}

const (
	cdDefinition = "command-definition"
	cdSlot       = "command-slot"
	cdRun        = "command-run"
)

var conductorResources = []string{cdDefinition, cdRun, cdSlot}

func (s *Server) mountConductor() error {
	for _, name := range conductorResources {
		s.mux.HandleFunc("/api/v1/"+name+"/", s.conductorRoute)
		s.mux.HandleFunc("/api/v1/"+name, func(w http.ResponseWriter, r *http.Request) { redirectSlash(w, r) })
	}
	doc, err := addConductorOpenAPI(s.openapiDoc)
	if err != nil {
		return err
	}
	s.openapiDoc = doc
	return nil
}

// conductorRoot adds the resources to the API root.
func (s *Server) conductorRoot(out map[string]any, full bool) {
	if s.deps.Conductor == nil {
		return
	}
	for _, name := range conductorResources {
		entry := map[string]any{"list_endpoint": "/api/v1/" + name + "/", "schema": "/api/v1/openapi.json"}
		if full {
			entry["schema"] = conductorSchemas()[schemaName(name)]
		}
		out[name] = entry
	}
}

// conductorRoute parses /api/v1/<name>/[<id>/[<action>/]] and checks the
// method, in the order of spec/api.md §2.
func (s *Server) conductorRoute(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > s.deps.Limits.MaxQuery {
		WriteError(w, r, http.StatusBadRequest, "bad_request", fmt.Sprintf("The query string is over %d bytes.", s.deps.Limits.MaxQuery), nil)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/") {
		redirectSlash(w, r)
		return
	}
	segs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/"), "/"), "/")
	name := segs[0]
	var kind, arg string
	switch {
	case len(segs) == 1:
		kind = "list"
	case len(segs) == 2 && name == cdSlot && segs[1] == "trigger":
		kind = "trigger"
	case len(segs) == 2:
		kind, arg = "detail", segs[1]
	case len(segs) == 3 && name == cdRun && (segs[2] == "logs" || segs[2] == "retry" || segs[2] == "cancel"):
		kind, arg = segs[2], segs[1]
	default:
		WriteError(w, r, http.StatusNotFound, "not_found", "No such path.", nil)
		return
	}
	allowed := []string{"GET"}
	if kind == "trigger" || kind == "retry" || kind == "cancel" {
		allowed = []string{"POST"}
	}
	if !methodCheck(w, r, allowed) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.deps.Limits.RequestDeadline)
	defer cancel()
	var body []byte
	var err error
	if kind == "trigger" {
		// retry and cancel take no body: whatever is sent is ignored.
		if body, err = s.readBody(r); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pr, p, err := s.apiUser(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var id int64
	if arg != "" {
		if id, err = strconv.ParseInt(arg, 10, 64); err != nil || id <= 0 {
			s.fail(w, r, newErr(http.StatusNotFound, "not_found", "No such object."))
			return
		}
	}
	var out any
	status := http.StatusOK
	switch kind {
	case "list":
		out, err = s.conductorList(ctx, r, name, p, pr)
	case "detail":
		out, err = s.conductorDetail(ctx, name, id, pr)
	case "logs":
		out, err = s.runLogs(ctx, r, id, p, pr)
	case "retry":
		out, err = s.runRetry(ctx, id, pr)
		if err == nil {
			status = http.StatusCreated
			w.Header().Set("Location", out.(map[string]any)["resource_uri"].(string))
		}
	case "cancel":
		out, err = s.runCancel(ctx, id, pr)
	case "trigger":
		out, err = s.slotTrigger(ctx, body, pr)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		return
	}
	WriteJSON(w, status, out)
}

func notFoundErr() error { return newErr(http.StatusNotFound, "not_found", "No such object.") }

func invalidFilterErr(format string, args ...any) error {
	return newErr(http.StatusBadRequest, "invalid_filter", fmt.Sprintf(format, args...))
}

func validationErr(field, msg string) error {
	return &apiError{status: http.StatusBadRequest, code: "validation_failed",
		msg: fmt.Sprintf("Invalid value for %s: %s", field, msg), fields: map[string][]string{field: {msg}}}
}

// visibleSQL limits slots (alias sl) to the caller's accounts; staff see
// every slot, including those of matrix-none commands (no account).
func visibleSQL(pr *principal) (string, []any) {
	if pr.user.IsStaff {
		return "1 = 1", nil
	}
	return `sl."account_id" IN (SELECT m."account_id" FROM "account_user" m WHERE m."user_id" = ?)`, []any{pr.user.ID}
}

// listQuery is a parsed list request.
type listQuery struct {
	where  []string
	args   []any
	order  string
	limit  int
	offset int
}

var runStatusByName = map[string]int{
	"waiting": conductor.Waiting, "running": conductor.Running, "timeout": conductor.Timeout,
	"failed": conductor.Failed, "success": conductor.Success, "cancelled": conductor.Cancelled,
}

var slotStatuses = []string{conductor.SlotPending, conductor.SlotWaiting, conductor.SlotRunning, conductor.SlotSuccess, conductor.SlotFailed, conductor.SlotCancelled}

// orderings per resource: API name → SQL expression.
var conductorOrderings = map[string]map[string]string{
	cdDefinition: {"id": `d."id"`, "name": `d."name"`},
	cdSlot:       {"id": `sl."id"`, "period_start": `sl."period_start"`, "local_date": `sl."local_date"`, "updated": `sl."updated"`, "priority": `sl."priority"`},
	cdRun: {"id": `r."id"`, "waiting_at": `r."waiting_at"`, "running_at": `r."running_at"`, "local_date": `sl."local_date"`,
		"period_start": `sl."period_start"`, "attempt": `r."attempt"`},
}

var conductorDefaultOrder = map[string]string{cdDefinition: "name", cdSlot: "-period_start", cdRun: "-id"}

func (s *Server) parseConductorList(ctx context.Context, name string, p resource.Params, pr *principal) (*listQuery, error) {
	q := &listQuery{}
	if name != cdDefinition {
		vis, args := visibleSQL(pr)
		q.where = append(q.where, vis)
		q.args = append(q.args, args...)
	}
	for _, key := range p.Keys {
		vals := p.Values[key]
		switch key {
		case "limit", "offset", "order_by", "format", "username", "api_key", "_":
			continue
		}
		if len(vals) > 1 {
			return nil, invalidFilterErr("The filter '%s' is given more than once.", key)
		}
		v := vals[0]
		field, lookup, _ := strings.Cut(key, "__")
		if name == cdDefinition {
			switch {
			case key == "name" || key == "app" || key == "frequency" || key == "matrix":
				q.where = append(q.where, `d.`+db.QuoteIdent(key)+` = ?`)
				q.args = append(q.args, v)
			case key == "active":
				b, err := strconv.ParseBool(v)
				if err != nil {
					return nil, invalidFilterErr("The value %q of 'active' is not a boolean.", v)
				}
				q.where = append(q.where, `d."active" = ?`)
				q.args = append(q.args, b)
			default:
				return nil, invalidFilterErr("The filter '%s' is not allowed on %s (allowed: name, app, frequency, matrix, active).", key, name)
			}
			continue
		}
		switch field {
		case "account":
			if lookup != "" {
				return nil, invalidFilterErr("The filter 'account' takes no lookup.")
			}
			// An ordinary filter (spec/api.md §3.3): an unknown or foreign
			// account simply matches nothing.
			acct, err := s.deps.Tenants.Lookup(ctx, v)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
				q.where = append(q.where, "1 = 0")
			case err != nil:
				return nil, err
			default:
				q.where = append(q.where, `sl."account_id" = ?`)
				q.args = append(q.args, acct.ID)
			}
		case "command":
			if lookup != "" && lookup != "in" {
				return nil, invalidFilterErr("The filter 'command' takes no lookup but 'in'.")
			}
			names := strings.Split(v, ",")
			q.where = append(q.where, `sl."definition_id" IN (SELECT d."id" FROM "command_definition" d WHERE d."name" IN (`+placeholders(len(names))+`))`)
			for _, n := range names {
				q.args = append(q.args, n)
			}
		case "status":
			if lookup != "" && lookup != "in" {
				return nil, invalidFilterErr("The filter 'status' takes no lookup but 'in'.")
			}
			var args []any
			for _, st := range strings.Split(v, ",") {
				if name == cdRun {
					n, ok := runStatusByName[st]
					if !ok {
						var err error
						if n, err = strconv.Atoi(st); err != nil || n < conductor.Waiting || n > conductor.Cancelled {
							return nil, invalidFilterErr("The value %q of 'status' is not a run status (waiting, running, timeout, failed, success, cancelled or 0-5).", st)
						}
					}
					args = append(args, n)
				} else {
					if !contains(slotStatuses, st) {
						return nil, invalidFilterErr("The value %q of 'status' is not a slot status (%s).", st, strings.Join(slotStatuses, ", "))
					}
					args = append(args, st)
				}
			}
			col := `sl."status"`
			if name == cdRun {
				col = `r."status"`
			}
			q.where = append(q.where, col+` IN (`+placeholders(len(args))+`)`)
			q.args = append(q.args, args...)
		case "local_date":
			op := map[string]string{"": "=", "exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[lookup]
			if op == "" && lookup != "range" {
				return nil, invalidFilterErr("The lookup '%s' is not allowed on 'local_date' (exact, gt, gte, lt, lte, range).", lookup)
			}
			parts := []string{v}
			if lookup == "range" {
				parts = strings.Split(v, ",")
				if len(parts) != 2 {
					return nil, invalidFilterErr("'local_date__range' needs two dates separated by a comma.")
				}
			}
			var dates []any
			for _, d := range parts {
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					return nil, invalidFilterErr("The value %q of '%s' is not a date (YYYY-MM-DD).", d, key)
				}
				dates = append(dates, d) // dates bind as text on both dialects
			}
			if lookup == "range" {
				q.where = append(q.where, `sl."local_date" >= ? AND sl."local_date" <= ?`)
			} else {
				q.where = append(q.where, `sl."local_date" `+op+` ?`)
			}
			q.args = append(q.args, dates...)
		case "slot":
			if name != cdRun || lookup != "" {
				return nil, invalidFilterErr("The filter '%s' is not allowed on %s.", key, name)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, invalidFilterErr("The value %q of 'slot' is not an id.", v)
			}
			q.where = append(q.where, `r."slot_id" = ?`)
			q.args = append(q.args, n)
		case "source":
			if name != cdSlot || lookup != "" {
				return nil, invalidFilterErr("The filter '%s' is not allowed on %s.", key, name)
			}
			q.where = append(q.where, `sl."source" = ?`)
			q.args = append(q.args, v)
		default:
			return nil, invalidFilterErr("The filter '%s' is not allowed on %s (allowed: account, command, status, local_date with exact/gt/gte/lt/lte/range%s).", key, name,
				map[bool]string{true: ", slot", false: ", source"}[name == cdRun])
		}
	}
	orders := p.Values["order_by"]
	if len(orders) == 0 {
		orders = []string{conductorDefaultOrder[name]}
	}
	pk := map[string]string{cdDefinition: `d."id"`, cdSlot: `sl."id"`, cdRun: `r."id"`}[name]
	var keys []string
	for _, o := range orders {
		desc := strings.HasPrefix(o, "-")
		expr, ok := conductorOrderings[name][strings.TrimPrefix(o, "-")]
		if !ok {
			return nil, newErr(http.StatusBadRequest, "invalid_ordering", fmt.Sprintf("Ordering by '%s' is not allowed on %s.", o, name))
		}
		// NULLs last in both directions (spec/api.md §4.4).
		k := `CASE WHEN ` + expr + ` IS NULL THEN 1 ELSE 0 END, ` + expr
		if desc {
			k += " DESC"
		}
		keys = append(keys, k)
	}
	q.order = strings.Join(append(keys, pk), ", ")
	var err error
	if q.limit, q.offset, err = pageParams(p, 20, 1000); err != nil {
		return nil, err
	}
	return q, nil
}

func pageParams(p resource.Params, def, maxLimit int) (limit, offset int, err error) {
	limit, offset = def, 0
	if p.Has("limit") {
		if limit, err = strconv.Atoi(p.Get("limit")); err != nil || limit < 0 {
			return 0, 0, newErr(http.StatusBadRequest, "invalid_pagination", "limit must be an integer ≥ 0.")
		}
	}
	if p.Has("offset") {
		if offset, err = strconv.Atoi(p.Get("offset")); err != nil || offset < 0 {
			return 0, 0, newErr(http.StatusBadRequest, "invalid_pagination", "offset must be an integer ≥ 0.")
		}
	}
	if limit == 0 || limit > maxLimit {
		limit = maxLimit
	}
	return limit, offset, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

const (
	definitionCols = `d."id", d."name", d."app", d."frequency", d."matrix", d."reads_from", d."writes_to", d."retry_max",
		d."retry_base_s", d."retry_cap_s", d."timeout_s", d."concurrency_group", d."starts_on", d."sequential", d."source", d."active", d."created", d."updated"`
	slotCols = `sl."id", d."name", sl."account_id", sl."period_start", sl."period_end", sl."local_date", sl."status", sl."source", sl."priority", sl."updated",
		(SELECT max(x."id") FROM "command_run" x WHERE x."slot_id" = sl."id")`
	runCols = `r."id", r."slot_id", d."name", sl."account_id", sl."local_date", r."attempt", r."status", r."waiting_at", r."running_at", r."timeout_at",
		r."failed_at", r."success_at", r."cancelled_at", r."heartbeat_at", r."worker", r."waiting_reason", r."progress_done", r."progress_total", r."error", r."exit_detail"`
	slotFrom = ` FROM "command_slot" sl JOIN "command_definition" d ON d."id" = sl."definition_id"`
	runFrom  = ` FROM "command_run" r JOIN "command_slot" sl ON sl."id" = r."slot_id" JOIN "command_definition" d ON d."id" = sl."definition_id"`
)

func conductorSelect(name string) (cols, from string) {
	switch name {
	case cdDefinition:
		return definitionCols, ` FROM "command_definition" d`
	case cdSlot:
		return slotCols, slotFrom
	}
	return runCols, runFrom
}

func (s *Server) conductorList(ctx context.Context, r *http.Request, name string, p resource.Params, pr *principal) (map[string]any, error) {
	q, err := s.parseConductorList(ctx, name, p, pr)
	if err != nil {
		return nil, err
	}
	cols, from := conductorSelect(name)
	where := ""
	if len(q.where) > 0 {
		where = " WHERE " + strings.Join(q.where, " AND ")
	}
	var total int
	if err := s.deps.Control.QueryRow(ctx, `SELECT count(*)`+from+where, q.args...).Scan(&total); err != nil {
		return nil, err
	}
	objects, err := s.conductorRows(ctx, name, `SELECT `+cols+from+where+` ORDER BY `+q.order+` LIMIT ? OFFSET ?`, append(q.args, q.limit, q.offset)...)
	if err != nil {
		return nil, err
	}
	return listPage(r.URL.Path, p, q.limit, q.offset, total, objects), nil
}

func listPage(path string, p resource.Params, limit, offset, total int, objects []map[string]any) map[string]any {
	meta := map[string]any{"limit": limit, "offset": offset, "total_count": total, "next": nil, "previous": nil}
	if offset+limit < total {
		meta["next"] = pageURL(path, p, limit, offset+limit)
	}
	if offset > 0 {
		meta["previous"] = pageURL(path, p, limit, max(0, offset-limit))
	}
	if objects == nil {
		objects = []map[string]any{}
	}
	return map[string]any{"meta": meta, "objects": objects}
}

func pageURL(path string, p resource.Params, limit, offset int) string {
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

func (s *Server) conductorDetail(ctx context.Context, name string, id int64, pr *principal) (map[string]any, error) {
	cols, from := conductorSelect(name)
	pk := map[string]string{cdDefinition: `d."id"`, cdSlot: `sl."id"`, cdRun: `r."id"`}[name]
	where := ` WHERE ` + pk + ` = ?`
	args := []any{id}
	if name != cdDefinition {
		vis, va := visibleSQL(pr)
		where += " AND " + vis
		args = append(args, va...)
	}
	objs, err := s.conductorRows(ctx, name, `SELECT `+cols+from+where, args...)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, notFoundErr()
	}
	return objs[0], nil
}

func (s *Server) conductorRows(ctx context.Context, name, query string, args ...any) ([]map[string]any, error) {
	rows, err := s.deps.Control.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var o map[string]any
		switch name {
		case cdDefinition:
			o, err = scanDefinition(rows)
		case cdSlot:
			o, err = scanSlot(rows)
		default:
			o, err = scanRun(rows)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanDefinition(rows scanner) (map[string]any, error) {
	var id, retryMax int64
	var name, app, freq, matrix, group, source string
	var reads, writes, startsOn, created, updated any
	var base, capS, timeout float64
	var seq, active bool
	if err := rows.Scan(&id, &name, &app, &freq, &matrix, &reads, &writes, &retryMax, &base, &capS, &timeout, &group, &startsOn, &seq, &source, &active, &created, &updated); err != nil {
		return nil, err
	}
	return map[string]any{
		"id": id, "resource_uri": resource.URI(cdDefinition, id), "name": name, "app": app, "frequency": freq, "matrix": matrix,
		"reads_from": jsonList(reads), "writes_to": jsonList(writes), "retry_max": retryMax, "retry_base_s": base, "retry_cap_s": capS,
		"timeout_s": timeout, "concurrency_group": group, "starts_on": dateOrNil(startsOn), "sequential": seq, "source": source,
		"active": active, "created": timeOrNil(created), "updated": timeOrNil(updated),
	}, nil
}

func scanSlot(rows scanner) (map[string]any, error) {
	var id, priority int64
	var cmd, status, source string
	var account, lastRun *int64
	var start, end, local, updated any
	if err := rows.Scan(&id, &cmd, &account, &start, &end, &local, &status, &source, &priority, &updated, &lastRun); err != nil {
		return nil, err
	}
	o := map[string]any{
		"id": id, "resource_uri": resource.URI(cdSlot, id), "command": cmd, "account": accountURI(account),
		"period_start": timeOrNil(start), "period_end": timeOrNil(end), "local_date": dateOrNil(local),
		"status": status, "source": source, "priority": priority, "updated": timeOrNil(updated), "latest_run": nil,
		"runs": "/api/v1/" + cdRun + "/?slot=" + strconv.FormatInt(id, 10),
	}
	if lastRun != nil {
		o["latest_run"] = resource.URI(cdRun, *lastRun)
	}
	return o, nil
}

func scanRun(rows scanner) (map[string]any, error) {
	var id, slot, attempt, done, total int64
	var status int
	var cmd, worker, reason, errText, detail string
	var account *int64
	var local, waiting, running, timeout, failed, success, cancelled, heartbeat any
	if err := rows.Scan(&id, &slot, &cmd, &account, &local, &attempt, &status, &waiting, &running, &timeout, &failed, &success, &cancelled, &heartbeat,
		&worker, &reason, &done, &total, &errText, &detail); err != nil {
		return nil, err
	}
	return map[string]any{
		"id": id, "resource_uri": resource.URI(cdRun, id), "slot": resource.URI(cdSlot, slot), "command": cmd, "account": accountURI(account),
		"local_date": dateOrNil(local), "attempt": attempt, "status": status, "status_name": conductor.StatusName(status),
		"waiting_at": timeOrNil(waiting), "running_at": timeOrNil(running), "timeout_at": timeOrNil(timeout), "failed_at": timeOrNil(failed),
		"success_at": timeOrNil(success), "cancelled_at": timeOrNil(cancelled), "heartbeat_at": timeOrNil(heartbeat),
		"worker": worker, "waiting_reason": reason, "progress": map[string]any{"done": done, "total": total},
		"error": errText, "exit_detail": detail, "logs": resource.URI(cdRun, id) + "logs/",
	}, nil
}

func accountURI(id *int64) any {
	if id == nil {
		return nil
	}
	return resource.URI("account", *id)
}

func jsonList(v any) any {
	var raw []byte
	switch x := v.(type) {
	case string:
		raw = []byte(x)
	case []byte:
		raw = x
	default:
		return []any{}
	}
	var out any
	if json.Unmarshal(raw, &out) != nil || out == nil {
		return []any{}
	}
	return out
}

func parseInstant(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case []byte:
		v = string(x)
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func timeOrNil(v any) any {
	t, ok := parseInstant(v)
	if !ok {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.999999-07:00")
}

func dateOrNil(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.DateOnly)
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

func (s *Server) runLogs(ctx context.Context, r *http.Request, id int64, p resource.Params, pr *principal) (map[string]any, error) {
	if _, err := s.conductorDetail(ctx, cdRun, id, pr); err != nil {
		return nil, err
	}
	for _, k := range p.Keys {
		switch k {
		case "limit", "offset", "format", "username", "api_key", "_":
		default:
			return nil, invalidFilterErr("The filter '%s' is not allowed on run logs.", k)
		}
	}
	limit, offset, err := pageParams(p, conductor.LogLinesKept, conductor.LogLinesKept)
	if err != nil {
		return nil, err
	}
	var total int
	if err := s.deps.Control.QueryRow(ctx, `SELECT count(*) FROM "command_run_log" WHERE "run_id" = ?`, id).Scan(&total); err != nil {
		return nil, err
	}
	rows, err := s.deps.Control.Query(ctx, `SELECT "seq", "at", "level", "message" FROM "command_run_log" WHERE "run_id" = ? ORDER BY "seq" LIMIT ? OFFSET ?`, id, limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var objs []map[string]any
	for rows.Next() {
		var seq int64
		var at any
		var level, msg string
		if err := rows.Scan(&seq, &at, &level, &msg); err != nil {
			return nil, err
		}
		objs = append(objs, map[string]any{"seq": seq, "at": timeOrNil(at), "level": level, "message": msg})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return listPage(r.URL.Path, p, limit, offset, total, objs), nil
}

// runAccess loads a run the caller can see and checks the editor role on
// its account (staff only for slots without account): 404 when invisible,
// 403 when visible but the role is too low.
func (s *Server) runAccess(ctx context.Context, id int64, pr *principal) error {
	var account *int64
	err := s.deps.Control.QueryRow(ctx, `SELECT sl."account_id" FROM "command_run" r JOIN "command_slot" sl ON sl."id" = r."slot_id" WHERE r."id" = ?`, id).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
		return notFoundErr()
	}
	if err != nil {
		return err
	}
	if pr.user.IsStaff {
		return nil
	}
	if account == nil {
		return notFoundErr()
	}
	role, err := s.roles.role(ctx, pr.user.ID, *account)
	if err != nil {
		return err
	}
	if role == "" {
		return notFoundErr()
	}
	if auth.RoleRank(role) < auth.RoleRank("editor") {
		return forbidden(fmt.Sprintf("Your role (%s) cannot retry or cancel runs of this account; editor is needed.", role))
	}
	return nil
}

// actionErr maps Conductor's input errors: a run in the wrong state is a
// 409 conflict, anything else naming a field a 400.
func actionErr(err error, fields map[string]string) error {
	var inv *apperr.Invalid
	if !errors.As(err, &inv) {
		return err
	}
	field := inv.Field
	if f, ok := fields[field]; ok {
		field = f
	}
	if field == "id" {
		return &apiError{status: http.StatusConflict, code: "conflict", msg: inv.Rule, fields: map[string][]string{"status": {inv.Rule}}}
	}
	return validationErr(field, inv.Rule)
}

func (s *Server) runRetry(ctx context.Context, id int64, pr *principal) (map[string]any, error) {
	if err := s.runAccess(ctx, id, pr); err != nil {
		return nil, err
	}
	newID, err := s.deps.Conductor.Retry(ctx, id)
	if err != nil {
		return nil, actionErr(err, map[string]string{"RUN_ID": "id"})
	}
	return s.conductorDetail(ctx, cdRun, newID, pr)
}

func (s *Server) runCancel(ctx context.Context, id int64, pr *principal) (map[string]any, error) {
	if err := s.runAccess(ctx, id, pr); err != nil {
		return nil, err
	}
	if err := s.deps.Conductor.Cancel(ctx, id); err != nil {
		return nil, actionErr(err, map[string]string{"RUN_ID": "id"})
	}
	return s.conductorDetail(ctx, cdRun, id, pr)
}

type triggerBody struct {
	Command        *string `json:"command"`
	Account        any     `json:"account"`
	From           *string `json:"from"`
	To             *string `json:"to"`
	WithDownstream bool    `json:"with_downstream"`
}

func (s *Server) slotTrigger(ctx context.Context, body []byte, pr *principal) (map[string]any, error) {
	var b triggerBody
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, newErr(http.StatusBadRequest, "bad_request", "The body must be a JSON object with command, account, from, to and with_downstream: "+err.Error())
	}
	fields := map[string][]string{}
	if b.Command == nil || *b.Command == "" {
		fields["command"] = append(fields["command"], "This field is required.")
	}
	dates := map[string]time.Time{}
	for _, f := range []struct {
		name string
		v    *string
	}{{"from", b.From}, {"to", b.To}} {
		if f.v == nil || *f.v == "" {
			fields[f.name] = append(fields[f.name], "This field is required.")
			continue
		}
		t, err := time.Parse(time.DateOnly, *f.v)
		if err != nil {
			fields[f.name] = append(fields[f.name], fmt.Sprintf("%q is not a date (YYYY-MM-DD).", *f.v))
			continue
		}
		dates[f.name] = t
	}
	if from, ok := dates["from"]; ok {
		if to, ok := dates["to"]; ok && to.Before(from) {
			fields["to"] = append(fields["to"], "to is before from.")
		}
		if to, ok := dates["to"]; ok && to.Sub(from) > 3660*24*time.Hour {
			fields["to"] = append(fields["to"], "The range is over 10 years.")
		}
	}
	var names []string
	if b.Command != nil && *b.Command != "" {
		var err error
		names, err = s.deps.Conductor.Commands(*b.Command, b.WithDownstream, false)
		if err != nil {
			var inv *apperr.Invalid
			if !errors.As(err, &inv) {
				return nil, err
			}
			fields["command"] = append(fields["command"], fmt.Sprintf("%q is not a command.", *b.Command))
		}
	}
	var ref string
	switch a := b.Account.(type) {
	case nil:
	case string:
		ref = a
	case float64:
		ref = strconv.FormatFloat(a, 'f', -1, 64)
	default:
		fields["account"] = append(fields["account"], "Give the account's id or token.")
	}
	if len(fields) > 0 {
		return nil, &apiError{status: http.StatusBadRequest, code: "validation_failed", msg: "Invalid trigger: " + fieldNames(fields), fields: fields}
	}
	accountless := false
	perAccount := false
	for _, n := range names {
		c, ok := s.deps.Conductor.Command(n)
		if !ok {
			continue
		}
		if c.Matrix == command.None {
			accountless = true
		} else {
			perAccount = true
		}
	}
	// A command without account is staff's; "pipeline" or downstream
	// commands of an account leave the account-less ones out for others.
	if accountless && !perAccount && !pr.user.IsStaff {
		return nil, forbidden("Only staff can trigger commands that run without an account.")
	}
	p := conductor.TriggerParams{Command: *b.Command, From: dates["from"], To: dates["to"], WithDownstream: b.WithDownstream,
		OnlyPerAccount: !pr.user.IsStaff}
	if !pr.user.IsStaff {
		var kept []string
		for _, n := range names {
			if c, ok := s.deps.Conductor.Command(n); ok && c.Matrix != command.None {
				kept = append(kept, n)
			}
		}
		names = kept
	}
	if ref == "" && perAccount {
		return nil, validationErr("account", "This field is required for per-account commands.")
	}
	if ref != "" {
		acct, err := s.deps.Tenants.Lookup(ctx, ref)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return nil, err
		}
		role := ""
		if err == nil {
			if pr.user.IsStaff {
				role = "admin"
			} else if role, err = s.roles.role(ctx, pr.user.ID, acct.ID); err != nil {
				return nil, err
			}
		}
		if role == "" {
			return nil, forbidden(fmt.Sprintf("You have no access to account %q.", ref))
		}
		if auth.RoleRank(role) < auth.RoleRank("editor") {
			return nil, forbidden(fmt.Sprintf("Your role (%s) cannot trigger commands; editor is needed.", role))
		}
		p.Accounts = []string{strconv.FormatInt(acct.ID, 10)}
	}
	res, err := s.deps.Conductor.Trigger(ctx, p)
	if err != nil {
		return nil, actionErr(err, map[string]string{"--to": "to", "--from": "from", "--account": "account"})
	}
	return map[string]any{"slots": res.Slots, "busy": res.Busy, "commands": names}, nil
}

func fieldNames(fields map[string][]string) string {
	var names []string
	for _, k := range []string{"command", "account", "from", "to"} {
		if _, ok := fields[k]; ok {
			names = append(names, k)
		}
	}
	return strings.Join(names, ", ")
}

func schemaName(resourceName string) string {
	switch resourceName {
	case cdDefinition:
		return "CommandDefinition"
	case cdSlot:
		return "CommandSlot"
	}
	return "CommandRun"
}

func conductorSchemas() map[string]obj {
	str := obj{"type": "string"}
	nstr := obj{"type": []string{"string", "null"}}
	dt := obj{"type": []string{"string", "null"}, "format": "date-time"}
	integer := obj{"type": "integer"}
	props := func(p obj) obj { return obj{"type": "object", "properties": p} }
	return map[string]obj{
		"CommandDefinition": props(obj{"id": integer, "resource_uri": str, "name": str, "app": str, "frequency": str, "matrix": str,
			"reads_from": obj{"type": "array", "items": str}, "writes_to": obj{"type": "array", "items": str}, "retry_max": integer,
			"retry_base_s": obj{"type": "number"}, "retry_cap_s": obj{"type": "number"}, "timeout_s": obj{"type": "number"},
			"concurrency_group": str, "starts_on": nstr, "sequential": obj{"type": "boolean"}, "source": str, "active": obj{"type": "boolean"},
			"created": dt, "updated": dt}),
		"CommandSlot": props(obj{"id": integer, "resource_uri": str, "command": str, "account": nstr, "period_start": dt, "period_end": dt,
			"local_date": obj{"type": "string", "format": "date"}, "status": obj{"type": "string", "enum": slotStatuses},
			"source": str, "priority": integer, "updated": dt, "latest_run": nstr, "runs": str}),
		"CommandRun": props(obj{"id": integer, "resource_uri": str, "slot": str, "command": str, "account": nstr,
			"local_date": obj{"type": "string", "format": "date"}, "attempt": integer,
			"status":      obj{"type": "integer", "description": "0 Waiting, 1 Running, 2 Timeout, 3 Failed, 4 Success, 5 Cancelled"},
			"status_name": str, "waiting_at": dt, "running_at": dt, "timeout_at": dt, "failed_at": dt, "success_at": dt, "cancelled_at": dt,
			"heartbeat_at": dt, "worker": str, "waiting_reason": obj{"type": "string", "description": "why a Waiting run waits"},
			"progress": props(obj{"done": integer, "total": integer}), "error": str, "exit_detail": str, "logs": str}),
		"CommandRunLog": props(obj{"seq": integer, "at": dt, "level": str, "message": str}),
		"TriggerRequest": obj{"type": "object", "required": []string{"command", "from", "to"}, "properties": obj{
			"command": obj{"type": "string", "description": "a command's name or pipeline"}, "account": obj{"description": "id or token; required for per-account commands"},
			"from": obj{"type": "string", "format": "date"}, "to": obj{"type": "string", "format": "date"}, "with_downstream": obj{"type": "boolean"}}},
		"TriggerResult": props(obj{"slots": integer, "busy": integer, "commands": obj{"type": "array", "items": str}}),
	}
}

// addConductorOpenAPI adds the resources and actions to the document.
func addConductorOpenAPI(doc []byte) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	paths, _ := d["paths"].(map[string]any)
	comps, _ := d["components"].(map[string]any)
	if paths == nil || comps == nil {
		return nil, errors.New("openapi: no paths or components")
	}
	schemas, _ := comps["schemas"].(map[string]any)
	if schemas == nil {
		schemas = map[string]any{}
		comps["schemas"] = schemas
	}
	for k, v := range conductorSchemas() {
		schemas[k] = v
	}
	errs := obj{"400": errorResponse("Bad filter, ordering or pagination"), "401": errorResponse("Not authenticated"), "403": errorResponse("Forbidden"), "429": errorResponse("Throttled")}
	with := func(o obj) obj {
		for k, v := range errs {
			o[k] = v
		}
		return o
	}
	okJSON := func(desc string, schema obj) obj {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": schema}}}
	}
	q := func(name, desc string) obj {
		return obj{"name": name, "in": "query", "schema": obj{"type": "string"}, "description": desc}
	}
	pk := obj{"name": "pk", "in": "path", "required": true, "schema": obj{"type": "integer"}}
	page := func(item string) obj {
		return obj{"type": "object", "required": []string{"meta", "objects"}, "properties": obj{"meta": ref("ListMeta"), "objects": obj{"type": "array", "items": ref(item)}}}
	}
	filters := []any{q("account", "account id or token"), q("command", "command name (command__in for several)"),
		q("status", "status name or number (status__in for several)"), q("local_date", "YYYY-MM-DD; also local_date__gte, __lte, __gt, __lt, __range"),
		q("order_by", "field, -field for descending"), q("limit", ""), q("offset", "")}
	for _, name := range conductorResources {
		sch := schemaName(name)
		params := filters
		if name == cdDefinition {
			params = []any{q("name", ""), q("app", ""), q("frequency", ""), q("matrix", ""), q("active", ""), q("order_by", ""), q("limit", ""), q("offset", "")}
		}
		paths["/api/v1/"+name+"/"] = obj{"parameters": params, "get": obj{"summary": "List " + name, "responses": with(obj{"200": okJSON("A page", page(sch))})}}
		paths["/api/v1/"+name+"/{pk}/"] = obj{"parameters": []any{pk}, "get": obj{"summary": "Get a " + name, "responses": with(obj{"200": okJSON("The object", ref(sch)), "404": errorResponse("Not found")})}}
	}
	paths["/api/v1/command-run/{pk}/logs/"] = obj{"parameters": []any{pk, q("limit", ""), q("offset", "")},
		"get": obj{"summary": "A run's log lines, oldest first", "responses": with(obj{"200": okJSON("A page", page("CommandRunLog")), "404": errorResponse("Not found")})}}
	paths["/api/v1/command-run/{pk}/retry/"] = obj{"parameters": []any{pk},
		"post": obj{"summary": "Retry a finished run: its slot gets a new Waiting run (editor role on the account)",
			"responses": with(obj{"201": okJSON("The new run", ref("CommandRun")), "404": errorResponse("Not found"), "409": errorResponse("The slot already has a run waiting or running")})}}
	paths["/api/v1/command-run/{pk}/cancel/"] = obj{"parameters": []any{pk},
		"post": obj{"summary": "Cancel a Waiting or Running run and its slot (editor role on the account)",
			"responses": with(obj{"200": okJSON("The cancelled run", ref("CommandRun")), "404": errorResponse("Not found"), "409": errorResponse("The run is already finished")})}}
	paths["/api/v1/command-slot/trigger/"] = obj{
		"post": obj{"summary": "(Re)open a command's slots for an account and a range of local dates (backfill); editor role on the account, staff for commands without account",
			"requestBody": jsonBody(ref("TriggerRequest")),
			"responses":   with(obj{"200": okJSON("Slots reopened", ref("TriggerResult"))})}}
	return marshalNoEscape(d)
}
