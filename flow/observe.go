// SPDX-License-Identifier: GPL-2.0-only

package flow

// Observations: the effects a statement has on a path, with the
// contexts held there, recorded once per state that can tell them apart.

import (
	"slices"
	"strconv"
	"strings"

	"lockbot/cparse"
)

// observe records an effect at a statement (final pass only).
func (f *flow) observe(s *cparse.Stmt, st *State, e *Effect, exclude *Ctx, block *cparse.Block) {
	if !f.record {
		return
	}
	f.observeKeyed(s, st, e, exclude, block, f.obsStateKey(st))
}

// obsStateKey is what an observation takes from a state: what is held and
// released, and the facts it keeps (see observeKeyed). States that differ
// only in other facts observe an effect alike.
func (f *flow) obsStateKey(st *State) string {
	var b strings.Builder
	b.WriteString(st.lockKey())
	b.WriteByte('#')
	for _, c := range st.CallerMaybe {
		b.WriteString(c.key())
		b.WriteByte(';')
	}
	b.WriteByte('#')
	for _, fa := range st.Conds {
		if f.effectFact(fa) || f.p.nonRTFact(fa) {
			writeFact(&b, fa)
		}
	}
	return b.String()
}

// bootPath reports a path taken only before the scheduler runs
// ("if (system_state < SYSTEM_SCHEDULING)"), or after a panic began
// (KB.CrashFunctions), which no rule reports on.
func (f *flow) bootPath(st *State) bool {
	if slices.Contains(f.p.kb.BootFunctions, f.fn.Name) || slices.Contains(f.p.kb.CrashFunctions, f.fn.Name) {
		return true
	}
	if len(f.p.boot) == 0 {
		return false
	}
	for _, fa := range st.Conds {
		if f.p.bootFact(fa) {
			return true
		}
	}
	return false
}

// lastRefPath reports a path on which a reference drop was the last
// ("if (refcount_dec_and_test(&obj->ref)) obj_free(obj);").
func (f *flow) lastRefPath(st *State) bool {
	if f.lastRefKeys == nil {
		// A branch on a call's result is a fact on "$call<ID>".
		f.lastRefKeys = map[string]bool{}
		for x, id := range f.fn.CallIDs {
			if spec := f.p.kb.Funcs[x.CallName()]; spec != nil && spec.LastRefTest {
				f.lastRefKeys["$call"+strconv.Itoa(id)] = true
			}
		}
	}
	if len(f.lastRefKeys) == 0 {
		return false
	}
	for _, fa := range st.Conds {
		if fa.Val && f.lastRefKeys[fa.Key] {
			return true
		}
	}
	return false
}

// obsSeen identifies an observation: statement, effect and state.
type obsSeen struct {
	stmt          int
	effect, state string
}

