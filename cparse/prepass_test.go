// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/c"
)

// prepassDialect is a small dialect written out here, so that these tests
// check the pre-pass itself and not the contents of rules.yaml.
func prepassDialect() *Dialect {
	return &Dialect{
		Attributes:         map[string]bool{"__init": true, "__must_check": true, "__user": true, "__rcu": true, "noinline": true},
		AttributesWithArgs: map[string]bool{"__aligned": true, "__printf": true},
		Annotations:        map[string]string{"__acquires": "acquires", "__releases": "releases", "__must_hold": "must_hold"},
		BlockMacros:        []string{"*for_each*", "scoped_guard"},
		LockWords:          map[string]bool{"spin_lock": true, "mutex_unlock": true},
	}
}

func runPrepass(src string) prepassResult {
	return prepass([]byte(src), prepassDialect(), testTypes{})
}

// checkLayout checks that the rewritten text keeps every offset and line.
func checkLayout(t *testing.T, in string, out []byte) {
	t.Helper()
	if len(out) != len(in) {
		t.Fatalf("pre-pass changed the length: %d -> %d", len(in), len(out))
	}
	for i := 0; i < len(in); i++ {
		if (in[i] == '\n') != (out[i] == '\n') {
			t.Fatalf("newline moved at offset %d:\n%s\n---\n%s", i, in, out)
		}
	}
}

func TestPrepassKeepsOffsets(t *testing.T) {
	src := `static int __init __must_check foo(struct x __user *p)
	__acquires(&p->lock) __releases(
		&p->other)
{
	char buf[8] __aligned(
		8);
	list_for_each_entry(pos, &p->head,
			    list) {
		scoped_guard(spinlock, &p->lock)
			bar(pos);
	}
	return 0;
}
`
	orig := []byte(src)
	res := prepass(orig, prepassDialect(), testTypes{})
	checkLayout(t, src, res.src)
	// The input is left alone: the File keeps it as its source text.
	if string(orig) != src {
		t.Fatal("pre-pass wrote to its input")
	}
	// Lines after the rewritten parts still start with the same text.
	in, out := strings.Split(src, "\n"), strings.Split(string(res.src), "\n")
	for i, l := range in {
		if strings.HasPrefix(strings.TrimSpace(l), "return") && strings.TrimSpace(out[i]) != "return 0;" {
			t.Errorf("line %d: %q became %q", i+1, l, out[i])
		}
	}
}

func TestPrepassBlanksAttributes(t *testing.T) {
	src := "static noinline int __must_check f(char __user *p, int n) __printf(1, 2) __aligned(8);\n"
	res := runPrepass(src)
	checkLayout(t, src, res.src)
	got := strings.Join(strings.Fields(string(res.src)), " ")
	if want := "static int f(char *p, int n) ;"; got != want {
		t.Errorf("blanked text %q, want %q", got, want)
	}
	// An attribute-with-arguments word without parentheses is blanked as
	// a word; an annotation without its argument is left alone.
	src = "int x __aligned; void g(void) __acquires;\n"
	res = runPrepass(src)
	if got := strings.Join(strings.Fields(string(res.src)), " "); got != "int x ; void g(void) __acquires;" {
		t.Errorf("bare attribute words: %q", got)
	}
	if len(res.annotations) != 0 {
		t.Errorf("annotation recorded without an argument: %v", res.annotations)
	}
	// A known attribute name is blanked wherever it appears as a word,
	// never inside a longer identifier or a string.
	src = "int my__init = 1; char *s = \"__init\";\n"
	if res := runPrepass(src); string(res.src) != src {
		t.Errorf("identifier or string touched: %q", res.src)
	}
}

func TestPrepassAnnotations(t *testing.T) {
	src := "void f(struct foo *p) __acquires(&p->lock) __releases(rcu)\n__must_hold(&p->m)\n{\n}\n"
	res := runPrepass(src)
	checkLayout(t, src, res.src)
	if bytes.Contains(res.src, []byte("__acquires")) || bytes.Contains(res.src, []byte("p->lock")) {
		t.Errorf("annotation not blanked: %q", res.src)
	}
	var got []string
	for _, a := range res.annotations {
		got = append(got, a.Kind+":"+a.Arg.String()+"@"+src[a.Pos:a.Pos+4])
	}
	want := []string{"acquires:&p->lock@__ac", "releases:rcu@__re", "must_hold:&p->m@__mu"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("annotations %q, want %q", got, want)
	}
	// The argument is a parsed expression, not text.
	if a := res.annotations[0].Arg; a.Kind != EUnary || a.Op != "&" || a.X.Kind != EField {
		t.Errorf("annotation argument %s", tree(a))
	}
}

