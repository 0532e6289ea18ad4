package api

// Report resources (spec/api.md §10): routing, authentication, tenancy,
// conditional GET and CSV around the report engine, and their OpenAPI.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/report"
)

// reportRoute serves /api/v1/<report>/ and its schema/; reports have no
// detail or set URLs.
func (s *Server) reportRoute(w http.ResponseWriter, r *http.Request, rt route, rep *report.Report) {
	switch rt.kind {
	case "schema":
		if methodCheck(w, r, []string{"GET"}) {
			WriteJSON(w, http.StatusOK, s.reportSchemaDoc(rep))
		}
	case "list":
		if methodCheck(w, r, []string{"GET"}) {
			s.serveReport(w, r, rt, rep)
		}
	default:
		WriteError(w, r, http.StatusNotFound, "not_found", fmt.Sprintf("Report %s has no detail or set URLs.", rep.Name), nil)
	}
}

// reportSchemaDoc is the report's /schema/ document: report.SchemaDoc,
// plus, on the field of each dict dimension whose related table a model
// resource serves, related_type "to_one" and that resource's
// related_schema, as model resources point at their relations (§9). A
// client lists the dimension's values from the resource rather than from
// the report's rows. The report package knows only the table; this layer
// knows the resources.
func (s *Server) reportSchemaDoc(rep *report.Report) map[string]any {
	doc := report.SchemaDoc(rep)
	fields, _ := doc["fields"].(map[string]any)
	for _, name := range rep.DimensionNames() {
		if rep.DimensionType(name) != report.Dict {
			continue
		}
		res, ok := s.tableResources[rep.DimensionRelated(name)]
		if !ok {
			continue
		}
		if f, ok := fields[name].(map[string]any); ok {
			f["related_type"] = "to_one"
			f["related_schema"] = "/api/v1/" + res + "/schema/"
		}
	}
	return doc
}

// resourcesByTable maps each client table to the model resource that
// lists it (the first by name when several do); a report's dict
// dimensions, which read client tables, point at these.
func resourcesByTable(reg *resource.Registry) map[string]string {
	out := map[string]string{}
	for _, name := range reg.Names() {
		r, _ := reg.Get(name)
		if !r.IsClient() || !slices.Contains(r.ListMethods, http.MethodGet) {
			continue
		}
		if _, taken := out[r.Model.Name]; !taken {
			out[r.Model.Name] = name
		}
	}
	return out
}

// etagMatches reads If-None-Match (a list, weak tags allowed, or *).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

