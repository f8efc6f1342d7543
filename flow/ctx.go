// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"sort"
	"strconv"
	"strings"

	"lockbot/cparse"
	"lockbot/kb"
)

// Step is one line of an evidence chain.
type Step struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Func string `json:"function"`
	Note string `json:"note"`
}

// Path is a chain of steps, shared between the contexts that extend it:
// a caller's context is the callee's with its call site in front, one
// node rather than a copy of the chain.
type Path struct {
	Step Step
	Next *Path
	n    int
}

// NewPath makes a path of one step.
func NewPath(s Step) *Path { return &Path{Step: s, n: 1} }

// Push returns the path with s in front.
func (p *Path) Push(s Step) *Path { return &Path{Step: s, Next: p, n: p.Len() + 1} }

// Len is the number of steps.
func (p *Path) Len() int {
	if p == nil {
		return 0
	}
	return p.n
}

// Steps lists the steps, outermost first.
func (p *Path) Steps() []Step {
	out := make([]Step, 0, p.Len())
	for ; p != nil; p = p.Next {
		out = append(out, p.Step)
	}
	return out
}

// Last is the innermost step: the primitive.
func (p *Path) Last() Step {
	for p.Next != nil {
		p = p.Next
	}
	return p.Step
}

// Ctx is a held context: a lock, or a section with preemption, interrupts
// or bottom halves disabled, or an RCU read side.
type Ctx struct {
	Kind *kb.Kind
	// Class names the lock as lockdep would ("struct dm_snapshot::pe_lock",
	// "registry_lock"); empty for kinds without identity or when the type
	// of the lock expression is unknown.
	Class string
	// Inst identifies the lock object in the current function's terms (the
	// canonical lock expression); empty when unknown.
	Inst string
	// Expr is the lock expression in the current function's terms.
	Expr *cparse.Expr
	// Sub is the lockdep subclass of a *_nested() acquisition; SubParam
	// names the parameter it came from, for callers to decide.
	Sub      int
	SubParam string
	Try      bool
	// FromCaller marks a context the caller holds: asserted with
	// lockdep_assert_held or annotated __must_hold, not taken here.
	FromCaller bool
	// Via is how the context was entered: call sites down to the primitive.
	Via *Path
	// WhenNull, for a context the caller gives a callback, names the
	// callback's parameter that is NULL exactly when it is called in that
	// context (kb.OpsContext.WhenNull): a path that found it non-NULL is
	// out of it.
	WhenNull string
	// SavedIn, for an interrupts-off context a save began
	// (local_irq_save(flags)), is the variable the state before it was
	// saved in: a restore from it ends the context (kb's irq_flags).
	SavedIn string
	// Flags are variables set to a true constant when the lock was taken
	// ("locked = 1"): a callee given their address may drop the lock.
	Flags []string
	// KeptIf, for a lock a callee left held on some of its returns and
	// released on others, names the condition of the first kind, a flag
	// of an object the path cannot decide (xfs_trans_cancel() ends the
	// freeze protection unless tp->t_flags has XFS_TRANS_NO_WRITECOUNT):
	// what holds only while the lock is still held holds only if that.
	KeptIf string
	// keyCache memoises key(); a copy that changes identity fields must
	// clear it.
	keyCache string
}

func (c *Ctx) key() string {
	if c.keyCache == "" {
		c.keyCache = c.computeKey()
	}
	return c.keyCache
}

func (c *Ctx) computeKey() string {
	var b strings.Builder
	b.Grow(len(c.Kind.Name) + len(c.Class) + len(c.Inst) + 8)
	b.WriteString(c.Kind.Name)
	b.WriteByte('|')
	b.WriteString(c.Class)
	b.WriteByte('|')
	b.WriteString(c.Inst)
	if c.Sub != 0 {
		b.WriteString("|s")
		b.WriteString(strconv.Itoa(c.Sub))
	}
	if c.FromCaller {
		b.WriteString("|c")
	}
	return b.String()
}

// family is the lock object kind: read and write sides of one lock type
// are one family.
// releaseKey is what a release is matched on: the lock family and its
// class, or its instance when it has no class.
func (c *Ctx) releaseKey() string {
	if c.Class != "" {
		return Family(c.Kind) + "|" + c.Class
	}
	return Family(c.Kind) + "||" + c.Inst
}

func Family(k *kb.Kind) string {
	n := strings.TrimSuffix(strings.TrimSuffix(k.Name, "_read"), "_write")
	return n
}

