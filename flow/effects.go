// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"sort"
	"strconv"
	"strings"

	"lockbot/cparse"
	"lockbot/kb"
)

// EffKind is what a primitive does that a rule may care about.
type EffKind uint8

const (
	ETake     EffKind = iota // takes a lock or enters a context (Ctx)
	ESleep                   // may sleep
	EAlloc                   // allocates memory
	EWait                    // waits for RCU, SRCU, a work item or a queue
	ERegister                // registers callback Fn for work item Item
	EQueue                   // queues Item on Queue
	ESeqWrite                // begins a write on a plain seqcount_t (Ctx)
	ERelease                 // releases a lock this path already released
	ECallArg                 // calls the function its parameter FnParam points to
)

func (k EffKind) String() string {
	return [...]string{"take", "sleep", "alloc", "wait", "register", "queue", "seqwrite", "release", "callarg"}[k]
}

// Effect is one thing a statement does, directly or deep in a callee.
type Effect struct {
	Kind EffKind
	Ctx  *Ctx
	// What describes the primitive: "kmalloc(..., GFP_KERNEL)".
	What string
	// GfpParam is the parameter whose gfp mask decides whether the effect
	// happens (the function passes its own gfp down), or -1.
	GfpParam int
	// Blocks: the sleep waits for another party (matters for NOWAIT).
	Blocks bool
	// Sleeps: an allocation that may also sleep. Frees: an EAlloc that
	// frees memory rather than allocating it: it goes to the allocator
	// as an allocation does.
	Sleeps bool
	Frees  bool
	// MaskHere: an allocation whose blocking mask the observing function
	// itself passes to the callee that allocates with it (realizeGfp);
	// not kept in summaries.
	MaskHere bool
	// Unless are the kinds inside which the effect does not happen
	// (kb's sleeps_unless): a caller holding one, or the context a
	// callback runs in, does not see it.
	Unless []string
	// ModeAlt: the effect happens on the sleeping arm of a mode branch
	// (mode.go), which callers in atomic context do not take.
	ModeAlt bool
	// OpsArg is 1 + the parameter whose ops table the effect was reached
	// through, and OpsVar that table's variable; 0 and "" otherwise
	// (narrowOps).
	OpsArg int
	OpsVar string
	// OpsStore is the class of the member an object's table was read
	// from on the way to the effect ("struct hci::ops" for
	// dev->hci.ops->read8()), and OpsStoreVar that table's variable: a
	// caller whose file stores another table there does not get it
	// (Program.storedTable).
	OpsStore, OpsStoreVar string
	Wait                  string // rcu, srcu, work, queue
	Item                  string // work item class
	Queue                 string // workqueue class
	Fn                    string // registered callback
	// FnParam is the parameter an ECallArg calls through: an iterator
	// (ieee80211_iterate_stations_atomic) calling the function its caller
	// hands it, with what it holds there in Inner.
	FnParam int
	// RegFn and RegItem are, for an ERegister, the parameters (1-based;
	// 0 none) the callback and the work item came from: a wrapper
	// ("#define INIT_DELAYED_WORK_RSL(x, y, z) INIT_DELAYED_WORK(x, y)")
	// registers what its caller passes, which the call site names.
	RegFn, RegItem int
	// Runs is, for an ERegister of a callback the kernel calls in a
	// context (runs_in: an atomic notifier chain's, an interrupt
	// handler's), that context's kind; Member is the member of the item
	// the callback is stored in (notifier_block.notifier_call), when it
	// is not an argument. A wrapper (devm_usb_get_phy_by_node()) hands on
	// what its caller passes, and the caller's callback runs there.
	Runs, Member string
	// Inner are the contexts callees held when it happened.
	Inner []*Ctx
	// Chain leads from the statement down to the primitive.
	Chain []Step
	// Prev is where a lock released twice was released first.
	Prev *Step
	// Drops is a lock the sleeping call releases while it sleeps.
	Drops *Ctx
	// Unheld are caller contexts the function had released when the
	// effect happened (a helper that drops its caller's lock and sleeps):
	// the caller's check must not count them.
	Unheld []*Ctx
	// Conds are the conditions on parameters (and kernel configuration)
	// under which the effect happens: a caller passing nofail=false does
	// not get the GFP_KERNEL allocation of the nofail=true path.
	Conds []Cond
	// keyCache memoises key(); effects are not changed once observed.
	keyCache string
	// obsCache memoises obsKey().
	obsCache string
}

