package report

import (
	"github.com/cubedhq/cubed/internal/api/resource"
)

func tastypieType(t Type) string {
	switch t {
	case Integer:
		return "integer"
	case Float, Money, Percentage, DurationSeconds:
		return "float"
	case Date:
		return "date"
	case DateTime:
		return "datetime"
	case Dict:
		return "dict"
	}
	return "string"
}

// Lookups lists the filter parameters a dimension accepts, as
// "field__lookup" ("field" for exact), for documentation.
func (r *Report) Lookups() []string {
	var out []string
	for _, d := range r.c.dims {
		if d.NoFilter {
			continue
		}
		add := func(prefix string, t ftype) {
			for _, l := range lookupsFor(t) {
				if d.Filter.Level == 0 && len(d.Filter.Lookups) > 0 && !contains(d.Filter.Lookups, l) {
					continue
				}
				if l == "exact" {
					out = append(out, prefix)
				} else {
					out = append(out, prefix+"__"+l)
				}
			}
		}
		add(d.Name, dimFType(d.Type))
		if d.Type == Dict && d.Filter.Level == resource.AllWithRelations {
			add(d.Name+"__name", fText)
			for _, x := range d.Extra {
				add(d.Name+"__"+x.Name, schemaFType(x.Type))
			}
		}
	}
	return out
}

func lookupsFor(t ftype) []string {
	base := []string{"exact", "in", "isnull"}
	switch t {
	case fText:
		return append(base, "iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "regex", "iregex", "gt", "gte", "lt", "lte", "range")
	case fInt, fFloat:
		return append(base, "gt", "gte", "lt", "lte", "range")
	case fDate:
		return append(base, "gt", "gte", "lt", "lte", "range", "year", "month", "day", "week_day")
	case fDateTime:
		return append(base, "gt", "gte", "lt", "lte", "range", "year", "month", "day", "week_day", "date")
	}
	return base
}

// DimensionNames and MetricNames list the report's fields in declared
// order.
func (r *Report) DimensionNames() []string {
	out := make([]string, len(r.c.dims))
	for i, d := range r.c.dims {
		out[i] = d.Name
	}
	return out
}

// MetricNames lists the metrics in declared order.
func (r *Report) MetricNames() []string {
	out := make([]string, len(r.c.mets))
	for i, m := range r.c.mets {
		out[i] = m.Name
	}
	return out
}

// DimensionType and MetricType return a field's type.
func (r *Report) DimensionType(name string) Type { return r.c.dimBy[name].Type }

// MetricType returns a metric's type.
func (r *Report) MetricType(name string) Type { return r.c.metBy[name].Type }

// DictExtra lists a dict dimension's extra fields.
func (r *Report) DictExtra(name string) []Field { return r.c.dimBy[name].Extra }

// DimensionRelated is a dict dimension's related table ("" for other
// types): the API layer, which knows the model resources, maps it to the
// resource whose schema the report's /schema/ points at.
func (r *Report) DimensionRelated(name string) string { return r.c.dimBy[name].Related }

// SchemaDoc is the report's /schema/ document (spec/api.md §9): the
// Tastypie keys, plus dimensions and metrics.
func SchemaDoc(r *Report) map[string]any {
	c := r.c
	fields := map[string]any{}
	dims := map[string]any{}
	filtering := map[string]any{}
	var ordering []string
	for _, d := range c.dims {
		tf := d.timeframes
		if tf == nil {
			tf = []string{}
		}
		dims[d.Name] = map[string]any{"help_text": d.Help, "timeframes": tf, "type": string(d.Type), "verbose_name": d.Verbose}
		fields[d.Name] = map[string]any{
			"blank": false, "default": "No default provided.", "help_text": d.Help, "nullable": true,
			"primary_key": false, "readonly": true, "type": tastypieType(d.Type), "unique": false, "verbose_name": d.Verbose,
		}
		if !d.NoFilter {
			switch {
			case d.Filter.Level > 0:
				filtering[d.Name] = d.Filter.Level
			case len(d.Filter.Lookups) > 0:
				filtering[d.Name] = d.Filter.Lookups
			default:
				filtering[d.Name] = resource.All
			}
		}
		if !d.NoGroupBy {
			ordering = append(ordering, d.Name)
		}
	}
	mets := map[string]any{}
	for _, m := range c.mets {
		totals := m.text
		if m.totals != nil {
			totals = m.totalsText
		}
		mets[m.Name] = map[string]any{
			"aggregation": m.text, "help_text": m.Help, "higher_is_better": !m.LowerIsBetter,
			"totals": totals, "type": string(m.Type), "verbose_name": m.Verbose,
		}
		fields[m.Name] = map[string]any{
			"blank": false, "default": "No default provided.", "help_text": m.Help, "nullable": true,
			"primary_key": false, "readonly": true, "type": tastypieType(m.Type), "unique": false, "verbose_name": m.Verbose,
		}
		ordering = append(ordering, m.Name)
	}
	doc := map[string]any{
		"allowed_detail_http_methods": []string{},
		"allowed_list_http_methods":   []string{"get"},
		"default_format":              "application/json",
		"default_limit":               r.DefaultLimit,
		"max_limit":                   r.MaxLimit,
		"fields":                      fields,
		"dimensions":                  dims,
		"metrics":                     mets,
		"ordering":                    ordering,
		"verbose_name":                r.Verbose,
	}
	if r.Help != "" {
		doc["help_text"] = r.Help
	}
	if len(filtering) > 0 {
		doc["filtering"] = filtering
	}
	if c.date != nil {
		doc["date_dimension"] = c.date.Name
	}
	return doc
}
