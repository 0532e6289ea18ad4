package analytics

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Limits on segmenter expressions, so a hostile rule cannot exhaust memory
// or the stack.
const (
	maxExprLen   = 1000 // characters
	maxExprDepth = 64   // nested parentheses and nots
)

// SyntaxError is an error in a segmenter expression at a 1-based
// character (rune) position; Pos is one past the last character when the
// expression ends too early.
type SyntaxError struct {
	Pos int
	Msg string
}

// Error formats the error as "position N: message".
func (e *SyntaxError) Error() string { return fmt.Sprintf("position %d: %s", e.Pos, e.Msg) }

// Expr is a parsed segmenter expression: condition numbers combined with
// not, and, or (that precedence, left-associative) and parentheses. The
// zero Expr is false.
type Expr struct{ root *exprNode }

type exprOp uint8

const (
	opNum exprOp = iota
	opNot
	opAnd
	opOr
)

type exprNode struct {
	op   exprOp
	num  int // opNum: condition number
	pos  int // opNum: 1-based position
	l, r *exprNode
}

// Eval evaluates the expression, asking cond for each condition number it
// needs (and short-circuits).
func (e Expr) Eval(cond func(number int) bool) bool {
	return e.root != nil && e.root.eval(cond)
}

func (n *exprNode) eval(cond func(int) bool) bool {
	switch n.op {
	case opNum:
		return cond(n.num)
	case opNot:
		return !n.l.eval(cond)
	case opAnd:
		return n.l.eval(cond) && n.r.eval(cond)
	default:
		return n.l.eval(cond) || n.r.eval(cond)
	}
}

// Numbers returns the condition numbers the expression uses, ascending,
// each once.
func (e Expr) Numbers() []int {
	var out []int
	e.walk(func(n *exprNode) {
		if !slices.Contains(out, n.num) {
			out = append(out, n.num)
		}
	})
	slices.Sort(out)
	return out
}

// walk calls f on every number leaf, left to right.
func (e Expr) walk(f func(*exprNode)) {
	var rec func(*exprNode)
	rec = func(n *exprNode) {
		if n == nil {
			return
		}
		if n.op == opNum {
			f(n)
			return
		}
		rec(n.l)
		rec(n.r)
	}
	rec(e.root)
}

// String returns the expression fully parenthesised, e.g. Parse("1 or 2
// and not 3") gives "(1 or (2 and not 3))".
func (e Expr) String() string {
	var b strings.Builder
	var rec func(*exprNode)
	rec = func(n *exprNode) {
		switch n.op {
		case opNum:
			b.WriteString(strconv.Itoa(n.num))
		case opNot:
			b.WriteString("not ")
			rec(n.l)
		default:
			b.WriteByte('(')
			rec(n.l)
			if n.op == opAnd {
				b.WriteString(" and ")
			} else {
				b.WriteString(" or ")
			}
			rec(n.r)
			b.WriteByte(')')
		}
	}
	if e.root != nil {
		rec(e.root)
	}
	return b.String()
}

type tokKind uint8

const (
	tokNum tokKind = iota
	tokAnd
	tokOr
	tokNot
	tokLParen
	tokRParen
	tokEnd
)

func (k tokKind) String() string {
	return [...]string{"a condition number", `"and"`, `"or"`, `"not"`, `"("`, `")"`, "the end"}[k]
}

type token struct {
	kind tokKind
	num  int
	pos  int
}

// lex splits an expression into tokens with 1-based rune positions.
func lex(s []rune) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(':
			out = append(out, token{kind: tokLParen, pos: i + 1})
			i++
		case c == ')':
			out = append(out, token{kind: tokRParen, pos: i + 1})
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(string(s[i:j]))
			if err != nil || n > 1_000_000 {
				return nil, &SyntaxError{i + 1, fmt.Sprintf("condition number %s is too large", string(s[i:j]))}
			}
			if n < 1 {
				return nil, &SyntaxError{i + 1, "condition numbers start at 1"}
			}
			out = append(out, token{kind: tokNum, num: n, pos: i + 1})
			i = j
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(s[j]) || unicode.IsDigit(s[j]) || s[j] == '_') {
				j++
			}
			word := string(s[i:j])
			var k tokKind
			switch strings.ToLower(word) {
			case "and":
				k = tokAnd
			case "or":
				k = tokOr
			case "not":
				k = tokNot
			default:
				return nil, &SyntaxError{i + 1, fmt.Sprintf("unknown word %q: only condition numbers, and, or, not and parentheses are allowed", word)}
			}
			out = append(out, token{kind: k, pos: i + 1})
			i = j
		default:
			return nil, &SyntaxError{i + 1, fmt.Sprintf("unexpected character %q: only condition numbers, and, or, not and parentheses are allowed", c)}
		}
	}
	return append(out, token{kind: tokEnd, pos: len(s) + 1}), nil
}