// Obs is an effect observed at a statement with the contexts the function
// holds there: the facts the rules read.
type Obs struct {
	Fn   *FuncInfo
	Line int
	Held []*Ctx
	Eff  *Effect
	// Nowait is set when only NOWAIT requests reach the statement.
	Nowait *Step
	// Admitted is set when a NOWAIT request reaches the statement after
	// a test that turns other NOWAIT requests away (nowaitRegions).
	Admitted *Step
	// Exclude is a held lock the call drops while it sleeps
	// (cond_resched_lock, wait_event_lock_irq).
	Exclude *Ctx
	// NonRT: the path is taken only on kernels without PREEMPT_RT
	// (!IS_ENABLED(CONFIG_PREEMPT_RT)), so RT-only rules do not apply.
	NonRT bool
	// If are the conditions on this function's arguments that the
	// callee's path to the effect needs and that nothing in view decides
	// ("nor->flags & SNOR_F_RWW"): the effect happens only for callers
	// that pass that.
	If []string
}

// Exit is a state at a return.
type Exit struct {
	State *State
	Ret   *cparse.Expr
	Class RetClass
	Line  int
	Block int // the returning block's ID
}

// RetClass is what a caller can tell of a return value.
type RetClass uint8

const (
	RetUnknown RetClass = iota
	RetVoid
	RetZero    // 0, NULL, false
	RetNonZero // a positive constant, true, a known non-null value
	RetError   // -EINVAL, ERR_PTR(), a nonzero error code
	RetNonNeg  // an int the path knows is not negative: not an error code
)

func (r RetClass) String() string {
	return [...]string{"unknown", "void", "zero", "nonzero", "error", "nonneg"}[r]
}

// FuncResult is the result of the shared pass over one function.
type FuncResult struct {
	Obs   []*Obs
	Exits []*Exit
	// Failed: the function has too many paths; its facts are incomplete.
	Failed bool
	// Imprecise: some paths were joined, dropping contexts held on only
	// one of them; leak and unbalanced-unlock checks do not trust it.
	Imprecise bool
	// Unknown are functions called under a spinning or RCU context whose
	// definition was not seen (see flow.noteUnknown).
	Unknown []string
	// Calls are the calls an index links across files (Options.LinkCalls).
	Calls []*Call
	// ReleaseHelpers are the callees that end a context without identity
	// (preemption off) that this function held at the call: helpers of
	// its own pairs (trace_clear_recursion()), not another function's
	// hand-off partner.
	ReleaseHelpers []string
	// releases are the locks some path of the function takes and
	// releases itself. A path's own record of its releases is lost
	// where it joins a path that never took the lock (a loop run no
	// times); this is what says the function does release it.
	releases []releaseSite
}

// releaseSite is a release the function's own code makes, and the
// block it is in.
type releaseSite struct {
	m     relMark
	block int
}

func (r *FuncResult) noteRelease(m relMark, block int) {
	for _, x := range r.releases {
		if x.block == block && x.m.fam == m.fam && x.m.class == m.class && x.m.inst == m.inst {
			return
		}
	}
	r.releases = append(r.releases, releaseSite{m, block})
}

// Outcome is one way a function returns: what it leaves held and what of
// its caller's it released.
type Outcome struct {
	Acquired []*Ctx
	Released []*Ctx
	// Maybe are caller contexts released on this return but kept on
	// another return a caller cannot tell apart from it.
	Maybe []*Ctx
	Ret   RetClass
	// Conds are conditions on the parameters that hold on this outcome.
	Conds []Cond
	Line  int
}

// Summary is what callers need to know of a function.
type Summary struct {
	Outcomes []*Outcome
	Effects  []*Effect
	// Requires are contexts the function asserts its caller holds.
	Requires []*Ctx
	NoReturn bool
	// Writes are the members each parameter's object gets stored in
	// ("->ptl", "->pte"), here or in callees it is passed on to: a caller
	// forgets what it knew of them.
	Writes map[int][]string
}

