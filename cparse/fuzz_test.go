// SPDX-License-Identifier: GPL-2.0-only

package cparse_test

import (
	"fmt"
	"testing"
	"unicode/utf8"

	"lockbot/cparse"
	"lockbot/kb"
)

// Seeds shared by the fuzzers and by TestSeedsParse, which runs them as a
// plain test so that "go test" exercises every seed even without -fuzz.
var parseSeeds = []string{
	"",
	"int x;\n",
	"void f(void) { spin_lock(&l); if (a) return; spin_unlock(&l); }\n",
	"static int __init __must_check foo(struct x *x) __acquires(&x->lock)\n{\n\tmutex_lock(&x->lock);\n\treturn 0;\n}\n",
	"void f(struct foo *p) {\n\tguard(mutex)(&p->lock);\n\tif (p->dead)\n\t\treturn;\n\tscoped_guard(spinlock_irqsave, &p->slock) {\n\t\tif (x) break;\n\t\ty();\n\t}\n}\n",
	"int f(struct mutex *m) { scoped_cond_guard(mutex_intr, return -EINTR, m) { work(); } return 0; }\n",
	"void f(struct list_head *h) { struct foo *p; if (a) list_for_each_entry(p, h, list) g(p); else other(); }\n",
	"void f(void) { int cpu; for_each_possible_cpu(cpu) { per(cpu); } }\n",
	"void f(int a) { switch (a) { case 1: one(); case 2: two(); break; default: d(); } }\n",
	"void f(int a) { again: if (a) goto out; if (b) goto again; BUG(); out: return; }\n",
	"void f(void) { do { x(); } while (0); while (1) { if (a) break; } for (;;) { z(); } }\n",
	"void f(void) {\n#ifdef CONFIG_A\n\ta();\n#else\n\tb();\n#endif\n}\n",
	"#ifndef CONFIG_PREEMPT_RT\nvoid f(void) { rt(); }\n#else\nvoid g(void) { nort(); }\n#endif\n",
	"SYSCALL_DEFINE3(frob, int, a, char __user *, b, size_t, n)\n{\n\treturn do_frob(a);\n}\n",
	"static CLOSURE_CALLBACK(cb)\n{\n\tclosure_type(c, struct foo, cl);\n}\n",
	"void f(int w) { (w ? up_write : up_read)(&sem); x->f |= FLAG; int r = kmalloc(10, GFP_KERNEL); }\n",
	"void f(void) { wait_event_lock_irq_cmd(wq, cond(), l, cmd()); wait_event_cmd(wq, c(), c1(), c2()); }\n",
	"#define my_lock(x) do { spin_lock(x); } while (0)\nvoid f(void) { my_lock(get()); }\n",
	"struct foo { spinlock_t lock; union { int a; struct list_head l; }; };\ntypedef struct foo foo_t;\nstatic DEFINE_SPINLOCK(g);\n#include \"local.h\"\n",
	"void f(void) { r = ({ int __r = f(x); spin_unlock(&l); __r; }); printk(KERN_INFO \"x\" \"y\", v); }\n",
	"void f(void) {\n#ifdef X\n\tif (a) {\n#else\n\tif (b) {\n#endif\n\t\tc();\n\t}\n}\n",
	"LOCKDEP_STATE(HARDIRQ)\nLOCKDEP_STATE(SOFTIRQ)\n",
	"void f(void) { if (a) goto nowhere; b(); }\n",
	"int a;\n(a+b)(1)\n{ d(); }\n",
	"void f(void) { void *p = &&l; goto *p; l: b(); }\n",
	"void f(void) { if (a && !b || c) x(); else y(); while (likely(d)) e(); }\n",
}

var exprSeeds = []string{
	"f(g(x), h(i(y)))",
	"(struct foo *)x",
	"(x) + 1",
	"container_of(p, struct foo, member)",
	"sizeof(struct x) * n",
	"&a->b.c[i]",
	"a && b || c",
	"a ?: c",
	"x |= f(y), z",
	"({ int r = f(x); g(r); r; })",
	"printk(KERN_INFO \"x %d\\n\", v)",
	"(struct foo){ .a = 1, .b = f(x) }",
	"scoped_cond_guard(mutex_intr, return -EINTR, &l)",
	")))((( ++ -- ?: ::",
	"({ { ( [ ",
	"/* unterminated",
	"'\\",
	"#if X\nf()\n#endif",
	"(w ? up_write : up_read)(&sem)",
	"*&x->f",
}

func FuzzParseExpr(f *testing.F) {
	for _, s := range exprSeeds {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, start int) {
		src := []byte(s)
		if start < 0 || start > len(src) {
			start = 0
		}
		checkExpr(t, src, start, len(src))
	})
}

