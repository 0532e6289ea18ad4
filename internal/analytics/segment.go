package analytics

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// SyntaxError is a segmenter expression error at a 1-based position.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("position %d: %s", e.Pos, e.Msg) }

// Expr is a parsed segmenter expression: condition numbers combined with
// and, or, not and parentheses (nothing else).
type Expr struct{ root node }

type node interface {
	eval(conds map[int]bool) bool
	numbers(out map[int]int)
}

type numNode struct{ n, pos int }
type notNode struct{ x node }
type binNode struct {
	and  bool
	l, r node
}

func (n numNode) eval(c map[int]bool) bool { return c[n.n] }
func (n numNode) numbers(out map[int]int) {
	if _, ok := out[n.n]; !ok {
		out[n.n] = n.pos
	}
}
func (n notNode) eval(c map[int]bool) bool { return !n.x.eval(c) }
func (n notNode) numbers(out map[int]int)  { n.x.numbers(out) }
func (n binNode) eval(c map[int]bool) bool {
	if n.and {
		return n.l.eval(c) && n.r.eval(c)
	}
	return n.l.eval(c) || n.r.eval(c)
}
func (n binNode) numbers(out map[int]int) { n.l.numbers(out); n.r.numbers(out) }

type token struct {
	kind string // num, and, or, not, (, ), end
	val  int
	pos  int
}

func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')':
			out = append(out, token{kind: string(c), pos: i + 1})
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(s[i:j])
			if err != nil || n < 1 {
				return nil, &SyntaxError{i + 1, "condition numbers start at 1"}
			}
			out = append(out, token{kind: "num", val: n, pos: i + 1})
			i = j
		case unicode.IsLetter(c):
			j := i
			for j < len(s) && unicode.IsLetter(rune(s[j])) {
				j++
			}
			w := strings.ToLower(s[i:j])
			if w != "and" && w != "or" && w != "not" {
				return nil, &SyntaxError{i + 1, fmt.Sprintf("unknown word %q: only condition numbers, and, or, not and parentheses are allowed", s[i:j])}
			}
			out = append(out, token{kind: w, pos: i + 1})
			i = j
		default:
			return nil, &SyntaxError{i + 1, fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return append(out, token{kind: "end", pos: len(s) + 1}), nil
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) or() (node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == "or" {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = binNode{and: false, l: l, r: r}
	}
	return l, nil
}

