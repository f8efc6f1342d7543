// SPDX-License-Identifier: GPL-2.0-only

package cparse

// The expression parser: C expressions read from the source text, by
// precedence climbing over the lexer's tokens, bounded in height.

import (
	"errors"
	"strings"
)

// ParseExpr parses src[start:end] as an expression. It never fails: what it
// cannot read becomes EBad nodes and the rest is still returned.
func ParseExpr(src []byte, start, end int, types TypeNames) *Expr {
	return parseExprWith(nil, src, start, end, types)
}

// exprScratch is what a builder parsing many expressions of one file
// keeps between them: the file as a string, which the tokens' texts
// slice, and the token buffer. The expressions keep only the texts.
type exprScratch struct {
	str  string
	toks []token
	// tooDeep is set by an expression nested past MaxExprHeight; the file
	// is then refused. height is the tallest expression's height.
	tooDeep bool
	height  int
	stack   []heightItem
}

// MaxNesting bounds how deeply declarations, preprocessor conditionals
// and statements may nest, and MaxExprHeight the operators of one
// expression. Every walk of a tree recurses once per level, Go cannot
// recover from running out of stack, and some walks cost the height of
// what they walk at each level, so a file nested deeper is refused rather
// than analysed. Over the 59,952 C files of the 6.12 tree, the walks nest
// at most 128 levels (a BPF selftest header; 103 in lib/crypto's else-if
// chains) and the tallest expression is 56 levels (rtnetlink.c).
const (
	MaxNesting    = 1000
	MaxExprHeight = 256
)

// ErrTooDeep is returned for a file whose syntax nests deeper than
// MaxNesting, or an expression taller than MaxExprHeight.
var ErrTooDeep = errors.New("syntax nested too deeply")

func parseExprWith(sc *exprScratch, src []byte, start, end int, types TypeNames) *Expr {
	var toks []token
	if sc != nil {
		sc.toks = lexInto(sc.toks, src, sc.str, start, end)
		toks = sc.toks
	} else {
		toks = lex(src, start, end)
	}
	p := &exprParser{toks: toks, types: types}
	e := p.parseComma()
	var h int
	if sc != nil {
		h = height(e, MaxExprHeight, &sc.stack)
		sc.height = max(sc.height, h)
	} else {
		h = height(e, MaxExprHeight, new([]heightItem))
	}
	if p.tooDeep || h > MaxExprHeight {
		// The caller learns it through the scratch; an expression of its
		// own gets nothing deeper than a bad node to walk.
		if sc != nil {
			sc.tooDeep = true
		}
		pos := 0
		if len(toks) > 0 {
			pos = toks[0].pos
		}
		return &Expr{Kind: EBad, Pos: pos}
	}
	// Juxtaposed leftovers (macro-glued strings, unknown syntax): keep the
	// calls inside them reachable by folding everything into a comma list.
	if p.i < len(p.toks) {
		list := []*Expr{e}
		for p.i < len(p.toks) {
			before := p.i
			x := p.parseComma()
			if x != nil && x.Kind != EBad {
				list = append(list, x)
			}
			if p.i == before {
				p.i++
			}
		}
		return &Expr{Kind: EComma, Args: list, Pos: e.Pos}
	}
	return e
}

// TypeNames tells the parser which identifiers name types, so that casts
// and type arguments of macros are recognised.
type TypeNames interface {
	IsType(name string) bool
}

type exprParser struct {
	toks  []token
	i     int
	types TypeNames
	// depth counts the parse functions active; past MaxExprHeight the parse
	// stops (tooDeep) instead of recursing on.
	depth   int
	tooDeep bool
}

// enter counts one more level of recursion, to be undone by leave: a
// level of the tree the parse builds, not a call of a parse function (a
// parenthesis goes through four of them). Past
// MaxExprHeight it abandons the parse: every token is taken as read, so
// every caller returns at once.
func (p *exprParser) enter() bool {
	if p.depth == MaxExprHeight {
		p.tooDeep = true
		p.i = len(p.toks)
		return false
	}
	p.depth++
	return true
}

func (p *exprParser) leave() { p.depth-- }

// height is how many levels an expression nests, counted up to one past
// limit. Chains built by loops (a + b + c ..., a->b->c ...) are as tall
// as they are long without deep recursion in the parser, so the height
// is measured on the result, with a stack of its own rather than Go's;
// stack is that stack's memory, kept between calls.
func height(e *Expr, limit int, stack *[]heightItem) int {
	most := 0
	st := append((*stack)[:0], heightItem{e, 1})
	defer func() { *stack = st[:0] }()
	for len(st) > 0 {
		it := st[len(st)-1]
		st = st[:len(st)-1]
		x := it.e
		if x == nil {
			continue
		}
		most = max(most, it.h)
		if it.h > limit {
			return it.h
		}
		if x.X != nil {
			st = append(st, heightItem{x.X, it.h + 1})
		}
		if x.Y != nil {
			st = append(st, heightItem{x.Y, it.h + 1})
		}
		if x.Z != nil {
			st = append(st, heightItem{x.Z, it.h + 1})
		}
		for _, a := range x.Args {
			st = append(st, heightItem{a, it.h + 1})
		}
	}
	return most
}