// trivial reports a summary that changes nothing for a caller.
func (s *Summary) trivial() bool {
	if len(s.Effects) > 0 || s.NoReturn || len(s.Requires) > 0 {
		return false
	}
	for _, o := range s.Outcomes {
		if !o.empty() {
			return false
		}
	}
	return true
}

func (o *Outcome) empty() bool {
	return len(o.Acquired) == 0 && len(o.Released) == 0 && len(o.Maybe) == 0 && len(o.Conds) == 0
}

func (s *Summary) key() string {
	var b strings.Builder
	for _, o := range s.Outcomes {
		for _, c := range o.Acquired {
			b.WriteString(c.key())
		}
		b.WriteByte('/')
		for _, c := range o.Released {
			b.WriteString(c.key())
		}
		b.WriteString(outcomeKey(o))
		b.WriteByte('\n')
	}
	for _, e := range s.Effects {
		b.WriteString(e.key())
		b.WriteByte('\n')
	}
	return b.String()
}

func (e *Effect) key() string {
	if e.keyCache == "" {
		e.keyCache = e.computeKey()
	}
	return e.keyCache
}

// obsKey tells observations of one effect apart: its key and, for lock
// effects, the functions of its chain (two call paths to one lock are
// two pieces of evidence for an order).
func (e *Effect) obsKey() string {
	if e.obsCache == "" {
		k := e.key()
		if e.Ctx != nil {
			k += "|" + strings.Join(stepsKey(e.Chain), ",")
		}
		e.obsCache = k
	}
	return e.obsCache
}

func (e *Effect) computeKey() string {
	var b strings.Builder
	b.Grow(128)
	b.WriteString(strconv.Itoa(int(e.Kind)))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(e.GfpParam))
	for _, flag := range []bool{e.Blocks, e.Sleeps, e.Frees, e.ModeAlt} {
		if flag {
			b.WriteString("|1")
		} else {
			b.WriteString("|0")
		}
	}
	for _, s := range []string{e.Wait, e.Item, e.Queue, e.Fn, strings.Join(e.Unless, ","), strconv.Itoa(e.OpsArg), e.OpsVar, e.OpsStore, e.OpsStoreVar, strconv.Itoa(e.FnParam), strconv.Itoa(e.RegFn), strconv.Itoa(e.RegItem), e.Runs, e.Member} {
		b.WriteByte('|')
		b.WriteString(s)
	}
	b.WriteByte('|')
	if e.Ctx != nil {
		b.WriteString(e.Ctx.key())
	}
	b.WriteByte('|')
	b.WriteString(innerSig(e.Inner))
	for _, f := range e.Conds {
		b.WriteString("|" + f.Key + strconv.FormatBool(f.Val))
	}
	return b.String()
}

// innerSig summarises inner contexts by what the rules test of them: one
// letter, a set of four bits, as it goes into the keys of effects and
// calls.
func innerSig(inner []*Ctx) string {
	var m byte
	for _, c := range inner {
		switch c.Kind.Category {
		case kb.Atomic:
			m |= 1
		case kb.Spinning:
			m |= 2
		}
		if c.Kind.RCU {
			m |= 4
		}
		if c.Kind.PreemptOff {
			m |= 8
		}
	}
	return sigLetters[m : m+1]
}

const sigLetters = "abcdefghijklmnop"

const (
	maxEffectsPerKind = 48
	// nearEffect is the chain length (the statement, then one callee) of
	// the effects kept past maxEffectsPerKind.
	nearEffect           = 2
	maxInstancesPerClass = 3
	maxOutcomes          = 8
	// maxInner bounds the contexts callees hold around an effect: lockdep
	// stops at 48 locks held at once (MAX_LOCK_DEPTH), so a chain holding
	// more is not one a kernel runs. maxChain bounds the calls an effect
	// passes through. Each level of a chain of calls adds to both, and
	// each kept effect costs every caller its length: a chain of a
	// thousand functions, each locking around the next, cost 24 GB.
	maxInner = 48
	maxChain = 64
)

