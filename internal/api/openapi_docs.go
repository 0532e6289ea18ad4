package api

// Component schemas of the documents the API builds by hand rather than
// from a resource declaration: the /api/v1/ root listing, the /schema/
// documents of model resources (resource.SchemaDoc) and of report
// resources (report.SchemaDoc plus reportSchemaDoc), a report's generic
// rows and response, and the error codes. openapi-typescript turns them
// into the dash's types, so each one says exactly what the server writes;
// the scenario tests validate real responses against them.

import (
	"slices"
	"sort"

	"github.com/cubedhq/cubed/internal/report"
)

// errorCodes are every error.code the one envelope (WriteError) carries:
// spec/api.md §7, then 499 cancelled (the client went away), 503
// unavailable (readyz, a busy collector), the OAuth2 connect flow's
// provider errors and the collector's invalid hits.
var errorCodes = []string{
	"bad_request", "invalid_filter", "invalid_ordering", "invalid_pagination", "validation_failed",
	"unauthenticated", "forbidden", "not_found", "method_not_allowed", "conflict",
	"payload_too_large", "unsupported_media_type", "throttled", "internal", "timeout",
	"cancelled", "unavailable", "provider_busy", "provider_error", "invalid",
}

// schemaFieldTypes are the Tastypie field types of spec/api.md §9.
var schemaFieldTypes = []string{"string", "integer", "float", "decimal", "boolean", "date", "datetime", "time", "list", "dict", "related"}

func textSchema() obj { return obj{"type": "string"} }

func textList() obj { return obj{"type": "array", "items": textSchema()} }

func mapOf(v obj) obj { return obj{"type": "object", "additionalProperties": v} }

// closed is an object schema with every property required except those
// in optional, and no other keys.
func closed(props obj, optional ...string) obj {
	var req []string
	for k := range props {
		if !slices.Contains(optional, k) {
			req = append(req, k)
		}
	}
	sort.Strings(req)
	return obj{"type": "object", "required": req, "properties": props, "additionalProperties": false}
}

// tastypieDocProps are the keys model and report /schema/ documents
// share.
func tastypieDocProps() obj {
	return obj{
		"allowed_detail_http_methods": obj{"type": "array", "items": ref("HttpMethod")},
		"allowed_list_http_methods":   obj{"type": "array", "items": ref("HttpMethod")},
		"default_format":              obj{"type": "string", "const": "application/json"},
		"default_limit":               obj{"type": "integer"},
		"max_limit":                   obj{"type": "integer"},
		"fields":                      mapOf(ref("SchemaField")),
		"filtering":                   mapOf(ref("FilteringRule")),
		"ordering":                    textList(),
	}
}

