package resource

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Error is a client error the API turns into its envelope.
type Error struct {
	Status  int
	Code    string
	Message string
	Fields  map[string][]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Constructors for the codes of spec/api.md §7.
func badRequest(format string, args ...any) *Error {
	return errf(http.StatusBadRequest, "bad_request", format, args...)
}

func invalidFilter(format string, args ...any) *Error {
	return errf(http.StatusBadRequest, "invalid_filter", format, args...)
}

func invalidOrdering(format string, args ...any) *Error {
	return errf(http.StatusBadRequest, "invalid_ordering", format, args...)
}

func invalidPagination(format string, args ...any) *Error {
	return errf(http.StatusBadRequest, "invalid_pagination", format, args...)
}

// NotFound is the 404 of the engine.
func NotFound(format string, args ...any) *Error {
	return errf(http.StatusNotFound, "not_found", format, args...)
}

func validationFailed(fields map[string][]string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "validation_failed", Message: "The object did not validate: " + fieldList(fields) + ".", Fields: fields}
}

func fieldList(fields map[string][]string) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

// Params are the query parameters in request order (pagination links keep
// that order).
type Params struct {
	Keys   []string            // distinct keys, first-occurrence order
	Values map[string][]string // all values per key
	raw    [][2]string         // every pair in order
}

// ParseQuery splits a raw query string keeping order.
func ParseQuery(raw string) (Params, error) {
	p := Params{Values: map[string][]string{}}
	if raw == "" {
		return p, nil
	}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return p, badRequest("Malformed query string near %q.", k)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return p, badRequest("Malformed value for parameter '%s'.", key)
		}
		if _, seen := p.Values[key]; !seen {
			p.Keys = append(p.Keys, key)
		}
		p.Values[key] = append(p.Values[key], val)
		p.raw = append(p.raw, [2]string{key, val})
	}
	return p, nil
}

// Get returns the first value of key.
func (p Params) Get(key string) string {
	if v := p.Values[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has tells whether key is present.
func (p Params) Has(key string) bool { _, ok := p.Values[key]; return ok }

// Pairs returns every key/value pair in request order.
func (p Params) Pairs() [][2]string { return p.raw }
