// SPDX-License-Identifier: GPL-2.0-only

package cparse_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"lockbot/cparse"
	"lockbot/kb"
)

// nestShape makes C whose syntax nests n levels deep in one way. Every
// walk of a syntax tree recurses once per level, and a Go stack that
// overflows kills the process whatever recovers: each shape must be
// refused with ErrTooDeep past the bound, and parse below it.
type nestShape struct {
	name string
	gen  func(n int) string
	// max is the deepest n the shape may reach and still be analysed.
	max int
	// analysed: past the bound the deep part is dropped, not the file
	// (a macro body too deep is not read in place).
	analysed bool
}

func fn(body string) string { return "spinlock_t l;\nint f(int x, int **p)\n{\n" + body + "\n}\n" }

var nestShapes = []nestShape{
	{"unary not", func(n int) string { return fn("\treturn " + strings.Repeat("!", n) + "x;") }, cparse.MaxExprHeight - 2, false},
	{"dereference", func(n int) string { return fn("\treturn " + strings.Repeat("*", n) + "p;") }, cparse.MaxExprHeight - 2, false},
	{"pre-decrement", func(n int) string { return fn("\treturn " + strings.Repeat("-", 2*n) + "x;") }, cparse.MaxExprHeight - 2, false},
	{"parentheses", func(n int) string {
		return fn("\treturn " + strings.Repeat("(", n) + "x" + strings.Repeat(")", n) + ";")
	}, cparse.MaxExprHeight/2 - 2, false},
	{"left-deep sum", func(n int) string { return fn("\treturn x" + strings.Repeat(" + 1", n) + ";") }, cparse.MaxExprHeight - 2, false},
	{"assignment chain", func(n int) string { return fn("\tint a;\n\ta" + strings.Repeat(" = a", n) + " = x;") }, cparse.MaxExprHeight - 2, false},
	{"conditional chain", func(n int) string { return fn("\treturn " + strings.Repeat("x ? g(1) : ", n) + "0;") }, cparse.MaxExprHeight - 2, false},
	{"nested calls", func(n int) string {
		return fn("\treturn " + strings.Repeat("g(", n) + "x" + strings.Repeat(")", n) + ";")
	}, cparse.MaxExprHeight/2 - 2, false},
	{"member chain", func(n int) string { return fn("\tspin_lock(&x" + strings.Repeat("->a", n) + ");") }, cparse.MaxExprHeight - 4, false},
	{"blocks", func(n int) string { return fn(strings.Repeat("{", n) + "x++;" + strings.Repeat("}", n)) }, cparse.MaxNesting - 4, false},
	{"nested ifs", func(n int) string { return fn(strings.Repeat("if (x) ", n) + "x++;") }, cparse.MaxNesting/2 - 4, false},
	{"else-if chain", func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "\tif (x == %d) g(%d); else\n", i, i)
		}
		return fn(b.String() + "\tg(0);")
	}, cparse.MaxNesting/2 - 4, false},
	{"#if at file level", func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "#if A%d\n", i)
		}
		return b.String() + "void f(void) { spin_lock(&l); }\n" + strings.Repeat("#endif\n", n)
	}, cparse.MaxNesting - 4, false},
	{"nested structs", func(n int) string {
		return "struct s { " + strings.Repeat("struct { ", n) + "int x;" + strings.Repeat(" } a;", n) + " };\n"
	}, cparse.MaxNesting/2 - 4, false},
	{"initializer", func(n int) string {
		return fn("\tint t[] = " + strings.Repeat("{", n) + "1" + strings.Repeat("}", n) + ";")
	}, cparse.MaxExprHeight - 4, false},
	{"macro body", func(n int) string {
		return "#define X(a) " + strings.Repeat("(", n) + "spin_lock(a)" + strings.Repeat(")", n) + "\n" + fn("\tX(&l);")
	}, cparse.MaxExprHeight/2 - 4, true},
}

func TestNestingBounds(t *testing.T) {
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	for _, sh := range nestShapes {
		t.Run(sh.name, func(t *testing.T) {
			if f, err := p.Parse("ok.c", []byte(sh.gen(sh.max))); err != nil {
				t.Errorf("%d levels: %v", sh.max, err)
			} else if err := checkFile(f); err != nil {
				t.Errorf("%d levels: %v", sh.max, err)
			}
			// Far past the bound: before there was one, a million levels
			// ran Go's stack out in the control-flow builder.
			for _, n := range []int{2 * cparse.MaxNesting, 30000} {
				start := time.Now()
				f, err := p.Parse("deep.c", []byte(sh.gen(n)))
				if sh.analysed {
					if err != nil {
						t.Errorf("%d levels: %v", n, err)
					} else if err := checkFile(f); err != nil {
						t.Errorf("%d levels: %v", n, err)
					}
					continue
				}
				if !errors.Is(err, cparse.ErrTooDeep) {
					t.Errorf("%d levels: got %v, want ErrTooDeep", n, err)
				}
				if f != nil {
					t.Errorf("%d levels: a file came with the error", n)
				}
				if err != nil && !strings.Contains(err.Error(), "deep.c: ") {
					t.Errorf("the error does not name the file: %v", err)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("%d levels: refused after %v", n, d)
				}
			}
		})
	}
}

// The file-level #if stack is shared between levels, not copied per
// level: 900 levels, each defining a function, used to cost 900 copies
// of up to 900 conditions.
func TestPreprocessorConditionsShared(t *testing.T) {
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	var b strings.Builder
	const n = 900
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "#ifdef A%d\nvoid f%d(void) { }\n", i, i)
	}
	b.WriteString(strings.Repeat("#endif\n", n))
	f, err := p.Parse("if.c", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Funcs) != n {
		t.Fatalf("%d functions, want %d", len(f.Funcs), n)
	}
	for i, fn := range f.Funcs {
		if len(fn.Conds) != i+1 {
			t.Fatalf("%s: %d conditions, want %d", fn.Name, len(fn.Conds), i+1)
		}
		last := fn.Conds[len(fn.Conds)-1]
		if want := fmt.Sprintf("defined(A%d)", i); last.Atom.Name != want || !last.Val {
			t.Fatalf("%s: innermost condition %s=%v, want %s", fn.Name, last.Atom.Name, last.Val, want)
		}
	}
}

// FuzzNesting builds deep nesting of a fuzzed shape around fuzzed code:
// the parser must refuse it or build well-formed graphs, never run out
// of stack.
func FuzzNesting(f *testing.F) {
	for i := range nestShapes {
		f.Add(uint8(i), uint16(50), "x")
		f.Add(uint8(i), uint16(3000), "spin_lock(&l)")
	}
	f.Add(uint8(0), uint16(60000), "!")
	d := kb.MustDefault().Dialect()
	f.Fuzz(func(t *testing.T, shape uint8, depth uint16, inner string) {
		sh := nestShapes[int(shape)%len(nestShapes)]
		src := strings.Replace(sh.gen(int(depth)), "x", inner, 1)
		p := cparse.NewParser(d)
		defer p.Close()
		file, err := p.Parse("fuzz.c", []byte(src))
		if err != nil {
			return
		}
		if err := checkFile(file); err != nil {
			t.Fatalf("%v\ninput: %q", err, src)
		}
	})
}
