// Package apperr holds the error kinds every layer shares, so the CLI can
// map them to exit codes and the API to statuses in one place each.
package apperr

import (
	"errors"
	"fmt"
)

// Invalid is bad input: it names the field, the value and the rule.
type Invalid struct {
	Field string
	Value string
	Rule  string
}

func (e *Invalid) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Rule)
	}
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Rule)
}

// Invalidf builds an Invalid error.
func Invalidf(field, value, format string, args ...any) error {
	return &Invalid{Field: field, Value: value, Rule: fmt.Sprintf(format, args...)}
}

// Sentinel kinds, matched with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Conflict is a uniqueness violation naming the fields.
type Conflict struct {
	Fields []string
	Msg    string
}

func (e *Conflict) Error() string { return e.Msg }

// Is makes Conflict match ErrConflict.
func (e *Conflict) Is(target error) bool { return target == ErrConflict }

// IsInput tells whether err is the caller's fault (bad value, conflict,
// unknown name) rather than a failure of the system.
func IsInput(err error) bool {
	var inv *Invalid
	return errors.As(err, &inv) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound)
}
