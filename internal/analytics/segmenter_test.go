package analytics

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParsePrecedence(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{"1", "1"},
		{"1 or 2 and 3", "(1 or (2 and 3))"},
		{"1 and 2 or 3", "((1 and 2) or 3)"},
		{"not 1 and 2", "(not 1 and 2)"},
		{"not 1 or not 2", "(not 1 or not 2)"},
		{"not not 1", "not not 1"},
		{"not (1 or 2)", "not (1 or 2)"},
		{"(1 or 2) and 3", "((1 or 2) and 3)"},
		{"1 and 2 and 3", "((1 and 2) and 3)"},
		{"1 or 2 or 3", "((1 or 2) or 3)"},
		{"((1))", "1"},
		{"NOT 1 AND 2 Or 3", "((not 1 and 2) or 3)"},
		{"  (1 and 2)or(3)  ", "((1 and 2) or 3)"},
		{"1and 2", "(1 and 2)"},
		{"10 or 2", "(10 or 2)"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestEval(t *testing.T) {
	tests := []struct {
		expr string
		true []int // conditions that hold
		want bool
	}{
		{"1", []int{1}, true},
		{"1", nil, false},
		{"1 and 2", []int{1}, false},
		{"1 and 2", []int{1, 2}, true},
		{"1 or 2", []int{2}, true},
		{"1 or 2", nil, false},
		{"not 1", nil, true},
		{"not 1", []int{1}, false},
		{"1 or 2 and 3", []int{1}, true}, // and binds tighter than or
		{"(1 or 2) and 3", []int{1}, false},
		{"not 1 and 2", []int{2}, true}, // not binds tighter than and
		{"not (1 and 2)", []int{1, 2}, false},
		{"not (1 and 2)", []int{1}, true},
		{"(1 and 2) or not 3", nil, true},
		{"(1 and 2) or not 3", []int{3}, false},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Eval(func(n int) bool { return slices.Contains(tc.true, n) }); got != tc.want {
				t.Fatalf("with %v true: %v, want %v", tc.true, got, tc.want)
			}
		})
	}
	t.Run("zero Expr is false", func(t *testing.T) {
		if (Expr{}).Eval(func(int) bool { return true }) {
			t.Fatal("true")
		}
	})
	t.Run("short-circuit", func(t *testing.T) {
		e, _ := Parse("1 or 2")
		var asked []int
		e.Eval(func(n int) bool { asked = append(asked, n); return true })
		if !slices.Equal(asked, []int{1}) {
			t.Fatalf("asked %v", asked)
		}
	})
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		expr string
		pos  int
		msg  string
	}{
		{"", 1, "empty expression"},
		{"   ", 1, "empty expression"},
		{"1 and", 6, "ends early"},
		{"1 and or 2", 7, `found "or"`},
		{"(1 or 2", 8, `closing the "(" at position 1`},
		{"((1) or 2", 10, `closing the "(" at position 1`},
		{"1 2", 3, `expected "and", "or" or the end, found a condition number`},
		{"1 and 2)", 8, `unmatched ")"`},
		{"()", 2, `found ")"`},
		{"1 xor 2", 3, `unknown word "xor"`},
		{"1 && 2", 3, `unexpected character '&'`},
		{"1 and rule_2", 7, `unknown word "rule_2"`},
		{"0", 1, "start at 1"},
		{"1 or 99999999999999999999", 6, "too large"},
		{"not", 4, "ends early"},
		{"é and 1", 1, `unknown word "é"`},       // é is a letter, so a word
		{"1 and ü 2", 7, `unknown word "ü"`},     // positions count characters, not bytes
		{"1 – 2", 3, `unexpected character '–'`}, // an en dash
		{"(1 or 2) and (3", 16, `closing the "(" at position 14`},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := Parse(tc.expr)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *SyntaxError", err)
			}
			if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("got %v, want position %d with %q", err, tc.pos, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "position ") {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name string
		expr string
		msg  string
	}{
		{"too long", strings.Repeat("1 or ", 300) + "1", "longer than"},
		{"too deep", strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "nested more than"},
		{"too many nots", strings.Repeat("not ", 100) + "1", "nested more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.expr)
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("error %v, want %q", err, tc.msg)
			}
		})
	}
	t.Run("deep but allowed", func(t *testing.T) {
		if _, err := Parse(strings.Repeat("(", 60) + "1" + strings.Repeat(")", 60)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		expr    string
		have    []int
		pos     int // 0: valid
		wantMsg string
	}{
		{"(1 and 2) or 3", []int{1, 2, 3}, 0, ""},
		{"1", []int{1, 2}, 0, ""}, // unused conditions are fine
		{"1 and 4", []int{1, 2}, 7, "condition 4 does not exist"},
		{"5 or 4", []int{1}, 1, "condition 5 does not exist"}, // leftmost first
		{"1 and", []int{1}, 6, "ends early"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			err := Validate(tc.expr, tc.have)
			if tc.pos == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos != tc.pos || !strings.Contains(se.Msg, tc.wantMsg) {
				t.Fatalf("got %v, want position %d with %q", err, tc.pos, tc.wantMsg)
			}
		})
	}
}

