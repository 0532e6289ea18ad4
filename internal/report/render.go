package report

import (
	"encoding/csv"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// other is the label of the row top=N folds groups into.
const other = "(other)"

func (res *Result) pos(d *dimInfo) int {
	for i, c := range res.comp.cols {
		if c == d {
			return i
		}
	}
	return -1
}

// dimValue renders a grouped dimension of a row.
func (res *Result) dimValue(r *row, d *dimInfo) any {
	i := res.pos(d)
	if r.other && !(res.rq.q.graph != nil && i == 0) {
		if d.Type == Dict {
			return map[string]any{"id": nil, "name": other}
		}
		return other
	}
	if d.Type == Dict {
		if r.dicts != nil && r.dicts[i] != nil {
			return r.dicts[i]
		}
		return map[string]any{"id": r.keys[i], "name": nil}
	}
	switch v := r.keys[i].(type) {
	case time.Time:
		return formatDateTime(v, res.rq.env.Loc)
	default:
		return v
	}
}

// metricValue renders a metric value.
func (res *Result) metricValue(m *metInfo, v val) any {
	if !v.ok {
		return nil
	}
	switch m.Type {
	case Date:
		return v.s
	case Dict:
		id := int64(v.f)
		return map[string]any{"id": id, "name": res.comp.dictNames[m.idx][id]}
	}
	return jsonNumber(m.Type, v, minorFactor(res.rq.env.Currency))
}

// change is (current - previous) / previous, null when previous is 0 or
// null.
func change(m *metInfo, cur, prev val) any {
	if m.Type == Date || m.Type == Dict || !cur.ok || !prev.ok || prev.f == 0 {
		return nil
	}
	return jsonNumber(Float, num((cur.f-prev.f)/prev.f), 1)
}

func (res *Result) metrics(r *row, into map[string]any) {
	q := res.rq.q
	for _, m := range q.outMetrics() {
		into[m.Name] = res.metricValue(m, r.mets[m.idx])
	}
	if q.compare != nil && r.cmp != nil {
		cmp, chg := map[string]any{}, map[string]any{}
		for _, m := range q.outMetrics() {
			cmp[m.Name] = res.metricValue(m, r.cmp.mets[m.idx])
			chg[m.Name] = change(m, r.mets[m.idx], r.cmp.mets[m.idx])
		}
		into["compare"], into["change"] = cmp, chg
	}
}

func (res *Result) object(r *row) map[string]any {
	obj := map[string]any{}
	for _, d := range res.rq.q.outDims() {
		obj[d.Name] = res.dimValue(r, d)
	}
	res.metrics(r, obj)
	return obj
}

// Body is the JSON response (spec/api.md §10.6): a page of objects and
// meta.
func (res *Result) Body() map[string]any {
	q, comp := res.rq.q, res.comp
	meta := map[string]any{
		"total_count":  len(comp.rows),
		"served_from":  comp.servedFrom,
		"data_version": res.rq.version,
		"currency":     res.rq.env.Currency,
	}
	rows := comp.rows
	if q.graph != nil {
		meta["granularity"] = q.graph.gran
	} else {
		total := len(rows)
		lo, hi := min(q.offset, total), min(q.offset+q.limit, total)
		rows = rows[lo:hi]
		meta["limit"], meta["offset"], meta["next"], meta["previous"] = q.limit, q.offset, nil, nil
		if q.offset+q.limit < total {
			meta["next"] = res.pageLink(q.limit, q.offset+q.limit)
		}
		if q.offset > 0 {
			meta["previous"] = res.pageLink(q.limit, max(0, q.offset-q.limit))
		}
	}
	if comp.totals != nil {
		t := map[string]any{}
		res.metrics(comp.totals, t)
		meta["totals"] = t
	}
	if len(q.defaults) > 0 {
		meta["defaults"] = q.defaults
	}
	objs := make([]map[string]any, len(rows))
	for i, r := range rows {
		objs[i] = res.object(r)
	}
	return map[string]any{"meta": meta, "objects": objs}
}

// pageLink is the list path, every parameter except limit, offset and
// credentials in request order, then limit and offset.
func (res *Result) pageLink(limit, offset int) string {
	var parts []string
	for _, kv := range res.rq.p.Pairs() {
		switch kv[0] {
		case "limit", "offset", "username", "api_key":
			continue
		}
		parts = append(parts, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
	}
	parts = append(parts, "limit="+strconv.Itoa(limit), "offset="+strconv.Itoa(offset))
	return res.rq.env.Path + "?" + strings.Join(parts, "&")
}

// Rows is the number of rows the response holds in all (CSV rows).
func (res *Result) Rows() int { return len(res.comp.rows) }

// csvText protects text cells a spreadsheet would run as a formula.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return csvText(x)
	case int64, float64:
		return numText(x)
	case int:
		return strconv.Itoa(x)
	case map[string]any:
		return cell(x["name"])
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// WriteCSV streams the whole result as RFC 4180 CSV: header of verbose
// names, one line per row (no pagination), and a Total line when totals
// were asked.
func (res *Result) WriteCSV(w io.Writer) error {
	q := res.rq.q
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	dims, mets := q.outDims(), q.outMetrics()
	var header []string
	for _, d := range dims {
		header = append(header, d.Verbose)
	}
	for _, m := range mets {
		header = append(header, m.Verbose)
		if q.compare != nil {
			header = append(header, m.Verbose+" (compare)", m.Verbose+" (change)")
		}
	}
	for i := range header {
		header[i] = csvText(header[i])
	}
	// Without dimensions a leading column holds the Total label.
	lead := len(dims) == 0 && res.comp.totals != nil
	if lead {
		header = append([]string{""}, header...)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	line := func(r *row, total bool) []string {
		out := make([]string, 0, len(header))
		if lead {
			label := ""
			if total {
				label = "Total"
			}
			out = append(out, label)
		}
		for i, d := range dims {
			switch {
			case total && i == 0:
				out = append(out, "Total")
			case total:
				out = append(out, "")
			default:
				out = append(out, cell(res.dimValue(r, d)))
			}
		}
		for _, m := range mets {
			out = append(out, cell(res.metricValue(m, r.mets[m.idx])))
			if q.compare != nil {
				if r.cmp == nil {
					out = append(out, "", "")
					continue
				}
				out = append(out, cell(res.metricValue(m, r.cmp.mets[m.idx])), cell(change(m, r.mets[m.idx], r.cmp.mets[m.idx])))
			}
		}
		return out
	}
	for i, r := range res.comp.rows {
		if err := cw.Write(line(r, false)); err != nil {
			return err
		}
		if i%1000 == 999 {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
	}
	if res.comp.totals != nil {
		if err := cw.Write(line(res.comp.totals, true)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
