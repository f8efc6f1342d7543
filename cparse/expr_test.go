// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"fmt"
	"strings"
	"testing"
)

// testTypes is a TypeNames for expression tests: a few kernel types plus
// the *_t convention the real parser follows.
type testTypes map[string]bool

func (t testTypes) IsType(s string) bool {
	return t[s] || strings.HasSuffix(s, "_t") && len(s) > 2
}

var exprTypes = testTypes{"u32": true, "u64": true, "bool": true}

func parse(s string) *Expr {
	return ParseExpr([]byte(s), 0, len(s), exprTypes)
}

// tree renders an expression with its node kinds, so that tests check the
// shape the parser built and not only the canonical text.
func tree(e *Expr) string {
	if e == nil {
		return "nil"
	}
	list := func(head string, xs ...*Expr) string {
		parts := []string{head}
		for _, x := range xs {
			parts = append(parts, tree(x))
		}
		return "(" + strings.Join(parts, " ") + ")"
	}
	switch e.Kind {
	case EIdent:
		return e.Name
	case ENumber:
		return "#" + e.Name
	case EString:
		return "str:" + e.Name
	case EType:
		return "type:" + e.Name
	case ECall:
		return list("call", append([]*Expr{e.X}, e.Args...)...)
	case EUnary:
		return list("pre"+strings.TrimSpace(e.Op), e.X)
	case EPostfix:
		return list("post"+e.Op, e.X)
	case EBinary:
		return list(e.Op, e.X, e.Y)
	case EAssign:
		return list("assign"+e.Op, e.X, e.Y)
	case ECond:
		return list("?:", e.X, e.Y, e.Z)
	case EField:
		return list(e.Op+e.Name, e.X)
	case EIndex:
		return list("[]", e.X, e.Y)
	case ECast:
		return list("cast:"+e.Name, e.X)
	case ESizeof:
		return list(e.Op, e.X)
	case EParen:
		return list("paren", e.X)
	case EComma:
		return list(",", e.Args...)
	case EInit:
		return list("init", e.Args...)
	case EStmtExpr:
		return list("stmtexpr", e.Args...)
	case EBad:
		return "BAD"
	}
	return fmt.Sprintf("kind%d", e.Kind)
}

func callNames(e *Expr) []string {
	var out []string
	for _, c := range e.Calls() {
		out = append(out, c.String())
	}
	return out
}

