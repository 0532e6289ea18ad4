package analytics

import (
	"errors"
	"testing"
)

func TestParseAndEval(t *testing.T) {
	tests := []struct {
		expr string
		c    map[int]bool
		want bool
	}{
		{"1", map[int]bool{1: true}, true},
		{"1 and 2", map[int]bool{1: true, 2: false}, false},
		{"1 or 2", map[int]bool{1: false, 2: true}, true},
		{"not 1", map[int]bool{1: false}, true},
		{"1 or 2 and 3", map[int]bool{1: true, 2: false, 3: false}, true},    // and binds tighter
		{"(1 or 2) and 3", map[int]bool{1: true, 2: false, 3: false}, false}, // parentheses
		{"not (1 and 2)", map[int]bool{1: true, 2: true}, false},
		{"NOT 1 AND 2", map[int]bool{1: false, 2: true}, true},
		{"(1 and 2) or 3", map[int]bool{3: true}, true},
	}
	for _, tc := range tests {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		if got := e.Eval(tc.c); got != tc.want {
			t.Errorf("%q with %v = %v, want %v", tc.expr, tc.c, got, tc.want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		expr string
		pos  int
	}{
		{"1 and", 6}, {"(1 or 2", 8}, {"1 2", 3}, {"1 xor 2", 3}, {"1 & 2", 3}, {"", 1}, {"0", 1}, {"1 and )", 7}, {"rule_2", 1},
	}
	for _, tc := range tests {
		_, err := Parse(tc.expr)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Pos != tc.pos {
			t.Errorf("%q: error %v, want a syntax error at %d", tc.expr, err, tc.pos)
		}
	}
	_, err := Validate("1 and 4", []int{1, 2})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != 7 {
		t.Fatalf("unknown condition: %v", err)
	}
}

func TestConditions(t *testing.T) {
	v := SegmentVisit{Channel: "PPC", Referrer: "https://www.google.com/", LandingURL: "https://shop.example.com/sale?x=1",
		UTMCampaign: "Spring-Sale", Labels: map[string]bool{"member": true}, Events: []string{"add_to_cart", "purchase"},
		VisitorVisitCount: 12, VisitorChannels: []string{"SEO", "PPC"}}
	tests := []struct {
		fn, op, val string
		want        bool
	}{
		{"visit_channel", "eq", "PPC", true},
		{"visit_channel", "ne", "PPC", false},
		{"visit_referrer", "contains", "google", true},
		{"visit_landing_url", "startswith", "https://shop", true},
		{"visit_landing_url", "endswith", "x=1", true},
		{"visit_utm_campaign", "regex", "(?i)^spring", true},
		{"visit_has_label", "eq", "member", true},
		{"visit_event_name", "eq", "purchase", true},
		{"visit_event_name", "ne", "purchase", false},
		{"visitor_visit_count", "gt", "9", true}, // numeric, not "12" < "9"
		{"visitor_visit_count", "lte", "11", false},
		{"visitor_visit_count", "gte", "12", true},
		{"visitor_visit_count", "lt", "13", true},
		{"visitor_has_channel", "eq", "SEO", true},
	}
	for _, tc := range tests {
		c, err := NewCondition(1, tc.fn, tc.op, tc.val)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Eval(v); got != tc.want {
			t.Errorf("%s %s %s = %v, want %v", tc.fn, tc.op, tc.val, got, tc.want)
		}
	}
	for _, bad := range [][3]string{{"visit_colour", "eq", "x"}, {"visit_channel", "like", "x"}, {"visit_channel", "regex", "("}} {
		if _, err := NewCondition(1, bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("NewCondition%v accepted", bad)
		}
	}
	c1, _ := NewCondition(1, "visit_channel", "eq", "PPC")
	c2, _ := NewCondition(2, "visitor_visit_count", "gt", "20")
	r, err := CompileRule("1 and not 2", []Condition{c1, c2})
	if err != nil || !r.Match(v) {
		t.Fatalf("rule: %v %v", err, r.Match(v))
	}
}
