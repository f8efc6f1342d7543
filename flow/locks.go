// SPDX-License-Identifier: GPL-2.0-only

package flow

// Lock sets: taking, finding and releasing held contexts, and naming
// locks by instance and class.

import (
	"strings"

	"lockbot/cparse"
	"lockbot/kb"
)

// findHeld returns the held context for a lock expression, or nil.
func (f *flow) findHeld(st *State, arg *cparse.Expr) *Ctx {
	inst, class := f.lockName(arg)
	if inst == "" {
		return nil
	}
	for i := len(st.Held) - 1; i >= 0; i-- {
		c := st.Held[i]
		if c.Inst != "" && c.Inst == inst || class != "" && c.Class == class {
			return c
		}
	}
	return nil
}

// acquire adds a context; a non-recursive lock already held (DOUBLE_LOCK
// reports it) is not added twice.
func (f *flow) acquire(st *State, c *Ctx) {
	var flags []string
	for _, fa := range st.Conds {
		if fa.Const && fa.Val && len(fa.Idents) == 1 {
			flags = append(flags, fa.Idents[0])
		}
	}
	if len(flags) > 0 {
		n := *c
		n.Flags = append(append([]string(nil), c.Flags...), flags...)
		c = &n
	}
	k := c.key()
	n := 0
	for _, h := range st.Held {
		if h.key() == k || h.Inst != "" && h.Inst == c.Inst && Family(h.Kind) == Family(c.Kind) && h.Sub == c.Sub {
			n++
		}
	}
	if n > 0 && (!c.Kind.Recursive || n >= maxRecursion) {
		return
	}
	if len(st.Held) >= maxInner {
		// More held at once than lockdep allows a task (MAX_LOCK_DEPTH):
		// no kernel runs this path, and each lock more costs every later
		// statement.
		f.failed = true
		f.p.log.Debug("more contexts held than lockdep allows", "function", f.fn.Name, "file", f.fn.File.Path)
		return
	}
	st.Held = append(st.Held, c)
	if c.Expr != nil {
		// &p->lock was dereferenced: p is not NULL; so is the pointer a
		// lock was taken through (spin_lock(pvmw->ptl)).
		if obj := LockObject(c.Expr); obj != nil {
			if base := rootOf(obj); base != "" && !strings.ContainsAny(base, "*&.-> ") {
				if _, known := st.fact(base); !known {
					st.setFact(Cond{Key: base, Val: true, Idents: []string{base}, Expr: &cparse.Expr{Kind: cparse.EIdent, Name: base}, Class: RetNonZero})
				}
			}
			if obj.Kind == cparse.EUnary && obj.Op == "*" {
				if p := Canon(obj.X); p != nil && p.Kind == cparse.EField {
					if k := p.String(); isAccessPath(k) {
						if _, known := st.fact(k); !known {
							st.setFact(Cond{Key: k, Val: true, Idents: p.Idents(), Expr: p, Class: RetNonZero})
						}
					}
				}
			}
		}
	}
	// Taking a lock again ends what we knew of its earlier release.
	var r []relMark
	drop := false
	for _, m := range st.Released {
		if !(m.fam == Family(c.Kind) && (m.inst != "" && m.inst == c.Inst || m.class != "" && m.class == c.Class || !c.Kind.Lock)) {
			r = append(r, m)
		} else {
			drop = true
		}
	}
	if drop {
		st.Released = r
	}
}