func (p *parser) and() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == "and" {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = binNode{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) unary() (node, error) {
	t := p.next()
	switch t.kind {
	case "not":
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	case "num":
		return numNode{n: t.val, pos: t.pos}, nil
	case "(":
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != ")" {
			return nil, &SyntaxError{c.pos, "expected )"}
		}
		return x, nil
	case "end":
		return nil, &SyntaxError{t.pos, "expression ends too early"}
	}
	return nil, &SyntaxError{t.pos, fmt.Sprintf("unexpected %q", t.kind)}
}

// Parse parses a segmenter expression such as "(1 and 2) or not 3".
func Parse(expr string) (Expr, error) {
	toks, err := lex(expr)
	if err != nil {
		return Expr{}, err
	}
	p := &parser{toks: toks}
	root, err := p.or()
	if err != nil {
		return Expr{}, err
	}
	if t := p.peek(); t.kind != "end" {
		return Expr{}, &SyntaxError{t.pos, fmt.Sprintf("unexpected %q", t.kind)}
	}
	return Expr{root: root}, nil
}

// Validate parses expr and checks that every number names a condition.
func Validate(expr string, conditionNumbers []int) (Expr, error) {
	e, err := Parse(expr)
	if err != nil {
		return e, err
	}
	have := map[int]bool{}
	for _, n := range conditionNumbers {
		have[n] = true
	}
	used := map[int]int{}
	e.root.numbers(used)
	for n, pos := range used {
		if !have[n] {
			return e, &SyntaxError{pos, fmt.Sprintf("condition %d does not exist", n)}
		}
	}
	return e, nil
}

// Eval evaluates the expression given each condition's result.
func (e Expr) Eval(conds map[int]bool) bool { return e.root != nil && e.root.eval(conds) }

// SegmentVisit is what segmenter functions read for one visit.
type SegmentVisit struct {
	Channel                                                string
	Referrer, LandingURL                                   string
	UTMSource, UTMMedium, UTMCampaign, UTMTerm, UTMContent string
	Labels                                                 map[string]bool
	Events                                                 []string
	VisitorVisitCount                                      int
	VisitorChannels                                        []string
}

// Condition is one compiled numbered condition.
type Condition struct {
	Number   int
	Function string
	Operator string
	Value    string
	re       *regexp.Regexp
}

var segOperators = map[string]bool{"eq": true, "ne": true, "gt": true, "gte": true, "lt": true, "lte": true,
	"contains": true, "startswith": true, "endswith": true, "regex": true}

// NewCondition checks a condition's function and operator and compiles a
// regex value once.
func NewCondition(number int, function, operator, value string) (Condition, error) {
	c := Condition{Number: number, Function: function, Operator: operator, Value: value}
	switch function {
	case "visit_channel", "visit_referrer", "visit_landing_url", "visit_utm_source", "visit_utm_medium",
		"visit_utm_campaign", "visit_utm_term", "visit_utm_content", "visit_has_label", "visit_event_name",
		"visitor_visit_count", "visitor_has_channel":
	default:
		return c, fmt.Errorf("condition %d: unknown function %q", number, function)
	}
	if !segOperators[operator] {
		return c, fmt.Errorf("condition %d: unknown operator %q", number, operator)
	}
	if operator == "regex" {
		re, err := regexp.Compile(value)
		if err != nil {
			return c, fmt.Errorf("condition %d: invalid regular expression: %v", number, err)
		}
		c.re = re
	}
	return c, nil
}

func (c Condition) compare(s string) bool {
	v := c.Value
	switch c.Operator {
	case "eq":
		return s == v
	case "ne":
		return s != v
	case "contains":
		return strings.Contains(s, v)
	case "startswith":
		return strings.HasPrefix(s, v)
	case "endswith":
		return strings.HasSuffix(s, v)
	case "regex":
		return c.re.MatchString(s)
	}
	a, err1 := strconv.ParseFloat(s, 64)
	b, err2 := strconv.ParseFloat(v, 64)
	if err1 == nil && err2 == nil {
		switch c.Operator {
		case "gt":
			return a > b
		case "gte":
			return a >= b
		case "lt":
			return a < b
		case "lte":
			return a <= b
		}
	}
	switch c.Operator {
	case "gt":
		return s > v
	case "gte":
		return s >= v
	case "lt":
		return s < v
	case "lte":
		return s <= v
	}
	return false
}

// any is true when the comparison holds for one of the values (or, for
// ne, for none equal).
func (c Condition) anyOf(vals []string) bool {
	if c.Operator == "ne" {
		for _, s := range vals {
			if s == c.Value {
				return false
			}
		}
		return true
	}
	for _, s := range vals {
		if c.compare(s) {
			return true
		}
	}
	return false
}

// Eval evaluates the condition on a visit.
func (c Condition) Eval(v SegmentVisit) bool {
	switch c.Function {
	case "visit_channel":
		return c.compare(v.Channel)
	case "visit_referrer":
		return c.compare(v.Referrer)
	case "visit_landing_url":
		return c.compare(v.LandingURL)
	case "visit_utm_source":
		return c.compare(v.UTMSource)
	case "visit_utm_medium":
		return c.compare(v.UTMMedium)
	case "visit_utm_campaign":
		return c.compare(v.UTMCampaign)
	case "visit_utm_term":
		return c.compare(v.UTMTerm)
	case "visit_utm_content":
		return c.compare(v.UTMContent)
	case "visit_has_label":
		keys := make([]string, 0, len(v.Labels))
		for k := range v.Labels {
			keys = append(keys, k)
		}
		return c.anyOf(keys)
	case "visit_event_name":
		return c.anyOf(v.Events)
	case "visitor_visit_count":
		return c.compare(strconv.Itoa(v.VisitorVisitCount))
	case "visitor_has_channel":
		return c.anyOf(v.VisitorChannels)
	}
	return false
}

// Rule is a compiled segmenter rule.
type Rule struct {
	Expr       Expr
	Conditions []Condition
}

// CompileRule validates a rule's expression against its conditions.
func CompileRule(expr string, conds []Condition) (Rule, error) {
	nums := make([]int, len(conds))
	for i, c := range conds {
		nums[i] = c.Number
	}
	e, err := Validate(expr, nums)
	if err != nil {
		return Rule{}, err
	}
	return Rule{Expr: e, Conditions: conds}, nil
}

// Match evaluates the rule on a visit.
func (r Rule) Match(v SegmentVisit) bool {
	res := make(map[int]bool, len(r.Conditions))
	for _, c := range r.Conditions {
		res[c.Number] = c.Eval(v)
	}
	return r.Expr.Eval(res)
}
