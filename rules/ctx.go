package rules

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
	Sub  int
	Try  bool
	// FromCaller marks a context the caller holds: asserted with
	// lockdep_assert_held or annotated __must_hold, not taken here.
	FromCaller bool
	// Via is how the context was entered: call sites down to the primitive.
	Via []Step
}

func (c *Ctx) key() string {
	var b strings.Builder
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
func family(k *kb.Kind) string {
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

// Fact is the known truth of a branch condition on the current path.
type Fact struct {
	Key    string
	Val    bool
	Idents []string     // variables the condition reads: assigning one forgets it
	Expr   *cparse.Expr // the condition, to translate it into a caller's terms
	// Class is what the value means when it came from a call whose
	// outcome is known: a trylock's nonzero is success, an error code's
	// nonzero is failure.
	Class RetClass
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
	// Facts are sorted by Key.
	Facts []Fact
	// Released are the keys of locks this path released (or failed to
	// take), to tell a local double unlock.
	Released []relMark
	// CallerRel are caller-held contexts this path released (the function
	// is an unlock wrapper).
	CallerRel []*Ctx
	Gfp       []gfpVar
}

type relMark struct {
	fam, class, inst string
	step             Step
	// failed marks a trylock that failed: the lock is known not held, but
	// this path never released it.
	failed bool
}

func (m relMark) key() string { return m.fam + "|" + m.class + "|" + m.inst }

func (s *State) clone() *State {
	n := &State{}
	n.Held = append([]*Ctx(nil), s.Held...)
	n.Facts = append([]Fact(nil), s.Facts...)
	n.Released = append([]relMark(nil), s.Released...)
	n.CallerRel = append([]*Ctx(nil), s.CallerRel...)
	n.Gfp = append([]gfpVar(nil), s.Gfp...)
	return n
}

// lockKey identifies the lock configuration of a state: states that agree
// on it are merged at joins.
func (s *State) lockKey() string {
	var b strings.Builder
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
	b.WriteString(s.lockKey())
	b.WriteByte('#')
	for _, f := range s.Facts {
		b.WriteString(f.Key)
		if f.Val {
			b.WriteString("=1;")
		} else {
			b.WriteString("=0;")
		}
	}
	b.WriteByte('#')
	for _, r := range s.Released {
		b.WriteString(r.key())
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
	i := sort.Search(len(s.Facts), func(i int) bool { return s.Facts[i].Key >= key })
	if i < len(s.Facts) && s.Facts[i].Key == key {
		return s.Facts[i].Val, true
	}
	return false, false
}

func (s *State) factClass(key string) RetClass {
	i := sort.Search(len(s.Facts), func(i int) bool { return s.Facts[i].Key >= key })
	if i < len(s.Facts) && s.Facts[i].Key == key {
		return s.Facts[i].Class
	}
	return RetUnknown
}

func (s *State) setFact(f Fact) {
	i := sort.Search(len(s.Facts), func(i int) bool { return s.Facts[i].Key >= f.Key })
	if i < len(s.Facts) && s.Facts[i].Key == f.Key {
		s.Facts[i] = f
		return
	}
	s.Facts = append(s.Facts, Fact{})
	copy(s.Facts[i+1:], s.Facts[i:])
	s.Facts[i] = f
}

// forget drops what the state knows about a variable that was assigned:
// facts that read it, tracked gfp values, and lock instances named
// through it.
func (s *State) forget(name string) {
	out := s.Facts[:0]
	for _, f := range s.Facts {
		if !containsStr(f.Idents, name) {
			out = append(out, f)
		}
	}
	s.Facts = out
	g := s.Gfp[:0]
	for _, v := range s.Gfp {
		if v.Name != name && (v.Val == nil || !containsStr(v.Val.Idents(), name)) {
			g = append(g, v)
		}
	}
	s.Gfp = g
	for i, c := range s.Held {
		if c.Inst != "" && c.Expr != nil && containsStr(c.Expr.Idents(), name) {
			n := *c
			n.Inst = ""
			s.Held[i] = &n
		}
	}
	r := s.Released[:0]
	for _, m := range s.Released {
		if !strings.Contains(m.inst, name) {
			r = append(r, m)
		}
	}
	s.Released = r
}

// forgetFacts drops only what is known of a variable's value.
func (s *State) forgetFacts(name string) {
	out := s.Facts[:0]
	for _, f := range s.Facts {
		if !containsStr(f.Idents, name) {
			out = append(out, f)
		}
	}
	s.Facts = out
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
			s.Gfp[i].Val = v
			return
		}
	}
	s.Gfp = append(s.Gfp, gfpVar{name, v})
}

// merge folds o into s (same lock configuration): only what both know
// survives.
func (s *State) merge(o *State) (changed bool) {
	facts := s.Facts[:0:0]
	for _, f := range s.Facts {
		if v, ok := o.fact(f.Key); ok && v == f.Val {
			facts = append(facts, f)
		}
	}
	if len(facts) != len(s.Facts) {
		changed = true
	}
	s.Facts = facts
	rel := s.Released[:0:0]
	for _, r := range s.Released {
		for _, q := range o.Released {
			if q.key() == r.key() {
				rel = append(rel, r)
				break
			}
		}
	}
	if len(rel) != len(s.Released) {
		changed = true
	}
	s.Released = rel
	gfp := s.Gfp[:0:0]
	for _, g := range s.Gfp {
		if v, ok := o.gfpOf(g.Name); ok && sameExpr(v, g.Val) {
			gfp = append(gfp, g)
		}
	}
	if len(gfp) != len(s.Gfp) {
		changed = true
	}
	s.Gfp = gfp
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

// innermost returns the last-entered held context that satisfies pred.
func innermost(held []*Ctx, skip *Ctx, pred func(*Ctx) bool) *Ctx {
	for i := len(held) - 1; i >= 0; i-- {
		if held[i] != skip && pred(held[i]) {
			return held[i]
		}
	}
	return nil
}