// observeKeyed is observe with the state's key already computed.
func (f *flow) observeKeyed(s *cparse.Stmt, st *State, e *Effect, exclude *Ctx, block *cparse.Block, stateKey string) {
	// Before the observation counts as seen: the state key leaves out
	// the boot and last-reference facts, and another path with the same
	// key must still be observed.
	if f.bootPath(st) {
		return
	}
	if (e.Kind == ESleep || e.Kind == EAlloc || e.Kind == EWait) && f.lastRefPath(st) {
		return // the release of whichever put is the last
	}
	if (f.lastRef || f.lastRefPath(st)) && !lastRefOnly(e) {
		// A lock the release takes (dlm_lockres_put() reaching
		// dlm_lockres_release()'s spin_lock(&res->spinlock)) is taken
		// only if this put drops the last reference, which the analysis
		// cannot tell: a condition, named (Obs.If).
		ne := *e
		ne.keyCache, ne.obsCache = "", ""
		ne.Conds = append(append([]Cond(nil), e.Conds...), Cond{Key: lastRefCond, Val: true})
		e = &ne
	}
	if len(e.Unless) > 0 && f.heldAny(st, e.Unless) {
		return // vfree() in a softirq callback: it defers instead
	}
	if f.modeArm[block.ID] && !e.ModeAlt {
		ne := *e
		ne.keyCache, ne.obsCache = "", ""
		ne.ModeAlt = true
		e = &ne
	}
	if e.ModeAlt && atomicHeld(st) {
		return // atomic callers take the spinning arm (mode.go)
	}
	// A NOWAIT request a gate let through is a path of its own: the
	// same state without that fact must not stand for it.
	admitted := f.admittedBy(st)
	if admitted != nil {
		stateKey += "\x00admitted"
	}
	k := obsSeen{s.ID, e.obsKey(), stateKey}
	if f.seen[k] {
		return
	}
	f.seen[k] = true
	// The path's own releases and conditions go on a copy: effects may be
	// shared between observations.
	var facts []Cond
	for _, fa := range st.Conds {
		if f.effectFact(fa) {
			facts = append(facts, *fa)
		}
	}
	// A callee's path that tested its calling context (preemptible())
	// ran under everything held here; a test this function makes itself
	// may precede what it holds now, and is left to its callers.
	if contextDenies(f.p.kb, e.Conds, st.Held) {
		return
	}
	// What a callee's path needs of this function's arguments, which
	// nothing here decides (a flag its caller sets, a mode it passes):
	// the finding holds only if some caller passes that.
	var undecided []string
	for i := range e.Conds {
		// A non-NULL pointer is what callers are taken to pass: only its
		// NULL side is a condition.
		if c := &e.Conds[i]; c.Key == lastRefCond || strings.HasPrefix(c.Key, localFlagPrefix) || f.scalarArgFact(c) && choiceTest(c) || f.flagTest(c) || !c.Val && f.nonNullGuard(c) {
			undecided = append(undecided, condText(c))
		}
	}
	addUnheld := len(st.CallerRel)+len(st.CallerMaybe) > 0
	if addUnheld || len(facts) > 0 {
		ne := *e
		ne.keyCache, ne.obsCache = "", ""
		if addUnheld {
			ne.Unheld = f.pathUnheld(e.Unheld, st.CallerRel, st.CallerMaybe)
		}
		ne.Conds = append(append([]Cond(nil), e.Conds...), facts...)
		e = &ne
	}
	held := append([]*Ctx(nil), st.Held...)
	if f.actionTested(st) {
		held = slices.DeleteFunc(held, func(c *Ctx) bool { return c.FromCaller && c.Kind.ByAction })
	}
	held = slices.DeleteFunc(held, func(c *Ctx) bool {
		if c.WhenNull == "" {
			return false
		}
		if v, known := st.fact(c.WhenNull); known && v {
			return true // "if (!dentry) return ERR_PTR(-ECHILD);" was passed
		}
		// A callee that does it only for a non-NULL argument
		// (page_get_link() -> __page_get_link()).
		for _, fa := range e.Conds {
			if fa.Key == c.WhenNull && fa.Val {
				return true
			}
		}
		return false
	})
	o := &Obs{Fn: f.fi, Line: s.Line, Held: held, Eff: e, Exclude: exclude, If: undecided,
		NonRT: f.p.nonRTState(st.Conds) || f.p.nonRT(e.Conds)}
	if f.nowait != nil {
		o.Nowait = f.nowait[block.ID]
	}
	if o.Nowait == nil {
		o.Admitted = admitted
	}
	f.out.Obs = append(f.out.Obs, o)
	f.obsBlock = append(f.obsBlock, block.ID)
}

func factsKey(fs []*Cond) string {
	var b strings.Builder
	b.Grow(24 * len(fs))
	for _, f := range fs {
		writeFact(&b, f)
	}
	return b.String()
}