func TestParseExprShapes(t *testing.T) {
	cases := []struct{ src, tree, str string }{
		// calls with nested calls
		{"f(g(x), h(i(y)))", "(call f (call g x) (call h (call i y)))", "f(g(x), h(i(y)))"},
		{"f()(x)", "(call (call f) x)", "f()(x)"},
		{"x->ops->lock(x)", "(call (->lock (->ops x)) x)", "x->ops->lock(x)"},
		// casts against parenthesised expressions
		{"(struct foo *)x", "(cast:struct foo * x)", "(struct foo *)x"},
		{"(u32)x + 1", "(+ (cast:u32 x) #1)", "(u32)x + 1"},
		{"(size_t)-1", "(cast:size_t (pre- #1))", "(size_t)-1"},
		{"(void)f(x)", "(cast:void (call f x))", "(void)f(x)"},
		{"(x) + 1", "(+ (paren x) #1)", "(x) + 1"},
		{"(x)(y)", "(call (paren x) y)", "(x)(y)"},
		{"(a * b)", "(paren (* a b))", "(a * b)"},
		// type arguments of macros
		{"container_of(p, struct foo, member)", "(call container_of p type:struct foo member)", "container_of(p, struct foo, member)"},
		{"list_first_entry(h, struct foo, list)", "(call list_first_entry h type:struct foo list)", ""},
		{"kmalloc_array(n, sizeof(u64), GFP_KERNEL)", "(call kmalloc_array n (sizeof type:u64) GFP_KERNEL)", ""},
		{"DECLARE_BITMAP(b, unsigned long *)", "(call DECLARE_BITMAP b type:unsigned long *)", ""},
		// typedef names are types as whole arguments only
		{"list_entry(p, foo_t, list)", "(call list_entry p type:foo_t list)", ""},
		{"va_arg(ap, u32 *)", "(call va_arg ap type:u32 *)", ""},
		{"f(len_t + 1, u32)", "(call f (+ len_t #1) type:u32)", ""},
		// sizeof
		{"sizeof(struct x)", "(sizeof type:struct x)", "sizeof(struct x)"},
		{"sizeof(struct x) * n", "(* (sizeof type:struct x) n)", "sizeof(struct x) * n"},
		{"sizeof x", "(sizeof x)", "sizeof(x)"},
		{"sizeof(*p)", "(sizeof (paren (pre* p)))", ""},
		// member chains
		{"&a->b.c[i]", "(pre& ([] (.c (->b a)) i))", "&a->b.c[i]"},
		{"*p++", "(pre* (post++ p))", "*p++"},
		{"p->q--", "(post-- (->q p))", "p->q--"},
		// precedence
		{"a && b || c", "(|| (&& a b) c)", "a && b || c"},
		{"a || b && c", "(|| a (&& b c))", "a || b && c"},
		{"x & FLAG", "(& x FLAG)", "x & FLAG"},
		{"x & FLAG == 0", "(& x (== FLAG #0))", ""},
		{"a + b * c - d", "(- (+ a (* b c)) d)", ""},
		{"!a && b", "(&& (pre! a) b)", "!a && b"},
		{"-a * b", "(* (pre- a) b)", ""},
		{"a << 2 | b", "(| (<< a #2) b)", ""},
		// conditionals
		{"a ? b : c", "(?: a b c)", "a ? b : c"},
		{"a ?: c", "(?: a nil c)", "a ?: c"},
		{"a ? b : c ? d : e", "(?: a b (?: c d e))", ""},
		{"a || b ? f(x) : g(y)", "(?: (|| a b) (call f x) (call g y))", ""},
		// assignments
		{"x = y", "(assign= x y)", "x = y"},
		{"a = b = c", "(assign= a (assign= b c))", "a = b = c"},
		{"x += f(y)", "(assign+= x (call f y))", "x += f(y)"},
		{"x->flags |= FLAG", "(assign|= (->flags x) FLAG)", "x->flags |= FLAG"},
		{"v <<= 2", "(assign<<= v #2)", ""},
		{"x = a ? b : c", "(assign= x (?: a b c))", ""},
		// comma
		{"a, b, f(c)", "(, a b (call f c))", "a, b, f(c)"},
		{"f((a, b))", "(call f (paren (, a b)))", ""},
		// compound literals and initialisers
		{"(struct foo){ .a = 1, .b = f(x) }", "(cast:struct foo (init #1 (call f x)))", "(struct foo){...}"},
		{"(struct foo){ 0 }.a", "(.a (cast:struct foo (init #0)))", ""},
		{"{ [0] = a, .b.c[2] = g() }", "(init a (call g))", "{...}"},
		// strings
		{`"a" "b"`, `str:"a"`, `"a"`},
		{`"a" KERN_CONT "b"`, `str:"a"`, ""},
		{`'x'`, `#'x'`, ""},
		// macro arguments that are statements
		{"scoped_cond_guard(mutex_intr, return -EINTR, &l)", "(call scoped_cond_guard mutex_intr (prereturn (pre- EINTR)) (pre& l))", "scoped_cond_guard(mutex_intr, return -EINTR, &l)"},
		{"m(goto out, x)", "(call m (pregoto out) x)", ""},
		{"m(break)", "(call m (prebreak nil))", ""},
		// GNU label address
		{"&&lbl", "(pre&& lbl)", ""},
		// comments and preprocessor lines inside the text
		{"f(a, /* b, */ c)", "(call f a c)", "f(a, c)"},
		{"f(a,\n#ifdef X\n b,\n#endif\n c)", "(call f a b c)", ""},
	}
	for _, c := range cases {
		e := parse(c.src)
		if got := tree(e); got != c.tree {
			t.Errorf("ParseExpr(%q)\n got tree %s\nwant tree %s", c.src, got, c.tree)
		}
		if c.str != "" {
			if got := e.String(); got != c.str {
				t.Errorf("ParseExpr(%q).String() = %q, want %q", c.src, got, c.str)
			}
		}
	}
}

func TestParseExprSpacingCanonical(t *testing.T) {
	// Two spellings of one expression render the same.
	pairs := [][2]string{
		{"&x->lock", "& x -> lock"},
		{"spin_lock(&p->a[i].l)", "spin_lock ( & p->a [ i ] . l )"},
		{"a&&b||c", "a && b || c"},
		{"(struct foo*)x", "( struct foo * ) x"},
	}
	for _, p := range pairs {
		a, b := parse(p[0]).String(), parse(p[1]).String()
		if a != b {
			t.Errorf("%q renders %q but %q renders %q", p[0], a, p[1], b)
		}
	}
}