// summarize builds a function's summary from its facts.
func (p *Program) summarize(fi *FuncInfo) *Summary {
	s := &Summary{Writes: p.memberWrites(fi)}
	ff := fi.Result
	if ff == nil || ff.Failed {
		return s
	}
	seen := map[string]int{}
	perKind := map[EffKind]int{}
	perClass := map[string]int{}
	for _, o := range ff.Obs {
		e := o.Eff
		if !propagates(o) {
			continue
		}
		inner := append([]*Ctx(nil), e.Inner...)
		for _, c := range o.Held {
			if !c.FromCaller {
				inner = append(inner, c)
			}
		}
		if len(inner) > maxInner || len(e.Chain) > maxChain {
			continue
		}
		ne := *e
		ne.Inner = inner
		ne.keyCache, ne.obsCache = "", ""
		k := ne.key()
		if i, ok := seen[k]; ok {
			prev := s.Effects[i]
			keep := prev
			if len(ne.Chain) < len(prev.Chain) {
				keep = &ne
			}
			// One effect seen on a path that had released a caller's lock
			// and on one that had not: callers cannot tell the paths apart
			// (a flag behind a pointer, "if (*locked) unlock()"), so the
			// lock counts as released, whichever path came first.
			if u := unheldAdded(prev.Unheld, ne.Unheld); u != nil {
				c := *keep
				c.Unheld = u
				keep = &c
			}
			s.Effects[i] = keep
			continue
		}
		if perKind[e.Kind] >= maxEffectsPerKind && len(e.Chain) > nearEffect {
			// Past the bound, what the function and its direct callees
			// do is still kept (mptsas_find_portinfo_by_sas_address()'s
			// mutex after a long teardown's locks): it says more to a
			// caller than the fiftieth lock five calls down.
			continue
		}
		if e.Kind == ETake && e.Ctx != nil {
			// Callers need a lock class once per way it is held, not every
			// spelling of its instance.
			ck := e.Ctx.Kind.Name + "|" + e.Ctx.Class + "|" + innerSig(inner)
			if perClass[ck] >= maxInstancesPerClass {
				continue
			}
			perClass[ck]++
		}
		perKind[e.Kind]++
		seen[k] = len(s.Effects)
		s.Effects = append(s.Effects, &ne)
	}
	env := typeEnv{p, fi.F}
	outs := map[string]*Outcome{}
	var order []string
	for _, x := range ff.Exits {
		o := &Outcome{Ret: x.Class, Line: x.Line}
		relocked := map[*Ctx]bool{}
		for _, c := range x.State.Held {
			if c.FromCaller {
				continue
			}
			// Released the caller's lock and took it back: no net change.
			for _, r := range append(append([]*Ctx(nil), x.State.CallerRel...), x.State.CallerMaybe...) {
				if sameLock(r, c) && !relocked[r] {
					relocked[r], relocked[c] = true, true
					break
				}
			}
			if !relocked[c] && !(c.Kind.Recursive && !c.Kind.Lock && heldKey(o.Acquired, c)) {
				// A context that nests by count (bh, preemption) is
				// one in what a caller learns: the caller's releases of
				// it (CallerRel) are a set too, so ppp_lock()'s two
				// spin_lock_bh() and ppp_unlock()'s two
				// spin_unlock_bh() balance.
				o.Acquired = append(o.Acquired, c)
			}
		}
		for _, r := range x.State.CallerRel {
			if !relocked[r] {
				o.Released = append(o.Released, r)
			}
		}
		for _, r := range x.State.CallerMaybe {
			if !relocked[r] {
				o.Maybe = append(o.Maybe, r)
			}
		}
		for _, f := range x.State.Conds {
			// A context test stays with the value it decided: a caller
			// branching on can_fill_pool()'s result learns preemptible().
			// A void function's effects carry their own tests.
			if paramFact(env, f) || configFact(f) || x.Class != RetVoid && (ctxTest(p.kb, f) != nil || p.bootFact(f)) {
				o.Conds = append(o.Conds, *f)
			}
		}
		k := outcomeKey(o)
		if _, ok := outs[k]; !ok {
			outs[k] = o
			order = append(order, k)
		}
	}
	for _, k := range order {
		s.Outcomes = append(s.Outcomes, outs[k])
	}
	promoteNonNull(fi.F, s.Outcomes)
	dropUncertain(s.Outcomes)
	s.Outcomes = dedupeOutcomes(s.Outcomes)
	if len(s.Outcomes) > maxOutcomes {
		s.Outcomes = coarsen(s.Outcomes)
	}
	s.NoReturn = len(ff.Exits) == 0 && !ff.Failed
	if configStub(fi.F, s) {
		// One configuration's stub ("return 0;" without CONFIG_HAVE_CLK,
		// BUG() without CONFIG_X): other configurations return other
		// values, so callers must not take the stub's value as the
		// function's and prune the paths of the others.
		for _, o := range s.Outcomes {
			o.Ret, o.Conds = RetUnknown, nil
		}
		s.Outcomes = dedupeOutcomes(s.Outcomes)
		s.NoReturn = false
	}
	s.freeze()
	return s
}