type exprParser struct {
	toks  []token
	i     int
	depth int
}

func (p *exprParser) peek() token { return p.toks[p.i] }

func (p *exprParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEnd {
		p.i++
	}
	return t
}

// or := and { "or" and }
func (p *exprParser) or() (*exprNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tokOr {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &exprNode{op: opOr, l: l, r: r}
	}
	return l, nil
}

// and := unary { "and" unary }
func (p *exprParser) and() (*exprNode, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tokAnd {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &exprNode{op: opAnd, l: l, r: r}
	}
	return l, nil
}

// unary := "not" unary | number | "(" or ")"
func (p *exprParser) unary() (*exprNode, error) {
	t := p.next()
	switch t.kind {
	case tokNum:
		return &exprNode{op: opNum, num: t.num, pos: t.pos}, nil
	case tokNot, tokLParen:
		if p.depth++; p.depth > maxExprDepth {
			return nil, &SyntaxError{t.pos, fmt.Sprintf("nested more than %d deep", maxExprDepth)}
		}
		defer func() { p.depth-- }()
		if t.kind == tokNot {
			x, err := p.unary()
			if err != nil {
				return nil, err
			}
			return &exprNode{op: opNot, l: x}, nil
		}
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, &SyntaxError{c.pos, fmt.Sprintf("expected \")\" closing the \"(\" at position %d, found %s", t.pos, c.kind)}
		}
		return x, nil
	case tokEnd:
		return nil, &SyntaxError{t.pos, "expression ends early: expected a condition number, \"not\" or \"(\""}
	}
	return nil, &SyntaxError{t.pos, fmt.Sprintf("expected a condition number, \"not\" or \"(\", found %s", t.kind)}
}

// Parse parses a segmenter expression such as "(1 and 2) or not 3".
// Keywords are case-insensitive; errors are *SyntaxError.
func Parse(expr string) (Expr, error) {
	rs := []rune(expr)
	if len(rs) > maxExprLen {
		return Expr{}, &SyntaxError{maxExprLen + 1, fmt.Sprintf("expression longer than %d characters", maxExprLen)}
	}
	toks, err := lex(rs)
	if err != nil {
		return Expr{}, err
	}
	if toks[0].kind == tokEnd {
		return Expr{}, &SyntaxError{1, "empty expression"}
	}
	p := &exprParser{toks: toks}
	root, err := p.or()
	if err != nil {
		return Expr{}, err
	}
	if t := p.peek(); t.kind != tokEnd {
		msg := fmt.Sprintf("expected \"and\", \"or\" or the end, found %s", t.kind)
		if t.kind == tokRParen {
			msg = "unmatched \")\""
		}
		return Expr{}, &SyntaxError{t.pos, msg}
	}
	return Expr{root: root}, nil
}

// Validate parses expr and checks that every number it uses names one of
// conditionNumbers; an unknown number is a *SyntaxError at its (leftmost)
// position.
func Validate(expr string, conditionNumbers []int) error {
	e, err := Parse(expr)
	if err != nil {
		return err
	}
	return e.check(conditionNumbers)
}

func (e Expr) check(conditionNumbers []int) error {
	var err error
	e.walk(func(n *exprNode) {
		if err == nil && !slices.Contains(conditionNumbers, n.num) {
			err = &SyntaxError{n.pos, fmt.Sprintf("condition %d does not exist", n.num)}
		}
	})
	return err
}

// Function is a segmenter condition's function: the visit value it reads.
type Function string

// The segmenter functions.
const (
	FuncVisitChannel      Function = "visit_channel"       // the visit's channel name
	FuncVisitReferrer     Function = "visit_referrer"      // the referrer URL
	FuncVisitLandingURL   Function = "visit_landing_url"   // the landing URL
	FuncVisitUTMSource    Function = "visit_utm_source"    // utm_source
	FuncVisitUTMMedium    Function = "visit_utm_medium"    // utm_medium
	FuncVisitUTMCampaign  Function = "visit_utm_campaign"  // utm_campaign
	FuncVisitUTMTerm      Function = "visit_utm_term"      // utm_term
	FuncVisitUTMContent   Function = "visit_utm_content"   // utm_content
	FuncVisitHasLabel     Function = "visit_has_label"     // the visit's label keys (a list)
	FuncVisitEventName    Function = "visit_event_name"    // the visit's event names (a list)
	FuncVisitorVisitCount Function = "visitor_visit_count" // the visitor's number of visits
	FuncVisitorHasChannel Function = "visitor_has_channel" // channel names of the visitor's visits (a list)
)

