// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"strings"

	"lockbot/cparse"
)

// What a function's returns leave held and released, told apart or not
// by what its callers can see.

// ReleasingExit finds a return that does not hold c after this function
// released it, and that a caller cannot tell apart from h by the returned
// value (or h returns an error: error paths must not keep locks).
func (p *Program) ReleasingExit(fi *FuncInfo, h *Exit, c *Ctx) *Exit {
	env := typeEnv{p, fi.F}
	if handedOver(fi.F, c) {
		return nil
	}
	for _, x := range fi.Result.Exits {
		// A path to the same return that does not hold c, merged from
		// one that took and released it and one that never took it (a
		// loop run no times): the path that broke out of the loop with
		// c held is inconsistent with it.
		if x == h || holds(x.State, c) {
			continue
		}
		if !released(x.State, c) {
			// Merged at a loop's head, the path that took and released
			// c is not told apart from the one that never took it: the
			// return is inconsistent when the path holding c jumped out
			// of the code that releases it (a break out of the loop).
			if x.Block != h.Block || !maybeReleased(x.State, c) || holdsClass(x.State, c) {
				continue
			}
			if _, ok := p.Departure(fi, h, c); !ok {
				continue
			}
		}
		if nullObject(x.State, c) {
			continue // no object, no lock: "if (!inode) return true;"
		}
		if h.Class == RetError || h.Class == x.Class && h.Class != RetUnknown && !argumentsTell(env, h, x) {
			return x
		}
		if c.Kind.Lock && p.errorCode(env, h) {
			// "if (ret) return ret;" before the unlock, or a goto past it
			// to the return the unlocking path reaches too. Not a return
			// both reach by a test of state the function keeps ("if
			// (current->journal_info) gfs2_trans_end(sdp);"), which it
			// cannot be told from.
			if x.Block != h.Block {
				return x
			}
			if _, ok := p.Departure(fi, h, c); ok {
				return x
			}
		}
	}
	return nil
}

// handedOver reports a lock whose object the function stores where its
// caller finds it ("ac->ac_inode = alloc_inode;" after
// inode_lock(alloc_inode)): the caller's cleanup releases it, on every
// return (ocfs2_free_alloc_context()).
func handedOver(fn *cparse.Func, c *Ctx) bool {
	if c.Expr == nil {
		return false
	}
	obj := LockObject(c.Expr)
	if obj == nil {
		return false
	}
	root := rootOf(obj)
	if root == "" {
		if x := obj.Strip(); x != nil && x.Kind == cparse.EIdent {
			root = x.Name
		}
	}
	if root == "" {
		return false
	}
	env := typeEnv{fn: fn}
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Kind != cparse.SAssign || s.LHS == nil || s.RHS == nil {
				continue
			}
			r := s.RHS.Strip()
			if r == nil || r.Kind != cparse.EIdent || r.Name != root {
				continue
			}
			l := s.LHS.Strip()
			if l == nil || l.Kind != cparse.EField {
				continue
			}
			if base := rootOf(l); base != "" && env.paramIndex(base) >= 0 {
				return true
			}
		}
	}
	return false
}

// holdsClass reports a state holding a lock of c's family and class,
// under whatever name: the one returned through another variable ("wp =
// oldest; ... return wp;" with oldest->lock taken).
func holdsClass(st *State, c *Ctx) bool {
	for _, h := range st.Held {
		if Family(h.Kind) == Family(c.Kind) && c.Class != "" && h.Class == c.Class {
			return true
		}
	}
	return false
}

// nullObject reports a lock whose object the path knows to be NULL
// (&inode->i_lock where inode is): it cannot hold it.
func nullObject(st *State, c *Ctx) bool {
	if c.Expr == nil {
		return false
	}
	obj := LockObject(c.Expr)
	if obj == nil {
		return false
	}
	root := rootOf(obj)
	if root == "" {
		return false
	}
	v, ok := st.fact(root)
	return ok && !v
}