// configStub reports a definition under a configuration's #if whose
// every return gives the same value and changes no lock: a stub the
// other arm replaces with the real code.
func configStub(fn *cparse.Func, s *Summary) bool {
	if !underConfig(fn) {
		return false
	}
	if s.NoReturn {
		return true
	}
	var ret RetClass
	for i, o := range s.Outcomes {
		if len(o.Acquired)+len(o.Released)+len(o.Maybe) > 0 || o.Ret == RetUnknown || o.Ret == RetVoid {
			return false
		}
		if i > 0 && o.Ret != ret {
			return false
		}
		ret = o.Ret
	}
	return len(s.Outcomes) > 0
}

// underConfig reports a definition inside an #if on a kernel
// configuration option.
func underConfig(fn *cparse.Func) bool {
	for _, c := range fn.Conds {
		if c.Atom != nil && strings.Contains(c.Atom.Name, "CONFIG_") {
			return true
		}
	}
	return false
}

// unheldAdded returns the union of two lists of released caller contexts
// when b adds to a, else nil.
func unheldAdded(a, b []*Ctx) []*Ctx {
	for _, c := range b {
		found := false
		for _, x := range a {
			if x == c || x.releaseKey() == c.releaseKey() {
				found = true
				break
			}
		}
		if !found {
			return unheldList(a, b)
		}
	}
	return nil
}

// freeze computes the memoised keys of everything a summary publishes:
// callers read them from other goroutines.
func (s *Summary) freeze() {
	ctxs := func(l []*Ctx) {
		for _, c := range l {
			c.key()
		}
	}
	for _, e := range s.Effects {
		e.key()
		if e.Ctx != nil {
			e.Ctx.key()
		}
		if e.Drops != nil {
			e.Drops.key()
		}
		ctxs(e.Unheld)
		ctxs(e.Inner)
	}
	for _, o := range s.Outcomes {
		ctxs(o.Acquired)
		ctxs(o.Released)
		ctxs(o.Maybe)
	}
	ctxs(s.Requires)
}

// promoteNonNull treats a pointer returned beside an explicit NULL as
// non-NULL when the two returns differ in what they hold: the lookup
// helper that returns the object locked, or NULL unlocked. Callers test the
// pointer to know which.
func promoteNonNull(fn *cparse.Func, outs []*Outcome) {
	if fn.Ret.Ptr == 0 {
		return
	}
	for _, o := range outs {
		if o.Ret != RetUnknown {
			continue
		}
		for _, z := range outs {
			if z.Ret == RetZero && lockEffectKey(z) != lockEffectKey(o) {
				o.Ret = RetNonZero
				break
			}
		}
	}
}