type heightItem struct {
	e *Expr
	h int
}

func (p *exprParser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tEOF}
}

func (p *exprParser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return token{kind: tEOF}
}

func (p *exprParser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *exprParser) accept(s string) bool {
	if p.isPunct(s) {
		p.i++
		return true
	}
	return false
}

func (p *exprParser) pos() int {
	if p.i < len(p.toks) {
		return p.toks[p.i].pos
	}
	if len(p.toks) > 0 {
		return p.toks[len(p.toks)-1].pos
	}
	return 0
}

func (p *exprParser) parseComma() *Expr {
	e := p.parseAssign()
	if !p.isPunct(",") {
		return e
	}
	list := []*Expr{e}
	for p.accept(",") {
		list = append(list, p.parseAssign())
	}
	return &Expr{Kind: EComma, Args: list, Pos: e.Pos}
}

var assignOps = map[string]bool{"=": true, "+=": true, "-=": true, "*=": true, "/=": true,
	"%=": true, "&=": true, "|=": true, "^=": true, "<<=": true, ">>=": true}

func (p *exprParser) parseAssign() *Expr {
	e := p.parseCond()
	if t := p.peek(); t.kind == tPunct && assignOps[t.text] {
		p.i++
		if !p.enter() {
			return &Expr{Kind: EBad, Pos: e.Pos}
		}
		r := p.parseAssign()
		p.leave()
		return &Expr{Kind: EAssign, Op: t.text, X: e, Y: r, Pos: e.Pos}
	}
	return e
}

func (p *exprParser) parseCond() *Expr {
	c := p.parseBinary(0)
	if !p.accept("?") {
		return c
	}
	var y *Expr
	if !p.isPunct(":") {
		y = p.parseComma()
	}
	p.accept(":")
	if !p.enter() {
		return &Expr{Kind: EBad, Pos: c.Pos}
	}
	z := p.parseCond()
	p.leave()
	return &Expr{Kind: ECond, X: c, Y: y, Z: z, Pos: c.Pos}
}