// effectFact reports a condition of the path that an effect keeps for
// its callers to decide: on scalar arguments, on the configuration, on
// the calling context, or a pointer argument tested non-NULL.
func (f *flow) effectFact(fa *Cond) bool {
	if fa.Const {
		// What the function stored itself ("dev->ep0state =
		// EP0_IN_DATA_PHASE" before the driver's setup()): no caller
		// chooses it.
		return false
	}
	return f.scalarArgFact(fa) || configFact(fa) || ctxTest(f.p.kb, fa) != nil || f.nonNullGuard(fa) || f.flagTest(fa) || f.stateCase(fa)
}

// stateCase is the arm of a switch on a member of what the caller passes
// ("case ncsi_dev_state_config_apply_mac:" of "switch (nd->state)"): a
// caller that stored another state there just before the call does not
// get what the arm does.
func (f *flow) stateCase(fa *Cond) bool {
	x := fa.Expr.Strip()
	return fa.Val && x != nil && x.Kind == cparse.EBinary && x.Op == "==" && f.paramMember(x.X.Strip()) && f.p.enumConst(x.Y) &&
		f.p.switchedMember(memberName(x.X))
}

// nonNullGuard is "if (inode)" or "if (!deferred)" on a pointer
// parameter: a caller passing NULL (sock_release() is
// __sock_release(sock, NULL)) does not get what "if (inode)" protects,
// and one passing &deferred (xe_bo_put_deferred()) does not get what
// "if (!deferred)" does. A caller that does not know its pointer is taken
// to pass a real one (outcomeFacts): the NULL side's effects reach only
// callers that pass NULL, or their own parameter.
func (f *flow) nonNullGuard(fa *Cond) bool {
	if fa.Class == RetNonZero {
		return false // dereferenced, not tested: nothing a caller chooses
	}
	x := fa.Expr.Strip()
	if x == nil || x.Kind != cparse.EIdent {
		return false
	}
	i := f.env.paramIndex(x.Name)
	return i >= 0 && f.fn.Params[i].Type.Ptr > 0
}

// scalarArgFact reports a condition on scalar arguments only (a bool
// nofail, a flags word): what callers choose by what they pass. Tests of
// pointer arguments (NULL checks, fields) rarely decide an effect and
// would only multiply them.
func (f *flow) scalarArgFact(fa *Cond) bool {
	if !paramFact(f.env, fa) || derefs(fa.Expr) && !f.pureTest(fa.Expr) {
		return false
	}
	for _, id := range fa.Idents {
		if i := f.env.paramIndex(id); i >= 0 && f.fn.Params[i].Type.Ptr > 0 {
			return false
		}
	}
	return true
}

// pureTest is a pure function of plain values, such as
// gfpflags_allow_blocking(gfp): a caller can decide it from what it passes.
func (f *flow) pureTest(x *cparse.Expr) bool {
	x = x.Strip()
	if x == nil || x.Kind != cparse.ECall || !f.pure(x.CallName()) {
		return false
	}
	for _, a := range x.Args {
		if derefs(a) {
			return false
		}
	}
	return true
}

// nonRT reports whether facts say the kernel is built without PREEMPT_RT:
// !IS_ENABLED(CONFIG_PREEMPT_RT), or a configuration that excludes it
// (#ifdef CONFIG_TRANSPARENT_HUGEPAGE).
func (p *Program) nonRT(fs []Cond) bool {
	for i := range fs {
		if p.nonRTFact(&fs[i]) {
			return true
		}
	}
	return false
}

func (p *Program) nonRTState(fs []*Cond) bool {
	for _, f := range fs {
		if p.nonRTFact(f) {
			return true
		}
	}
	return false
}

func (p *Program) nonRTFact(f *Cond) bool {
	if strings.Contains(f.Key, "!") || len(f.Idents) != 1 {
		return false
	}
	id := f.Idents[0]
	if !f.Val && containsStr(p.kb.RTConfig, id) {
		return true
	}
	return f.Val && p.rt != nil && strings.HasPrefix(id, "CONFIG_") && p.rt.ExcludedConfig(id)
}

