// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"lockbot/cparse"
)

// apply runs a call to an analysed function through its summary: its
// effects are observed here with this function's contexts, and each of its
// outcomes (what it leaves held or released, and under which conditions on
// the arguments) becomes a successor state.
func (f *flow) apply(b *cparse.Block, s *cparse.Stmt, g *FuncInfo, st, entry *State) []*State {
	sum := g.Sum
	subst, callStep := f.bindArgs(s, g)
	if f.record {
		// What the callee does depends on the state it is called in,
		// before what it stores is forgotten (its "switch
		// (nd->state)" reads the state the caller stored).
		f.observeEffects(b, s, g, entry, subst, callStep, "")
	}
	if sum.NoReturn && g.Result != nil && !g.Result.Failed {
		return nil
	}
	if len(sum.Outcomes) == 0 {
		return []*State{st}
	}
	used := f.tested[s.ID]
	var feasible []*Outcome
	var states []*State
	for _, o := range sum.Outcomes {
		if n := f.outcomeFacts(s, o, st, subst, g, true); n != nil {
			feasible = append(feasible, o)
			states = append(states, n)
		}
	}
	if len(feasible) == 0 {
		// Every return contradicts what this path knows of the
		// arguments: the knowledge is wrong somewhere (a fact read
		// through another name, a callee's test of its own copy), not
		// the path impossible. The call returns something unknown.
		n := st.clone()
		f.forgetAddressed(s, n)
		return []*State{n}
	}
	for i, n := range states {
		// The call may change variables whose address it gets: forget
		// them, then restate what this outcome says of them.
		base := n
		n = st.clone()
		f.forgetAddressed(s, n)
		for _, fa := range base.Conds {
			if v, ok := st.fact(fa.Key); !ok || v != fa.Val {
				n.setFactPtr(fa)
			}
		}
		states[i] = n
	}
	keep := f.consistentOutcomes(s, feasible, st, subst, g)
	var kept []*Outcome
	var keptStates []*State
	for i, o := range feasible {
		if keep[o] {
			kept = append(kept, o)
			keptStates = append(keptStates, states[i])
		}
	}
	if !used && s.LHS == nil {
		kept, keptStates = mergeIgnoredRet(kept, keptStates)
	}
	keptIf := f.keptUnless(s, kept, st, subst, g)
	var out []*State
	for i, o := range kept {
		n := keptStates[i]
		if conds := keptIf[o]; len(conds) > 0 {
			n.markKept(conds)
		}
		for _, r := range restoresFirst(o.Released) {
			via := callStep
			via.Note = fmt.Sprintf("calls %s(), which releases %s", g.F.Name, r.Kind.Desc)
			if strings.HasPrefix(r.SavedIn, paramSave) {
				// The callee restores the state saved in what this call
				// passes. Without a save of that name here (rht_lock()
				// saved in its own local and returned it), the innermost
				// interrupts-off section ends, as any release of one does.
				if x := callerFlags(s, r.SavedIn); x != nil && f.restoreIrq(s, b, n, x, via) {
					continue
				}
			}
			if !r.Kind.Lock && f.held(n, r.Kind.Name) && !slices.Contains(f.out.ReleaseHelpers, g.F.Name) {
				f.out.ReleaseHelpers = append(f.out.ReleaseHelpers, g.F.Name)
			}
			f.release(s, b, r.Kind, f.releaseArg(s, r, subst, g), r.Class, n, via, false)
		}
		for _, r := range o.Maybe {
			// Released on some indistinguishable returns only: no longer
			// counted as held, nor as known released; if this function does
			// not hold it, its own caller may.
			arg := f.releaseArg(s, r, subst, g)
			if i := f.matchRelease(n, r.Kind, arg); i >= 0 {
				n.Held = append(n.Held[:i:i], n.Held[i+1:]...)
			} else if !n.isCallerMaybe(r) {
				m := &Ctx{Kind: r.Kind, FromCaller: true, Via: NewPath(callStep)}
				if arg != nil {
					m.Expr = f.canonLock(arg)
					m.Class = f.env.classOf(m.Expr)
					m.Inst = instOf(m.Expr, m.Class)
				} else {
					m.Class = r.Class
				}
				n.CallerMaybe = append(n.CallerMaybe, m)
			}
		}
		for _, a := range o.Acquired {
			c := f.siteCtx(s, a, g, subst, callStep)
			if a.SavedIn != "" {
				// Saved in what this call passes (perf_lock_task_context(
				// task, &flags)), which a restore here names.
				cc := *c
				cc.keyCache, cc.SavedIn = "", ""
				if x := callerFlags(s, a.SavedIn); x != nil {
					cc.SavedIn, _ = f.savedName(x)
				}
				c = &cc
			}
			if a.Kind.Lock && c.Inst == "" && c.Class == "" {
				// A lock on the callee's own variable, without a class:
				// this function can neither name nor release it (it is
				// stashed in a struct for an end helper), so following it
				// would only blame whatever comes after.
				continue
			}
			f.acquire(n, c)
		}
		if val, known := retTruth(o.Ret); known {
			if used {
				if key, neg, idents, x := f.predicateFact(s.Call); key != "" {
					// A predicate's answer is its test's: the branch on
					// the call reads the same fact (atom), and an answer
					// the path already knows otherwise is not this one.
					if v, known := n.fact(key); known && v != (val != neg) {
						continue
					}
					n.setFact(Cond{Key: key, Val: val != neg, Idents: idents, Expr: x})
				} else {
					n.setFact(Cond{Key: "$call" + strconv.Itoa(s.ID), Val: val, Class: o.Ret})
				}
			}
			if s.LHS != nil && (used || f.handed[s.ID]) {
				f.setVarFact(n, s.LHS, val, o.Ret)
			}
		} else if o.Ret == RetNonNeg {
			if used {
				n.setFact(Cond{Key: nonNegKey("$call" + strconv.Itoa(s.ID)), Val: true})
			}
			if l := Canon(s.LHS); l != nil && (used || f.handed[s.ID]) {
				n.setFact(Cond{Key: nonNegKey(l.String()), Val: true, Idents: l.Idents()})
			}
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		// Every outcome contradicts what this path knows: keep the path
		// rather than lose it to an imprecise fact.
		return []*State{st}
	}
	return f.compact(out)
}

// keptUnless finds, for each outcome, the held locks of st it leaves
// held while another outcome releases them, when what sets it apart is a
// test of flag bits of an argument's member the path does not know: the
// lock stays held only if that flag says so. It returns, per outcome,
// the instance (or class) of each such lock and the condition's text.
func (f *flow) keptUnless(s *cparse.Stmt, kept []*Outcome, st *State, subst map[string]*cparse.Expr, g *FuncInfo) map[*Outcome]map[string]string {
	if len(kept) < 2 || len(st.Held) == 0 {
		return nil
	}
	released := make([]map[int]bool, len(kept))
	anyRel := map[int]bool{}
	for i, o := range kept {
		for _, r := range o.Released {
			if j := f.matchRelease(st, r.Kind, f.releaseArg(s, r, subst, g)); j >= 0 {
				if released[i] == nil {
					released[i] = map[int]bool{}
				}
				released[i][j] = true
				anyRel[j] = true
			}
		}
	}
	if len(anyRel) == 0 {
		return nil
	}
	var out map[*Outcome]map[string]string
	for i, o := range kept {
		cond := ""
		for _, fa := range o.Conds {
			if fa.Expr == nil || !flagBitTest(fa.Expr) {
				continue
			}
			a := f.argFact(s, fa.Expr, subst, g)
			if a.skip || a.isConst || a.key == "" {
				continue
			}
			if _, known := st.fact(a.key); known {
				continue
			}
			cond = condText(&Cond{Key: a.key, Val: fa.Val != a.neg, Expr: a.expr})
			break
		}
		if cond == "" {
			continue
		}
		for j := range anyRel {
			if released[i][j] {
				continue
			}
			if out == nil {
				out = map[*Outcome]map[string]string{}
			}
			if out[o] == nil {
				out[o] = map[string]string{}
			}
			out[o][st.Held[j].key()] = cond
		}
	}
	return out
}

// markKept names, on the locks of conds (by key), the condition under
// which the path still holds them (Ctx.KeptIf).
func (s *State) markKept(conds map[string]string) {
	copied := false
	for i, c := range s.Held {
		cond, ok := conds[c.key()]
		if !ok || c.KeptIf != "" {
			continue
		}
		if !copied {
			s.Held = append([]*Ctx(nil), s.Held...)
			copied = true
		}
		n := *c
		n.KeptIf = cond
		s.Held[i] = &n
	}
}

// constTruth evaluates a condition made only of constants: true, false,
// NULL, integers, and !, &&, || and == / != over them.
func constTruth(x *cparse.Expr) (val, ok bool) { return constTruthIn(x, nil) }

// constTruthIn is constTruth knowing the values of named constants
// (enumerators, #defines): "!(flags & (CS_LOCAL_ONLY | CS_HARD))" for a
// caller passing CS_HARD.
func constTruthIn(x *cparse.Expr, consts map[string]int64) (val, ok bool) {
	x = x.Strip()
	if x == nil {
		return false, false
	}
	switch x.Kind {
	case cparse.ENumber:
		if isNull(x) {
			return false, true
		}
		if _, err := strconv.ParseInt(strings.TrimRight(strings.ToLower(x.Name), "ul"), 0, 64); err == nil {
			return true, true
		}
	case cparse.EIdent:
		switch x.Name {
		case "true":
			return true, true
		case "false", "NULL":
			return false, true
		}
		if v, ok := consts[x.Name]; ok {
			return v != 0, true
		}
	case cparse.EUnary:
		if x.Op == "!" {
			v, ok := constTruthIn(x.X, consts)
			return !v, ok
		}
	case cparse.EBinary:
		if v, ok := negatedCountTest(x, consts); ok {
			return v, true
		}
		if v, ok := armsAgree(x, consts); ok {
			return v, true
		}
		if x.Op == "==" || x.Op == "!=" {
			// The same named constant on both sides, whatever its value
			// (TASK_RUNNING passed to a callee's "state == TASK_RUNNING",
			// where the header defining it was not read).
			if l, r := x.X.Strip(), x.Y.Strip(); l != nil && r != nil && isNamedConst(l) && isNamedConst(r) && l.Name == r.Name {
				return x.Op == "==", true
			}
		}
		if l, okL := cparse.EvalInt(x.X, consts); okL {
			if r, okR := cparse.EvalInt(x.Y, consts); okR {
				switch x.Op {
				case "<":
					return l < r, true
				case "<=":
					return l <= r, true
				case ">":
					return l > r, true
				case ">=":
					return l >= r, true
				case "==":
					return l == r, true
				case "!=":
					return l != r, true
				case "&":
					return l&r != 0, true
				}
			}
		}
		a, okA := constTruthIn(x.X, consts)
		b, okB := constTruthIn(x.Y, consts)
		switch x.Op {
		case "&&":
			if okA && !a || okB && !b {
				return false, true
			}
			return true, okA && okB
		case "||":
			if okA && a || okB && b {
				return true, true
			}
			return false, okA && okB
		}
	}
	return false, false
}

// armsAgree decides a binary test of a conditional expression whose two
// arms give the same answer: "(c ? RPM_ASYNC | RPM_AUTO : RPM_ASYNC) &
// (RPM_ASYNC | RPM_NOWAIT)", pm_suspend_timer_fn()'s flags in
// rpm_suspend()'s test, is true whatever c is.
func armsAgree(x *cparse.Expr, consts map[string]int64) (val, ok bool) {
	for i, side := range []*cparse.Expr{x.X, x.Y} {
		c := side.Strip()
		if c == nil || c.Kind != cparse.ECond || c.Y == nil || c.Z == nil {
			continue
		}
		var got [2]bool
		for j, arm := range []*cparse.Expr{c.Y, c.Z} {
			n := *x
			if i == 0 {
				n.X = arm
			} else {
				n.Y = arm
			}
			v, known := constTruthIn(&n, consts)
			if !known {
				return false, false
			}
			got[j] = v
		}
		if got[0] == got[1] {
			return got[0], true
		}
		return false, false
	}
	return false, false
}

// constsOf returns the values of the named constants x uses: the
// analysed files' own, then the index's for the tree's headers. A map
// of x's alone, as flows run at once and p.consts is not written after
// the program is built.
func (p *Program) constsOf(x *cparse.Expr) map[string]int64 {
	if p.constSrc == nil {
		return p.consts
	}
	var m map[string]int64
	x.Walk(func(e *cparse.Expr) bool {
		if e.Kind != cparse.EIdent || !isNamedConst(e) {
			return true
		}
		v, ok := p.consts[e.Name]
		if !ok {
			v, ok = p.constSrc.Const(e.Name)
		}
		if ok {
			if m == nil {
				m = map[string]int64{}
			}
			m[e.Name] = v
		}
		return true
	})
	return m
}

// negatedCountTest decides a comparison with zero of a negated variable
// or member ("-spool->min_hpages > 0"): in kernel code a value negated to
// pass as a signed delta is a count being given back, so it is taken to
// be at most zero. A caller returning hugetlb pages does not reach the
// callee's "delta > 0" branch that gathers (and sleeps for) new ones.
// Missing a bug of a negated negative (-err) is the cheaper mistake.
func negatedCountTest(x *cparse.Expr, consts map[string]int64) (val, ok bool) {
	negated := func(e *cparse.Expr) bool {
		e = e.Strip()
		if e == nil || e.Kind != cparse.EUnary || e.Op != "-" {
			return false
		}
		_, isConst := cparse.EvalInt(e.X, consts)
		return !isConst
	}
	zero := func(e *cparse.Expr) bool {
		v, isConst := cparse.EvalInt(e, consts)
		return isConst && v == 0
	}
	switch {
	case negated(x.X) && zero(x.Y):
		switch x.Op {
		case ">":
			return false, true
		case "<=":
			return true, true
		}
	case zero(x.X) && negated(x.Y):
		switch x.Op {
		case "<":
			return false, true
		case ">=":
			return true, true
		}
	}
	return false, false
}

// mergeIgnoredRet merges outcomes that differ only in their return value
// when the caller ignores it: to the caller they are one outcome, and a
// lock that only some of them release or take is only maybe so.
func mergeIgnoredRet(outs []*Outcome, states []*State) ([]*Outcome, []*State) {
	groups := map[string][]int{}
	var order []string
	for i, st := range states {
		k := factsKey(st.Conds)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var ro []*Outcome
	var rs []*State
	for _, k := range order {
		idx := groups[k]
		if len(idx) == 1 {
			ro = append(ro, outs[idx[0]])
			rs = append(rs, states[idx[0]])
			continue
		}
		merged := &Outcome{Ret: RetUnknown, Line: outs[idx[0]].Line}
		inAll := func(pick func(*Outcome) []*Ctx, c *Ctx) bool {
			for _, i := range idx {
				found := false
				for _, x := range pick(outs[i]) {
					if sameLock(x, c) {
						found = true
					}
				}
				if !found {
					return false
				}
			}
			return true
		}
		acq := func(o *Outcome) []*Ctx { return o.Acquired }
		rel := func(o *Outcome) []*Ctx { return o.Released }
		seen := map[string]bool{}
		for _, i := range idx {
			o := outs[i]
			for _, c := range o.Acquired {
				if inAll(acq, c) && !seen["a"+c.key()] {
					seen["a"+c.key()] = true
					merged.Acquired = append(merged.Acquired, c)
				}
			}
			for _, c := range o.Released {
				if seen["r"+c.key()] || seen["m"+c.key()] {
					continue
				}
				if inAll(rel, c) {
					seen["r"+c.key()] = true
					merged.Released = append(merged.Released, c)
				} else {
					seen["m"+c.key()] = true
					merged.Maybe = append(merged.Maybe, c)
				}
			}
			for _, c := range o.Maybe {
				if !seen["m"+c.key()] && !seen["r"+c.key()] {
					seen["m"+c.key()] = true
					merged.Maybe = append(merged.Maybe, c)
				}
			}
		}
		ro = append(ro, merged)
		rs = append(rs, states[idx[0]])
	}
	return ro, rs
}

func constInt(x *cparse.Expr) (int64, bool) {
	x = x.Strip()
	if x == nil {
		return 0, false
	}
	if x.Kind == cparse.EUnary && x.Op == "-" {
		v, ok := constInt(x.X)
		return -v, ok
	}
	if x.Kind != cparse.ENumber {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimRight(strings.ToLower(x.Name), "ul"), 0, 64)
	return v, err == nil
}

// bindArgs maps the callee's parameters to this call's arguments, and
// makes the chain step for the call.
func (f *flow) bindArgs(s *cparse.Stmt, g *FuncInfo) (map[string]*cparse.Expr, Step) {
	args := s.Call.Args
	subst := map[string]*cparse.Expr{}
	for i, p := range g.F.Params {
		if i < len(args) && p.Name != "" {
			subst[p.Name] = args[i]
		}
	}
	return subst, f.step(s.Line, fmt.Sprintf("calls %s()", g.F.Name))
}

// observeEffects observes a callee's effects at a call. Effects that do not
// depend on the path (no gfp parameter, no argument conditions) are
// translated once per call site.
//
// tbl is the table variable a call through an ops member reached g from
// ("" otherwise): see narrowOps.
func (f *flow) observeEffects(b *cparse.Block, s *cparse.Stmt, g *FuncInfo, st *State, subst map[string]*cparse.Expr, callStep Step, tbl string) {
	args := s.Call.Args
	sk := "" // computed for the first effect observed
	viaOps := opsStep(callStep)
	for _, e := range g.Sum.Effects {
		if f.lastRef && (e.Kind == ESleep || e.Kind == EAlloc || e.Kind == EWait) {
			continue
		}
		if viaOps && beyondOps(e) {
			continue
		}
		if e.Kind == ECallArg {
			f.callArg(b, s, g, e, st, subst, callStep, tbl)
			continue
		}
		// The translation into this call's terms is done once per call
		// site; what depends on the path (is the effect possible for these
		// arguments, does this gfp mask block) is checked per state.
		base := f.translatedAt(s, e, g, subst, callStep, tbl)
		if base == nil {
			continue
		}
		if len(e.Conds) > 0 && f.outcomeFacts(s, &Outcome{Conds: e.Conds}, st, subst, g, false) == nil {
			continue // happens only for arguments this call does not pass
		}
		// Observing it costs what the effect carries, per state.
		f.spend(1 + len(base.Chain) + len(base.Inner) + len(base.Conds))
		te := base
		if e.GfpParam >= 0 {
			if te = f.realizeGfp(base, e, g, args, st); te == nil {
				continue
			}
		}
		if te == nil {
			continue
		}
		var exclude *Ctx
		if te.Drops != nil && te.Drops.Expr != nil {
			exclude = f.findHeld(st, te.Drops.Expr)
		}
		if w, we := f.withoutUnheld(st, te); w != st {
			f.observeKeyed(s, w, we, exclude, b, f.obsStateKey(w))
		} else {
			if sk == "" {
				sk = f.obsStateKey(st)
			}
			f.observeKeyed(s, st, te, exclude, b, sk)
		}
	}
}

// translatedAt is e in this call's terms (translateEffect), translated
// once per call site.
func (f *flow) translatedAt(s *cparse.Stmt, e *Effect, g *FuncInfo, subst map[string]*cparse.Expr, callStep Step, tbl string) *Effect {
	ck := effectSite{s, e}
	base, ok := f.translated[ck]
	if !ok {
		base = f.translateEffect(s, e, g, subst, callStep, tbl)
		f.translated[ck] = base
	}
	return base
}

// callArg observes what the function this call hands g as a callback
// does when g calls it (an ECallArg of g): with what this path holds
// and what g holds around the call (ieee80211_iterate_stations_atomic()
// runs its iterator under rcu_read_lock()). A function this one was
// handed in turn passes the effect on to its own callers.
func (f *flow) callArg(b *cparse.Block, s *cparse.Stmt, g *FuncInfo, e *Effect, st *State, subst map[string]*cparse.Expr, callStep Step, tbl string) {
	if e.FnParam < 0 || e.FnParam >= len(s.Call.Args) {
		return
	}
	name := funcArg(s.Call.Args[e.FnParam])
	if name == "" {
		return
	}
	base := f.translatedAt(s, e, g, subst, callStep, tbl)
	if base == nil {
		return
	}
	if len(e.Conds) > 0 && f.outcomeFacts(s, &Outcome{Conds: e.Conds}, st, subst, g, false) == nil {
		return
	}
	if i := fnParam(f.fn, name); i >= 0 {
		n := *base
		n.keyCache, n.obsCache = "", ""
		n.FnParam = i
		f.observeKeyed(s, st, &n, nil, b, f.obsStateKey(st))
		return
	}
	cb := f.p.Lookup(f.fn, name)
	if cb == nil || cb.Sum == nil || cb == f.fi {
		return
	}
	in := st.clone()
	for _, c := range base.Inner {
		cx := *c
		cx.keyCache = ""
		cx.FromCaller = false
		if cx.Via != nil {
			cx.Via = cx.Via.Push(callStep)
		} else {
			cx.Via = NewPath(callStep)
		}
		in.Held = append(in.Held, &cx)
	}
	runs := Step{File: cb.F.File.Path, Line: cb.F.Line, Func: cb.F.Name, Note: fmt.Sprintf("%s() runs %s(), which %s() handed it", g.F.Name, name, f.fn.Name)}
	for _, y := range cb.Sum.Effects {
		switch y.Kind {
		case ESleep, EAlloc, EWait, ETake:
		default:
			continue
		}
		if y.GfpParam >= 0 || len(y.Unheld) > 0 || y.Drops != nil || len(base.Chain)+len(y.Chain)+1 > maxChain {
			continue
		}
		conds := false
		for i := range y.Conds {
			if !configFact(&y.Conds[i]) {
				conds = true
			}
		}
		if conds {
			continue // on the callback's arguments, which g passes
		}
		n := *y
		n.keyCache, n.obsCache = "", ""
		n.OpsArg, n.OpsVar = 0, ""
		n.Chain = append(append(append([]Step(nil), base.Chain...), runs), y.Chain...)
		if y.Ctx != nil {
			cx := *y.Ctx
			cx.keyCache = ""
			if !globalLock(cx.Expr, cb.F) {
				cx.Expr, cx.Inst, cx.Flags = nil, "", nil
			}
			n.Ctx = &cx
		}
		f.observeKeyed(s, in, &n, nil, b, f.obsStateKey(in))
	}
}

// realizeGfp decides an effect that depends on the callee's gfp
// parameter from the mask this call passes: it happens (allowing reclaim),
// does not, or depends on this function's own gfp parameter in turn.
func (f *flow) realizeGfp(base, e *Effect, g *FuncInfo, args []*cparse.Expr, st *State) *Effect {
	var gv gfpClass
	n := *base
	n.keyCache, n.obsCache = "", ""
	n.Chain = append([]Step(nil), base.Chain...)
	if e.GfpParam < len(args) {
		gv = f.gfp(args[e.GfpParam], st)
		n.Chain[0].Note = fmt.Sprintf("calls %s() with %s", g.F.Name, args[e.GfpParam])
	}
	switch gv.kind {
	case gfpBlocking:
		n.GfpParam = -1
		n.Sleeps = e.Kind == EAlloc
		n.MaskHere = true
	case gfpParam:
		n.GfpParam = gv.param
	default:
		if e.Kind == ESleep {
			return nil
		}
		n.GfpParam = -1
		n.Sleeps = false
	}
	return &n
}

type effectSite struct {
	s *cparse.Stmt
	e *Effect
}

type listSite struct {
	s  *cparse.Stmt
	id listID
}

type ctxSite struct {
	s *cparse.Stmt
	c *Ctx
}

// withoutUnheld is the state an effect of a callee sees: without the
// contexts the callee had released by then. It is st itself when the
// callee released none of what st holds, which is most calls: nothing is
// held, or not what the callee released.
//
// It also returns the effect as this function's callers are to see it: a
// lock released in the callee that this function took itself is none of
// its callers' locks, so it leaves the effect's list (which would
// otherwise grow up the call graph with every spelling of the lock that
// each caller gives it). A lock asserted held, the caller's, stays.
func (f *flow) withoutUnheld(st *State, e *Effect) (*State, *Effect) {
	if len(e.Unheld) == 0 || len(st.Held) == 0 {
		return st, e
	}
	n := st
	var own []bool
	for j, r := range e.Unheld {
		if i := f.matchUnheld(n, r); i >= 0 {
			if n == st {
				n = st.clone()
			}
			if !n.Held[i].FromCaller {
				if own == nil {
					own = make([]bool, len(e.Unheld))
				}
				own[j] = true
			}
			n.Held = append(n.Held[:i:i], n.Held[i+1:]...)
		}
	}
	if own == nil {
		return n, e
	}
	return n, f.keepUnheld(e, own)
}

// matchUnheld finds the held context a callee released before an effect.
// A lock the callee named through its own variables ("src_ptl =
// pmd_lockptr(mm, pmd)", then lockdep_assert_held(src_ptl)) has no
// instance here, and its expression means little in this function: when
// the loose match finds nothing (it may read a pointer's name as a class),
// it is matched by the class the callee gave it or, without one, as the
// one held lock of its family, the way a release of an unnamed lock is.
func (f *flow) matchUnheld(st *State, r *Ctx) int {
	// The instance the callee named, in this call's terms: another
	// file's static keeps its file (instOf), which this file's reading
	// of the expression would not give it.
	if i := st.heldInst(Family(r.Kind), r.Inst); i >= 0 {
		return i
	}
	i := f.matchLoose(st, r.Kind, r.Expr)
	if i >= 0 && r.Class != "" && st.Held[i].Class != "" && lockMember(st.Held[i].Class) != lockMember(r.Class) {
		// A lock in another member: the callee released its own
		// (its_vpe::vpe_lock on the path that took it, a condition the
		// caller cannot see), not the caller's event_lpi_map::vlpi_lock.
		// The same member through another type (mm->mmap_lock reached
		// through a vma of a type not in view) is the same lock.
		i = -1
	}
	if i >= 0 || r.Inst != "" || r.Expr == nil && r.Class == "" {
		return i
	}
	fam := Family(r.Kind)
	cand := -1
	for i := len(st.Held) - 1; i >= 0; i-- {
		c := st.Held[i]
		if Family(c.Kind) != fam {
			continue
		}
		if r.Class != "" {
			if sameClass(c.Class, r.Class) {
				return i
			}
			continue
		}
		if cand >= 0 {
			return -1
		}
		cand = i
	}
	return cand
}

// lockMember is the member a lock class ends in: "vpe_lock" of "struct
// its_vpe::vpe_lock", "mmap_lock" of "struct vm_area_struct::vm_mm.mmap_lock".
func lockMember(class string) string {
	if i := strings.IndexByte(class, '@'); i > 0 {
		class = class[:i] // a file's static (typeEnv.globalClass)
	}
	if i := strings.LastIndexAny(class, ":."); i >= 0 {
		return class[i+1:]
	}
	return class
}

// keepUnheld is e without the released contexts own marks, memoised so
// that effects observed on many paths share one list.
func (f *flow) keepUnheld(e *Effect, own []bool) *Effect {
	var mask strings.Builder
	for _, o := range own {
		if o {
			mask.WriteByte('1')
		} else {
			mask.WriteByte('0')
		}
	}
	k := unheldKeep{e, mask.String()}
	if ne, ok := f.keptUnheld[k]; ok {
		return ne
	}
	ne := *e // the keys do not depend on the list: their caches stay
	ne.Unheld = nil
	for j, c := range e.Unheld {
		if !own[j] {
			ne.Unheld = append(ne.Unheld, c)
		}
	}
	if f.keptUnheld == nil {
		f.keptUnheld = map[unheldKeep]*Effect{}
	}
	f.keptUnheld[k] = &ne
	return &ne
}

type unheldKeep struct {
	e    *Effect
	mask string
}

func (f *flow) releaseArg(s *cparse.Stmt, r *Ctx, subst map[string]*cparse.Expr, g *FuncInfo) *cparse.Expr {
	if r.Expr == nil || r.Inst == "" {
		return nil // not nameable here (see translateCtx)
	}
	k := exprSite{s, r.Expr}
	if x, ok := f.relCache[k]; ok {
		return x
	}
	x, local := f.substitute(r.Expr, subst, g)
	if local {
		x = nil
	} else {
		x = f.canonLock(x)
	}
	f.relCache[k] = x
	return x
}

// outcomeFacts returns the state after an outcome's conditions on the
// arguments, or nil when they contradict what this path knows (or the
// constants the caller passes).
func (f *flow) outcomeFacts(s *cparse.Stmt, o *Outcome, st *State, subst map[string]*cparse.Expr, g *FuncInfo, stores bool) *State {
	n := st.clone()
	for _, fa := range o.Conds {
		if fa.Expr == nil {
			continue
		}
		a := f.argFact(s, fa.Expr, subst, g)
		if a.skip {
			continue
		}
		if a.isConst {
			if a.truth != fa.Val {
				return nil
			}
			continue
		}
		key, idents, expr := a.key, a.idents, a.expr
		val := fa.Val != a.neg
		if stores && g.Sum != nil && storesMember(g, fa.Expr) {
			// What the callee stores (spi_bus_unlock()'s
			// "ctlr->bus_lock_flag = 0"), not what it finds: the caller's
			// knowledge of the member before the call does not
			// contradict it.
			n.setFact(Cond{Key: key, Val: val, Idents: idents, Expr: expr})
			continue
		}
		if v, ok := f.decide(expr, n); ok {
			// Decided by what this call passes: the callee's
			// gfpflags_allow_blocking(gfp) with GFP_ATOMIC.
			if v != val {
				return nil
			}
			continue
		}
		v, known := n.fact(key)
		if !known {
			// The callee's "typeReq == ClearPortFeature" where this path
			// knows typeReq == GetPortStatus.
			v, known = f.otherState(expr, n)
		}
		if known && v != val {
			return nil
		}
		if !known && !val && isPointerParam(g, fa) && !f.ownParam(expr) {
			// The callee's defensive "if (!p) return;": a caller that does
			// not know its pointer to be NULL is not passing NULL. Unless
			// it passes on a parameter of its own: its callers decide
			// (of_find_property(np, name, NULL) hands lenp down to
			// __of_find_property(), which tests it), so the outcome stays,
			// stated on the parameter.
			return nil
		}
		n.setFact(Cond{Key: key, Val: val, Idents: idents, Expr: expr})
	}
	return n
}

// storesMember reports a condition of g on a member of a parameter that
// g stores through it (Summary.Writes).
func storesMember(g *FuncInfo, x *cparse.Expr) bool {
	if b := x.Strip(); b != nil && b.Kind == cparse.EBinary && b.Op == "==" {
		x = b.X // "*maptype == 2" of "*maptype = 2"
	}
	if d := x.Strip(); d != nil && d.Kind == cparse.EUnary && d.Op == "*" {
		if v := d.X.Strip(); v != nil && v.Kind == cparse.EIdent {
			for j, prm := range g.F.Params {
				if prm.Name == v.Name && slices.Contains(g.Sum.Writes[j], "*") {
					return true
				}
			}
		}
		return false
	}
	root := rootIdent(x)
	if root == "" {
		return false
	}
	k := canonText(x)
	for j, prm := range g.F.Params {
		if prm.Name != root {
			continue
		}
		for _, suffix := range g.Sum.Writes[j] {
			if k == root+suffix {
				return true
			}
		}
	}
	return false
}

// ownParam reports an expression that is one of the function's own
// parameters.
func (f *flow) ownParam(x *cparse.Expr) bool {
	x = x.Strip()
	return x != nil && x.Kind == cparse.EIdent && f.env.paramIndex(x.Name) >= 0
}

// argAtom is a callee's condition on its arguments in this call's terms.
type argAtom struct {
	skip           bool // on the callee's locals, or not a condition
	isConst, truth bool // decided by the constants passed
	key            string
	neg            bool
	idents         []string
	expr           *cparse.Expr
}

// argFact translates a callee's condition at a call, once per call site:
// every state through the call asks it again for every outcome.
func (f *flow) argFact(s *cparse.Stmt, x *cparse.Expr, subst map[string]*cparse.Expr, g *FuncInfo) *argAtom {
	k := exprSite{s, x}
	if a, ok := f.argCache[k]; ok {
		return a
	}
	a := &argAtom{}
	if t, local := f.substitute(x, subst, g); local {
		a.skip = true
	} else if truth, isConst := constTruthIn(t, f.p.constsOf(t)); isConst {
		a.isConst, a.truth = true, truth
	} else if a.key, a.neg, a.idents, a.expr = f.atom(t); a.key == "" {
		a.skip = true
	}
	f.argCache[k] = a
	return a
}

// maxFactNodes bounds the expressions a callee's summary passes to its
// callers in their terms (conditions on arguments, lock expressions).
const maxFactNodes = 16

type exprSite struct {
	s *cparse.Stmt
	x *cparse.Expr
}

// isPointerParam reports a fact that is just a pointer parameter's
// truth (its NULL test).
func isPointerParam(g *FuncInfo, fa Cond) bool {
	x := fa.Expr.Strip()
	if x == nil || x.Kind != cparse.EIdent {
		return false
	}
	for _, p := range g.F.Params {
		if p.Name == x.Name {
			return p.Type.Ptr > 0
		}
	}
	return false
}

// consistentOutcomes picks the outcomes to follow. When some outcomes
// release locks this state holds and others release locks it does not,
// only the former are followed: a helper that releases either of two locks
// releases the one its partner took.
func (f *flow) consistentOutcomes(s *cparse.Stmt, outs []*Outcome, st *State, subst map[string]*cparse.Expr, g *FuncInfo) map[*Outcome]bool {
	keep := map[*Outcome]bool{}
	var matching, mismatching []*Outcome
	for _, o := range outs {
		keep[o] = true
		if len(o.Released) == 0 {
			continue
		}
		ok := true
		for _, r := range o.Released {
			if f.matchRelease(st, r.Kind, f.releaseArg(s, r, subst, g)) < 0 {
				ok = false
				break
			}
		}
		if ok {
			matching = append(matching, o)
		} else {
			mismatching = append(mismatching, o)
		}
	}
	if len(matching) > 0 {
		for _, o := range mismatching {
			keep[o] = false
		}
	}
	return keep
}

func retTruth(r RetClass) (val, known bool) {
	switch r {
	case RetZero:
		return false, true
	case RetNonZero, RetError:
		return true, true
	}
	return false, false
}

// substitute rewrites a callee expression into the caller's terms. local
// reports that it names the callee's own variables, which mean nothing
// here.
func (f *flow) substitute(x *cparse.Expr, subst map[string]*cparse.Expr, g *FuncInfo) (*cparse.Expr, bool) {
	local := false
	x.Walk(func(e *cparse.Expr) bool {
		switch {
		case local:
			return false
		case e.Kind == cparse.ECall && e.X != nil && e.X.Kind == cparse.EIdent:
			// The called function's name is not a variable.
			for _, a := range e.Args {
				if _, l := f.substitute(a, subst, g); l {
					local = true
				}
			}
			return false
		case e.Kind == cparse.ESizeof || e.Kind == cparse.EType:
			return false
		case e.Kind != cparse.EIdent:
			return true
		}
		if _, isParam := subst[e.Name]; isParam {
			return true
		}
		if _, ok := g.F.Locals[e.Name]; ok {
			local = true
		}
		for _, p := range g.F.Params {
			if p.Name == e.Name {
				local = true // a parameter without an argument (varargs)
			}
		}
		return !local
	})
	y := Canon(x.Subst(subst))
	if !local && y.Larger(maxFactNodes) {
		// An expression grows by what each caller's arguments add to it
		// (x - 1 through a chain of calls f(x - 1)); past maxFactNodes it
		// is not followed further up, as one naming the callee's locals
		// is not.
		local = true
	}
	return y, local
}

// siteCtx is translateCtx memoised per call site: a callee's context is
// shared by its outcomes and many of its effects (what they leave held,
// what they see released).
func (f *flow) siteCtx(s *cparse.Stmt, c *Ctx, g *FuncInfo, subst map[string]*cparse.Expr, callStep Step) *Ctx {
	ck := ctxSite{s, c}
	if t, ok := f.ctxCache[ck]; ok {
		return t
	}
	t := f.translateCtx(s, c, g, subst, callStep)
	f.ctxCache[ck] = t
	return t
}

func (f *flow) translateCtx(s *cparse.Stmt, c *Ctx, g *FuncInfo, subst map[string]*cparse.Expr, callStep Step) *Ctx {
	n := &Ctx{Kind: c.Kind, Class: c.Class, Try: c.Try}
	n.Sub, n.SubParam = f.argSubclass(c, subst)
	n.Via = c.Via.Push(callStep)
	if c.Expr != nil && c.Inst == "" {
		// Named through the variables of a function further down (its
		// XA_STATE(xas)): it has no instance in g's terms, nor here, and
		// read as g's expression it would name whatever this function
		// calls by the same name.
		n.Expr = c.Expr
	} else if c.Expr != nil {
		t := f.siteExpr(s, c.Expr, g, subst)
		n.Expr = t.x
		switch {
		case t.local:
		case t.x == c.Expr && c.Inst != "":
			// Nothing of the callee's in it (a global, a struct class).
			n.Inst = c.Inst
			if n.Class == "" {
				n.Class = c.Class
			}
		default:
			if n.Class == "" || refines(t.class, n.Class) {
				n.Class = t.class
			}
			// The callee's static keeps its file (instOf) in the
			// caller's terms too.
			n.Inst = instOf(t.x, n.Class)
		}
	}
	return n
}

// ownLocal reports an expression that reads only this function's locals
// and constants.
func (f *flow) ownLocal(x *cparse.Expr) bool {
	own := false
	ok := true
	x.Walk(func(e *cparse.Expr) bool {
		if e.Kind == cparse.ESizeof || e.Kind == cparse.EType {
			return false
		}
		if e.Kind == cparse.EIdent && !isNamedConst(e) {
			if _, local := f.fn.Locals[e.Name]; local {
				own = true
			} else {
				ok = false
			}
		}
		return true
	})
	return own && ok
}

// calleeExpr is an expression of callee g at a call: one statement may
// call several functions (through an ops table, a release callback).
type calleeExpr struct {
	s *cparse.Stmt
	g *FuncInfo
	x *cparse.Expr
}

// siteLock is a callee's lock expression in a caller's terms.
type siteLock struct {
	x           *cparse.Expr
	local       bool
	inst, class string
}

// siteExpr translates a callee's lock expression at a call, memoised: the
// contexts of a callee's effects, outcomes and released lists share their
// expressions, and each would otherwise be substituted and named again.
func (f *flow) siteExpr(s *cparse.Stmt, x *cparse.Expr, g *FuncInfo, subst map[string]*cparse.Expr) siteLock {
	k := calleeExpr{s, g, x}
	if t, ok := f.lockCache[k]; ok {
		return t
	}
	y, local := f.substitute(x, subst, g)
	t := siteLock{x: y, local: local}
	if !local {
		t.x = f.canonLock(y)
		t.class = f.env.classOf(t.x)
		t.inst = instOf(t.x, t.class)
	}
	if f.lockCache == nil {
		f.lockCache = map[calleeExpr]siteLock{}
	}
	f.lockCache[k] = t
	return t
}

// translateEffect brings a callee's effect into this call's terms. An
// effect that depends on the callee's gfp parameter happens here only if
// the argument allows direct reclaim.
// registerArgs names what a wrapper registers in this call's terms: the
// callback and the work item its caller passes, or this function's own
// parameters when it is a wrapper in turn. False when the call does not
// pass a function by name.
func (f *flow) registerArgs(n *Effect, args []*cparse.Expr) bool {
	if n.RegFn > 0 {
		if n.RegFn > len(args) {
			return false
		}
		name := funcArg(args[n.RegFn-1])
		if name == "" {
			return false
		}
		n.Fn, n.RegFn = name, fnParam(f.fn, name)+1
		n.Chain = append([]Step(nil), n.Chain...)
		n.Chain[0].Note = fmt.Sprintf("%s() registers %s()", strings.TrimSuffix(strings.TrimPrefix(n.Chain[0].Note, "calls "), "()"), name)
	}
	if n.RegItem > 0 {
		if n.RegItem > len(args) {
			return false
		}
		a := args[n.RegItem-1]
		n.RegItem, n.Item = 0, ""
		switch x := a.Strip(); {
		case x != nil && x.Kind == cparse.EIdent && fnParam(f.fn, x.Name) >= 0:
			n.RegItem = fnParam(f.fn, x.Name) + 1
		case n.Member != "":
			// The callback is the one this function stores in the
			// item's member ("tegra->id_nb.notifier_call = cb").
			name := memberCallback(f.fn, a, n.Member)
			if name == "" {
				return false
			}
			n.Fn = name
			n.Chain = append([]Step(nil), n.Chain...)
			n.Chain[0].Note = fmt.Sprintf("%s() registers %s()", strings.TrimSuffix(strings.TrimPrefix(n.Chain[0].Note, "calls "), "()"), name)
		default:
			n.Item = f.env.classOf(a)
		}
	}
	return true
}

func (f *flow) translateEffect(s *cparse.Stmt, e *Effect, g *FuncInfo, subst map[string]*cparse.Expr, callStep Step, tbl string) *Effect {
	for _, s := range e.Chain {
		if s.Func == f.fn.Name && s.File == f.fn.File.Path {
			return nil // around a recursion cycle: the direct effect is there
		}
	}
	n := *e
	n.MaskHere = false
	n.Conds = nil
	for _, fa := range e.Conds {
		if configFact(&fa) || ctxTest(f.p.kb, &fa) != nil || fa.Key == lastRefCond || strings.HasPrefix(fa.Key, localFlagPrefix) {
			n.Conds = append(n.Conds, fa)
			continue
		}
		// A condition on the callee's argument that this function passes
		// on from its own parameter stays a condition, now on that
		// parameter: md_bitmap_get_counter(..., create) allocates only
		// for callers passing create != 0.
		if fa.Expr == nil {
			continue
		}
		x, local := f.substitute(fa.Expr, subst, g)
		if local {
			continue
		}
		key, neg, idents, expr := f.atom(x)
		if key == "" {
			continue
		}
		nf := Cond{Key: key, Val: fa.Val != neg, Idents: idents, Expr: expr}
		switch {
		case f.scalarArgFact(&nf) || f.nonNullGuard(&nf) || f.flagTest(&nf):
			n.Conds = append(n.Conds, nf)
		case nf.Val && flagBitTest(expr) && f.ownLocal(expr):
			n.Conds = append(n.Conds, Cond{Key: localFlagPrefix + condText(&nf), Val: true})
		}
	}
	n.keyCache, n.obsCache = "", ""
	n.Chain = append([]Step{callStep}, e.Chain...)
	if e.Ctx != nil {
		n.Ctx = f.siteCtx(s, e.Ctx, g, subst, callStep)
	}
	if e.Drops != nil {
		n.Drops = f.siteCtx(s, e.Drops, g, subst, callStep)
	}
	if len(e.Unheld) > 0 {
		k := listSite{s, idOf(e.Unheld)}
		l, ok := f.unheldSite[k]
		if !ok {
			for _, c := range e.Unheld {
				l = append(l, f.siteCtx(s, c, g, subst, callStep))
			}
			if f.unheldSite == nil {
				f.unheldSite = map[listSite][]*Ctx{}
			}
			f.unheldSite[k] = l
		}
		n.Unheld = l
	}
	if n.Kind == ERegister && (n.RegFn > 0 || n.RegItem > 0) && !f.registerArgs(&n, s.Call.Args) {
		return nil
	}
	if n.OpsStore != "" {
		// Reached through the table an object's member held: this
		// file's functions store theirs there.
		switch t := f.p.storedTable(f.fn.File.Path, n.OpsStore); {
		case t == "":
		case t != n.OpsStoreVar:
			return nil
		default:
			n.OpsStore, n.OpsStoreVar = "", ""
		}
	}
	if n.OpsArg > 0 {
		return f.narrowOps(&n, s.Call.Args)
	}
	if opsStep(callStep) {
		// Through an ops member: the table is the one the parameter, if it
		// is one, is handed, or the one the object's member holds.
		n.OpsArg, n.OpsVar = 0, ""
		n.OpsStore, n.OpsStoreVar = "", ""
		if p := f.opsParam(s.Call); p >= 0 && tbl != "" {
			n.OpsArg, n.OpsVar = p+1, tbl
		} else if cls := f.storeClass(s.Call); cls != "" && tbl != "" {
			n.OpsStore, n.OpsStoreVar = cls, tbl
		}
	}
	return &n
}

// sameClass reports two names of one lock class for a release: equal,
// or one naming by its place in an outer struct what the other names by
// its own struct (a callee in a file that did not know the
// initialisation site releases "struct f2fs_rwsem::internal_rwsem",
// which its caller holds as "struct f2fs_sb_info::cp_rwsem.
// internal_rwsem").
func sameClass(a, b string) bool {
	return a != "" && (a == b || refines(a, b) || refines(b, a))
}

// refines reports a class naming a lock by its place in an outer struct
// that another names by its own struct ("struct sb_info::cp_rwsem.
// internal_rwsem" for "struct f2fs_rwsem::internal_rwsem"): the caller
// knows which instance's initialisation site the lock has.
func refines(q, c string) bool {
	i, j := strings.Index(q, "::"), strings.Index(c, "::")
	if i < 0 || j < 0 || q == c {
		return false
	}
	return strings.HasSuffix(q[i+2:], "."+c[j+2:])
}