func TestParseExprCastNeedsKnownType(t *testing.T) {
	// (foo)x is a cast only when foo names a type: unknown identifiers in
	// parentheses stay parenthesised expressions, and the *_t convention
	// and the TypeNames argument decide.
	for _, c := range []struct {
		src  string
		cast bool
	}{
		{"(foo)x", false},
		{"(foo_t)x", true},
		{"(u32)x", true},
		{"(unsigned long)x", true},
		{"(struct foo)x", true},
		{"(x)-1", false},
		{"(u32)", true},
	} {
		e := parse(c.src)
		if got := e.Kind == ECast; got != c.cast {
			t.Errorf("ParseExpr(%q) = %s, cast %v, want %v", c.src, tree(e), got, c.cast)
		}
	}
	// Without type names only keywords start a cast.
	s := "(u32)x"
	if e := ParseExpr([]byte(s), 0, len(s), nil); e.Kind == ECast {
		t.Errorf("without TypeNames (u32)x parsed as a cast: %s", tree(e))
	}
}

func TestCallsEvaluationOrder(t *testing.T) {
	cases := []struct {
		src   string
		calls []string
	}{
		{"f(g(x), h(i(y)))", []string{"g(x)", "i(y)", "h(i(y))", "f(g(x), h(i(y)))"}},
		// the callee expression is evaluated before the arguments
		{"get_ops(d)->lock(a(x))", []string{"get_ops(d)", "a(x)", "get_ops(d)->lock(a(x))"}},
		{"f()(g())", []string{"f()", "g()", "f()(g())"}},
		// sizeof and type operands are not evaluated
		{"f(sizeof(g(x)))", []string{"f(sizeof((g(x))))"}},
		{"x = a(b(), c()) + d()", []string{"b()", "c()", "a(b(), c())", "d()"}},
		{"p ? f(x) : g(y)", []string{"f(x)", "g(y)"}},
		// calls inside statement expressions and compound literals stay reachable
		{"({ spin_lock(&l); r = f(x); spin_unlock(&l); r; })", []string{"spin_lock(&l)", "f(x)", "spin_unlock(&l)"}},
		{"({ int __r = f(x); g(__r); })", []string{"f(x)", "g(__r)"}},
		{"({ unsigned long flags; spin_lock_irqsave(&l, flags); flags; })", []string{"spin_lock_irqsave(&l, flags)"}},
		{"({ struct foo *p = get(x); put(p); p; })", []string{"get(x)", "put(p)"}},
		{"({ typeof(x) _x = (x); f(_x); })", []string{"f(_x)"}},
		{"({ u32 a = f(), b = g(); a + b; })", []string{"f()", "g()"}},
		{"({ void (*fp)(void) = pick(); fp(); })", []string{"fp()"}},
		{"(struct foo){ .a = f(x) }", []string{"f(x)"}},
		// GNU range designators are not read as designators, but the
		// initialiser's calls stay reachable
		{"{ [1 ... 3] = g() }", []string{"g()"}},
		// macro-glued string literals do not hide the other arguments
		{`printk(KERN_INFO "x %d\n", f(v))`, []string{"f(v)", `printk(KERN_INFO, f(v))`}},
	}
	for _, c := range cases {
		got := callNames(parse(c.src))
		if strings.Join(got, " | ") != strings.Join(c.calls, " | ") {
			t.Errorf("Calls(%q)\n got %q\nwant %q", c.src, got, c.calls)
		}
	}
}

func TestStringConcatenationKeepsArguments(t *testing.T) {
	// Adjacent literals and upper-case macros glued between them are one
	// argument: the argument count and the later arguments survive.
	for _, src := range []string{
		`printk(KERN_INFO "x %d\n", v)`,
		`pr_info("a" "b" "c", v)`,
		`pr_info("a" KERN_CONT "b", v)`,
		`printk(KERN_ERR "%s" "%d" "\n", v)`,
	} {
		e := parse(src)
		if e.Kind != ECall || len(e.Args) != 2 {
			t.Errorf("ParseExpr(%q) = %s, want a call with 2 arguments", src, tree(e))
			continue
		}
		if a := e.Args[1]; a.Kind != EIdent || a.Name != "v" {
			t.Errorf("ParseExpr(%q): second argument %s, want v", src, tree(a))
		}
	}
	e := parse(`"a" KERN_CONT "b"`)
	if e.Kind != EString {
		t.Errorf(`"a" KERN_CONT "b" = %s, want one string`, tree(e))
	}
}

