package resource

import (
	"strconv"
	"strings"

	"github.com/cubedhq/cubed/internal/schema"
)

// TypeName is the Tastypie type name of a field (§9).
func TypeName(f *Field) string {
	switch f.Model.Type {
	case schema.Int, schema.BigInt:
		return "integer"
	case schema.Float:
		return "float"
	case schema.Decimal:
		return "decimal"
	case schema.Bool:
		return "boolean"
	case schema.Date:
		return "date"
	case schema.DateTime:
		return "datetime"
	case schema.JSON:
		return "dict"
	case schema.ForeignKey:
		return "related"
	}
	return "string"
}

// defaultValue renders a declared default as the schema shows it.
func defaultValue(f schema.Field) any {
	if !f.HasDefault {
		return "No default provided."
	}
	switch f.Type {
	case schema.Bool:
		return f.Default == "true"
	case schema.Int, schema.BigInt, schema.ForeignKey:
		n, _ := strconv.ParseInt(f.Default, 10, 64)
		return n
	case schema.Float:
		x, _ := strconv.ParseFloat(f.Default, 64)
		return x
	}
	return f.Default
}

// ApplicableLookups lists the lookups that make sense for a field type.
func ApplicableLookups(f *Field) []string {
	base := []string{"exact", "in", "isnull"}
	switch f.Model.Type {
	case schema.Text:
		return append(base, "iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "regex", "iregex", "gt", "gte", "lt", "lte", "range")
	case schema.Int, schema.BigInt, schema.Float, schema.Decimal, schema.ForeignKey:
		return append(base, "gt", "gte", "lt", "lte", "range")
	case schema.Date:
		return append(base, "gt", "gte", "lt", "lte", "range", "year", "month", "day", "week_day")
	case schema.DateTime:
		return append(base, "gt", "gte", "lt", "lte", "range", "year", "month", "day", "week_day", "date")
	}
	return base
}

// SchemaDoc is the resource's /schema/ document (§9).
func SchemaDoc(r *Resource) map[string]any {
	lower := func(ms []string) []string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = strings.ToLower(m)
		}
		return out
	}
	fields := map[string]any{}
	for _, f := range r.fields {
		mf := f.Model
		fd := map[string]any{
			"blank":        mf.Null || mf.HasDefault,
			"default":      defaultValue(mf),
			"help_text":    mf.Help,
			"nullable":     mf.Null,
			"primary_key":  mf.PrimaryKey,
			"readonly":     f.ReadOnly,
			"type":         TypeName(f),
			"unique":       mf.Unique || mf.PrimaryKey,
			"verbose_name": mf.Verbose,
		}
		if mf.MaxLength > 0 {
			fd["max_length"] = mf.MaxLength
		}
		if len(mf.Choices) > 0 {
			fd["choices"] = mf.Choices
		}
		if f.Related != nil {
			fd["related_type"] = "to_one"
			fd["related_schema"] = "/api/v1/" + f.Related.Resource + "/schema/"
		}
		fields[f.Name] = fd
	}
	fields["resource_uri"] = map[string]any{
		"blank": false, "default": "No default provided.", "help_text": "The URI of this object.",
		"nullable": false, "primary_key": false, "readonly": true, "type": "string", "unique": false,
		"verbose_name": "resource uri",
	}
	doc := map[string]any{
		"allowed_detail_http_methods": lower(r.DetailMethods),
		"allowed_list_http_methods":   lower(r.ListMethods),
		"default_format":              "application/json",
		"default_limit":               r.DefaultLimit,
		"max_limit":                   r.MaxLimit,
		"fields":                      fields,
	}
	if len(r.Filtering) > 0 {
		fl := map[string]any{}
		for k, v := range r.Filtering {
			if v.Level > 0 {
				fl[k] = v.Level
			} else {
				fl[k] = v.Lookups
			}
		}
		doc["filtering"] = fl
	}
	if len(r.Ordering) > 0 {
		doc["ordering"] = r.Ordering
	}
	return doc
}
