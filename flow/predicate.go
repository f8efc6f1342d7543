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
// or nil: a body that returns an expression reading only parameters,
// constants (upper-case names, numbers) and fields, calling nothing but
// upper-case macros, and assigning nothing. The body may branch on such
// tests before it returns ("return a && b;", which the CFG lowers to
// branches, or "if (a || b) return true; return false;"): the branches
// are read back into one expression (returnedExpr).
func predicateBody(g *cparse.Func) *cparse.Expr {
	if g == nil || len(g.Blocks) == 0 || g.Entry < 0 || g.Entry >= len(g.Blocks) {
		return nil
	}
	if len(g.Params) == 0 {
		return stateTest(g)
	}
	budget := maxPredicateBlocks
	ret := returnedExpr(g, g.Entry, &budget)
	if ret == nil {
		return nil
	}
	params := map[string]bool{}
	for _, p := range g.Params {
		params[p.Name] = true
	}
	ok, usesParam := true, false
	ret.Walk(func(x *cparse.Expr) bool {
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
			case x.Name == "true" || x.Name == "false":
			case !isUpperName(x.Name):
				ok = false // a local, a global: not the caller's to decide
			}
		}
		return ok
	})
	if !ok || !usesParam {
		return nil
	}
	return ret
}

// stateTest reads a predicate of no parameters that returns a test of
// state no caller passes (has_current_bpf_ctx() is "return
// !!current->bpf_ctx;", or "return false;" in another configuration):
// its test is its own call, "has_current_bpf_ctx()", one fact at every
// call in a function, so udp_abort()'s lock_sock() and release_sock()
// under the same test are taken together. A body that calls a function
// (irqs_disabled() reads the flags a lock call in between may change)
// or assigns is not one.
func stateTest(g *cparse.Func) *cparse.Expr {
	budget := maxPredicateBlocks
	ret := returnedExpr(g, g.Entry, &budget)
	if ret == nil {
		return nil
	}
	ok := true
	ret.Walk(func(x *cparse.Expr) bool {
		switch x.Kind {
		case cparse.ECall, cparse.EAssign:
			ok = false
		case cparse.EUnary:
			if x.Op == "++" || x.Op == "--" {
				ok = false
			}
		}
		return ok
	})
	if !ok {
		return nil
	}
	return &cparse.Expr{Kind: cparse.ECall, X: &cparse.Expr{Kind: cparse.EIdent, Name: g.Name, Pos: ret.Pos}, Pos: ret.Pos}
}

// maxPredicateBlocks bounds the blocks a predicate's body may have.
const maxPredicateBlocks = 16

// returnedExpr is what a body returns from block id on, when it does
// nothing but branch and return: a branch's two sides joined by the
// test (t ? x : y, folded to t && y, t || y, t or !t where a side is a
// constant truth value); nil when a block does anything else.
func returnedExpr(g *cparse.Func, id int, budget *int) *cparse.Expr {
	for {
		if *budget <= 0 || id < 0 || id >= len(g.Blocks) {
			return nil
		}
		*budget--
		b := g.Blocks[id]
		if len(b.Stmts) != 0 {
			return nil
		}
		switch b.Term {
		case cparse.TReturn:
			return b.Ret
		case cparse.TJump:
			if len(b.Succs) != 1 {
				return nil
			}
			id = b.Succs[0]
			continue
		case cparse.TBranch:
			if b.Cond == nil || len(b.Succs) != 2 {
				return nil
			}
			x := returnedExpr(g, b.Succs[0], budget)
			y := returnedExpr(g, b.Succs[1], budget)
			if x == nil || y == nil {
				return nil
			}
			return joinBranch(b.Cond, x, y)
		}
		return nil
	}
}

// joinBranch is "t ? x : y" as a test, folding constant truth values.
func joinBranch(t, x, y *cparse.Expr) *cparse.Expr {
	xv, xk := truthOf(x)
	yv, yk := truthOf(y)
	paren := func(e *cparse.Expr) *cparse.Expr { return &cparse.Expr{Kind: cparse.EParen, X: e, Pos: e.Pos} }
	switch {
	case xk && yk && xv == yv:
		return x
	case xk && yk && xv:
		return t
	case xk && yk:
		return &cparse.Expr{Kind: cparse.EUnary, Op: "!", X: paren(t), Pos: t.Pos}
	case yk && !yv:
		return &cparse.Expr{Kind: cparse.EBinary, Op: "&&", X: paren(t), Y: paren(x), Pos: t.Pos}
	case xk && xv:
		return &cparse.Expr{Kind: cparse.EBinary, Op: "||", X: paren(t), Y: paren(y), Pos: t.Pos}
	}
	return &cparse.Expr{Kind: cparse.ECond, X: paren(t), Y: paren(x), Z: paren(y), Pos: t.Pos}
}

// truthOf reads a constant truth value: a number, true or false.
func truthOf(x *cparse.Expr) (val, ok bool) {
	x = x.Strip()
	if x == nil {
		return false, false
	}
	v, ok := cparse.EvalInt(x, nil)
	return v != 0, ok
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
	body := g.pred
	if body == nil {
		body = f.p.predicate(g.F)
	}
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

// predicateFact is the fact a call of a predicate function decides: the
// key atom gives the test it makes; "" for another call.
func (f *flow) predicateFact(call *cparse.Expr) (key string, neg bool, idents []string, x *cparse.Expr) {
	if call == nil || call.Kind != cparse.ECall {
		return "", false, nil, nil
	}
	t := f.predicateCall(call)
	if t == nil {
		return "", false, nil, nil
	}
	return f.atom(t)
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

// boolField reports a member path whose declared type is bool.
func (f *flow) boolField(x *cparse.Expr) bool {
	t, ok := f.env.typeOf(x)
	return ok && isBool(t)
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
	if x != nil && x.Kind == cparse.EField && f.boolField(x) {
		// "dev->power.no_pm": a bool member a caller sets before the
		// call (device_pm_not_required()), which decides it.
		return true
	}
	if x == nil || x.Kind != cparse.EBinary || x.Op != "&" && x.Op != "==" {
		return false
	}
	v := constOperand(x)
	return v != nil && derefs(v)
}

// constOperand returns the side of binary x that is not a constant when
// the other is one ("d->flags & F_SLOW" gives d->flags), else nil.
func constOperand(x *cparse.Expr) *cparse.Expr {
	l, r := x.X.Strip(), x.Y.Strip()
	if l == nil || r == nil {
		return nil
	}
	if constLike(l) {
		l, r = r, l
	}
	if !constLike(r) {
		return nil
	}
	return l
}