// marks reports a release mark of lock c: its instance, or without one
// its class.
func (m relMark) marks(c *Ctx) bool {
	return m.fam == Family(c.Kind) && (c.Inst != "" && m.inst == c.Inst || c.Inst == "" && sameClass(c.Class, m.class))
}

// maybeReleased reports a lock some path merged into st released.
func maybeReleased(st *State, c *Ctx) bool {
	for _, m := range st.RelMaybe {
		if m.marks(c) {
			return true
		}
	}
	return false
}

// releaseBlocks are the blocks in which the function releases c.
func (r *FuncResult) releaseBlocks(c *Ctx) map[int]bool {
	var out map[int]bool
	for _, x := range r.releases {
		if x.m.marks(c) {
			if out == nil {
				out = map[int]bool{}
			}
			out[x.block] = true
		}
	}
	return out
}

// Departure finds where a return that leaves c held parts from the code
// that releases it: the goto, break or continue after which no release of
// c can be reached, on the way to the return. A reviewer needs that line
// (the goto past the unlock); a patch adding it is anchored there. It
// returns false when the return itself is where the path leaves ("if
// (ret) return ret;"), or when the function releases c nowhere.
func (p *Program) Departure(fi *FuncInfo, h *Exit, c *Ctx) (Step, bool) {
	fn := fi.F
	rel := fi.Result.releaseBlocks(c)
	if len(rel) == 0 || h.Block < 0 || h.Block >= len(fn.Blocks) {
		return Step{}, false
	}
	preds := make([][]int, len(fn.Blocks))
	for _, b := range fn.Blocks {
		for _, s := range b.Succs {
			preds[s] = append(preds[s], b.ID)
		}
	}
	// Blocks from which a release of c can be reached.
	reach := make([]bool, len(fn.Blocks))
	var work []int
	for id := range rel {
		reach[id] = true
		work = append(work, id)
	}
	for len(work) > 0 {
		id := work[len(work)-1]
		work = work[:len(work)-1]
		for _, q := range preds[id] {
			if !reach[q] {
				reach[q] = true
				work = append(work, q)
			}
		}
	}
	if reach[h.Block] {
		return Step{}, false
	}
	// Back from the return over blocks that reach no release, to the
	// jumps that lead there from blocks that do, releases excluded (the
	// path that released c joins here too). The jump closest to the
	// return is the one named.
	seen := make([]bool, len(fn.Blocks))
	seen[h.Block] = true
	queue := []int{h.Block}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		b := fn.Blocks[id]
		for _, q := range preds[id] {
			if rel[q] {
				continue
			}
			if reach[q] {
				if b.Leave != "" && b.Line > 0 {
					return Step{File: fn.File.Path, Line: b.Line, Func: fn.Name, Note: b.Leave + " leaves the path that releases the lock"}, true
				}
				continue
			}
			if !seen[q] {
				seen[q] = true
				queue = append(queue, q)
			}
		}
	}
	return Step{}, false
}

// ErrorExit reports a return of an error: -EINVAL, ERR_PTR(), or, with
// a lock held, a variable holding a callee's error code (see errorCode).
func (p *Program) ErrorExit(fi *FuncInfo, h *Exit, c *Ctx) bool {
	return h.Class == RetError || c.Kind.Lock && p.errorCode(typeEnv{p, fi.F}, h)
}

// errorCode reports "if (ret) return ret;" in a function returning a
// signed int: the value is known not to be 0, and by the kernel's
// convention a nonzero int a function passes on from what it called is
// an error code. A conditional lock says so with constants (return 1)
// or a bool, which this leaves alone; so do the primitives that enter a
// context when a call succeeds (rt_spin_trylock_bh keeps bottom halves
// off when its trylock returns nonzero), which is why callers ask it
// only of locks.
func (p *Program) errorCode(env typeEnv, h *Exit) bool {
	if h.Class != RetUnknown || h.Ret == nil || !signedInt(env.fn.Ret) {
		return false
	}
	x := h.Ret.Strip()
	if x == nil || x.Kind != cparse.EIdent || !env.isLocal(x.Name) {
		return false
	}
	t, _ := env.ident(x.Name)
	if !signedInt(t) {
		return false
	}
	v, ok := h.State.fact(x.Name)
	return ok && v && h.State.factClass(x.Name) == RetUnknown
}