// Name describes the context for messages: "spinlock_t struct foo::lock".
func (c *Ctx) Name() string {
	d := c.Kind.Desc
	if c.Class != "" {
		return d + " " + c.Class
	}
	if c.Expr != nil && c.Kind.Lock {
		return d + " " + c.Expr.String()
	}
	return d
}

// Cond is the known truth of a branch condition on the current path.
type Cond struct {
	Key    string
	Val    bool
	Idents []string     // variables the condition reads: assigning one forgets it
	Expr   *cparse.Expr // the condition, to translate it into a caller's terms
	// Class is what the value means when it came from a call whose
	// outcome is known: a trylock's nonzero is success, an error code's
	// nonzero is failure.
	Class RetClass
	// Const: the variable was assigned a constant.
	Const bool
}

// gfpVar is a tracked value of a gfp_t variable.
type gfpVar struct {
	Name string
	Val  *cparse.Expr
}

// State is one abstract state of the lock analysis: what is held, what is
// known of branch conditions, and which locks this path released.
type State struct {
	Held []*Ctx
	// Conds are sorted by Key.
	Conds []*Cond
	// Released are the keys of locks this path released (or failed to
	// take), to tell a local double unlock.
	Released []relMark
	// RelMaybe are locks some path merged into this one released, which
	// the others never took: a loop run no times joining one that took
	// and released its lock. A return a path reaches holding the lock,
	// that such a state reaches too, is inconsistent (ReleasingExit).
	RelMaybe []relMark
	// CallerRel are caller-held contexts this path released (the function
	// is an unlock wrapper).
	CallerRel []*Ctx
	// CallerMaybe are caller-held contexts a callee may have released.
	CallerMaybe []*Ctx
	Gfp         []gfpVar
}

type relMark struct {
	fam, class, inst string
	// by is the lock expression the release named: another pointer to
	// the same lock ("pte_unmap_unlock(pte, ptl)" releasing pml when the
	// analysis took them for one lock).
	by   string
	step Step
	// failed marks a trylock that failed: the lock is known not held, but
	// this path never released it.
	failed bool
}

func (m relMark) key() string { return m.fam + "|" + m.class + "|" + m.inst }

func hasMark(l []relMark, m relMark) bool {
	for _, x := range l {
		if x.key() == m.key() {
			return true
		}
	}
	return false
}

// addRelMaybe notes a release some merged path made; it reports whether
// it was new. A failed trylock released nothing.
func (s *State) addRelMaybe(m relMark) bool {
	if m.failed || hasMark(s.RelMaybe, m) {
		return false
	}
	s.RelMaybe = append(s.RelMaybe[:len(s.RelMaybe):len(s.RelMaybe)], m)
	return true
}

// clone returns a copy that shares the slices, capped so that an append on
// either side makes a new array. States are copy-on-write: no method
// writes into a slice element in place.
func (s *State) clone() *State {
	return &State{
		Held:        s.Held[:len(s.Held):len(s.Held)],
		Conds:       s.Conds[:len(s.Conds):len(s.Conds)],
		Released:    s.Released[:len(s.Released):len(s.Released)],
		RelMaybe:    s.RelMaybe[:len(s.RelMaybe):len(s.RelMaybe)],
		CallerRel:   s.CallerRel[:len(s.CallerRel):len(s.CallerRel)],
		CallerMaybe: s.CallerMaybe[:len(s.CallerMaybe):len(s.CallerMaybe)],
		Gfp:         s.Gfp[:len(s.Gfp):len(s.Gfp)],
	}
}

// lockKey identifies the lock configuration of a state: states that agree
// on it are merged at joins.
func (s *State) lockKey() string {
	var b strings.Builder
	b.Grow(48*(len(s.Held)+len(s.CallerRel)) + 1)
	for _, c := range s.Held {
		b.WriteString(c.key())
		b.WriteByte(';')
	}
	b.WriteByte('#')
	for _, c := range s.CallerRel {
		b.WriteString(c.key())
		b.WriteByte(';')
	}
	return b.String()
}

