package rules

import "lockbot/cparse"

// Liveness of local variables: a fact about a variable that every path
// assigns before reading it again only keeps states apart. Dropping such
// facts where the variable is dead lets the states of a retry loop merge
// at its head ("mode = M_PARTIAL; ... goto redo;") without losing the
// facts that still decide something later.

// computeLive fills f.live: the locals (not parameters, not variables
// whose address is taken) that may be read, at each block's entry, before
// they are assigned.
func (f *flow) computeLive() {
	fn := f.fn
	n := len(fn.Blocks)
	escaped := map[string]bool{}
	tracked := func(name string) bool {
		if escaped[name] {
			return false
		}
		// Parameters stay: what is known of them on return is what
		// callers read in the summary.
		for _, p := range fn.Params {
			if p.Name == name {
				return false
			}
		}
		_, ok := fn.Locals[name]
		return ok
	}
	markEscapes := func(e *cparse.Expr) {
		e.Walk(func(x *cparse.Expr) bool {
			if x.Kind == cparse.EUnary && x.Op == "&" {
				if v := x.X.Strip(); v != nil && v.Kind == cparse.EIdent {
					escaped[v.Name] = true
				}
			}
			return true
		})
	}
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			markEscapes(s.LHS)
			markEscapes(s.RHS)
			markEscapes(s.Call)
		}
		markEscapes(b.Cond)
		markEscapes(b.Ret)
	}
	use := make([]map[string]bool, n)
	def := make([]map[string]bool, n)
	for i, b := range fn.Blocks {
		u, d := map[string]bool{}, map[string]bool{}
		read := func(e *cparse.Expr) {
			if e == nil {
				return
			}
			for _, id := range e.Idents() {
				if tracked(id) && !d[id] {
					u[id] = true
				}
			}
		}
		write := func(lhs *cparse.Expr, whole bool) {
			l := lhs.Strip()
			if l != nil && l.Kind == cparse.EIdent && whole {
				if tracked(l.Name) {
					d[l.Name] = true
				}
				return
			}
			read(lhs)
		}
		for _, s := range b.Stmts {
			switch s.Kind {
			case cparse.SAssign:
				read(s.RHS)
				whole := s.RHS != nil && (s.Op == "=" || s.Op == "")
				if !whole {
					read(s.LHS)
				}
				write(s.LHS, whole)
			case cparse.SCall:
				read(s.Call)
				if s.Call != nil && s.Call.X != nil && s.Call.X.Kind != cparse.EIdent {
					read(s.Call.X)
				}
				if s.LHS != nil {
					write(s.LHS, true)
				}
			case cparse.SLoopVar:
				if s.LHS != nil {
					write(s.LHS, true)
				}
			case cparse.SGuard, cparse.SGuardEnd:
				if s.Guard != nil {
					for _, a := range s.Guard.Args {
						read(a)
					}
				}
			}
		}
		switch b.Term {
		case cparse.TBranch:
			read(b.Cond)
		case cparse.TReturn:
			read(b.Ret)
		case cparse.TSwitch:
			read(b.Switch)
		}
		use[i], def[i] = u, d
	}
	live := make([]map[string]bool, n)
	for i := range live {
		live[i] = map[string]bool{}
		for id := range use[i] {
			live[i][id] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for i := n - 1; i >= 0; i-- {
			for _, s := range fn.Blocks[i].Succs {
				if s < 0 || s >= n {
					continue
				}
				for id := range live[s] {
					if !def[i][id] && !live[i][id] {
						live[i][id] = true
						changed = true
					}
				}
			}
		}
	}
	f.live = live
	f.tracked = map[string]bool{}
	for name := range fn.Locals {
		if tracked(name) {
			f.tracked[name] = true
		}
	}
}

// deadFacts reports whether st knows something of a variable dead at
// block to.
func (f *flow) deadFacts(to int, st *State) bool {
	for _, fa := range st.Facts {
		if f.deadFact(to, fa) {
			return true
		}
	}
	return false
}

// deadFact: every variable the fact reads is a tracked local that is
// dead at block to.
func (f *flow) deadFact(to int, fa *Fact) bool {
	if len(fa.Idents) == 0 || f.live == nil {
		return false
	}
	for _, id := range fa.Idents {
		if !f.tracked[id] || f.live[to][id] {
			return false
		}
	}
	return true
}