// dropUncertain keeps in an outcome only the lock effects a caller can rely
// on. A lock held on one return and not on another that the caller cannot
// tell apart (same return class, no contradicting argument facts) is either
// a leak, which LOCK_LEAK reports here, or this analysis losing track of a
// flag; either way callers must not inherit it. A release that only some
// such returns make is only a "maybe".
func dropUncertain(outs []*Outcome) {
	twin := func(a, b *Outcome) bool {
		if a.Ret != b.Ret {
			return false
		}
		for _, fa := range a.Conds {
			for _, fb := range b.Conds {
				if fa.Key == fb.Key && fa.Val != fb.Val {
					return false
				}
			}
		}
		return true
	}
	has := func(l []*Ctx, c *Ctx) bool {
		for _, x := range l {
			if sameLock(x, c) {
				return true
			}
		}
		return false
	}
	type verdict struct{ acq, rel []*Ctx }
	v := make([]verdict, len(outs))
	for i, o := range outs {
		for _, c := range o.Acquired {
			certain := true
			for j, p := range outs {
				if i != j && twin(o, p) && !has(p.Acquired, c) {
					certain = false
					break
				}
			}
			if certain {
				v[i].acq = append(v[i].acq, c)
			}
		}
		for _, c := range o.Released {
			certain := true
			for j, p := range outs {
				if i != j && twin(o, p) && !has(p.Released, c) {
					certain = false
					// The twin keeps c, or so it seems: to the caller c is
					// maybe released whichever of the two it gets.
					if !has(p.Maybe, c) {
						p.Maybe = append(p.Maybe, c)
					}
				}
			}
			if certain {
				v[i].rel = append(v[i].rel, c)
			} else if !has(o.Maybe, c) {
				o.Maybe = append(o.Maybe, c)
			}
		}
	}
	for i, o := range outs {
		o.Acquired, o.Released = v[i].acq, v[i].rel
	}
}

func lockEffectKey(o *Outcome) string {
	var b strings.Builder
	for _, c := range o.Acquired {
		b.WriteString(c.key() + ";")
	}
	b.WriteByte('/')
	for _, c := range o.Released {
		b.WriteString(c.key() + ";")
	}
	return b.String()
}

// propagates says whether an observation becomes an effect callers see.
// A violation already inside this function is reported here, not again in
// every caller.
func propagates(o *Obs) bool {
	e := o.Eff
	all := append(append([]*Ctx(nil), e.Inner...), o.Held...)
	has := func(pred func(*Ctx) bool) bool {
		for _, c := range all {
			if c != o.Exclude && pred(c) {
				return true
			}
		}
		return false
	}
	switch e.Kind {
	case ETake, EWait, ECallArg:
		return true
	case ESleep:
		return !has(func(c *Ctx) bool { return c.Kind.Category == kb.Spinning || c.Kind.Category == kb.Atomic })
	case EAlloc:
		return !has(func(c *Ctx) bool { return c.Kind.Category == kb.Atomic })
	case ESeqWrite:
		return !has(func(c *Ctx) bool { return c.Kind.PreemptOff })
	case ERegister:
		// A wrapper's registration of what its caller passes: the
		// caller's call site names the callback and the item.
		return e.RegFn > 0 || e.RegItem > 0
	}
	return false
}

// configFact reports whether a fact is about the kernel configuration
// (IS_ENABLED(CONFIG_X), #ifdef CONFIG_X): true in every function alike.
func configFact(f *Cond) bool {
	if len(f.Idents) == 0 || f.Expr == nil {
		return false
	}
	for _, id := range f.Idents {
		if !strings.HasPrefix(id, "CONFIG_") {
			return false
		}
	}
	return true
}

// paramFact reports whether a fact speaks only of parameters (and
// constants or globals), so that a caller can restate it in its terms.
func paramFact(env typeEnv, f *Cond) bool {
	if strings.HasPrefix(f.Key, "$") || f.Expr == nil {
		return false
	}
	params := 0
	for _, id := range f.Idents {
		switch {
		case env.paramIndex(id) >= 0 || env.captured(id):
			params++
		case env.isLocal(id):
			return false
		}
	}
	return params > 0
}

func outcomeKey(o *Outcome) string {
	var b strings.Builder
	for _, c := range o.Acquired {
		b.WriteString(c.key())
		b.WriteByte(';')
	}
	b.WriteByte('/')
	for _, c := range o.Released {
		b.WriteString(c.key())
		b.WriteByte(';')
	}
	b.WriteByte('/')
	for _, c := range o.Maybe {
		b.WriteString(c.key())
		b.WriteByte(';')
	}
	b.WriteString(o.Ret.String())
	for _, f := range o.Conds {
		b.WriteString("," + f.Key + strconv.FormatBool(f.Val))
	}
	return b.String()
}

func dedupeOutcomes(l []*Outcome) []*Outcome {
	seen := map[string]bool{}
	var r []*Outcome
	for _, o := range l {
		k := outcomeKey(o)
		if !seen[k] {
			seen[k] = true
			r = append(r, o)
		}
	}
	return r
}