func TestPrepassBlockMacros(t *testing.T) {
	src := `void f(struct foo *p)
{
	int cpu;
	list_for_each_entry(pos, &p->head, list) {
		use(pos);
	}
	for_each_possible_cpu(cpu)
		per(cpu);
	scoped_guard(spinlock_irqsave, &p->lock) {
		crit();
	}
	any_macro(a, b) {
		body();
	}
	if (x)
		hlist_for_each_entry(q, h, node) inner(q);
	else
		other();
	not_a_loop(x) * 2;
	call(x);
	y = for_each_thing(x);
}
`
	res := runPrepass(src)
	checkLayout(t, src, res.src)
	var got []string
	for pos, m := range res.macros {
		if pos != m.Pos || !strings.HasPrefix(src[pos:], m.Name+"(") {
			t.Errorf("macro %s recorded at %d, where the text is %q", m.Name, pos, src[pos:pos+10])
		}
		var args []string
		for _, a := range m.Args {
			args = append(args, tree(a))
		}
		got = append(got, m.Name+"("+strings.Join(args, ", ")+")")
		// The name becomes "while" padded to the same length, the
		// arguments stay as the loop condition.
		if !strings.HasPrefix(string(res.src[pos:]), "while"+strings.Repeat(" ", len(m.Name)-len("while"))+"(") {
			t.Errorf("macro %s rewritten as %q", m.Name, res.src[pos:pos+len(m.Name)+1])
		}
	}
	sort.Strings(got)
	want := []string{
		"any_macro(a, b)",
		"for_each_possible_cpu(cpu)",
		"hlist_for_each_entry(q, h, node)",
		"list_for_each_entry(pos, (pre& (->head p)), list)",
		"scoped_guard(spinlock_irqsave, (pre& (->lock p)))",
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("block macros\n got %q\nwant %q", got, want)
	}
	for _, keep := range []string{"not_a_loop(x) * 2;", "call(x);", "y = for_each_thing(x);"} {
		if !bytes.Contains(res.src, []byte(keep)) {
			t.Errorf("%q was rewritten", keep)
		}
	}
}

func TestPrepassBlockMacrosOnlyInsideBodies(t *testing.T) {
	// At top level a macro call followed by '{' is a definition
	// (SYSCALL_DEFINE), not a loop.
	src := "SYSCALL_DEFINE1(foo, int, a)\n{\n\treturn a;\n}\nstatic CLOSURE_CALLBACK(cb)\n{\n}\n"
	res := runPrepass(src)
	if len(res.macros) != 0 {
		t.Errorf("top-level macros taken as block macros: %v", res.macros)
	}
	if string(res.src) != src {
		t.Errorf("top-level text rewritten: %q", res.src)
	}
}

func TestPrepassPreprocessorBraceBalance(t *testing.T) {
	// Both arms open a brace that one closing brace ends: counting every
	// brace would leave the depth at 1 after f, and SYSCALL_DEFINE1 below
	// would look like a block macro inside a body.
	src := `void f(void)
{
#ifdef CONFIG_X
	if (a) {
#else
	if (b) {
#endif
		c();
	}
}
SYSCALL_DEFINE1(foo, int, a)
{
	list_for_each(p, h) {
	}
	return 0;
}
`
	res := runPrepass(src)
	checkLayout(t, src, res.src)
	sys := strings.Index(src, "SYSCALL_DEFINE1")
	if m := res.macros[sys]; m != nil {
		t.Errorf("SYSCALL_DEFINE1 at top level taken as block macro %v", m.Name)
	}
	if !bytes.Contains(res.src, []byte("SYSCALL_DEFINE1(foo")) {
		t.Errorf("SYSCALL_DEFINE1 rewritten")
	}
	// Inside its body block macros are still found.
	if m := res.macros[strings.Index(src, "list_for_each(")]; m == nil {
		t.Errorf("list_for_each inside the function not found")
	}

	// Each arm starts at the depth of the #if: the second arm's definition
	// is at top level although the first arm left a brace open.
	src = `#ifdef CONFIG_COMPAT
COMPAT_SYSCALL_DEFINE1(foo, int, a)
{
	return do_foo(a, true);
#else
SYSCALL_DEFINE1(foo, int, a)
{
	return do_foo(a, false);
#endif
}
`
	res = runPrepass(src)
	if len(res.macros) != 0 || string(res.src) != src {
		t.Errorf("#else arm: top-level definition rewritten: %v\n%s", res.macros, res.src)
	}

	// #if/#elif/#else with the closing brace in every arm.
	src = `void g(void)
{
	if (a) {
		x();
#if A
	}
#elif B
	}
#else
	}
#endif
}
DEFINE_THING(y)
{
}
`
	res = runPrepass(src)
	if len(res.macros) != 0 {
		t.Errorf("#if arms: top-level macro taken as block macro: %v", res.macros)
	}
}