// checkExpr parses src[start:end] and exercises every Expr method on the
// result: none may panic, and the tree must be well formed.
func checkExpr(t *testing.T, src []byte, start, end int) {
	t.Helper()
	e := cparse.ParseExpr(src, start, end, nil)
	if e == nil {
		t.Fatalf("ParseExpr(%q) returned nil", src[start:end])
	}
	_ = e.String()
	_ = e.Idents()
	_ = e.CallName()
	_ = e.Strip()
	for _, c := range e.Calls() {
		if c.Kind != cparse.ECall {
			t.Fatalf("Calls() of %q returned a %v node", src[start:end], c.Kind)
		}
	}
	e.Walk(func(x *cparse.Expr) bool {
		if x.Pos < 0 || x.Pos > len(src) {
			t.Fatalf("%q: node %q has position %d outside the %d-byte source", src[start:end], x.String(), x.Pos, len(src))
		}
		return true
	})
	s := e.Subst(map[string]*cparse.Expr{"x": {Kind: cparse.EUnary, Op: "&", X: &cparse.Expr{Kind: cparse.EIdent, Name: "y"}}})
	_ = s.String()
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	d := kb.MustDefault().Dialect()
	f.Fuzz(func(t *testing.T, src []byte) {
		// One parser per call: the fuzz function is never run concurrently
		// within a worker, but a fresh parser keeps each input independent.
		p := cparse.NewParser(d)
		defer p.Close()
		file, err := p.Parse("fuzz.c", src)
		if err != nil {
			if file != nil {
				t.Fatalf("Parse returned both a file and the error %v", err)
			}
			return
		}
		if err := checkFile(file); err != nil {
			t.Fatalf("%v\ninput: %q", err, src)
		}
	})
}

// TestSeedsParse runs the fuzz seeds as an ordinary test.
func TestSeedsParse(t *testing.T) {
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	for _, s := range parseSeeds {
		file, err := p.Parse("seed.c", []byte(s))
		if err != nil {
			continue
		}
		if err := checkFile(file); err != nil {
			t.Errorf("%v\ninput: %q", err, s)
		}
	}
	for _, s := range exprSeeds {
		checkExpr(t, []byte(s), 0, len(s))
		if utf8.ValidString(s) && len(s) > 2 {
			checkExpr(t, []byte(s), 2, len(s))
		}
	}
}

// checkFile checks that every function of a parsed file has a well-formed
// control-flow graph.
func checkFile(file *cparse.File) error {
	for _, fn := range file.Funcs {
		if err := checkCFG(fn); err != nil {
			return fmt.Errorf("func %s: %v\n%s", fn.Name, err, fn.Dump())
		}
	}
	return nil
}

func checkCFG(fn *cparse.Func) error {
	n := len(fn.Blocks)
	if fn.Name == "" {
		return fmt.Errorf("function without a name")
	}
	if fn.Entry < 0 || fn.Entry >= n {
		return fmt.Errorf("entry B%d out of range (%d blocks)", fn.Entry, n)
	}
	if fn.Line < 1 || fn.EndLine < fn.Line {
		return fmt.Errorf("lines %d-%d", fn.Line, fn.EndLine)
	}
	ids := map[int]bool{}
	stmts := 0
	for i, b := range fn.Blocks {
		if b == nil {
			return fmt.Errorf("block %d is nil", i)
		}
		if b.ID != i {
			return fmt.Errorf("block %d has ID %d", i, b.ID)
		}
		for _, s := range b.Succs {
			if s < 0 || s >= n {
				return fmt.Errorf("B%d: successor B%d out of range", i, s)
			}
		}
		switch b.Term {
		case cparse.TJump:
			if len(b.Succs) != 1 {
				return fmt.Errorf("B%d: jump with %d successors", i, len(b.Succs))
			}
		case cparse.TBranch:
			if len(b.Succs) != 2 {
				return fmt.Errorf("B%d: branch with %d successors", i, len(b.Succs))
			}
		case cparse.TReturn, cparse.TStop:
			if len(b.Succs) != 0 {
				return fmt.Errorf("B%d: terminator %d with successors %v", i, b.Term, b.Succs)
			}
		case cparse.TSwitch:
		default:
			return fmt.Errorf("B%d: unknown terminator %d", i, b.Term)
		}
		for _, s := range b.Stmts {
			stmts++
			if ids[s.ID] {
				return fmt.Errorf("B%d: statement ID %d used twice", i, s.ID)
			}
			ids[s.ID] = true
			switch s.Kind {
			case cparse.SCall:
				if s.Call == nil || s.Call.Kind != cparse.ECall {
					return fmt.Errorf("B%d: call statement without a call", i)
				}
				if id, ok := fn.CallIDs[s.Call]; !ok || id != s.ID {
					return fmt.Errorf("B%d: call %s not in CallIDs", i, s.Call)
				}
			case cparse.SAssign, cparse.SLoopVar:
				if s.LHS == nil {
					return fmt.Errorf("B%d: assignment without a target", i)
				}
			case cparse.SGuard, cparse.SGuardEnd:
				if s.Guard == nil {
					return fmt.Errorf("B%d: guard statement without a guard", i)
				}
			default:
				return fmt.Errorf("B%d: unknown statement kind %d", i, s.Kind)
			}
			_ = s.String()
		}
	}
	if stmts != fn.NumStmts {
		return fmt.Errorf("NumStmts %d, counted %d", fn.NumStmts, stmts)
	}
	_ = fn.Dump()
	return nil
}