// coarsen drops parameter facts, then return values, until the outcomes
// are few enough.
func coarsen(outs []*Outcome) []*Outcome {
	dedupe := dedupeOutcomes
	var r []*Outcome
	for _, o := range outs {
		n := *o
		n.Conds = nil
		r = append(r, &n)
	}
	r = dedupe(r)
	if len(r) <= maxOutcomes {
		return r
	}
	for _, o := range r {
		o.Ret = RetUnknown
	}
	r = dedupe(r)
	if len(r) > maxOutcomes {
		sort.SliceStable(r, func(i, j int) bool { return len(r[i].Acquired) < len(r[j].Acquired) })
		r = r[:maxOutcomes]
	}
	return r
}

// memberWrites lists, per parameter, the members the function stores
// through it ("pvmw->ptl = *ptlp"), directly or in callees it passes the
// parameter to.
func (p *Program) memberWrites(fi *FuncInfo) map[int][]string {
	params := map[string]int{}
	for i, prm := range fi.F.Params {
		if prm.Name != "" {
			params[prm.Name] = i
		}
	}
	var out map[int][]string
	add := func(i int, suffix string) {
		if out == nil {
			out = map[int][]string{}
		}
		if !containsStr(out[i], suffix) {
			out[i] = append(out[i], suffix)
		}
	}
	defs, _ := paramDefs(fi.F)
	for _, b := range fi.F.Blocks {
		for _, s := range b.Stmts {
			if (s.Kind == cparse.SAssign || s.Kind == cparse.SCall) && s.LHS != nil {
				lhs := s.LHS
				if l := lhs.Strip(); len(defs) > 0 && l != nil && l.Kind == cparse.EField {
					// "nd->state = ..." with nd = &ndp->ndev stores in
					// ndp's member.
					if c := Canon(l.Subst(defs)); c != nil {
						lhs = c
					}
				}
				root := rootIdent(lhs)
				if i, ok := params[root]; ok {
					if k := canonText(lhs); strings.HasPrefix(k, root+"->") || strings.HasPrefix(k, root+".") {
						add(i, k[len(root):])
					} else if l := lhs.Strip(); l.Kind == cparse.EUnary && l.Op == "*" {
						if v := l.X.Strip(); v != nil && v.Kind == cparse.EIdent && v.Name == root {
							add(i, "*") // "*dropped = 1": what the caller passes the address of
						}
					}
				}
			}
			if s.Kind != cparse.SCall || s.Call == nil {
				continue
			}
			name := s.Callee()
			if name == "" || p.kb.Funcs[name] != nil {
				continue
			}
			g := p.Lookup(fi.F, name)
			if g == nil || g == fi || g.Sum == nil {
				continue
			}
			for j, a := range s.Call.Args {
				a = a.Strip()
				if a == nil || a.Kind != cparse.EIdent {
					continue
				}
				if i, ok := params[a.Name]; ok {
					for _, suffix := range g.Sum.Writes[j] {
						add(i, suffix)
					}
				}
			}
		}
	}
	return out
}