// signedInt is a type an error code is returned in.
func signedInt(t cparse.Type) bool {
	if t.Ptr > 0 || t.Array {
		return false
	}
	switch t.Base {
	case "int", "long", "long int", "signed int", "ssize_t", "s32", "s64", "int32_t", "int64_t", "long long", "vm_fault_t", "blk_status_t":
		return true
	}
	return false
}

// argumentsTell reports whether the two returns are told apart by a
// condition on the arguments (a "bool unlock" parameter): the caller knows
// which one it gets.
func argumentsTell(env typeEnv, a, b *Exit) bool {
	for _, fa := range a.State.Conds {
		if !paramFact(env, fa) && !globalFact(env, fa) || derefs(fa.Expr) {
			continue
		}
		if v, ok := b.State.fact(fa.Key); ok && v != fa.Val {
			return true
		}
	}
	return false
}

// globalFact is a condition on global variables only: a mode the
// function keeps in a static flag ("regions_updating = true; goto
// keep_lock_out;"), which the code that comes next reads.
func globalFact(env typeEnv, f *Cond) bool {
	if strings.HasPrefix(f.Key, "$") || f.Expr == nil || len(f.Idents) == 0 {
		return false
	}
	for _, id := range f.Idents {
		if env.isLocal(id) {
			return false
		}
		if _, ok := env.ident(id); !ok {
			return false // a name the file does not declare: a macro, a constant
		}
	}
	return true
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
		if !m.failed && (m.marks(c) || m.fam == Family(c.Kind) && !c.Kind.Lock) {
			return true
		}
	}
	return false
}

// Retaken reports a held context that takes back what the function
// released of its caller's (libiscsi's fail_scsi_tasks() drops the
// caller's frwd_lock with spin_unlock_bh() and takes it again with
// spin_lock_bh()): no net change for the caller, as outcomes count it.
func (s *State) Retaken(c *Ctx) bool {
	for _, r := range s.CallerRel {
		if sameLock(r, c) {
			return true
		}
	}
	for _, r := range s.CallerMaybe {
		if sameLock(r, c) {
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
	return sameClass(a.Class, b.Class)
}

// Detour finds the jump (goto, break, continue) on the way from the
// statement on line from to the one on line to that the reader must see:
// for a lock released twice, the goto after the first unlock that lands
// before the second. Of the shortest path between them, the last jump
// is named.
func (p *Program) Detour(fi *FuncInfo, from, to int) (Step, bool) {
	fn := fi.F
	at := func(line int) map[int]bool {
		m := map[int]bool{}
		for _, b := range fn.Blocks {
			for _, s := range b.Stmts {
				if s.Line == line {
					m[b.ID] = true
				}
			}
		}
		return m
	}
	src, dst := at(from), at(to)
	if len(src) == 0 || len(dst) == 0 {
		return Step{}, false
	}
	parent := make([]int, len(fn.Blocks))
	for i := range parent {
		parent[i] = -2
	}
	var queue []int
	for id := range src {
		for _, s := range fn.Blocks[id].Succs {
			if parent[s] == -2 {
				parent[s] = id
				queue = append(queue, s)
			}
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if dst[id] {
			for b := parent[id]; b >= 0; b = parent[b] {
				if blk := fn.Blocks[b]; blk.Leave != "" && blk.Line > 0 {
					return Step{File: fn.File.Path, Line: blk.Line, Func: fn.Name, Note: blk.Leave + " leads here"}, true
				}
				if src[b] {
					break
				}
			}
			return Step{}, false
		}
		for _, s := range fn.Blocks[id].Succs {
			if parent[s] == -2 {
				parent[s] = id
				queue = append(queue, s)
			}
		}
	}
	return Step{}, false
}