// docSchemas adds the component schemas above to schemas.
func docSchemas(schemas obj) {
	schemas["ErrorCode"] = obj{"type": "string", "enum": errorCodes}
	schemas["HttpMethod"] = obj{"type": "string", "enum": []string{"get", "post", "put", "patch", "delete"}}
	schemas["FilteringRule"] = obj{
		"description": "1 (ALL: every lookup), 2 (ALL_WITH_RELATIONS: also across the relation) or the allowed lookups",
		"oneOf":       []any{obj{"type": "integer", "enum": []int{1, 2}}, textList()},
	}
	schemas["SchemaField"] = closed(obj{
		"blank":        obj{"type": "boolean"},
		"default":      obj{"description": `The declared default, or the string "No default provided."`},
		"help_text":    textSchema(),
		"nullable":     obj{"type": "boolean"},
		"primary_key":  obj{"type": "boolean"},
		"readonly":     obj{"type": "boolean"},
		"type":         obj{"type": "string", "enum": schemaFieldTypes},
		"unique":       obj{"type": "boolean"},
		"verbose_name": textSchema(),
		"max_length":   obj{"type": "integer"},
		"choices":      obj{"type": "array", "items": textSchema(), "description": "The allowed values of a text field"},
		"related_type": obj{"type": "string", "enum": []string{"to_one", "to_many"}},
		"related_schema": obj{"type": "string",
			"description": "/api/v1/<resource>/schema/ of the related resource (a report's dict dimension: the resource listing its values)"},
	}, "max_length", "choices", "related_type", "related_schema")

	model := tastypieDocProps()
	schemas["ModelSchemaDoc"] = closed(model, "filtering", "ordering")

	timeframes := obj{"type": "array", "items": obj{"type": "string", "enum": report.Timeframes}}
	schemas["ReportDimensionDoc"] = closed(obj{
		"help_text":    textSchema(),
		"timeframes":   timeframes,
		"type":         obj{"type": "string", "enum": []report.Type{report.String, report.Integer, report.Date, report.DateTime, report.Dict}},
		"verbose_name": textSchema(),
	})
	schemas["ReportMetricDoc"] = closed(obj{
		"aggregation":      obj{"type": "string", "description": `The aggregation or formula as text, e.g. "sum(sales) / sum(visits)"`},
		"help_text":        textSchema(),
		"higher_is_better": obj{"type": "boolean"},
		"totals":           obj{"type": "string", "description": "How meta.totals computes the metric"},
		"type":             ref("MetricType"),
		"verbose_name":     textSchema(),
	})
	schemas["MetricType"] = obj{"type": "string", "enum": []report.Type{report.Integer, report.Float, report.Money, report.Percentage, report.DurationSeconds, report.Date, report.Dict}}
	rep := tastypieDocProps()
	rep["dimensions"] = mapOf(ref("ReportDimensionDoc"))
	rep["metrics"] = mapOf(ref("ReportMetricDoc"))
	rep["verbose_name"] = textSchema()
	rep["help_text"] = textSchema()
	rep["date_dimension"] = obj{"type": "string", "description": "The dimension compare and graph work on"}
	schemas["ReportSchemaDoc"] = closed(rep, "filtering", "help_text", "date_dimension")

	schemas["RootEntry"] = closed(obj{
		"list_endpoint": textSchema(),
		"schema": obj{"anyOf": []any{
			obj{"type": "string", "description": "The URL of the resource's schema"},
			ref("ModelSchemaDoc"),
			ref("ReportSchemaDoc"),
			obj{"type": "object", "additionalProperties": true, "description": "A Conductor resource's JSON Schema"},
		}, "description": "A URL, or with fullschema=true the schema itself"},
	})
	schemas["RootListing"] = obj{"type": "object", "additionalProperties": ref("RootEntry"), "description": "Every resource by name"}

	schemas["DictValue"] = obj{
		"type": "object", "required": []string{"id", "name"}, "additionalProperties": true,
		"description": `A dict dimension's value: the related row's id and name, plus declared extra fields; {"id": null, "name": "(other)"} for top-N's folded row`,
		"properties":  obj{"id": obj{"type": []string{"integer", "null"}}, "name": obj{"type": []string{"string", "null"}}},
	}
	schemas["ReportValue"] = obj{"oneOf": []any{obj{"type": []string{"number", "string", "null"}}, ref("DictValue")}}
	schemas["ReportMetricValues"] = mapOf(ref("ReportValue"))
	schemas["ReportRow"] = obj{
		"type":        "object",
		"description": "One group of any report: its dimensions and metrics; compare and change with compare= (spec/api.md §10.5)",
		"properties": obj{
			"compare": ref("ReportMetricValues"),
			"change":  mapOf(obj{"type": []string{"number", "null"}}),
		},
		"additionalProperties": obj{"anyOf": []any{ref("ReportValue"), ref("ReportMetricValues")}},
	}
	schemas["ReportResponse"] = obj{
		"type": "object", "required": []string{"meta", "objects"},
		"properties": obj{"meta": ref("ReportMeta"), "objects": obj{"type": "array", "items": ref("ReportRow")}},
	}
}