// Functions returns every segmenter function, in documentation order.
func Functions() []Function {
	return []Function{FuncVisitChannel, FuncVisitReferrer, FuncVisitLandingURL, FuncVisitUTMSource,
		FuncVisitUTMMedium, FuncVisitUTMCampaign, FuncVisitUTMTerm, FuncVisitUTMContent, FuncVisitHasLabel,
		FuncVisitEventName, FuncVisitorVisitCount, FuncVisitorHasChannel}
}

// Operator is a segmenter condition's comparison.
type Operator string

// The segmenter operators. eq, ne, gt, gte, lt and lte compare as numbers
// when both sides parse as finite numbers, else as strings (byte order).
// contains, startswith, endswith and eq are case-sensitive; regex is an
// unanchored RE2 search (use (?i) and ^…$ as needed).
const (
	OpEq         Operator = "eq"
	OpNe         Operator = "ne"
	OpGt         Operator = "gt"
	OpGte        Operator = "gte"
	OpLt         Operator = "lt"
	OpLte        Operator = "lte"
	OpContains   Operator = "contains"
	OpStartsWith Operator = "startswith"
	OpEndsWith   Operator = "endswith"
	OpRegex      Operator = "regex"
)

// Operators returns every segmenter operator.
func Operators() []Operator {
	return []Operator{OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpContains, OpStartsWith, OpEndsWith, OpRegex}
}

// Condition is one numbered segmenter condition as stored.
type Condition struct {
	Number   int
	Function string
	Operator string
	Value    string
}

// ConditionError is an invalid condition; Field is "number", "function",
// "operator" or "value".
type ConditionError struct {
	Number int
	Field  string
	Msg    string
}

// Error formats the error as "condition N: field: message".
func (e *ConditionError) Error() string {
	return fmt.Sprintf("condition %d: %s: %s", e.Number, e.Field, e.Msg)
}

// SegmentContext is what segmenter functions read for one visit.
type SegmentContext struct {
	Channel     string // the visit's channel name
	Referrer    string
	LandingURL  string
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	UTMTerm     string
	UTMContent  string
	LabelKeys   []string // keys of the visit's labels
	EventNames  []string // names of the visit's events
	// VisitorVisitCount is the visitor's number of visits.
	VisitorVisitCount int
	// VisitorChannels are the channel names of the visitor's visits.
	VisitorChannels []string
}

// compiledCondition is a validated condition ready to evaluate.
type compiledCondition struct {
	fn    Function
	op    Operator
	value string
	num   float64 // value as a number, when isNum
	isNum bool
	re    *regexp.Regexp // for regex
}

func compileCondition(c Condition) (compiledCondition, error) {
	if c.Number < 1 {
		return compiledCondition{}, &ConditionError{c.Number, "number", "must be 1 or more"}
	}
	cc := compiledCondition{fn: Function(c.Function), op: Operator(c.Operator), value: c.Value}
	if !slices.Contains(Functions(), cc.fn) {
		return compiledCondition{}, &ConditionError{c.Number, "function", fmt.Sprintf("unknown function %q", c.Function)}
	}
	if !slices.Contains(Operators(), cc.op) {
		return compiledCondition{}, &ConditionError{c.Number, "operator", fmt.Sprintf("unknown operator %q", c.Operator)}
	}
	cc.num, cc.isNum = parseNumber(c.Value)
	if cc.op == OpRegex {
		re, err := regexp.Compile(c.Value)
		if err != nil {
			return compiledCondition{}, &ConditionError{c.Number, "value", fmt.Sprintf("invalid regular expression: %v", err)}
		}
		cc.re = re
	}
	return cc, nil
}

// parseNumber parses a finite number.
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func (c *compiledCondition) eval(ctx *SegmentContext) bool {
	switch c.fn {
	case FuncVisitChannel:
		return c.compare(ctx.Channel)
	case FuncVisitReferrer:
		return c.compare(ctx.Referrer)
	case FuncVisitLandingURL:
		return c.compare(ctx.LandingURL)
	case FuncVisitUTMSource:
		return c.compare(ctx.UTMSource)
	case FuncVisitUTMMedium:
		return c.compare(ctx.UTMMedium)
	case FuncVisitUTMCampaign:
		return c.compare(ctx.UTMCampaign)
	case FuncVisitUTMTerm:
		return c.compare(ctx.UTMTerm)
	case FuncVisitUTMContent:
		return c.compare(ctx.UTMContent)
	case FuncVisitHasLabel:
		return c.compareList(ctx.LabelKeys)
	case FuncVisitEventName:
		return c.compareList(ctx.EventNames)
	case FuncVisitorVisitCount:
		if c.isNum {
			return c.compareNumbers(float64(ctx.VisitorVisitCount))
		}
		return c.compare(strconv.Itoa(ctx.VisitorVisitCount))
	case FuncVisitorHasChannel:
		return c.compareList(ctx.VisitorChannels)
	}
	return false
}