func TestExprNumbers(t *testing.T) {
	e, err := Parse("3 or (1 and not 3) or 2")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Numbers(); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("got %v", got)
	}
}

func testSegmentContext() *SegmentContext {
	return &SegmentContext{
		Channel:     "PPC",
		Referrer:    "https://www.google.com/search",
		LandingURL:  "https://shop.example.com/sale?x=1",
		UTMSource:   "google",
		UTMMedium:   "cpc",
		UTMCampaign: "Spring-Sale",
		UTMTerm:     "red shoes",
		UTMContent:  "12",
		LabelKeys:   []string{"member", "tier"},
		EventNames:  []string{"add_to_cart", "purchase"},
		// 12 visits: numerically > 9, but "12" < "9" as strings.
		VisitorVisitCount: 12,
		VisitorChannels:   []string{"SEO", "PPC", "SEO"},
	}
}

func TestConditions(t *testing.T) {
	ctx := testSegmentContext()
	empty := &SegmentContext{}
	tests := []struct {
		fn, op, val string
		ctx         *SegmentContext
		want        bool
	}{
		// eq / ne on every single-valued function.
		{"visit_channel", "eq", "PPC", ctx, true},
		{"visit_channel", "eq", "ppc", ctx, false}, // case-sensitive
		{"visit_channel", "ne", "PPC", ctx, false},
		{"visit_channel", "ne", "SEO", ctx, true},
		{"visit_referrer", "eq", "https://www.google.com/search", ctx, true},
		{"visit_landing_url", "eq", "https://shop.example.com/sale?x=1", ctx, true},
		{"visit_utm_source", "eq", "google", ctx, true},
		{"visit_utm_medium", "eq", "cpc", ctx, true},
		{"visit_utm_campaign", "eq", "Spring-Sale", ctx, true},
		{"visit_utm_term", "eq", "red shoes", ctx, true},
		{"visit_utm_content", "eq", "12.0", ctx, true}, // both numbers: numeric equality
		{"visit_utm_content", "eq", "12", ctx, true},
		// String operators.
		{"visit_referrer", "contains", "google", ctx, true},
		{"visit_referrer", "contains", "bing", ctx, false},
		{"visit_landing_url", "startswith", "https://shop", ctx, true},
		{"visit_landing_url", "startswith", "shop", ctx, false},
		{"visit_landing_url", "endswith", "x=1", ctx, true},
		{"visit_landing_url", "endswith", "x=2", ctx, false},
		{"visit_utm_campaign", "regex", "(?i)^spring", ctx, true},
		{"visit_utm_campaign", "regex", "^spring", ctx, false},
		{"visit_utm_campaign", "regex", "Sale", ctx, true}, // unanchored search
		// Ordering: numeric when both sides are numbers, else strings.
		{"visitor_visit_count", "gt", "9", ctx, true},
		{"visitor_visit_count", "gt", "12", ctx, false},
		{"visitor_visit_count", "gte", "12", ctx, true},
		{"visitor_visit_count", "lt", "13", ctx, true},
		{"visitor_visit_count", "lt", "12", ctx, false},
		{"visitor_visit_count", "lte", "12", ctx, true},
		{"visitor_visit_count", "lte", "11.5", ctx, false},
		{"visitor_visit_count", "eq", "12", ctx, true},
		{"visitor_visit_count", "ne", "12", ctx, false},
		{"visitor_visit_count", "startswith", "1", ctx, true},
		{"visitor_visit_count", "gt", "abc", ctx, false}, // "12" > "abc" as strings is false
		{"visit_utm_content", "gt", "9", ctx, true},      // "12" and "9" as numbers
		{"visit_utm_source", "gt", "a", ctx, true},       // "google" > "a" as strings
		{"visit_utm_source", "lt", "a", ctx, false},
		{"visit_utm_source", "gte", "google", ctx, true},
		{"visit_utm_source", "lte", "google", ctx, true},
		// List functions: any item; ne means none equal.
		{"visit_has_label", "eq", "member", ctx, true},
		{"visit_has_label", "eq", "vip", ctx, false},
		{"visit_has_label", "ne", "member", ctx, false},
		{"visit_has_label", "ne", "vip", ctx, true},
		{"visit_has_label", "startswith", "ti", ctx, true},
		{"visit_event_name", "eq", "purchase", ctx, true},
		{"visit_event_name", "regex", "^add_", ctx, true},
		{"visit_event_name", "ne", "purchase", ctx, false},
		{"visitor_has_channel", "eq", "SEO", ctx, true},
		{"visitor_has_channel", "eq", "Email", ctx, false},
		{"visitor_has_channel", "contains", "P", ctx, true},
		{"visitor_has_channel", "endswith", "mail", ctx, false},
		// Empty context.
		{"visit_has_label", "eq", "member", empty, false},
		{"visit_has_label", "ne", "member", empty, true},
		{"visitor_has_channel", "regex", ".*", empty, false},
		{"visit_channel", "eq", "", empty, true},
		{"visitor_visit_count", "eq", "0", empty, true},
	}
	for _, tc := range tests {
		name := tc.fn + " " + tc.op + " " + tc.val
		if tc.ctx == empty {
			name += " (empty)"
		}
		t.Run(name, func(t *testing.T) {
			r, err := CompileRule("1", []Condition{{Number: 1, Function: tc.fn, Operator: tc.op, Value: tc.val}})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Match(tc.ctx); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCompileRuleErrors(t *testing.T) {
	ok := Condition{Number: 1, Function: "visit_channel", Operator: "eq", Value: "PPC"}
	tests := []struct {
		name   string
		expr   string
		conds  []Condition
		number int    // ConditionError number; -1 for a SyntaxError
		field  string // ConditionError field
		pos    int    // SyntaxError position
		msg    string
	}{
		{"unknown function", "1", []Condition{{Number: 1, Function: "visit_colour", Operator: "eq"}}, 1, "function", 0, `unknown function "visit_colour"`},
		{"unknown operator", "1", []Condition{{Number: 1, Function: "visit_channel", Operator: "like"}}, 1, "operator", 0, `unknown operator "like"`},
		{"bad regex", "1", []Condition{ok, {Number: 2, Function: "visit_referrer", Operator: "regex", Value: "("}}, 2, "value", 0, "invalid regular expression"},
		{"duplicate number", "1", []Condition{ok, ok}, 1, "number", 0, "used by two conditions"},
		{"number zero", "1", []Condition{{Number: 0, Function: "visit_channel", Operator: "eq"}}, 0, "number", 0, "must be 1 or more"},
		{"missing condition", "1 or 2", []Condition{ok}, -1, "", 6, "condition 2 does not exist"},
		{"syntax", "1 or", []Condition{ok}, -1, "", 5, "ends early"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileRule(tc.expr, tc.conds)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want %q", err, tc.msg)
			}
			var ce *ConditionError
			var se *SyntaxError
			switch {
			case tc.number >= 0:
				if !errors.As(err, &ce) || ce.Number != tc.number || ce.Field != tc.field {
					t.Fatalf("error %#v, want condition %d field %s", err, tc.number, tc.field)
				}
			default:
				if !errors.As(err, &se) || se.Pos != tc.pos {
					t.Fatalf("error %v, want a syntax error at %d", err, tc.pos)
				}
			}
		})
	}
}

func TestRuleMatch(t *testing.T) {
	ctx := testSegmentContext()
	conds := []Condition{
		{Number: 1, Function: "visit_channel", Operator: "eq", Value: "PPC"},
		{Number: 2, Function: "visitor_visit_count", Operator: "gt", Value: "20"},
		{Number: 3, Function: "visit_utm_campaign", Operator: "regex", Value: "(?i)spring"},
		{Number: 4, Function: "visitor_has_channel", Operator: "eq", Value: "Email"},
	}
	tests := []struct {
		expr string
		want bool
	}{
		{"1 and not 2", true},
		{"1 and 2", false},
		{"2 or 4", false},
		{"2 or 4 or 3", true},
		{"not (2 or 4) and 3", true},
		{"not 2 or 4 and 3", true},
		{"(not 2 or 4) and not 3", false},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			r, err := CompileRule(tc.expr, conds)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Match(ctx); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if r.Expr().String() == "" {
				t.Fatal("no expression")
			}
		})
	}
}

