// SPDX-License-Identifier: GPL-2.0-only

package cparse_test

import (
	"sort"
	"strings"
	"testing"

	"lockbot/cparse"
	"lockbot/kb"
)

// TestDefinerFuncs: each top-level invocation of a macro that defines a
// function with a pasted name gives that function, on the lines of the
// macro's definition, with the arguments in place (## pasted, #
// stringized); the invocation does not swallow the function after it; a
// definer invoked inside a function, or defined twice, gives nothing, nor
// does one whose function is static (a helper for its file alone).
func TestDefinerFuncs(t *testing.T) {
	src := `#define DEFINE_GETTER(type, tag)			\
type get_ ##type(struct ctx *c)				\
{							\
	type v;						\
	spin_lock(&c->lock_ ##type);			\
	v = c->val_ ##type;				\
	log(#tag);					\
	spin_unlock(&c->lock_ ##type);			\
	return v;					\
}

DEFINE_GETTER(u32, thirty_two)
DEFINE_GETTER(u64, sixty_four)

int after(struct ctx *c)
{
	return get_u32(c);
}

#define DEFINE_STATIC(x) static int st_ ##x(void) { return 0; }
DEFINE_STATIC(a)

#define TWICE(x) int twice_ ##x(void) { return 1; }
#define TWICE(x) int twice_ ##x(void) { return 2; }
TWICE(a)

void inner(void)
{
	DEFINE_GETTER(u8, eight)
}
`
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	f, err := p.Parse("t.c", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*cparse.Func{}
	var names []string
	for _, fn := range f.Funcs {
		got[fn.Name] = fn
		names = append(names, fn.Name)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "after get_u32 get_u64 inner" {
		t.Fatalf("functions %v, want after get_u32 get_u64 inner", names)
	}
	g := got["get_u64"]
	if g.Line != 2 || g.File != f || g.Static || g.Macro {
		t.Errorf("get_u64: line %d, file %p (want %p), static %v, macro %v", g.Line, g.File, f, g.Static, g.Macro)
	}
	calls := map[string]int{}
	var args []string
	for _, b := range g.Blocks {
		for _, s := range b.Stmts {
			if s.Kind == cparse.SCall {
				calls[s.Callee()] = s.Line
				if s.Callee() == "spin_lock" || s.Callee() == "log" {
					args = append(args, s.Call.Args[0].String())
				}
			}
		}
	}
	if calls["spin_lock"] != 5 || calls["spin_unlock"] != 8 {
		t.Errorf("get_u64's calls on lines %v, want spin_lock on 5, spin_unlock on 8", calls)
	}
	if strings.Join(args, " ") != `&c->lock_u64 "sixty_four"` {
		t.Errorf("get_u64's arguments %q", args)
	}
	if a := got["after"]; a.Line != 15 {
		t.Errorf("after() on line %d, want 15", a.Line)
	}
	if f.ErrorNodes != 0 {
		t.Errorf("%d syntax errors: an invocation was read as code", f.ErrorNodes)
	}
}
