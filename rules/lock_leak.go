package rules

import (
	"fmt"

	"lockbot/cparse"
)

// LockLeak finds return paths that leave a lock held where others release it.
var LockLeak = &Analyzer{
	Name:     "LOCK_LEAK",
	Title:    "a return path that leaves a lock held while other paths release it",
	Severity: "error",
	Doc: `A function that takes a lock and releases it before returning must do so on every
path: an error path that returns early with the lock held leaves it locked forever (a
spinlock also leaves preemption disabled). Functions that return with a lock held on
purpose are recognised by their return values (held on success, released on failure,
as mutex_lock_interruptible does) and by __acquires/__cond_acquires annotations.`,
	Fix: "release the lock on this path too (usually: jump to the unlock label instead of returning)",
	Ref: "Documentation/process/coding-style.rst (centralized exiting of functions)",
	Run: runLockLeak,
}

func runLockLeak(pass *Pass) {
	for _, fi := range pass.Funcs() {
		if fi.Facts.Imprecise {
			continue
		}
		exits := fi.Facts.Exits
		annotated := acquiresAnnotations(fi.F)
		for _, h := range exits {
			for _, c := range h.State.Held {
				if c.FromCaller || annotated(c) {
					continue
				}
				other := releasingExit(typeEnv{pass.Prog, fi.F}, exits, h, c)
				if other == nil {
					continue
				}
				msg := fmt.Sprintf("%s() returns with %s still held; the return at line %d releases it",
					fi.F.Name, heldDesc(c), other.Line)
				if h.Class == RetError {
					msg = fmt.Sprintf("%s() returns an error with %s still held; the return at line %d releases it",
						fi.F.Name, heldDesc(c), other.Line)
				}
				ret := "return"
				if h.Ret != nil {
					ret = "return " + h.Ret.String()
				}
				chain := append(append([]Step(nil), c.Via.Steps()...), stepAt(fi, h.Line, ret+" with the lock held"))
				pass.Report(&Finding{File: fi.F.File.Path, Line: h.Line, Function: fi.F.Name, Message: msg, Chain: chain},
					c.Kind.Name, c.Class, ret)
			}
		}
	}
}

// releasingExit finds a return that does not hold c after this function
// released it, and that a caller cannot tell apart from h by the returned
// value (or h returns an error: error paths must not keep locks).
func releasingExit(env typeEnv, exits []*Exit, h *Exit, c *Ctx) *Exit {
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
	for _, fa := range a.State.Facts {
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
		if !m.failed && m.fam == family(c.Kind) && (c.Inst != "" && m.inst == c.Inst || c.Inst == "" && c.Class != "" && m.class == c.Class || !c.Kind.Lock) {
			return true
		}
	}
	return false
}

func sameLock(a, b *Ctx) bool {
	if family(a.Kind) != family(b.Kind) {
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

// acquiresAnnotations returns a test for locks the function is annotated
// to return held.
func acquiresAnnotations(fn *cparse.Func) func(*Ctx) bool {
	var exprs []string
	for _, a := range fn.Annots {
		if (a.Kind == "acquires" || a.Kind == "cond_acquires") && a.Arg != nil {
			exprs = append(exprs, canon(a.Arg).String())
		}
	}
	return func(c *Ctx) bool {
		for _, e := range exprs {
			if c.Inst == e || c.Expr != nil && lockObject(c.Expr).String() == e || !c.Kind.Lock {
				return true
			}
		}
		return false
	}
}