func (s *Server) serveReport(w http.ResponseWriter, r *http.Request, rt route, rep *report.Report) {
	ctx, cancel := context.WithTimeout(r.Context(), s.deps.Limits.RequestDeadline)
	defer cancel()
	p, err := resource.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pr, err := s.authenticate(ctx, r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.throttle(pr); err != nil {
		s.fail(w, r, err)
		return
	}
	acct, _, err := s.tenancy(ctx, rt, p, pr)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, release, err := s.deps.Tenants.Acquire(ctx, acct)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	env := report.Env{DB: d, Loc: acct.Location(), AccountID: acct.ID, Account: acct.Token, Currency: acct.Currency,
		Path: r.URL.Path, Now: s.deps.Now()}
	req, err := s.reports.Prepare(ctx, env, rep, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cacheHeaders := func() {
		w.Header().Set("ETag", req.ETag())
		w.Header().Set("Cache-Control", "private, no-cache")
	}
	if etagMatches(r.Header.Get("If-None-Match"), req.ETag()) {
		cacheHeaders()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	res, err := req.Run(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cacheHeaders()
	if req.CSV() {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+req.Filename()+`"`)
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return
		}
		if err := res.WriteCSV(w); err != nil {
			s.deps.Log.Warn("report csv: write", "request_id", RequestID(r.Context()), "report", rep.Name, "err", err)
		}
		return
	}
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	}
	WriteJSON(w, http.StatusOK, res.Body())
}

// reportParams are the query parameters of spec/api.md §10.2.
var reportParams = []struct{ name, desc string }{
	{"group_by", "Dimensions to group by, comma separated (repeats concatenate)"},
	{"having", "Conditions on metrics after aggregation: metric__op=value[,metric__op=value]"},
	{"totals", "true adds meta.totals over the whole filtered set"},
	{"selected_fields", "Keep only these dimensions and metrics"},
	{"timeframe", "<date dimension>__day|week|month|quarter|year"},
	{"graph", "true answers a zero-filled time series"},
	{"graph_group_by", "The graph's date dimension"},
	{"graph_group_by_type", "<date dimension>__hourly|daily|weekly|monthly"},
	{"graph_order_by", "<date dimension> or -<date dimension>"},
	{"compare", "previous_period, previous_year or YYYY-MM-DD..YYYY-MM-DD"},
	{"top", "Fold groups after the first N into (other)"},
	{"format", "json (default) or csv"},
}

func reportDimSchema(rep *report.Report, name string) obj {
	switch rep.DimensionType(name) {
	case report.Integer:
		return obj{"type": []string{"integer", "string", "null"}}
	case report.Dict:
		props := obj{"id": obj{"type": []string{"integer", "null"}}, "name": obj{"type": []string{"string", "null"}}}
		for _, x := range rep.DictExtra(name) {
			props[x.Name] = obj{}
		}
		return obj{"type": "object", "required": []string{"id", "name"}, "properties": props}
	}
	return obj{"type": []string{"string", "null"}}
}

func reportMetricSchema(t report.Type) obj {
	switch t {
	case report.Integer:
		return obj{"type": []string{"integer", "null"}}
	case report.Date:
		return obj{"type": []string{"string", "null"}}
	case report.Dict:
		return obj{"type": []string{"object", "null"}}
	}
	return obj{"type": []string{"number", "null"}}
}

// addReportPaths documents every report: its list path with parameters
// and filters (a ReportResponse whose objects are the report's own row
// schema), its schema path (ReportSchemaDoc), and one component schema
// per report row. ReportMeta is declared even without reports, since
// ReportResponse names it.
func addReportPaths(paths, schemas obj, with func(obj) obj, reports *report.Registry) {
	schemas["ReportMeta"] = obj{
		"type": "object", "required": []string{"currency", "data_version", "served_from", "total_count"},
		"properties": obj{
			"currency": obj{"type": "string"}, "data_version": obj{"type": "string"}, "served_from": obj{"type": "string"},
			"total_count": obj{"type": "integer"}, "limit": obj{"type": "integer"}, "offset": obj{"type": "integer"},
			"next": obj{"type": []string{"string", "null"}}, "previous": obj{"type": []string{"string", "null"}},
			"granularity": obj{"type": "string", "enum": []string{"hourly", "daily", "weekly", "monthly"}},
			"totals":      ref("ReportRow"),
			"defaults":    obj{"type": "object", "additionalProperties": obj{"type": []string{"string", "number"}}, "description": "Default filters applied: dimension -> value"},
		},
	}
	if reports == nil {
		return
	}
	for _, name := range reports.Names() {
		rep, _ := reports.Get(name)
		props := obj{}
		metrics, changes := obj{}, obj{}
		for _, d := range rep.DimensionNames() {
			props[d] = reportDimSchema(rep, d)
		}
		for _, m := range rep.MetricNames() {
			props[m] = reportMetricSchema(rep.MetricType(m))
			metrics[m] = props[m]
			changes[m] = obj{"type": []string{"number", "null"}}
		}
		props["compare"] = obj{"type": "object", "properties": metrics, "additionalProperties": false}
		props["change"] = obj{"type": "object", "properties": changes, "additionalProperties": false}
		schemas[name] = obj{"type": "object", "properties": props, "additionalProperties": false}
		params := []any{
			obj{"name": "account", "in": "query", "required": true, "description": "Account id or token", "schema": obj{"type": "string"}},
			obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 0}},
			obj{"name": "offset", "in": "query", "schema": obj{"type": "integer", "minimum": 0}},
			obj{"name": "order_by", "in": "query", "description": "A metric or a grouped dimension, - for descending; repeatable", "schema": obj{"type": "string"}},
		}
		for _, p := range reportParams {
			params = append(params, obj{"name": p.name, "in": "query", "description": p.desc, "schema": obj{"type": "string"}})
		}
		for _, f := range rep.Lookups() {
			params = append(params, obj{"name": f, "in": "query", "schema": obj{"type": "string"}})
		}
		list := obj{"allOf": []any{ref("ReportResponse"),
			obj{"type": "object", "properties": obj{"objects": obj{"type": "array", "items": ref(name)}}}}}
		paths["/api/v1/"+name+"/"] = obj{
			"parameters": params,
			"get": obj{"summary": "Report " + name, "responses": with(obj{
				"200": obj{"description": "Rows and meta (JSON), or the whole result as CSV with format=csv",
					"content": obj{"application/json": obj{"schema": list}, "text/csv": obj{"schema": obj{"type": "string"}}}},
				"304": obj{"description": "Not modified (If-None-Match matched the ETag)"},
				"503": errorResponse("A query ran past the request deadline"),
			})},
		}
		paths["/api/v1/"+name+"/schema/"] = obj{"get": obj{"summary": "Schema of " + name, "security": []any{}, "responses": obj{"200": okJSON("Schema", ref("ReportSchemaDoc"))}}}
	}
}