// compareList holds when any item satisfies the operator; ne holds when no
// item equals the value (so an empty list satisfies only ne).
func (c *compiledCondition) compareList(items []string) bool {
	if c.op == OpNe {
		eq := *c
		eq.op = OpEq
		return !eq.compareList(items)
	}
	for _, s := range items {
		if c.compare(s) {
			return true
		}
	}
	return false
}

func (c *compiledCondition) compare(s string) bool {
	switch c.op {
	case OpContains:
		return strings.Contains(s, c.value)
	case OpStartsWith:
		return strings.HasPrefix(s, c.value)
	case OpEndsWith:
		return strings.HasSuffix(s, c.value)
	case OpRegex:
		return c.re.MatchString(s)
	}
	if c.isNum {
		if x, ok := parseNumber(s); ok {
			return c.compareNumbers(x)
		}
	}
	switch c.op {
	case OpEq:
		return s == c.value
	case OpNe:
		return s != c.value
	case OpGt:
		return s > c.value
	case OpGte:
		return s >= c.value
	case OpLt:
		return s < c.value
	case OpLte:
		return s <= c.value
	}
	return false
}

// compareNumbers compares x with the (numeric) value; string operators
// see x formatted.
func (c *compiledCondition) compareNumbers(x float64) bool {
	switch c.op {
	case OpEq:
		return x == c.num
	case OpNe:
		return x != c.num
	case OpGt:
		return x > c.num
	case OpGte:
		return x >= c.num
	case OpLt:
		return x < c.num
	case OpLte:
		return x <= c.num
	}
	return c.compare(strconv.FormatFloat(x, 'f', -1, 64))
}

// Rule is a compiled segmenter rule: an expression over numbered
// conditions, with regular expressions compiled once and condition numbers
// resolved to conditions. It is safe for concurrent use.
type Rule struct {
	expr  Expr
	conds []compiledCondition
	root  *ruleNode
}

// ruleNode is an expression node with its condition resolved.
type ruleNode struct {
	op   exprOp
	cond *compiledCondition // opNum
	l, r *ruleNode
}

func (n *ruleNode) eval(ctx *SegmentContext) bool {
	switch n.op {
	case opNum:
		return n.cond.eval(ctx)
	case opNot:
		return !n.l.eval(ctx)
	case opAnd:
		return n.l.eval(ctx) && n.r.eval(ctx)
	default:
		return n.l.eval(ctx) || n.r.eval(ctx)
	}
}

// CompileRule validates and compiles a rule. Errors are a *SyntaxError for
// the expression (including a number with no condition) or a
// *ConditionError naming the condition and field (duplicate number,
// unknown function or operator, invalid regex). Conditions the expression
// does not use are still validated.
func CompileRule(expr string, conditions []Condition) (*Rule, error) {
	r := &Rule{conds: make([]compiledCondition, 0, len(conditions))}
	index := make(map[int]int, len(conditions))
	nums := make([]int, 0, len(conditions))
	for _, c := range conditions {
		if _, dup := index[c.Number]; dup {
			return nil, &ConditionError{c.Number, "number", "used by two conditions"}
		}
		cc, err := compileCondition(c)
		if err != nil {
			return nil, err
		}
		index[c.Number] = len(r.conds)
		r.conds = append(r.conds, cc)
		nums = append(nums, c.Number)
	}
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	if err := e.check(nums); err != nil {
		return nil, err
	}
	var resolve func(*exprNode) *ruleNode
	resolve = func(n *exprNode) *ruleNode {
		if n == nil {
			return nil
		}
		rn := &ruleNode{op: n.op, l: resolve(n.l), r: resolve(n.r)}
		if n.op == opNum {
			rn.cond = &r.conds[index[n.num]]
		}
		return rn
	}
	r.expr, r.root = e, resolve(e.root)
	return r, nil
}

// Expr returns the rule's parsed expression.
func (r *Rule) Expr() Expr { return r.expr }

// Match evaluates the rule for one visit, evaluating only the conditions
// the expression needs (and, or short-circuit).
func (r *Rule) Match(ctx *SegmentContext) bool {
	return r.root.eval(ctx)
}