func TestParseExprStatementExpression(t *testing.T) {
	e := parse("({ int __r = f(x); g(__r); __r; })")
	if e.Kind != EStmtExpr {
		t.Fatalf("got %s, want a statement expression", tree(e))
	}
	if got, want := tree(e), "(stmtexpr (assign= __r (call f x)) (call g __r) __r)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if e.String() != "({...})" {
		t.Errorf("String() = %q", e.String())
	}
	// Control flow keywords inside are skipped, their expressions kept.
	e = parse("({ if (a(x)) b(); else c(); while (d()) ; })")
	if got, want := strings.Join(callNames(e), " "), "a(x) b() c() d()"; got != want {
		t.Errorf("calls %q, want %q", got, want)
	}
	// Nested braces do not end the statement expression early.
	e = parse("x = ({ { f(); } g(); }) + h()")
	if got, want := strings.Join(callNames(e), " "), "f() g() h()"; got != want {
		t.Errorf("calls %q, want %q", got, want)
	}
}

func TestParseExprPositions(t *testing.T) {
	// Positions are file offsets even when the expression starts inside
	// the file.
	src := []byte("xx = foo(bar, &baz->q);")
	e := ParseExpr(src, 5, 22, nil)
	if e.Kind != ECall || e.Pos != 5 {
		t.Fatalf("got %s at %d, want a call at 5", tree(e), e.Pos)
	}
	if e.Args[0].Pos != 9 || e.Args[1].Pos != 14 {
		t.Errorf("argument positions %d, %d, want 9, 14", e.Args[0].Pos, e.Args[1].Pos)
	}
	// Only the given range is read.
	if e := ParseExpr(src, 0, 2, nil); e.Kind != EIdent || e.Name != "xx" {
		t.Errorf("ParseExpr(src, 0, 2) = %s, want xx", tree(e))
	}
}

func TestParseExprGarbageNeverPanics(t *testing.T) {
	inputs := []string{
		"", " ", ")", "(", "((((", "))))", "?", ":", "? :", "a ?", "a ? b", "f(", "f(,,)", "f(a,",
		"[", "]", "{", "}", "({", "({ x", "(struct", "(struct foo *", "sizeof", "sizeof(", "sizeof(struct",
		"->", "a->", "a.", ".", "...", "##", "#", "\\", "\"", "'", "/*", "//", "a b c d", "1 2 3",
		"return", "f(return)", "=", "a =", "= b", "++", "--", "& & &", "* * *", ")))((( ++ -- ?: ::",
		"container_of(p, struct", "(u32){", "{ .a = ", "{ [", "({ { ( [ ", "\x00\x01\xff", "a ? b : c : d",
		"f(x) g(y) h(z)", "if (x) y", "int x = 1;", "struct foo { int a; };",
		// a backslash as the last byte of an unterminated literal
		"00\"0000\\", "f('\\", "L\"\\",
	}
	for _, s := range inputs {
		e := ParseExpr([]byte(s), 0, len(s), exprTypes)
		if e == nil {
			t.Errorf("ParseExpr(%q) = nil", s)
			continue
		}
		_ = e.String()
		_ = e.Calls()
		_ = e.Idents()
	}
	// Leftovers after a complete expression are kept, so their calls stay
	// reachable.
	e := parse("f(x) g(y) h(z)")
	if got := strings.Join(callNames(e), " "); got != "f(x) g(y) h(z)" {
		t.Errorf("juxtaposed calls: got %q (%s)", got, tree(e))
	}
	if e := parse(""); e.Kind != EBad {
		t.Errorf("empty input gives %s, want EBad", tree(e))
	}
}