func (s *State) fullKey() string {
	var b strings.Builder
	b.Grow(48*(len(s.Held)+len(s.CallerRel)+len(s.Released)+len(s.CallerMaybe)) + 24*(len(s.Conds)+len(s.Gfp)) + 8)
	b.WriteString(s.lockKey())
	b.WriteByte('#')
	for _, f := range s.Conds {
		writeFact(&b, f)
	}
	b.WriteByte('#')
	for _, r := range s.Released {
		b.WriteString(r.key())
		b.WriteByte(';')
	}
	b.WriteByte('#')
	for _, c := range s.CallerMaybe {
		b.WriteString(c.key())
		b.WriteByte(';')
	}
	b.WriteByte('#')
	for _, g := range s.Gfp {
		b.WriteString(g.Name)
		b.WriteByte('=')
		if g.Val != nil {
			b.WriteString(g.Val.String())
		}
		b.WriteByte(';')
	}
	return b.String()
}

func (s *State) fact(key string) (val, ok bool) {
	i := sort.Search(len(s.Conds), func(i int) bool { return s.Conds[i].Key >= key })
	if i < len(s.Conds) && s.Conds[i].Key == key {
		return s.Conds[i].Val, true
	}
	return false, false
}

func (s *State) factOf(key string) *Cond {
	i := sort.Search(len(s.Conds), func(i int) bool { return s.Conds[i].Key >= key })
	if i < len(s.Conds) && s.Conds[i].Key == key {
		return s.Conds[i]
	}
	return nil
}

func (s *State) factClass(key string) RetClass {
	i := sort.Search(len(s.Conds), func(i int) bool { return s.Conds[i].Key >= key })
	if i < len(s.Conds) && s.Conds[i].Key == key {
		return s.Conds[i].Class
	}
	return RetUnknown
}

func (s *State) setFact(f Cond) { s.setFactPtr(&f) }

// setFactPtr records f, shared: facts are never changed once made.
func (s *State) setFactPtr(f *Cond) {
	i := sort.Search(len(s.Conds), func(i int) bool { return s.Conds[i].Key >= f.Key })
	if i < len(s.Conds) {
		if o := s.Conds[i]; o.Key == f.Key && o.Val == f.Val && o.Class == f.Class && o.Const == f.Const {
			return // facts are shared between states: copy only on change
		}
	}
	n := make([]*Cond, 0, len(s.Conds)+1)
	n = append(n, s.Conds[:i]...)
	n = append(n, f)
	if i < len(s.Conds) && s.Conds[i].Key == f.Key {
		i++
	}
	s.Conds = append(n, s.Conds[i:]...)
}

// filterFacts keeps the facts keep accepts, copying only when one goes.
func (s *State) filterFacts(keep func(*Cond) bool) {
	for i, f := range s.Conds {
		if keep(f) {
			continue
		}
		out := append([]*Cond(nil), s.Conds[:i]...)
		for _, g := range s.Conds[i+1:] {
			if keep(g) {
				out = append(out, g)
			}
		}
		s.Conds = out
		return
	}
}

// forget drops what the state knows about a variable that was assigned:
// facts that read it, tracked gfp values, and lock instances named
// through it.
func (s *State) forget(name string) {
	s.forgetFacts(name)
	var g []gfpVar
	changed := false
	for _, v := range s.Gfp {
		if v.Name != name && (v.Val == nil || !v.Val.Reads(name)) {
			g = append(g, v)
		} else {
			changed = true
		}
	}
	if changed {
		s.Gfp = g
	}
	copied := false
	for i, c := range s.Held {
		if c.Inst != "" && c.Expr != nil && c.Expr.Reads(name) {
			if !copied {
				s.Held = append([]*Ctx(nil), s.Held...)
				copied = true
			}
			n := *c
			n.Inst = ""
			n.keyCache = ""
			s.Held[i] = &n
		}
	}
	var r []relMark
	changed = false
	for _, m := range s.Released {
		if !strings.Contains(m.inst, name) {
			r = append(r, m)
		} else {
			changed = true
		}
	}
	if changed {
		s.Released = r
	}
}

// mentions reports whether the state tracks anything about a variable.
func (s *State) mentions(name string) bool {
	for _, f := range s.Conds {
		if containsStr(f.Idents, name) {
			return true
		}
	}
	for _, g := range s.Gfp {
		if g.Name == name {
			return true
		}
	}
	for _, c := range s.Held {
		if c.Inst != "" && c.Expr != nil && c.Expr.Reads(name) {
			return true
		}
	}
	for _, m := range s.Released {
		if strings.Contains(m.inst, name) {
			return true
		}
	}
	return false
}