// release drops the held context a release primitive names. When nothing
// matches, the lock is either one this path already released (a local
// double unlock, when local is set) or one the caller holds.
//
// argClass is the class of a lock arg cannot name (a callee's release of
// its own variable, "anon_vma->root->rwsem" with anon_vma its local):
// only a held lock of that class is the one released, not whichever of
// its family is held (the caller's mmap_lock).
func (f *flow) release(s *cparse.Stmt, b *cparse.Block, kind *kb.Kind, arg *cparse.Expr, argClass string, st *State, via Step, local bool) {
	fam := Family(kind)
	inst, class := "", ""
	var expr *cparse.Expr
	if arg != nil {
		expr = f.canonLock(arg)
		if expr != nil {
			class = f.env.classOf(Canon(arg))
			if argClass != "" && strings.HasPrefix(argClass, class+"@") {
				// Another file's static, released by a callee there
				// (torture_init_end()): the callee names its class.
				class = argClass
			}
			inst = instOf(expr, class)
		}
	}
	var idx int
	if arg == nil && argClass != "" && kind.Lock {
		class = argClass
		idx = -1
		for i := len(st.Held) - 1; i >= 0; i-- {
			if c := st.Held[i]; Family(c.Kind) == fam && sameClass(c.Class, class) {
				idx = i
				break
			}
		}
	} else {
		idx = -1
		if inst != "" && argClass != "" {
			// A callee's release, named as the callee names it: another
			// file's static keeps its file (instOf), which this file's
			// reading of the expression would not give it (ovs_unlock()
			// releases datapath.c's ovs_mutex that ovs_lock() took).
			idx = st.heldInst(fam, inst)
		}
		if idx < 0 {
			idx = f.matchRelease(st, kind, arg)
		}
	}
	if idx >= 0 {
		c := st.Held[idx]
		st.Held = append(st.Held[:idx:idx], st.Held[idx+1:]...)
		m := relMark{fam: fam, class: c.Class, inst: c.Inst, by: inst, step: via}
		st.Released = append(st.Released, m)
		if !c.FromCaller && b != nil {
			f.out.noteRelease(m, b.ID)
		}
		if c.FromCaller {
			// The caller's context, asserted or annotated: releasing it is
			// part of what this function does to its caller.
			rel := *c
			rel.Via = NewPath(via)
			st.CallerRel = append(st.CallerRel, &rel)
		}
		return
	}
	for _, m := range st.Released {
		if m.fam == fam && (m.inst != "" && m.inst == inst || m.class != "" && m.class == class || !kind.Lock) {
			if m.by != "" && inst != "" && m.by != inst && f.distinct(st, m.by, inst) {
				// "if (pml != ptl) spin_unlock(pml)" after unlocking ptl:
				// the path says they are two locks, so the earlier
				// release was of the other one.
				return
			}
			if local && f.record {
				prev := m.step
				c := &Ctx{Kind: kind, Class: class, Inst: inst, Expr: expr}
				f.observe(s, st, &Effect{Kind: ERelease, GfpParam: -1, Ctx: c, What: via.Note, Prev: &prev,
					Chain: []Step{prev, via}}, nil, b)
			}
			return
		}
	}
	c := &Ctx{Kind: kind, Class: class, Inst: inst, Expr: expr, FromCaller: true, Via: NewPath(via)}
	for _, r := range st.CallerRel {
		if r.key() == c.key() {
			return
		}
	}
	st.CallerRel = append(st.CallerRel, c)
}

// distinct reports whether the path knows two lock pointers to differ:
// a branch on "a != b" taken, or on "a == b" not taken.
func (f *flow) distinct(st *State, a, b string) bool {
	for _, fa := range st.Conds {
		x := fa.Expr.Strip()
		if x == nil || x.Kind != cparse.EBinary || x.Op != "!=" && x.Op != "==" {
			continue
		}
		l, r := f.canonLock(x.X), f.canonLock(x.Y)
		if l == nil || r == nil {
			continue
		}
		ls, rs := l.String(), r.String()
		if (ls == a && rs == b || ls == b && rs == a) && fa.Val == (x.Op == "!=") {
			return true
		}
	}
	return false
}

// unnamedHeld reports a held lock of the family and class whose instance
// is no longer known (its variables changed): a release naming another
// object may be of that one (__d_move()'s old_parent after
// "dentry->d_parent = target->d_parent").
func unnamedHeld(st *State, fam, class string) bool {
	for _, c := range st.Held {
		if Family(c.Kind) == fam && c.Inst == "" && sameClass(c.Class, class) {
			return true
		}
	}
	return false
}

// releasedInst reports an instance this path held and released: the
// matching of its releases has gone astray already, and the first
// release keeps its meaning.
func releasedInst(st *State, inst string) bool {
	for _, m := range st.Released {
		if m.inst == inst || m.by == inst {
			return true
		}
	}
	return false
}

