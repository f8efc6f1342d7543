// SPDX-License-Identifier: GPL-2.0-only

package flow

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
	// Parameters are not tracked: what is known of them on return is what
	// callers read in the summary.
	params := map[string]bool{}
	for _, p := range fn.Params {
		params[p.Name] = true
	}
	f.tracked = map[string]int{}
	for name := range fn.Locals {
		if !escaped[name] && !params[name] {
			f.tracked[name] = len(f.tracked)
		}
	}
	words := (len(f.tracked) + 63) / 64
	if words == 0 {
		f.live = nil
		return
	}
	// One backing array for the three sets of every block.
	bits := make([]uint64, 3*n*words)
	set := func(k, i int) bitset { return bits[(k*n+i)*words : (k*n+i+1)*words] }
	for i, b := range fn.Blocks {
		u, d := set(0, i), set(1, i)
		read := func(e *cparse.Expr) {
			if e == nil {
				return
			}
			e.EachIdent(func(id string) {
				if k, ok := f.tracked[id]; ok && !d.has(k) {
					u.add(k)
				}
			})
		}
		write := func(lhs *cparse.Expr, whole bool) {
			l := lhs.Strip()
			if l != nil && l.Kind == cparse.EIdent && whole {
				if k, ok := f.tracked[l.Name]; ok {
					d.add(k)
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
		copy(set(2, i), u)
	}
	// live(i) = use(i) | (live(succ) &^ def(i)), to a fixpoint.
	for changed := true; changed; {
		changed = false
		for i := n - 1; i >= 0; i-- {
			li, di := set(2, i), set(1, i)
			for _, s := range fn.Blocks[i].Succs {
				if s < 0 || s >= n {
					continue
				}
				for w, x := range set(2, s) {
					if add := x &^ di[w] &^ li[w]; add != 0 {
						li[w] |= add
						changed = true
					}
				}
			}
		}
	}
	f.live = make([]bitset, n)
	for i := range f.live {
		f.live[i] = set(2, i)
	}
}

// bitset is a set of small integers.
type bitset []uint64

func (b bitset) has(k int) bool { return b[k/64]&(1<<(k%64)) != 0 }
func (b bitset) add(k int)      { b[k/64] |= 1 << (k % 64) }

// deadFacts reports whether st knows something of a variable dead at
// block to.
func (f *flow) deadFacts(to int, st *State) bool {
	for _, fa := range st.Conds {
		if f.deadFact(to, fa) {
			return true
		}
	}
	return false
}

// deadFact: every variable the fact reads is a tracked local that is
// dead at block to.
func (f *flow) deadFact(to int, fa *Cond) bool {
	if len(fa.Idents) == 0 || f.live == nil {
		return false
	}
	for _, id := range fa.Idents {
		if k, ok := f.tracked[id]; !ok || f.live[to].has(k) {
			return false
		}
	}
	return true
}
