package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/report"
	"github.com/cubedhq/cubed/internal/schema"
)

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.openapiDoc)
}

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonSchemaOf(f *resource.Field) obj {
	var t obj
	switch f.Model.Type {
	case schema.Int, schema.BigInt:
		t = obj{"type": "integer"}
	case schema.Float:
		t = obj{"type": "number"}
	case schema.Decimal:
		t = obj{"type": "string", "pattern": `^-?\d+(\.\d+)?$`}
	case schema.Bool:
		t = obj{"type": "boolean"}
	case schema.Date:
		t = obj{"type": "string", "format": "date"}
	case schema.DateTime:
		t = obj{"type": "string", "format": "date-time"}
	case schema.JSON:
		t = obj{}
	case schema.ForeignKey:
		if f.Related.Full {
			t = ref(f.Related.Resource)
		} else {
			t = obj{"type": "string", "description": "resource_uri of a " + f.Related.Resource}
		}
	default:
		t = obj{"type": "string"}
		if f.Model.MaxLength > 0 {
			t["maxLength"] = f.Model.MaxLength
		}
		if len(f.Model.Choices) > 0 {
			t["enum"] = f.Model.Choices
		}
	}
	if f.Model.Null {
		if _, ok := t["$ref"]; ok {
			return obj{"oneOf": []any{t, obj{"type": "null"}}}
		}
		if typ, ok := t["type"].(string); ok {
			t["type"] = []string{typ, "null"}
		}
	}
	if f.Model.Help != "" {
		t["description"] = f.Model.Help
	}
	if f.ReadOnly {
		t["readOnly"] = true
	}
	return t
}

func errorResponse(desc string) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": ref("Error")}}}
}

func jsonBody(s obj) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": s}}}
}

func okJSON(desc string, s obj) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": s}}}
}