func TestFunctionsAndOperators(t *testing.T) {
	t.Run("functions", func(t *testing.T) {
		if n := len(Functions()); n != 12 {
			t.Fatalf("%d functions", n)
		}
	})
	t.Run("operators", func(t *testing.T) {
		if n := len(Operators()); n != 10 {
			t.Fatalf("%d operators", n)
		}
	})
	t.Run("every function compiles with every operator", func(t *testing.T) {
		for _, f := range Functions() {
			for _, o := range Operators() {
				r, err := CompileRule("1", []Condition{{Number: 1, Function: string(f), Operator: string(o), Value: "1"}})
				if err != nil {
					t.Fatalf("%s %s: %v", f, o, err)
				}
				r.Match(testSegmentContext())
			}
		}
	})
}

func BenchmarkRuleMatch(b *testing.B) {
	r, err := CompileRule("(1 and not 2) or (3 and 4)", []Condition{
		{Number: 1, Function: "visit_channel", Operator: "eq", Value: "SEO"},
		{Number: 2, Function: "visitor_visit_count", Operator: "gt", Value: "3"},
		{Number: 3, Function: "visit_landing_url", Operator: "regex", Value: `/sale/`},
		{Number: 4, Function: "visitor_has_channel", Operator: "eq", Value: "Email"},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := testSegmentContext()
	b.ReportAllocs()
	for b.Loop() {
		r.Match(ctx)
	}
}