// paramDefs finds the locals assigned exactly once, from an expression of
// parameters the function never changes (or of other such locals), and
// whose address is never taken: each such local is that expression
// wherever it is used ("dev = &r->dev; chip = container_of(dev->parent,
// struct chip, dev)").
// container_of and its kin are the only calls allowed in the expression,
// being address arithmetic. Getters (dev_get_drvdata()) were allowed
// too, and measured on 6.12: the lock owners they equate made 49 new
// DOUBLE_LOCK findings in jfs, reiserfs and ext2 (recursion-aware
// superblock locks, debug-only paths) for one real bug found.
//
// It also returns the parameters the function never changes.
func paramDefs(fn *cparse.Func) (map[string]*cparse.Expr, map[string]bool) {
	params := map[string]bool{}
	for _, prm := range fn.Params {
		if prm.Name != "" {
			params[prm.Name] = true
		}
	}
	if len(params) == 0 {
		return nil, nil
	}
	defs := map[string]*cparse.Expr{}
	count := map[string]int{}
	bad := map[string]bool{}
	visit := func(x *cparse.Expr) {
		x.Walk(func(e *cparse.Expr) bool {
			// The local itself, not a member of what it points to
			// (&z->lock), must keep its value.
			changes := e.Kind == cparse.EUnary && (e.Op == "&" || e.Op == "++" || e.Op == "--") ||
				e.Kind == cparse.EAssign || e.Kind == cparse.EPostfix
			if v := e.X.Strip(); changes && v != nil && v.Kind == cparse.EIdent {
				bad[v.Name] = true
			}
			return true
		})
	}
	for _, b := range fn.Blocks {
		visit(b.Cond)
		visit(b.Ret)
		visit(b.Switch)
		for _, st := range b.Stmts {
			visit(st.Call)
			visit(st.RHS)
			if st.Guard != nil {
				for _, a := range st.Guard.Args {
					visit(a)
				}
			}
			if st.LHS == nil {
				continue
			}
			l := st.LHS.Strip()
			if l == nil || l.Kind != cparse.EIdent {
				continue
			}
			if params[l.Name] {
				bad[l.Name] = true
				continue
			}
			if _, local := fn.Locals[l.Name]; !local {
				continue
			}
			count[l.Name]++
			var rhs *cparse.Expr
			switch {
			case st.Kind == cparse.SAssign && st.Op == "=":
				rhs = st.RHS
			case st.Kind == cparse.SCall:
				rhs = st.Call
			}
			if rhs != nil {
				defs[l.Name] = rhs
			} else {
				bad[l.Name] = true
			}
		}
	}
	// Stable names: the unchanged parameters, then each local defined
	// from stable names only, until none is added (a chain dev, client,
	// data is as deep as its locals).
	stable := map[string]bool{}
	unchanged := map[string]bool{}
	for name := range params {
		if !bad[name] {
			stable[name] = true
			unchanged[name] = true
		}
	}
	// Each definition in the parameters' terms, in the order the names
	// became stable: the locals it reads are already in theirs. One that
	// grows too large (x = y + y, y = z + z, ...) is dropped, and with it
	// those that read it.
	var out map[string]*cparse.Expr
	for grew := true; grew; {
		grew = false
		for name, d := range defs {
			if stable[name] || count[name] != 1 || bad[name] || !onlyParams(d, stable) {
				continue
			}
			stable[name] = true
			grew = true
			if d.ReadsAny(func(id string) bool { return stable[id] && !unchanged[id] && out[id] == nil }) {
				continue // reads a local dropped as too large
			}
			if out != nil {
				d = d.Subst(out)
			}
			if d.Larger(maxFactNodes) {
				continue
			}
			if out == nil {
				out = map[string]*cparse.Expr{}
			}
			out[name] = d
		}
	}
	return out, unchanged
}

// containerMacros compute an outer object's address from a member's.
var containerMacros = map[string]bool{"container_of": true, "container_of_const": true, "list_entry": true, "hlist_entry": true}

// onlyParams reports an expression of the stable names (unchanged
// parameters and locals standing for expressions of them), constants,
// types and address arithmetic only.
func onlyParams(x *cparse.Expr, stable map[string]bool) bool {
	ok := true
	x.Walk(func(e *cparse.Expr) bool {
		switch e.Kind {
		case cparse.ECall:
			if !containerMacros[e.CallName()] {
				ok = false
				return false
			}
			for _, a := range e.Args[:min(len(e.Args), 1)] {
				if !onlyParams(a, stable) {
					ok = false
				}
			}
			return false
		case cparse.ESizeof, cparse.EType:
			return false
		case cparse.EIdent:
			if !stable[e.Name] {
				ok = false
			}
		case cparse.EAssign:
			ok = false
		}
		return ok
	})
	return ok
}

// CalleePath lists the functions an effect goes through below fn.
func CalleePath(chain []Step) []string {
	var out []string
	for i, s := range chain {
		if i == 0 {
			continue
		}
		if len(out) == 0 || out[len(out)-1] != s.Func {
			out = append(out, s.Func)
		}
	}
	return out
}

// heldKey reports a context of c's key in l.
func heldKey(l []*Ctx, c *Ctx) bool {
	for _, x := range l {
		if x.key() == c.key() {
			return true
		}
	}
	return false
}
