package report

import (
	"fmt"
	"net/http"

	"github.com/cubedhq/cubed/internal/api/resource"
)

// Client errors use the model resource engine's Error, which the API
// turns into its envelope (spec/api.md §7).
func errf(code, format string, args ...any) *resource.Error {
	return &resource.Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *resource.Error {
	return errf("bad_request", format, args...)
}

func invalidFilter(format string, args ...any) *resource.Error {
	return errf("invalid_filter", format, args...)
}

func invalidOrdering(format string, args ...any) *resource.Error {
	return errf("invalid_ordering", format, args...)
}

func invalidPagination(format string, args ...any) *resource.Error {
	return errf("invalid_pagination", format, args...)
}
