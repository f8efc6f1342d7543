package flow

import "lockbot/cparse"

// What a function's returns leave held and released, told apart or not
// by what its callers can see.

// ReleasingExit finds a return that does not hold c after this function
// released it, and that a caller cannot tell apart from h by the returned
// value (or h returns an error: error paths must not keep locks).
func (p *Program) ReleasingExit(fn *cparse.Func, exits []*Exit, h *Exit, c *Ctx) *Exit {
	env := typeEnv{p, fn}
	for _, x := range exits {
		if x == h || holds(x.State, c) || !released(x.State, c) {
			continue
		}
		if h.Class == RetError || h.Class == x.Class && h.Class != RetUnknown && !argumentsTell(env, h, x) {
			return x
		}
	}
	return nil
}

// argumentsTell reports whether the two returns are told apart by a
// condition on the arguments (a "bool unlock" parameter): the caller knows
// which one it gets.
func argumentsTell(env typeEnv, a, b *Exit) bool {
	for _, fa := range a.State.Conds {
		if !paramFact(env, fa) || derefs(fa.Expr) {
			continue
		}
		if v, ok := b.State.fact(fa.Key); ok && v != fa.Val {
			return true
		}
	}
	return false
}

// derefs reports whether an expression reads memory through a pointer:
// such a condition is the object's state, not an argument's value.
func derefs(x *cparse.Expr) bool {
	found := false
	x.Walk(func(e *cparse.Expr) bool {
		if e.Kind == cparse.EField && e.Op == "->" || e.Kind == cparse.EUnary && e.Op == "*" || e.Kind == cparse.EIndex || e.Kind == cparse.ECall {
			found = true
		}
		return !found
	})
	return found
}

func holds(st *State, c *Ctx) bool {
	for _, h := range st.Held {
		if sameLock(h, c) {
			return true
		}
	}
	return false
}

func released(st *State, c *Ctx) bool {
	for _, m := range st.Released {
		if !m.failed && m.fam == Family(c.Kind) && (c.Inst != "" && m.inst == c.Inst || c.Inst == "" && c.Class != "" && m.class == c.Class || !c.Kind.Lock) {
			return true
		}
	}
	return false
}

func sameLock(a, b *Ctx) bool {
	if Family(a.Kind) != Family(b.Kind) {
		return false
	}
	if !a.Kind.Lock {
		return true
	}
	if a.Inst != "" && b.Inst != "" {
		return a.Inst == b.Inst
	}
	return a.Class != "" && a.Class == b.Class
}
