package resource

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cubedhq/cubed/internal/schema"
)

func sortStrings(s []string) { sort.Strings(s) }

// nullWords mean NULL in a filter value, for any field.
func isNullWord(s string) bool { return s == "none" || s == "None" || s == "nil" }

// ParseValue converts a query-string filter value for a field as the
// resources do ("none", "None" and "nil" are NULL); the report engine
// parses its filters with it too.
func ParseValue(f schema.Field, s string, loc *time.Location) (any, error) {
	return parseValue(f, s, loc)
}

// IsNullWord reports whether a filter value means NULL.
func IsNullWord(s string) bool { return isNullWord(s) }

// parseValue converts a query-string value for a field. loc resolves
// datetimes without an offset.
func parseValue(f schema.Field, s string, loc *time.Location) (any, error) {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return nil, fmt.Errorf("the value is not valid UTF-8 text")
	}
	if isNullWord(s) {
		return nil, nil
	}
	switch f.Type {
	case schema.Int, schema.BigInt, schema.ForeignKey:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return n, nil
	case schema.Float:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return x, nil
	case schema.Decimal:
		return parseDecimal(f, s)
	case schema.Bool:
		switch s {
		case "true", "True", "1":
			return true, nil
		case "false", "False", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not true or false", s)
	case schema.Date:
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		return d.Format("2006-01-02"), nil
	case schema.DateTime:
		t, err := parseDateTime(s, loc)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	return s, nil
}

func parseDecimal(f schema.Field, s string) (any, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	if int(math.Floor(math.Log10(math.Abs(x))+1)) > f.Precision-f.Scale && x != 0 {
		return nil, fmt.Errorf("%q has more than %d digits before the decimal point", s, f.Precision-f.Scale)
	}
	return strconv.FormatFloat(x, 'f', f.Scale, 64), nil
}

var dateTimeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
}

var localLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// parseDateTime reads ISO 8601; without an offset the time is local to loc.
func parseDateTime(s string, loc *time.Location) (time.Time, error) {
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 datetime", s)
}

// formatDateTime renders a datetime in loc with its offset, fractions of a
// second only when non-zero (6 digits).
func formatDateTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000-07:00")
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}

// normalize turns a scanned database value into its Go value for a field.
func normalize(f schema.Field, v any) any {
	if v == nil {
		return nil
	}
	switch f.Type {
	case schema.Bool:
		switch x := v.(type) {
		case bool:
			return x
		case int64:
			return x != 0
		case []byte:
			return string(x) == "1" || string(x) == "true" || string(x) == "t"
		case string:
			return x == "1" || x == "true" || x == "t"
		}
	case schema.Int, schema.BigInt, schema.ForeignKey:
		switch x := v.(type) {
		case int64:
			return x
		case int32:
			return int64(x)
		case float64:
			return int64(x)
		case []byte:
			n, _ := strconv.ParseInt(string(x), 10, 64)
			return n
		case string:
			n, _ := strconv.ParseInt(x, 10, 64)
			return n
		}
	case schema.Float:
		switch x := v.(type) {
		case float64:
			return x
		case int64:
			return float64(x)
		case []byte:
			f, _ := strconv.ParseFloat(string(x), 64)
			return f
		}
	case schema.Decimal:
		var x float64
		switch y := v.(type) {
		case float64:
			x = y
		case int64:
			x = float64(y)
		case []byte:
			x, _ = strconv.ParseFloat(string(y), 64)
		case string:
			x, _ = strconv.ParseFloat(y, 64)
		}
		return decimalString(strconv.FormatFloat(x, 'f', f.Scale, 64))
	case schema.Date:
		switch x := v.(type) {
		case time.Time:
			return dateString(x.UTC().Format("2006-01-02"))
		case string:
			if len(x) >= 10 {
				return dateString(x[:10])
			}
		case []byte:
			if len(x) >= 10 {
				return dateString(x[:10])
			}
		}
	case schema.DateTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC()
		case string:
			if t, err := parseStored(x); err == nil {
				return t
			}
		}
	case schema.JSON:
		switch x := v.(type) {
		case []byte:
			return json.RawMessage(append([]byte(nil), x...))
		case string:
			return json.RawMessage(x)
		}
	default:
		if b, ok := v.([]byte); ok {
			return string(b)
		}
	}
	return v
}

// decimalString and dateString mark values that serialise as strings.
type decimalString string
type dateString string

func parseStored(s string) (time.Time, error) {
	for _, l := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad stored time %q", s)
}