var binPrec = map[string]int{
	"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
	"<": 7, ">": 7, "<=": 7, ">=": 7, "<<": 8, ">>": 8,
	"+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}

func (p *exprParser) parseBinary(min int) *Expr {
	left := p.parseUnary()
	for {
		t := p.peek()
		prec, ok := binPrec[t.text]
		if t.kind != tPunct || !ok || prec <= min {
			return left
		}
		p.i++
		right := p.parseBinary(prec)
		left = &Expr{Kind: EBinary, Op: t.text, X: left, Y: right, Pos: left.Pos}
	}
}

var typeKeywords = map[string]bool{
	"struct": true, "union": true, "enum": true, "const": true, "volatile": true,
	"unsigned": true, "signed": true, "int": true, "char": true, "short": true,
	"long": true, "void": true, "float": true, "double": true, "_Bool": true,
	"bool": true, "typeof": true, "__typeof__": true, "__typeof": true,
	"restrict": true, "__restrict": true, "_Atomic": true,
}

func (p *exprParser) isTypeName(s string) bool {
	if typeKeywords[s] {
		return true
	}
	if p.types != nil && p.types.IsType(s) {
		return true
	}
	return false
}

// looksLikeTypeAt reports whether a type name starts at token k and ends
// before the closing parenthesis (a cast or sizeof operand).
func (p *exprParser) castAhead() bool {
	t := p.peekAt(1)
	if t.kind != tIdent || !p.isTypeName(t.text) {
		return false
	}
	// Scan to the matching ')' and make sure only type tokens are inside.
	depth := 0
	for k := 1; ; k++ {
		x := p.peekAt(k)
		switch {
		case x.kind == tEOF:
			return false
		case x.kind == tPunct && x.text == "(":
			depth++
		case x.kind == tPunct && x.text == ")":
			if depth == 0 {
				return true
			}
			depth--
		case x.kind == tPunct && depth == 0 && x.text != "*" && x.text != "[" && x.text != "]":
			return false
		case x.kind == tNumber && depth == 0:
			return false
		}
	}
}

func (p *exprParser) parseUnary() *Expr {
	if !p.enter() {
		return &Expr{Kind: EBad, Pos: p.pos()}
	}
	defer p.leave()
	t := p.peek()
	pos := t.pos
	if t.kind == tPunct {
		switch t.text {
		case "!", "~", "-", "+", "*", "&", "++", "--", "&&":
			p.i++
			x := p.parseUnary()
			return &Expr{Kind: EUnary, Op: t.text, X: x, Pos: pos}
		case "(":
			if p.peekAt(1).kind == tPunct && p.peekAt(1).text == "{" {
				return p.parsePostfix(p.parseStmtExpr())
			}
			if p.castAhead() {
				p.i++
				name := p.typeText(")")
				p.accept(")")
				if p.isPunct("{") {
					// compound literal
					init := p.parseInit()
					return p.parsePostfix(&Expr{Kind: ECast, Name: name, X: init, Pos: pos})
				}
				x := p.parseUnary()
				return &Expr{Kind: ECast, Name: name, X: x, Pos: pos}
			}
		}
	}
	if t.kind == tIdent {
		switch t.text {
		case "sizeof", "_Alignof", "__alignof__", "alignof":
			p.i++
			if p.isPunct("(") && p.castAhead() {
				p.i++
				name := p.typeText(")")
				p.accept(")")
				return &Expr{Kind: ESizeof, Op: "sizeof", X: &Expr{Kind: EType, Name: name, Pos: pos}, Pos: pos}
			}
			x := p.parseUnary()
			return &Expr{Kind: ESizeof, Op: "sizeof", X: x, Pos: pos}
		}
	}
	return p.parsePostfix(p.parsePrimary())
}

// typeText consumes tokens up to (not including) the closing delimiter at
// depth 0 and returns them as a type name.
func (p *exprParser) typeText(closer string) string {
	var parts []string
	depth := 0
	for {
		t := p.peek()
		if t.kind == tEOF {
			break
		}
		if t.kind == tPunct {
			if depth == 0 && (t.text == closer || t.text == "," || t.text == ";") {
				break
			}
			if t.text == "(" || t.text == "[" {
				depth++
			} else if t.text == ")" || t.text == "]" {
				depth--
			}
		}
		parts = append(parts, t.text)
		p.i++
	}
	return strings.Join(parts, " ")
}

func (p *exprParser) parseStmtExpr() *Expr {
	pos := p.pos()
	p.i += 2 // "(" "{"
	var list []*Expr
	depth := 0
	for p.i < len(p.toks) {
		t := p.peek()
		if t.kind == tPunct {
			switch t.text {
			case "}":
				if depth == 0 {
					p.i++
					p.accept(")")
					return &Expr{Kind: EStmtExpr, Args: list, Pos: pos}
				}
				depth--
				p.i++
				continue
			case "{":
				depth++
				p.i++
				continue
			case ";":
				p.i++
				continue
			}
		}
		if t.kind == tIdent && (t.text == "if" || t.text == "while" || t.text == "for" ||
			t.text == "return" || t.text == "do" || t.text == "else" || t.text == "switch") {
			p.i++
			continue
		}
		if t.kind == tIdent && p.isTypeName(t.text) {
			p.skipDeclSpecifiers()
		}
		before := p.i
		x := p.parseComma()
		if x.Kind != EBad {
			list = append(list, x)
		}
		if p.i == before {
			p.i++
		}
	}
	return &Expr{Kind: EStmtExpr, Args: list, Pos: pos}
}

// skipDeclSpecifiers moves past the type of a declaration inside a
// statement expression to its declarator, so that "int r = f(x);" reads as
// "r = f(x)" instead of one type name swallowing the rest of the block.
func (p *exprParser) skipDeclSpecifiers() {
	last, depth := -1, 0
	for k := p.i; k < len(p.toks); k++ {
		t := p.toks[k]
		if t.kind == tIdent && depth == 0 {
			last = k
			continue
		}
		if t.kind != tPunct {
			continue
		}
		switch t.text {
		case "(", "[":
			depth++
		case ")", "]":
			depth--
		case "=", ";", "}", "{":
			if depth == 0 {
				if last > p.i {
					p.i = last
				}
				return
			}
		}
		if depth < 0 {
			return
		}
	}
}

func (p *exprParser) parseInit() *Expr {
	if !p.enter() {
		return &Expr{Kind: EBad, Pos: p.pos()}
	}
	defer p.leave()
	pos := p.pos()
	p.accept("{")
	var list []*Expr
	for !p.isPunct("}") && p.i < len(p.toks) {
		// designators: .a = x, [i] = x, .a.b[2] = x
		save := p.i
		if p.isPunct(".") || p.isPunct("[") {
			for p.isPunct(".") || p.isPunct("[") {
				if p.accept(".") {
					p.i++
				} else {
					p.i++
					p.parseComma()
					p.accept("]")
				}
			}
			if !p.accept("=") {
				p.i = save
			}
		}
		before := p.i
		var x *Expr
		if p.isPunct("{") {
			x = p.parseInit()
		} else {
			x = p.parseAssign()
		}
		list = append(list, x)
		if !p.accept(",") && p.i == before {
			p.i++
		}
	}
	p.accept("}")
	return &Expr{Kind: EInit, Args: list, Pos: pos}
}

func (p *exprParser) parsePrimary() *Expr {
	t := p.peek()
	switch t.kind {
	case tIdent:
		p.i++
		if p.isTypeName(t.text) && (t.text == "struct" || t.text == "union" || t.text == "enum" ||
			typeKeywords[t.text]) {
			// A type as a macro argument (container_of, list_entry, ...).
			p.i--
			name := p.typeText(")")
			return &Expr{Kind: EType, Name: name, Pos: t.pos}
		}
		return &Expr{Kind: EIdent, Name: t.text, Pos: t.pos}
	case tNumber, tChar:
		p.i++
		return &Expr{Kind: ENumber, Name: t.text, Pos: t.pos}
	case tString:
		p.i++
		s := t.text
		// adjacent literals and macro-glued pieces: "a" KERN_INFO "b"
		for p.peek().kind == tString || p.peek().kind == tIdent && p.peekAt(1).kind == tString && isUpperIdent(p.peek().text) {
			p.i++
		}
		return &Expr{Kind: EString, Name: s, Pos: t.pos}
	case tPunct:
		switch t.text {
		case "(":
			p.i++
			x := p.parseComma()
			p.accept(")")
			return &Expr{Kind: EParen, X: x, Pos: t.pos}
		case "{":
			return p.parseInit()
		}
	}
	if t.kind != tEOF {
		p.i++
	}
	return &Expr{Kind: EBad, Pos: t.pos}
}

func isUpperIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c == '_' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (p *exprParser) parsePostfix(x *Expr) *Expr {
	for {
		t := p.peek()
		if t.kind != tPunct {
			return x
		}
		switch t.text {
		case "(":
			p.i++
			var args []*Expr
			for !p.isPunct(")") && p.i < len(p.toks) {
				before := p.i
				args = append(args, p.parseArg())
				if !p.accept(",") && !p.isPunct(")") {
					// Unreadable argument text: skip to the next comma or ')'.
					p.skipArg()
				}
				if p.i == before {
					p.i++
				}
			}
			p.accept(")")
			x = &Expr{Kind: ECall, X: x, Args: args, Pos: x.Pos}
		case "[":
			p.i++
			idx := p.parseComma()
			p.accept("]")
			x = &Expr{Kind: EIndex, X: x, Y: idx, Pos: x.Pos}
		case ".", "->":
			p.i++
			n := p.peek()
			name := ""
			if n.kind == tIdent {
				name = n.text
				p.i++
			}
			x = &Expr{Kind: EField, Op: t.text, X: x, Name: name, Pos: x.Pos}
		case "++", "--":
			p.i++
			x = &Expr{Kind: EPostfix, Op: t.text, X: x, Pos: x.Pos}
		default:
			return x
		}
	}
}

// parseArg reads one macro or function argument; macro arguments may be
// types or bare statements (scoped_cond_guard's "return -EINTR").
func (p *exprParser) parseArg() *Expr {
	t := p.peek()
	if t.kind == tIdent && p.isTypeName(t.text) && p.argIsType() {
		name := p.typeText(")")
		return &Expr{Kind: EType, Name: name, Pos: t.pos}
	}
	if t.kind == tIdent && (t.text == "return" || t.text == "goto" || t.text == "break" || t.text == "continue") {
		p.i++
		var x *Expr
		if !p.isPunct(",") && !p.isPunct(")") {
			x = p.parseAssign()
		}
		return &Expr{Kind: EUnary, Op: t.text + " ", X: x, Pos: t.pos}
	}
	return p.parseAssign()
}

// argIsType reports whether the tokens up to the next top-level ',' or ')'
// form a type name: only identifiers, '*' and bracketed parts.
func (p *exprParser) argIsType() bool {
	depth := 0
	for k := 0; ; k++ {
		x := p.peekAt(k)
		switch {
		case x.kind == tEOF:
			return true
		case x.kind == tPunct && (x.text == "(" || x.text == "["):
			depth++
		case x.kind == tPunct && (x.text == ")" || x.text == "]"):
			if depth == 0 {
				return true
			}
			depth--
		case depth == 0 && x.kind == tPunct && x.text == ",":
			return true
		case depth == 0 && x.kind == tPunct && x.text != "*":
			return false
		case depth == 0 && (x.kind == tNumber || x.kind == tString):
			return false
		}
	}
}

func (p *exprParser) skipArg() {
	depth := 0
	for p.i < len(p.toks) {
		t := p.peek()
		if t.kind == tPunct {
			switch t.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return
				}
				depth--
			case ",":
				if depth == 0 {
					p.i++
					return
				}
			}
		}
		p.i++
	}
}
