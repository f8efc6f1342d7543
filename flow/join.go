// SPDX-License-Identifier: GPL-2.0-only

package flow

// The solver's join: how a block's states run through it, and how the
// states that reach a block merge, stay apart or are cut down (see the
// package doc).

import "lockbot/cparse"

// block runs the block's input states through it and returns the
// successors whose input changed.
func (f *flow) block(b *cparse.Block) []int {
	var changed []int
	for i, st := range f.in[b.ID] {
		if !f.record {
			// Only states that changed since the block last ran: what
			// the others lead to is already in the successors.
			if !f.dirty[b.ID][i] {
				continue
			}
			f.dirty[b.ID][i] = false
		}
		cur := []*State{st}
		for _, s := range b.Stmts {
			var next []*State
			for _, c := range cur {
				// A statement's cost grows with the state it runs on:
				// copying, keying and comparing facts and held locks.
				f.spend(1 + len(c.Conds) + len(c.Held))
				next = append(next, f.exec(b, s, c)...)
			}
			if f.failed {
				return changed
			}
			cur = f.compact(next)
			if len(cur) == 0 {
				break
			}
		}
		for _, c := range cur {
			changed = append(changed, f.term(b, c)...)
		}
	}
	return changed
}

// compact dedupes states and, past the bound, merges those with the same
// lock configuration.
func (f *flow) compact(sts []*State) []*State {
	if len(sts) <= 1 {
		return sts
	}
	seen := map[string]bool{}
	out := sts[:0:0]
	for _, s := range sts {
		k := s.fullKey()
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	if len(out) <= maxStates {
		return out
	}
	byLock := map[string]*State{}
	var merged []*State
	for _, s := range out {
		k := s.lockKey()
		if m, ok := byLock[k]; ok {
			m.merge(s, false)
			continue
		}
		byLock[k] = s
		merged = append(merged, s)
	}
	if len(merged) > maxStates {
		f.failed = true
		f.p.log.Debug("too many lock configurations in a block", "function", f.fn.Name, "states", len(merged))
		merged = merged[:maxStates]
	}
	return merged
}

// spend counts work (see maxWork); past the bound the analysis fails.
func (f *flow) spend(n int) {
	f.work += n
	if f.work > maxWork && !f.failed {
		f.failed = true
		f.p.log.Debug("analysis past its work bound", "function", f.fn.Name, "file", f.fn.File.Path)
	}
}

// propagate brings a state to the entry of block to, joining it with the
// states already there (see the package doc for the policy), and returns
// the block when its input changed, so that a loop runs it again. In a
// loop's last, recording run (frozen) nothing is propagated.
func (f *flow) propagate(to int, st *State) []int {
	if f.frozen {
		return nil
	}
	// The state is compared with each state already there.
	f.spend((1 + len(st.Conds) + len(st.Held)) * (1 + len(f.in[to])))
	// States that agree on what is held merge, keeping what both know;
	// up to maxSameLocks of them stay apart when their facts conflict
	// (the lock taken only when "gfp & __GFP_DIRECT_RECLAIM" was set).
	if f.deadFacts(to, st) {
		st = st.clone()
		st.filterFacts(func(fa *Cond) bool { return !f.deadFact(to, fa) })
	}
	k := st.lockKey()
	var same []int
	for i, s := range f.in[to] {
		if f.inKeys[to][i] == k {
			if !conflicts(s, st) && !f.argFactDiffers(s, st) {
				if s.merge(st, f.loopHead[to]) {
					f.dirty[to][i] = true
					return []int{to}
				}
				return nil
			}
			same = append(same, i)
		}
	}
	if len(same) >= maxSameLocks || len(same) > 0 && len(f.in[to]) >= maxStates {
		// Past the bound, a state joins one with the same locks and keeps
		// only the facts both have: one that agrees on the values the
		// function stored (flags, modes), since those are what later
		// decide the unlock. With none, it stays apart while the block
		// has room.
		target := -1
		for _, i := range same {
			if !storedConflict(f.in[to][i], st) {
				target = i
				break
			}
		}
		if target >= 0 || len(f.in[to]) >= maxStates {
			if target < 0 {
				target = same[0]
			}
			if f.in[to][target].merge(st, f.loopHead[to]) {
				f.dirty[to][target] = true
				return []int{to}
			}
			return nil
		}
	}
	if len(f.in[to]) >= maxStates {
		// Too many lock configurations: join the most alike, keeping only
		// the contexts both hold. Fewer held locks can only hide findings,
		// never invent them; the function's leak checks are off.
		f.out.Imprecise = true
		best, score := 0, -1
		for i, s := range f.in[to] {
			if c := commonHeld(s, st); c > score {
				best, score = i, c
			}
		}
		s := f.in[to][best]
		before := s.fullKey()
		s.joinHeld(st)
		s.merge(st, f.loopHead[to])
		f.inKeys[to][best] = s.lockKey()
		if s.fullKey() != before {
			f.dirty[to][best] = true
			return []int{to}
		}
		return nil
	}
	f.in[to] = append(f.in[to], st.clone())
	f.inKeys[to] = append(f.inKeys[to], k)
	f.dirty[to] = append(f.dirty[to], true)
	return []int{to}
}

func commonHeld(a, b *State) int {
	n := 0
	for _, x := range a.Held {
		for _, y := range b.Held {
			if x.key() == y.key() {
				n++
				break
			}
		}
	}
	return n
}

// listID identifies a context list by its backing array and length.
// Lists are not changed once made, and one list is shared by many
// effects: every effect after a release of a caller's lock carries it.
type listID struct {
	first **Ctx
	n     int
}

func idOf(l []*Ctx) listID {
	if len(l) == 0 {
		return listID{}
	}
	return listID{&l[0], len(l)}
}

// pathUnheld is unheldList of an effect's released caller contexts and
// the path's, memoised by list identity, so that the effects observed
// after one release share one list (and callers translate it once).
func (f *flow) pathUnheld(eff, rel, maybe []*Ctx) []*Ctx {
	k := [3]listID{idOf(eff), idOf(rel), idOf(maybe)}
	if l, ok := f.unheldMemo[k]; ok {
		return l
	}
	if f.unheldMemo == nil {
		f.unheldMemo = map[[3]listID][]*Ctx{}
	}
	l := unheldList(eff, rel, maybe)
	f.unheldMemo[k] = l
	return l
}

// unheldList concatenates lists of released caller contexts, keeping one
// context per lock class (or, without a class, per instance). A caller
// matches them against what it holds by class when the instance differs
// (matchRelease), so further spellings of a class change nothing but
// the cost; and the spellings multiply up the call graph, one per caller
// that names the lock its own way.
func unheldList(lists ...[]*Ctx) []*Ctx {
	var out []*Ctx
	seen := map[string]bool{}
	for _, l := range lists {
		for _, c := range l {
			k := c.releaseKey()
			if !seen[k] {
				seen[k] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// uniqueCtxs concatenates context lists, keeping one of each lock.
func uniqueCtxs(lists ...[]*Ctx) []*Ctx {
	var out []*Ctx
	seen := map[string]bool{}
	for _, l := range lists {
		for _, c := range l {
			k := c.key()
			if !seen[k] {
				seen[k] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// conflicts reports whether two states disagree on a branch fact or a
// tracked gfp value.
func conflicts(a, b *State) bool {
	// Both lists are sorted by key: walk them together.
	for i, j := 0, 0; i < len(a.Conds) && j < len(b.Conds); {
		switch x, y := a.Conds[i], b.Conds[j]; {
		case x.Key < y.Key:
			i++
		case x.Key > y.Key:
			j++
		default:
			if x.Val != y.Val {
				return true
			}
			i++
			j++
		}
	}
	for _, fa := range a.Conds {
		if fa.Val && isEnumFact(fa) {
			if v, ok := otherConstant(fa.Expr, b); ok && !v {
				return true // mode == M_PARTIAL against mode == M_FULL
			}
		}
	}
	for _, g := range a.Gfp {
		if v, ok := b.gfpOf(g.Name); ok && !sameExpr(v, g.Val) {
			return true
		}
	}
	return false
}

// isEnumFact reports a fact "x == CONST".
func isEnumFact(fa *Cond) bool {
	x := fa.Expr
	return x != nil && x.Kind == cparse.EBinary && x.Op == "==" && x.X != nil && x.X.Kind == cparse.EIdent && isNamedConst(x.Y)
}

// storedConflict reports states that disagree on a value the function
// stored: a constant flag or an enumerator.
func storedConflict(a, b *State) bool {
	for _, fa := range a.Conds {
		if !fa.Const && !isEnumFact(fa) {
			continue
		}
		if v, ok := b.fact(fa.Key); ok && v != fa.Val {
			return true
		}
		if fa.Val && isEnumFact(fa) {
			if v, ok := otherConstant(fa.Expr, b); ok && !v {
				return true
			}
		}
	}
	return false
}

// argFactDiffers reports a fact on a scalar argument (a flag, a mode the
// caller passes) that one state knows and the other does not: merged,
// the path that tested it would forget it, and what it guards would
// happen for every caller ("if (!msg && !wait) return;" before a loop
// that sleeps until msg comes: the loop's back edge knows wait, the exit
// path with a msg does not). Kept apart, up to maxSameLocks.
func (f *flow) argFactDiffers(a, b *State) bool {
	for _, p := range [2][2]*State{{a, b}, {b, a}} {
		for _, fa := range p[0].Conds {
			if _, known := p[1].fact(fa.Key); !known && f.scalarArgFact(fa) {
				return true
			}
		}
	}
	return false
}