func (s *State) isCallerMaybe(c *Ctx) bool {
	for _, x := range s.CallerMaybe {
		if sameLock(x, c) {
			return true
		}
	}
	return false
}

// forgetFacts drops only what is known of a variable's value.
func (s *State) forgetFacts(name string) {
	s.filterFacts(func(f *Cond) bool { return !containsStr(f.Idents, name) })
}

func (s *State) gfpOf(name string) (*cparse.Expr, bool) {
	for _, g := range s.Gfp {
		if g.Name == name {
			return g.Val, true
		}
	}
	return nil, false
}

func (s *State) setGfp(name string, v *cparse.Expr) {
	for i, g := range s.Gfp {
		if g.Name == name {
			n := append([]gfpVar(nil), s.Gfp...)
			n[i].Val = v
			s.Gfp = n
			return
		}
	}
	s.Gfp = append(s.Gfp[:len(s.Gfp):len(s.Gfp)], gfpVar{name, v})
}

// joinHeld keeps in s only the contexts o holds too; what either
// released of the caller's is now only maybe released.
func (s *State) joinHeld(o *State) {
	var held []*Ctx
	for _, x := range s.Held {
		for _, y := range o.Held {
			if x.key() == y.key() {
				held = append(held, x)
				break
			}
		}
	}
	s.Held = held
	s.CallerMaybe = uniqueCtxs(s.CallerMaybe, s.CallerRel, o.CallerRel, o.CallerMaybe)
	s.CallerRel = nil
}

// merge folds o into s (same lock configuration): only what both know
// survives.
//
// keepMaybe (at a loop's head) notes in RelMaybe the releases one side
// made and the other did not.
func (s *State) merge(o *State, keepMaybe bool) (changed bool) {
	before := len(s.Conds)
	s.filterFacts(func(f *Cond) bool {
		v, ok := o.fact(f.Key)
		return ok && v == f.Val
	})
	if len(s.Conds) != before {
		changed = true
	}
	var rel []relMark
	drop := false
	for _, r := range s.Released {
		if hasMark(o.Released, r) {
			rel = append(rel, r)
		} else {
			drop = true
			if keepMaybe {
				changed = s.addRelMaybe(r) || changed
			}
		}
	}
	if keepMaybe {
		for _, q := range o.Released {
			if !hasMark(s.Released, q) {
				changed = s.addRelMaybe(q) || changed
			}
		}
	}
	for _, q := range o.RelMaybe {
		changed = s.addRelMaybe(q) || changed
	}
	if drop {
		changed = true
		s.Released = rel
	}
	for _, c := range o.CallerMaybe {
		found := false
		for _, x := range s.CallerMaybe {
			if x.key() == c.key() {
				found = true
			}
		}
		if !found {
			s.CallerMaybe = append(s.CallerMaybe[:len(s.CallerMaybe):len(s.CallerMaybe)], c)
			changed = true
		}
	}
	var gfp []gfpVar
	drop = false
	for _, g := range s.Gfp {
		if v, ok := o.gfpOf(g.Name); ok && sameExpr(v, g.Val) {
			gfp = append(gfp, g)
		} else {
			drop = true
		}
	}
	if drop {
		changed = true
		s.Gfp = gfp
	}
	return changed
}

func sameExpr(a, b *cparse.Expr) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a == b || a.String() == b.String()
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Innermost returns the last-entered held context that satisfies pred.
func Innermost(held []*Ctx, skip *Ctx, pred func(*Ctx) bool) *Ctx {
	for i := len(held) - 1; i >= 0; i-- {
		if held[i] != skip && pred(held[i]) {
			return held[i]
		}
	}
	return nil
}

// writeFact writes a fact as its keys spell it: "key=1;" or "key=0;".
func writeFact(b *strings.Builder, f *Cond) {
	b.WriteString(f.Key)
	if f.Val {
		b.WriteString("=1;")
	} else {
		b.WriteString("=0;")
	}
}

// instOf is the instance a lock expression names: its text, and for a
// file's static lock (class "register_mutex@seq/seq_midi.c") the file
// too, as two files' static DEFINE_MUTEX(register_mutex) are two locks
// that "&register_mutex" names alike.
func instOf(x *cparse.Expr, class string) string {
	inst := x.String()
	if i := strings.LastIndexByte(class, '@'); i > 0 && !strings.Contains(class, "::") && strings.Contains(class[i:], "/") {
		inst += class[i:]
	}
	return inst
}
