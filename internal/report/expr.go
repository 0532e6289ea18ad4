package report

import (
	"fmt"
	"strconv"
	"strings"
)

// The expression language of metric formulas and totals, from
// declarations only:
//
//	expr   = term { ("+" | "-") term }
//	term   = unary { ("*" | "/") unary }
//	unary  = "-" unary | primary
//	primary = number | metric | agg "(" column ")" | "count" "(" "*" ")" | "(" expr ")"
//	agg    = sum | avg | min | max | count | count_distinct
//
// Metric names evaluate to the metric's value in the same row (or in the
// totals); aggregates read columns of the backing table. Arithmetic on a
// null gives null, and so does division by zero.

type node interface{ isNode() }

type numLit struct{ v float64 }

type metRef struct {
	name string
	m    *metInfo
}

type call struct {
	fn    Agg
	col   string // "" for count(*)
	atom  int
	atom2 int // avg: the count atom (atom is the sum)
}

type binop struct {
	op   byte
	l, r node
}

type neg struct{ x node }

func (*numLit) isNode() {}
func (*metRef) isNode() {}
func (*call) isNode()   {}
func (*binop) isNode()  {}
func (*neg) isNode()    {}

type token struct {
	kind byte // 'n' number, 'i' identifier, or the operator / parenthesis itself; 0 at the end
	text string
	pos  int
}

func tokenize(src string) ([]token, error) {
	var out []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case strings.IndexByte("+-*/()", c) >= 0:
			out = append(out, token{kind: c, text: string(c), pos: i})
			i++
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			out = append(out, token{kind: 'n', text: src[i:j], pos: i})
			i = j
		case c >= 'a' && c <= 'z' || c == '_':
			j := i
			for j < len(src) && (src[j] >= 'a' && src[j] <= 'z' || src[j] >= '0' && src[j] <= '9' || src[j] == '_') {
				j++
			}
			out = append(out, token{kind: 'i', text: src[i:j], pos: i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return append(out, token{pos: len(src)}), nil
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

// parseExpr parses a formula. It knows nothing of metrics and columns;
// compileExpr resolves those.
func parseExpr(src string) (node, error) {
	if len(src) > 1000 {
		return nil, fmt.Errorf("expression too long")
	}
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != 0 {
		return nil, fmt.Errorf("unexpected %q at %d", t.text, t.pos)
	}
	return n, nil
}

func (p *parser) expr(depth int) (node, error) {
	if depth > 50 {
		return nil, fmt.Errorf("expression nested too deeply")
	}
	l, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == '+' || p.peek().kind == '-' {
		op := p.next().kind
		r, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		l = &binop{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *parser) term(depth int) (node, error) {
	l, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == '*' || p.peek().kind == '/' {
		op := p.next().kind
		r, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		l = &binop{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *parser) unary(depth int) (node, error) {
	if p.peek().kind == '-' {
		p.next()
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &neg{x: x}, nil
	}
	return p.primary(depth)
}

func (p *parser) primary(depth int) (node, error) {
	t := p.next()
	switch t.kind {
	case 'n':
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q at %d", t.text, t.pos)
		}
		return &numLit{v: v}, nil
	case '(':
		n, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != ')' {
			return nil, fmt.Errorf("missing ) at %d", c.pos)
		}
		return n, nil
	case 'i':
		if p.peek().kind != '(' {
			return &metRef{name: t.text}, nil
		}
		fn := Agg(t.text)
		if !isAgg(fn) {
			return nil, fmt.Errorf("unknown function %q at %d", t.text, t.pos)
		}
		p.next()
		arg := p.next()
		col := ""
		switch {
		case arg.kind == '*' && fn == Count:
		case arg.kind == 'i':
			col = arg.text
		default:
			return nil, fmt.Errorf("%s() takes a column name, at %d", fn, arg.pos)
		}
		if c := p.next(); c.kind != ')' {
			return nil, fmt.Errorf("missing ) at %d", c.pos)
		}
		return &call{fn: fn, col: col}, nil
	case 0:
		return nil, fmt.Errorf("unexpected end of expression")
	}
	return nil, fmt.Errorf("unexpected %q at %d", t.text, t.pos)
}

func prec(op byte) int {
	if op == '+' || op == '-' {
		return 1
	}
	return 2
}

// printNode renders an expression canonically: "sum(sales) / sum(visits)".
func printNode(n node) string {
	var b strings.Builder
	var pr func(n node, min int, right bool)
	pr = func(n node, min int, right bool) {
		switch x := n.(type) {
		case *numLit:
			b.WriteString(strconv.FormatFloat(x.v, 'f', -1, 64))
		case *metRef:
			b.WriteString(x.name)
		case *call:
			col := x.col
			if col == "" {
				col = "*"
			}
			b.WriteString(string(x.fn) + "(" + col + ")")
		case *neg:
			b.WriteString("-")
			pr(x.x, 3, false)
		case *binop:
			p := prec(x.op)
			paren := p < min || (right && p == min)
			if paren {
				b.WriteString("(")
			}
			pr(x.l, p, false)
			b.WriteString(" " + string(x.op) + " ")
			pr(x.r, p, true)
			if paren {
				b.WriteString(")")
			}
		}
	}
	pr(n, 0, false)
	return b.String()
}

// val is a value during evaluation: a number (ids of dict metrics too) or,
// for date metrics, a date; ok=false is null.
type val struct {
	f  float64
	s  string
	ok bool
}

func num(f float64) val { return val{f: f, ok: true} }

var null = val{}

// eval computes n over a row's atoms and the metrics computed so far.
func eval(n node, atoms, mets []val) val {
	switch x := n.(type) {
	case *numLit:
		return num(x.v)
	case *metRef:
		return mets[x.m.idx]
	case *call:
		if x.fn == Avg {
			return divide(atoms[x.atom], atoms[x.atom2])
		}
		return atoms[x.atom]
	case *neg:
		v := eval(x.x, atoms, mets)
		if !v.ok {
			return null
		}
		return num(-v.f)
	case *binop:
		l, r := eval(x.l, atoms, mets), eval(x.r, atoms, mets)
		if !l.ok || !r.ok {
			return null
		}
		switch x.op {
		case '+':
			return num(l.f + r.f)
		case '-':
			return num(l.f - r.f)
		case '*':
			return num(l.f * r.f)
		case '/':
			return divide(l, r)
		}
	}
	return null
}

func divide(l, r val) val {
	if !l.ok || !r.ok || r.f == 0 {
		return null
	}
	return num(l.f / r.f)
}
