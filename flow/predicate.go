// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"lockbot/cparse"
)

// Predicates: a function whose whole body is "return <test of its
// parameters>;" (spi_nor_use_parallel_locking(nor) is "return nor->flags
// & SNOR_F_RWW;") is read, in a branch, as that test on the arguments.
// Keyed by its call, each test would be a fact of one call only; read
// through, the test before a lock and the same test before its unlock
// are one fact, and a callee's path under the other answer is ruled out
// (spi_nor_prep_and_lock_pe() takes nor->lock only when
// spi_nor_unlock_and_unprep_pe() releases it).

// predicateBody returns the tested expression of a predicate function,
// or nil: a body that is one return of an expression reading only
// parameters, constants (upper-case names, numbers) and fields, calling
// nothing but upper-case macros, and assigning nothing.
func predicateBody(g *cparse.Func) *cparse.Expr {
	if g == nil || len(g.Params) == 0 || len(g.Blocks) == 0 || g.Entry < 0 || g.Entry >= len(g.Blocks) {
		return nil
	}
	b := g.Blocks[g.Entry]
	if len(b.Stmts) != 0 || b.Term != cparse.TReturn || b.Ret == nil {
		return nil
	}
	params := map[string]bool{}
	for _, p := range g.Params {
		params[p.Name] = true
	}
	ok, usesParam := true, false
	b.Ret.Walk(func(x *cparse.Expr) bool {
		switch x.Kind {
		case cparse.ECall:
			if name := x.CallName(); name == "" || !isUpperName(name) {
				ok = false
			}
		case cparse.EAssign:
			ok = false
		case cparse.EUnary:
			if x.Op == "++" || x.Op == "--" {
				ok = false
			}
		case cparse.EIdent:
			switch {
			case params[x.Name]:
				usesParam = true
			case !isUpperName(x.Name):
				ok = false // a local, a global: not the caller's to decide
			}
		}
		return ok
	})
	if !ok || !usesParam {
		return nil
	}
	return b.Ret
}

// predicateCall is the test a call of a predicate function makes, in
// the caller's terms: the predicate's body with the arguments for the
// parameters; nil when the callee is not a predicate, or an argument
// calls or assigns (it would be evaluated once, not at each use).
func (f *flow) predicateCall(call *cparse.Expr) *cparse.Expr {
	name := call.CallName()
	if name == "" || isUpperName(name) || f.p.kb.Funcs[name] != nil {
		return nil
	}
	g := f.p.Lookup(f.fn, name)
	if g == nil || g.F == nil || len(call.Args) != len(g.F.Params) {
		return nil
	}
	body := f.p.predicate(g.F)
	if body == nil {
		return nil
	}
	m := make(map[string]*cparse.Expr, len(call.Args))
	for i, a := range call.Args {
		pure := true
		a.Walk(func(x *cparse.Expr) bool {
			if x.Kind == cparse.ECall || x.Kind == cparse.EAssign || x.Kind == cparse.EUnary && (x.Op == "++" || x.Op == "--") {
				pure = false
			}
			return pure
		})
		if !pure || g.F.Params[i].Name == "" {
			return nil
		}
		switch a.Strip().Kind {
		case cparse.EBinary, cparse.ECond, cparse.EUnary, cparse.ECast:
			a = &cparse.Expr{Kind: cparse.EParen, X: a, Pos: a.Pos} // keeps its precedence
		}
		m[g.F.Params[i].Name] = a
	}
	return body.Subst(m)
}

// predicate memoises predicateBody per function: branches ask at every
// state.
func (p *Program) predicate(g *cparse.Func) *cparse.Expr {
	if v, ok := p.preds.Load(g); ok {
		x, _ := v.(*cparse.Expr)
		return x
	}
	x := predicateBody(g)
	p.preds.Store(g, x)
	return x
}

// flagTest reports a condition that tests a flag or a mode of what a
// pointer parameter points to: "p->flags & X", "p->mode == X" with X a
// constant. Such a test, kept on an effect, lets a caller that knows the
// answer (it tested the same flag before taking the lock the effect
// would take again) rule the effect out.
func (f *flow) flagTest(fa *Cond) bool {
	if !paramFact(f.env, fa) {
		return false
	}
	x := fa.Expr.Strip()
	if x == nil || x.Kind != cparse.EBinary || x.Op != "&" && x.Op != "==" {
		return false
	}
	l, r := x.X.Strip(), x.Y.Strip()
	if l == nil || r == nil {
		return false
	}
	if constLike(l) {
		l, r = r, l
	}
	return constLike(r) && derefs(l)
}