func TestPrepassOpaqueMacros(t *testing.T) {
	src := `#define lock_it(x) do { spin_lock(&(x)->l); } while (0)
#define multi(x) \
	do { \
		foo(x); \
		mutex_unlock(x); \
	} while (0)
#define plain(x) foo(x)
#define OBJ spin_lock
#define spin_lockish(x) bar(x)
void f(void) { }
`
	res := runPrepass(src)
	var got []string
	for n := range res.opaque {
		got = append(got, n)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != "lock_it multi" {
		t.Errorf("opaque macros %q, want [lock_it multi]", got)
	}
	for _, c := range []struct{ dir, name, body string }{
		{"define f(x) g(x)", "f", " g(x)"},
		{"define  f(a, b)body", "f", "body"},
		{"define F 1", "", ""},
		{"define f (x)", "", ""},
		{"define", "", ""},
		{"define f(", "", ""},
	} {
		name, body, ok := macroDef(c.dir)
		if name != c.name || body != c.body || ok != (c.name != "") {
			t.Errorf("macroDef(%q) = %q, %q, %v", c.dir, name, body, ok)
		}
	}
}

func TestPrepassNilDialect(t *testing.T) {
	// Without a dialect the text passes through, and only braces followed
	// by '{' inside bodies are block macros.
	src := "int __init f(void) __acquires(x)\n{\n\tmy_iter(a) {\n\t}\n\tlist_for_each(p, h) g(p);\n}\n"
	res := prepass([]byte(src), nil, nil)
	checkLayout(t, src, res.src)
	if len(res.annotations) != 0 || len(res.opaque) != 0 {
		t.Errorf("annotations or opaque macros without a dialect")
	}
	if len(res.macros) != 1 || res.macros[strings.Index(src, "my_iter")] == nil {
		t.Errorf("macros %v, want only my_iter", res.macros)
	}
}

func TestPrepassSurvivesUnterminatedText(t *testing.T) {
	for _, src := range []string{
		"void f(void) { x(\"abc", "/* never closed", "void f(void) { __acquires(", "#define x(a) \\",
		"void f(void) { list_for_each(p, h", "'", "{{{{ a(b) {", "}}}} a(b) {", "#if\n#else\n#else\n#endif\n#endif\n}",
		"void f(void) { __printf(1, 2", "\\",
	} {
		res := runPrepass(src)
		checkLayout(t, src, res.src)
	}
}

func TestMatchParenAndSkipSpace(t *testing.T) {
	b := []byte(`f(a, ")", ')', /* ) */ (b)) tail`)
	if end := matchParen(b, 1); string(b[end-1:]) != ") tail" {
		t.Errorf("matchParen ended at %q", b[end:])
	}
	if end := matchParen([]byte("(unclosed"), 0); end != 0 {
		t.Errorf("matchParen of an unclosed parenthesis = %d, want 0", end)
	}
	if i := skipSpace([]byte(" \t/* c */ // d\n\\\n x"), 0); i != 18 {
		t.Errorf("skipSpace = %d, want 18", i)
	}
}

func TestExprMacro(t *testing.T) {
	cases := []struct {
		dir, name, body string // body "" : not a template
		params          int
	}{
		{"define sco_conn_lock(c) spin_lock(&c->lock)", "sco_conn_lock", "spin_lock(&c->lock)", 1},
		{"define rfcomm_lock() mutex_lock(&rfcomm_mutex)", "rfcomm_lock", "mutex_lock(&rfcomm_mutex)", 0},
		{"define lk(a, f) \\\n\tspin_lock_irqsave(&(a)->l, f)", "lk", "spin_lock_irqsave(&(a)->l, f)", 2},
		{"define lk(c) do { spin_lock(&c->l); } while (0)", "", "", 0},
		{"define lk(c) spin_lock(&c->l); c->n++", "", "", 0},
		{"define lk(c, ...) spin_lock(c)", "", "", 0},
		{"define lk(c) spin_lock(&c->l) /* why */", "", "", 0},
		{"define lk spin_lock(&l)", "", "", 0},
	}
	for _, c := range cases {
		name, tpl := exprMacro(c.dir, nil)
		if c.body == "" {
			if tpl != nil {
				t.Errorf("%q: a template (%s), want none", c.dir, tpl.body)
			}
			continue
		}
		if tpl == nil || name != c.name || tpl.body.String() != c.body || len(tpl.params) != c.params {
			t.Errorf("%q: %q %v, want %q with body %q and %d params", c.dir, name, tpl, c.name, c.body, c.params)
		}
	}
	// Each use of a parameter gets its own copy, at the call's offset.
	_, tpl := exprMacro("define both(c) f(c, c)", nil)
	arg := &Expr{Kind: EIdent, Name: "x", Pos: 7}
	x := tpl.instantiate([]*Expr{arg}, 40)
	if x.String() != "f(x, x)" || x.Args[0] == x.Args[1] || x.Args[0] == arg || x.Pos != 40 || x.X.Pos != 40 {
		t.Errorf("instantiate = %s (pos %d)", x, x.Pos)
	}
	if tpl.instantiate(nil, 0) != nil {
		t.Error("instantiate with the wrong number of arguments")
	}
}

// A tracepoint's template is not C: the parser is shown the empty call,
// and the code around it parses as itself.
func TestPrepassHidesGenerators(t *testing.T) {
	src := `TRACE_EVENT(ext_op,
	TP_PROTO(struct inode *inode, int op),
	TP_ARGS(inode, op),
	TP_STRUCT__entry(
		__field(	dev_t,	dev	)
		__array(	char,	name,	16	)
	),
	TP_fast_assign(
		__entry->dev	= inode->i_sb->s_dev;
		memcpy(__entry->name, inode->name, 16);
	),
	TP_printk("dev %d op %d", __entry->dev, __entry->op)
);

static inline int after(struct inode *inode)
{
	TRACE_EVENT(not_at_file_level);
	return 0;
}
`
	d := prepassDialect()
	d.Generators = map[string]bool{"TRACE_EVENT": true}
	res := prepass([]byte(src), d, testTypes{})
	checkLayout(t, src, res.src)
	out := string(res.src)
	if strings.Contains(out, "TP_") || !strings.HasPrefix(out, "TRACE_EVENT(") {
		t.Errorf("template not hidden:\n%s", out)
	}
	if !strings.Contains(out, "TRACE_EVENT(not_at_file_level)") {
		t.Errorf("a call inside a body was changed:\n%s", out)
	}
	hasError := func(text []byte) bool {
		ts := sitter.NewParser()
		defer ts.Close()
		ts.SetLanguage(c.GetLanguage())
		tree, err := ts.ParseCtx(context.Background(), nil, text)
		if err != nil {
			t.Fatal(err)
		}
		defer tree.Close()
		return tree.RootNode().HasError()
	}
	if hasError(res.src) {
		t.Errorf("tree-sitter finds errors in the hidden template:\n%s", out)
	}
	if !hasError([]byte(src)) {
		t.Errorf("the template parses without errors unhidden: the test shows nothing")
	}
	p := NewParser(d)
	defer p.Close()
	f, err := p.Parse("trace.h", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Funcs) != 1 || f.Funcs[0].Name != "after" {
		t.Errorf("got %d functions, want after() alone", len(f.Funcs))
	}
}

// Arms of an #ifdef that each open a brace closed once after the #endif
// do not add up: the text's bracket nesting follows the first arm, as the
// preprocessor would, and the file is not refused as too deep.
func TestPrepassBracketsFollowFirstArm(t *testing.T) {
	arm := "#ifdef X\n\tif (a) {\n#else\n\tif (b) {\n#endif\n\t\tc();\n\t}\n"
	src := "void f(int a, int b)\n{\n" + strings.Repeat(arm, 3*MaxNesting) + "}\n"
	if got := prepass([]byte(src), nil, nil).brackets; got != 3 {
		t.Errorf("brackets %d, want 3: f's body, an if's braces and its condition's parentheses", got)
	}
	if got := prepass([]byte("int x = !!!!-(y);"), nil, nil).opRun; got != 6 {
		t.Errorf("opRun %d, want 6: \"= !!!!-\"", got)
	}
}
