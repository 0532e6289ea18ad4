package api

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// appendJSON must agree with encoding/json (no HTML escaping) byte for byte.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, 0, -7, int64(math.MaxInt64), 1.5, 0.000001, 1e21, "", "plain",
		"quote \" backslash \\ slash / <html> & amp", "ctl \x00\x01\x1f \b\f\n\r\t", "bad utf8 \xff\xfe end",
		"line sep \u2028 para \u2029", "émoji 🎉 中文",
		map[string]any{"b": 1, "a": []any{"x", nil, map[string]any{"z": true, "y": json.RawMessage(`{"k":1}`)}}},
		[]map[string]any{{"id": int64(1)}, {}},
		map[string]any{"nested": map[string]string{"b": "2", "a": "1"}},
	}
	for _, v := range values {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got)+"\n" != want.String() {
			t.Errorf("appendJSON(%#v)\n got %s\nwant %s", v, got, want.String())
		}
	}
}