func TestIdents(t *testing.T) {
	cases := []struct {
		src    string
		idents string
	}{
		// field names are not identifiers read
		{"&a->b.c[i]", "a i"},
		// a called function's name is not a variable read; a function
		// pointer's path is
		{"f(x, y)", "x y"},
		{"ops->fn(x)", "ops x"},
		// sizeof and type arguments read nothing
		{"sizeof(x) + y", "y"},
		{"container_of(p, struct foo, member)", "p member"},
		{"(struct foo *)p", "p"},
		{"a ? b : c", "a b c"},
	}
	for _, c := range cases {
		e := parse(c.src)
		if got := strings.Join(e.Idents(), " "); got != c.idents {
			t.Errorf("Idents(%q) = %q, want %q", c.src, got, c.idents)
		}
		// Reads agrees with Idents, on what it reads and what it does not.
		read := map[string]bool{}
		for _, id := range strings.Fields(c.idents) {
			read[id] = true
			if !e.Reads(id) {
				t.Errorf("Reads(%q, %q) = false, want true", c.src, id)
			}
		}
		for _, id := range []string{"f", "b", "c", "fn", "x", "foo", "container_of"} {
			if !read[id] && e.Reads(id) {
				t.Errorf("Reads(%q, %q) = true, want false", c.src, id)
			}
		}
	}
}

func TestStripAndCallName(t *testing.T) {
	cases := []struct{ src, strip, call string }{
		{"((struct foo *)(x))", "x", ""},
		{"(void)f(x)", "f(x)", ""},
		{"f(x)", "f(x)", "f"},
		{"(f)(x)", "(f)(x)", "f"},
		{"((f))(x)", "((f))(x)", "f"},
		{"ops->f(x)", "ops->f(x)", ""},
		{"f(x)(y)", "f(x)(y)", ""},
		{"x", "x", ""},
	}
	for _, c := range cases {
		e := parse(c.src)
		if got := e.Strip().String(); got != c.strip {
			t.Errorf("Strip(%q) = %q, want %q", c.src, got, c.strip)
		}
		if got := e.CallName(); got != c.call {
			t.Errorf("CallName(%q) = %q, want %q", c.src, got, c.call)
		}
	}
	var nilExpr *Expr
	if nilExpr.Strip() != nil || nilExpr.CallName() != "" || nilExpr.String() != "" {
		t.Error("nil Expr methods")
	}
}

func TestSubst(t *testing.T) {
	m := map[string]*Expr{
		"p":   parse("&dev->priv"),
		"l":   parse("&x"),
		"sem": parse("s"),
		"f":   parse("other"),
	}
	cases := []struct{ src, want string }{
		// (&x)->f folds into x.f
		{"p->lock", "dev->priv.lock"},
		{"&p->lock", "&dev->priv.lock"},
		{"p->a->b", "dev->priv.a->b"},
		// *&x is x
		{"*l", "x"},
		{"*(l)", "x"},
		{"spin_lock(l)", "spin_lock(&x)"},
		// a direct call's function name is not substituted, its arguments are
		{"f(sem)", "f(s)"},
		{"g(f)", "g(other)"},
		// field names are not identifiers
		{"q->p", "q->p"},
		{"a ? p : sem", "a ? &dev->priv : s"},
	}
	for _, c := range cases {
		e := parse(c.src)
		before := e.String()
		if got := e.Subst(m).String(); got != c.want {
			t.Errorf("Subst(%q) = %q, want %q", c.src, got, c.want)
		}
		if e.String() != before {
			t.Errorf("Subst modified its receiver: %q became %q", before, e.String())
		}
	}
	fold := parse("p->lock").Subst(m)
	if fold.Kind != EField || fold.Op != "." || fold.X.Kind != EField || fold.X.Name != "priv" {
		t.Errorf("folded path has shape %s", tree(fold))
	}
	var nilExpr *Expr
	if nilExpr.Subst(m) != nil {
		t.Error("Subst of nil is not nil")
	}
}

func TestWalkSkipsChildren(t *testing.T) {
	e := parse("f(g(x), y)")
	var seen []string
	e.Walk(func(x *Expr) bool {
		seen = append(seen, tree(x))
		return x.Kind != ECall || x.CallName() != "g"
	})
	if got := strings.Join(seen, " "); got != "(call f (call g x) y) f (call g x) y" {
		t.Errorf("Walk visited %s", got)
	}
}

func TestValueIdents(t *testing.T) {
	v := ValueIdents([]byte("static void (*hook)(void) = handler; int f(void) { return g(x); }"))
	for _, want := range []string{"hook", "handler", "x", "int"} {
		if !v[want] {
			t.Errorf("ValueIdents lacks %q: %v", want, v)
		}
	}
	for _, not := range []string{"f", "g"} {
		if v[not] {
			t.Errorf("ValueIdents has the called %q", not)
		}
	}
}