func stepsKey(steps []Step) []string {
	var r []string
	for _, s := range steps {
		r = append(r, s.Func)
	}
	return r
}

// admittedBy is the NOWAIT gate the path passed with its test true: a
// NOWAIT request the function let through (nowaitRegions).
func (f *flow) admittedBy(st *State) *Step {
	if f.gates == nil {
		return nil
	}
	for _, fa := range st.Conds {
		if g := f.gates[fa.Key]; g != nil && fa.Val {
			return g
		}
	}
	return nil
}

// actionTested reports a path that tested the function's second
// parameter, the action a notifier callback is called for: a context
// whose callers choose what the callback does by it (kb's by_action) is
// not counted there.
func (f *flow) actionTested(st *State) bool {
	if len(f.fn.Params) < 2 || f.fn.Params[1].Name == "" {
		return false
	}
	action := f.fn.Params[1].Name
	for _, fa := range st.Conds {
		if slices.Contains(fa.Idents, action) {
			return true
		}
	}
	return false
}

// condText is a condition as C: "nor->flags & SNOR_F_RWW", "!create",
// "mode != MODE_X".
func condText(c *Cond) string {
	if c.Key == lastRefCond {
		return "this put drops the last reference"
	}
	if m, ok := strings.CutPrefix(c.Key, localFlagPrefix); ok {
		return m
	}
	x := c.Expr.Strip()
	if x == nil {
		return c.Key
	}
	if c.Val {
		return x.String()
	}
	switch {
	case x.Kind == cparse.EBinary && x.Op == "==":
		return x.X.String() + " != " + x.Y.String()
	case x.Kind == cparse.EIdent || x.Kind == cparse.EField:
		return "!" + x.String()
	}
	return "!(" + x.String() + ")"
}

// localFlagPrefix begins the key of a callee's test of flag bits in a
// member of an object a function further up made itself (its local), on
// which an effect depends: "walk.flags & CRYPTO_TFM_REQ_MAY_SLEEP" in
// shash_ahash_update(), copied from the request's flags that the
// request's owner set when it allocated it. Nothing in view decides it,
// and a flag that permits something is not set by default: a condition,
// named (Obs.If), not an effect that always happens. A flag whose
// absence permits it (!(flags & NOWAIT)) is no such condition.
const localFlagPrefix = "$localflag "

// flagBitTest is "x->flags & CONST" or "x.flags & CONST": flag bits of
// a member.
func flagBitTest(x *cparse.Expr) bool {
	x = x.Strip()
	if x == nil || x.Kind != cparse.EBinary || x.Op != "&" {
		return false
	}
	v := constOperand(x)
	return v != nil && v.Kind == cparse.EField
}

// lastRefCond marks an effect that happens only if a put drops the last
// reference: in a release callback (kref_put()'s) or under a
// refcount_dec_and_test() branch.
const lastRefCond = "$lastref"

// lastRefOnly reports an effect already marked as needing the last
// reference.
func lastRefOnly(e *Effect) bool {
	for i := range e.Conds {
		if e.Conds[i].Key == lastRefCond {
			return true
		}
	}
	return false
}

// choiceTest is a test of a value a caller chooses among a few: a bool
// ("wait"), a flag ("flags & CS_HARD"), a mode ("dir == DIR_RX"). A range
// test of a size or an offset ("where >= PCI_COMMAND") is not: any caller
// may pass such a value (the PCI core writes every register), so a path
// that needs one stays a plain finding.
func choiceTest(c *Cond) bool {
	x := c.Expr.Strip()
	if x == nil {
		return false
	}
	switch x.Kind {
	case cparse.EIdent:
		return true
	case cparse.EBinary:
		switch x.Op {
		case "&":
			return constLike(x.X.Strip()) || constLike(x.Y.Strip())
		case "==":
			return isNamedConst(x.X) || isNamedConst(x.Y)
		}
	}
	return false
}
