package api

import (
	"encoding/json"
	"sort"
	"strconv"
	"unicode/utf8"
)

// appendJSON encodes v as encoding/json would with SetEscapeHTML(false)
// (sorted keys, compact), with fast paths for the maps, slices and scalars
// the API builds; anything else goes through encoding/json.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, x[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case []map[string]any:
		b = append(b, '[')
		for i, o := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, o); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []any:
		b = append(b, '[')
		for i, o := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, o); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case json.RawMessage:
		return append(b, x...), nil
	}
	raw, err := marshalNoEscape(v)
	if err != nil {
		return b, err
	}
	return append(b, raw...), nil
}

const hexDigits = "0123456789abcdef"

// invalidUTF8 is what encoding/json writes for a byte that is not UTF-8:
// `\ufffd` up to Go 1.26, U+FFFD itself from Go 1.27 (json/v2 beneath).
// Taken from encoding/json once, so the fast path matches it under either
// toolchain (the module builds on 1.26.8 and its tests run on 1.27.3).
var invalidUTF8 = func() []byte {
	b, err := json.Marshal("\xff")
	if err != nil || len(b) < 2 {
		return []byte(`\ufffd`)
	}
	return b[1 : len(b)-1]
}()

// appendString quotes s exactly as encoding/json does without HTML
// escaping.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, invalidUTF8...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