// buildOpenAPI renders an OpenAPI 3.1 document from the resource
// declarations: every path, one schema per resource, every filter as a
// query parameter, the error envelope and the three security schemes.
func buildOpenAPI(reg *resource.Registry, reports *report.Registry) ([]byte, error) {
	schemas := obj{
		"Error": obj{
			"type": "object", "required": []string{"error"},
			"properties": obj{"error": obj{
				"type": "object", "required": []string{"code", "message"},
				"properties": obj{
					"code":       ref("ErrorCode"),
					"message":    obj{"type": "string"},
					"request_id": obj{"type": "string"},
					"fields":     obj{"type": "object", "additionalProperties": obj{"type": "array", "items": obj{"type": "string"}}},
				},
			}},
		},
		"ListMeta": obj{
			"type": "object", "required": []string{"limit", "offset", "total_count", "next", "previous"},
			"properties": obj{
				"limit": obj{"type": "integer"}, "offset": obj{"type": "integer"}, "total_count": obj{"type": "integer"},
				"next": obj{"type": []string{"string", "null"}}, "previous": obj{"type": []string{"string", "null"}},
			},
		},
		"Me": obj{
			"type": "object", "required": []string{"accounts", "email", "id", "is_staff", "name"},
			"properties": obj{
				"email": obj{"type": "string"}, "id": obj{"type": "integer"}, "is_staff": obj{"type": "boolean"}, "name": obj{"type": "string"},
				"accounts": obj{"type": "array", "items": obj{"type": "object",
					"required": []string{"id", "name", "role", "time_zone", "token"},
					"properties": obj{"id": obj{"type": "integer"}, "name": obj{"type": "string"}, "role": obj{"type": "string", "enum": []string{"viewer", "editor", "admin"}},
						"time_zone": obj{"type": "string"}, "token": obj{"type": "string"}, "currency": obj{"type": "string"}}}},
			},
		},
	}
	docSchemas(schemas)
	errs := obj{
		"400": errorResponse("Bad request, invalid filter, ordering, pagination or validation failure"),
		"401": errorResponse("Missing or wrong credentials"),
		"403": errorResponse("Role, account or CSRF check failed"),
		"404": errorResponse("Not found"),
		"405": errorResponse("Method not allowed"),
		"409": errorResponse("Unique constraint"),
		"413": errorResponse("Body too large"),
		"415": errorResponse("Body is not JSON"),
		"429": errorResponse("Throttled"),
		"500": errorResponse("Internal error"),
	}
	with := func(base obj) obj {
		out := obj{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range errs {
			out[k] = v
		}
		return out
	}
	paths := obj{
		"/api/v1/": obj{"get": obj{"summary": "List every resource", "security": []any{},
			"parameters": []any{obj{"name": "fullschema", "in": "query", "description": "true inlines each resource's schema", "schema": obj{"type": "string"}}},
			"responses":  obj{"200": okJSON("Resources", ref("RootListing"))}}},
		"/api/v1/openapi.json": obj{"get": obj{"summary": "This document", "security": []any{}, "responses": obj{"200": okJSON("OpenAPI", obj{"type": "object"})}}},
		"/api/v1/auth/login/": obj{"post": obj{"summary": "Log in with email and password", "security": []any{},
			"requestBody": jsonBody(obj{"type": "object", "required": []string{"email", "password"}, "properties": obj{"email": obj{"type": "string"}, "password": obj{"type": "string"}}}),
			"responses":   with(obj{"200": okJSON("Logged in", ref("Me"))})}},
		"/api/v1/auth/logout/": obj{"post": obj{"summary": "Log out", "responses": with(obj{"204": obj{"description": "Logged out"}})}},
		"/api/v1/auth/me/":     obj{"get": obj{"summary": "The caller", "responses": with(obj{"200": okJSON("The caller", ref("Me"))})}},
	}
	accountParam := obj{"name": "account", "in": "query", "required": true, "description": "Account id or token", "schema": obj{"type": "string"}}
	for _, name := range reg.Names() {
		r, _ := reg.Get(name)
		props := obj{"resource_uri": obj{"type": "string", "readOnly": true}}
		var required []string
		for _, f := range r.Fields() {
			props[f.Name] = jsonSchemaOf(f)
			required = append(required, f.Name)
		}
		required = append(required, "resource_uri")
		sort.Strings(required)
		schemas[name] = obj{"type": "object", "properties": props, "required": required}
		var params []any
		if r.IsClient() {
			params = append(params, accountParam)
		}
		listParams := append([]any{}, params...)
		listParams = append(listParams,
			obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 0}},
			obj{"name": "offset", "in": "query", "schema": obj{"type": "integer", "minimum": 0}},
			obj{"name": "order_by", "in": "query", "schema": obj{"type": "string", "enum": orderValues(r)}},
		)
		for _, f := range r.Fields() {
			fl, ok := r.Filtering[f.Name]
			if !ok {
				continue
			}
			lookups := fl.Lookups
			if fl.Level > 0 {
				lookups = resource.ApplicableLookups(f)
			}
			for _, l := range lookups {
				pname := f.Name
				if l != "exact" {
					pname += "__" + l
				}
				listParams = append(listParams, obj{"name": pname, "in": "query", "schema": obj{"type": "string"}})
			}
		}
		listSchema := obj{"type": "object", "required": []string{"meta", "objects"}, "properties": obj{"meta": ref("ListMeta"), "objects": obj{"type": "array", "items": ref(name)}}}
		objects := obj{"type": "object", "required": []string{"objects"}, "properties": obj{"objects": obj{"type": "array", "items": ref(name)}}}
		list := obj{"parameters": listParams}
		for _, m := range r.ListMethods {
			switch m {
			case "GET":
				list["get"] = obj{"summary": "List " + name, "responses": with(obj{"200": okJSON("A page", listSchema)})}
			case "POST":
				list["post"] = obj{"summary": "Create a " + name, "requestBody": jsonBody(ref(name)), "responses": with(obj{"201": okJSON("Created", ref(name))})}
			case "PATCH":
				list["patch"] = obj{"summary": "Bulk create, update and delete", "requestBody": jsonBody(obj{"type": "object"}), "responses": with(obj{"200": okJSON("Changed objects", objects)})}
			case "PUT":
				list["put"] = obj{"summary": "Replace the filtered set", "requestBody": jsonBody(obj{"type": "object"}), "responses": with(obj{"200": okJSON("Created objects", objects)})}
			case "DELETE":
				list["delete"] = obj{"summary": "Delete the filtered set", "responses": with(obj{"204": obj{"description": "Deleted"}})}
			}
		}
		if name == uploadResource {
			// Uploads are created by the multipart view (uploads.go), not the engine.
			list["post"] = obj{"summary": "Upload a file (offline sales CSV); row errors come back on the upload",
				"requestBody": obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{"type": "object", "required": []string{"file"},
					"properties": obj{"file": obj{"type": "string", "format": "binary"}, "kind": obj{"type": "string", "enum": []string{"offline_sales"}}}}}}},
				"responses": with(obj{"201": okJSON("The stored upload", ref(name)), "409": errorResponse("The same file was uploaded before")})}
		}
		paths["/api/v1/"+name+"/"] = list
		pk := obj{"name": "pk", "in": "path", "required": true, "schema": obj{"type": "integer"}}
		detail := obj{"parameters": append(append([]any{}, params...), pk)}
		for _, m := range r.DetailMethods {
			switch m {
			case "GET":
				detail["get"] = obj{"summary": "Get a " + name, "responses": with(obj{"200": okJSON("The object", ref(name))})}
			case "PUT":
				detail["put"] = obj{"summary": "Replace or create a " + name, "requestBody": jsonBody(ref(name)), "responses": with(obj{"200": okJSON("Updated", ref(name)), "201": okJSON("Created", ref(name))})}
			case "PATCH":
				detail["patch"] = obj{"summary": "Update a " + name, "requestBody": jsonBody(ref(name)), "responses": with(obj{"200": okJSON("Updated", ref(name))})}
			case "DELETE":
				detail["delete"] = obj{"summary": "Delete a " + name, "responses": with(obj{"204": obj{"description": "Deleted"}})}
			}
		}
		paths["/api/v1/"+name+"/{pk}/"] = detail
		paths["/api/v1/"+name+"/schema/"] = obj{"get": obj{"summary": "Schema of " + name, "security": []any{}, "responses": obj{"200": okJSON("Schema", ref("ModelSchemaDoc"))}}}
		paths["/api/v1/"+name+"/set/{pks}/"] = obj{
			"parameters": append(append([]any{}, params...), obj{"name": "pks", "in": "path", "required": true, "schema": obj{"type": "string"}, "description": "ids separated by ;"}),
			"get": obj{"summary": "Get several " + name, "responses": with(obj{"200": okJSON("Objects", obj{"type": "object", "required": []string{"objects"},
				"properties": obj{"objects": obj{"type": "array", "items": ref(name)}, "not_found": obj{"type": "array", "items": obj{"type": "string"}}}})})},
		}
	}
	addReportPaths(paths, schemas, with, reports)
	if _, ok := reg.Get("connection"); ok {
		addConnectPaths(paths, with)
	}
	doc := obj{
		"openapi": "3.1.0",
		"info":    obj{"title": "Cubed API", "version": "1"},
		"paths":   paths,
		"components": obj{
			"schemas": schemas,
			"securitySchemes": obj{
				"session":      obj{"type": "apiKey", "in": "cookie", "name": "sessionid"},
				"apiKeyHeader": obj{"type": "apiKey", "in": "header", "name": "Authorization", "description": "ApiKey <email>:<key>"},
				"apiKeyQuery":  obj{"type": "apiKey", "in": "query", "name": "api_key", "description": "with username=<email>"},
			},
		},
		"security": []any{obj{"session": []any{}}, obj{"apiKeyHeader": []any{}}, obj{"apiKeyQuery": []any{}}},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func orderValues(r *resource.Resource) []string {
	var out []string
	for _, o := range r.Ordering {
		out = append(out, o, "-"+o)
	}
	return out
}

// addConnectPaths documents the OAuth2 connect flow (integrations.go):
// the browser redirects and the two API calls that pick what a connection
// reports on.
func addConnectPaths(paths obj, with func(obj) obj) {
	provider := obj{"name": "provider", "in": "path", "required": true, "schema": obj{"type": "string", "enum": []string{"google", "microsoft_ads", "meta_ads"}}}
	id := obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "integer"}}
	redirect := obj{"description": "Redirect", "headers": obj{"Location": obj{"schema": obj{"type": "string"}}}}
	paths["/integrations/{provider}/connect"] = obj{"get": obj{
		"summary":    "Start connecting a provider (browser session, editor role): redirects to the provider's consent page",
		"parameters": []any{provider, obj{"name": "account", "in": "query", "required": true, "schema": obj{"type": "string"}}},
		"responses":  with(obj{"302": redirect}),
	}}
	paths["/integrations/{provider}/callback"] = obj{"get": obj{
		"summary":    "The provider's redirect back: validates the state, stores the connection, redirects to the dash",
		"parameters": []any{provider, obj{"name": "state", "in": "query", "schema": obj{"type": "string"}}, obj{"name": "code", "in": "query", "schema": obj{"type": "string"}}},
		"responses":  with(obj{"302": redirect}),
	}}
	choices := obj{"type": "object", "properties": obj{"accounts": obj{"type": "array", "items": obj{"type": "object"}}, "sites": obj{"type": "array", "items": obj{"type": "object"}}}}
	paths["/api/v1/connection/{id}/choices/"] = obj{"parameters": []any{id}, "get": obj{
		"summary": "External ad accounts and Search Console sites the connection can report on", "responses": with(obj{"200": okJSON("Choices", choices)}),
	}}
	paths["/api/v1/connection/{id}/select/"] = obj{"parameters": []any{id}, "post": obj{
		"summary":     "Choose what the connection reports on",
		"requestBody": jsonBody(obj{"type": "object", "properties": obj{"external_account_id": obj{"type": "string"}, "site_url": obj{"type": "string"}}}),
		"responses":   with(obj{"200": okJSON("The connection", ref("connection"))}),
	}}
}