// otherObject reports a held lock and a lock argument that are the same
// member of two objects the path knows to differ: "&a->mutex" held and
// "&b->mutex" released after a branch on "a != b".
func (f *flow) otherObject(st *State, c *Ctx, arg *cparse.Expr) bool {
	if c.Expr == nil || c.Inst == "" {
		return false // no instance: its variables changed since
	}
	h, r := LockObject(c.Expr), LockObject(f.canonLock(arg))
	if h == nil || r == nil || h.Kind != cparse.EField || r.Kind != cparse.EField || h.Name != r.Name || h.Op != r.Op {
		return false
	}
	return f.distinct(st, h.X.String(), r.X.String())
}

// heldInst returns the index of the innermost held context of family
// fam and instance inst, or -1.
func (s *State) heldInst(fam, inst string) int {
	if inst == "" {
		return -1
	}
	for i := len(s.Held) - 1; i >= 0; i-- {
		if c := s.Held[i]; c.Inst == inst && Family(c.Kind) == fam {
			return i
		}
	}
	return -1
}

// matchRelease returns the index of the held context a release of kind on
// arg releases, or -1: the same lock expression, else the same class, else
// the only held lock of that kind when one side's name is unknown.
func (f *flow) matchRelease(st *State, kind *kb.Kind, arg *cparse.Expr) int {
	fam := Family(kind)
	inst, class := f.lockName(arg)
	if i := st.heldInst(fam, inst); i >= 0 {
		return i
	}
	for i := len(st.Held) - 1; i >= 0; i-- {
		c := st.Held[i]
		if Family(c.Kind) == fam && (sameClass(c.Class, class) || arg == nil || !kind.Lock) {
			if arg != nil && f.otherObject(st, c, arg) && !unnamedHeld(st, fam, class) && !releasedInst(st, inst) {
				// put_chip()'s mutex_unlock(&chip->mutex) with
				// &loaner->mutex held where "loaner != chip": the
				// caller's lock, not this one.
				continue
			}
			return i
		}
	}
	if arg == nil {
		return -1
	}
	if inst != "" && kind.Lock {
		// The same lock object held as a lock of another family: its
		// type depends on the configuration (struct kvm's mmu_lock is an
		// rwlock_t where KVM_HAVE_MMU_RWLOCK, a spinlock_t elsewhere),
		// and the held context took the kind of the type that was read
		// (lockdep_assert_held_write(&kvm->mmu_lock)).
		for i := len(st.Held) - 1; i >= 0; i-- {
			if c := st.Held[i]; c.Kind.Lock && c.Inst == inst {
				return i
			}
		}
	}
	cand := -1
	for i, c := range st.Held {
		if Family(c.Kind) == fam {
			if cand >= 0 {
				return -1
			}
			cand = i
		}
	}
	if cand >= 0 && class == "" {
		return cand
	}
	return -1
}

// lockName returns the instance and class of a lock argument, memoised:
// a release is matched on every path through it.
func (f *flow) lockName(arg *cparse.Expr) (inst, class string) {
	if arg == nil {
		return "", ""
	}
	if n, ok := f.names[arg]; ok {
		return n[0], n[1]
	}
	if expr := f.canonLock(arg); expr != nil {
		// The class from the source's spelling: a local's declared type
		// says more than the expression it stands for (a void *private).
		class = f.env.classOf(Canon(arg))
		inst = instOf(expr, class)
	}
	if f.names == nil {
		f.names = map[*cparse.Expr][2]string{}
	}
	f.names[arg] = [2]string{inst, class}
	return inst, class
}

// canonLock names a lock expression the way callers will: locals that
// stand for an expression of the parameters ("rtm = &rwb->rtmutex") are
// replaced by it, so a lock taken through the local and released by a
// helper given the parameter are one instance.
func (f *flow) canonLock(x *cparse.Expr) *cparse.Expr {
	if len(f.defs) > 0 && x != nil {
		x = x.Subst(f.defs)
	}
	return Canon(x)
}
