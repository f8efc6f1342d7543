// SPDX-License-Identifier: GPL-2.0-only

package flow

// What a function is read for before the solver runs: which calls and
// variables matter, which locals stand for expressions of the
// parameters, the contexts its callers hold on entry.

import (
	"fmt"

	"lockbot/cparse"
)

// relevant reports whether a function does anything the analysis tracks:
// a knowledge-base primitive, a guard, an annotation, or a call to a
// function whose summary says something.
func (p *Program) relevant(fi *FuncInfo) bool {
	if len(fi.F.Annots) > 0 {
		return true
	}
	for _, b := range fi.F.Blocks {
		if b.Term == cparse.TStop {
			return true
		}
		for _, s := range b.Stmts {
			switch s.Kind {
			case cparse.SGuard, cparse.SGuardEnd:
				return true
			case cparse.SAssign:
				if boolStore(typeEnv{p, fi.F}, s) {
					// device_pm_not_required(): "dev->power.no_pm = true",
					// which a callee's test of it reads (flagTest).
					return true
				}
			case cparse.SCall:
				name := s.Callee()
				if name == "" {
					// A wrapper of an ops call (call_map(ti) returning
					// ti->type->map(ti)) passes its implementations'
					// effects on, as does any other function making it.
					if p.opsMatter(fi, s) {
						return true
					}
					continue
				}
				if spec := p.kb.Funcs[name]; spec != nil {
					// A context test (preemptible()) matters once its result
					// is returned: can_fill_pool()'s callers branch on it.
					if spec.TypeArg == nil && !spec.Pure && spec.ErrTest == "" || len(spec.TrueUnder)+len(spec.FalseUnder) > 0 {
						return true
					}
					continue
				}
				if g := p.Lookup(fi.F, name); g != nil && g.Sum != nil && !g.Sum.trivial() {
					return true
				}
				if fnParam(fi.F, name) >= 0 {
					return true // calls what its caller hands it (ECallArg)
				}
			}
		}
	}
	return paramSwitch(fi.F)
}

// paramSwitch reports a function that switches on a parameter and
// returns constants: a predicate of the value its caller passes
// (getsockopt_needs_rtnl(optname)), whose answer says which cases the
// caller's own switch on that value can take.
func paramSwitch(fn *cparse.Func) bool {
	switched := false
	for _, b := range fn.Blocks {
		if b.Term == cparse.TSwitch {
			if sw := b.Switch.Strip(); sw != nil && sw.Kind == cparse.EIdent && fnParam(fn, sw.Name) >= 0 {
				switched = true
			}
		}
		if b.Term == cparse.TReturn {
			if _, ok := constTruth(b.Ret); !ok {
				return false
			}
		}
	}
	return switched
}

func (f *flow) entryState() *State {
	st := &State{}
	for _, c := range f.fn.Conds {
		// The whole function sits under #ifdef/#ifndef: a known fact.
		st.setFact(Cond{Key: c.Atom.Name, Val: c.Val, Idents: preIdents(c.Atom.Name), Expr: c.Atom})
	}
	// "__acquires(x) __releases(x)", in that order, is how the kernel
	// marks a function that takes x and drops it again inside
	// (wil_rx_reorder(), bpf's seq_find_next() with RCU): not held on
	// entry. "__releases(x) __acquires(x)" is the function that drops
	// and retakes what its caller holds (rpm_callback()): held. A
	// function of the first kind that expects x held says so with
	// lockdep_assert_held(), which is followed.
	acquired := map[string]bool{}
	for _, a := range f.fn.Annots {
		if a.Arg != nil && a.Kind == "acquires" {
			acquired[a.Arg.String()] = true
		}
		if a.Kind != "must_hold" && a.Kind != "releases" || a.Arg == nil {
			continue
		}
		if a.Kind == "releases" && acquired[a.Arg.String()] {
			continue
		}
		arg := f.annotLock(a.Arg)
		kind := f.p.kb.KindOfType(f.env.lockType(arg))
		if kind == nil {
			continue
		}
		c := f.newCtx(kind, nil, arg, Step{File: f.fn.File.Path, Line: f.fn.Line, Func: f.fn.Name,
			Note: fmt.Sprintf("__%s(%s): the caller holds %s", a.Kind, a.Arg, kind.Desc)})
		c.FromCaller = true
		st.Held = append(st.Held, c)
	}
	// The contexts the kernel calls the function in (callbacks).
	st.Held = append(st.Held, f.p.entered[f.fi]...)
	return st
}

// preIdents lists the identifiers of a preprocessor condition's text.
func preIdents(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		c := text[i]
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			j := i
			for j < len(text) && (text[j] == '_' || text[j] >= 'A' && text[j] <= 'Z' || text[j] >= 'a' && text[j] <= 'z' || text[j] >= '0' && text[j] <= '9') {
				j++
			}
			w := text[i:j]
			if w != "defined" && w != "if" && w != "IS_ENABLED" && w != "IS_BUILTIN" {
				out = append(out, w)
			}
			i = j
			continue
		}
		i++
	}
	return out
}

// annotLock returns the lock pointer an annotation names: sparse's
// __acquires(&x->lock) and __acquires(x->lock) both occur.
func (f *flow) annotLock(arg *cparse.Expr) *cparse.Expr {
	if f.p.kb.KindOfType(f.env.lockType(arg)) != nil {
		return arg
	}
	if t, ok := f.env.typeOf(arg); ok && t.Ptr == 0 && f.p.kb.KindOfType(t.Base) != nil {
		return &cparse.Expr{Kind: cparse.EUnary, Op: "&", X: arg, Pos: arg.Pos}
	}
	return arg
}

// prepare finds the calls whose results are tested, the NOWAIT variables
// and the blocks only NOWAIT requests reach.
func (f *flow) prepare() {
	f.modeArm = modeArms(f.p.kb, f.fn)
	f.tested = map[int]bool{}
	f.handed = map[int]bool{}
	f.nowaitVars = map[string]bool{}
	nowaitFlag := func(e *cparse.Expr) bool {
		return e.ReadsAny(func(id string) bool { return containsStr(f.p.kb.Nowait, id) })
	}
	// nowaitTest reports a condition that tests the NOWAIT flag itself:
	// "x & REQ_NOWAIT" (possibly compared with 0) or a variable set from
	// such a test. A call that merely passes the flag on is not one.
	var nowaitTest func(e *cparse.Expr) bool
	nowaitTest = func(e *cparse.Expr) bool {
		e, _ = stripNot(e)
		if e == nil {
			return false
		}
		switch e.Kind {
		case cparse.EIdent:
			return f.nowaitVars[e.Name]
		case cparse.EBinary:
			switch e.Op {
			case "&":
				return nowaitFlag(e.X) && e.X.Strip().Kind == cparse.EIdent || nowaitFlag(e.Y) && e.Y.Strip().Kind == cparse.EIdent
			case "==", "!=":
				return isNull(e.Y) && nowaitTest(e.X) || isNull(e.X) && nowaitTest(e.Y)
			}
		}
		return false
	}
	// Variables a branch tests or a return returns: a trylock whose value
	// lands in one of them splits into success and failure; one whose
	// value nobody looks at is taken as an acquire (pte_offset_map_lock()
	// never failed before 6.5, and callers did not test it).
	testedVars := map[string]bool{}
	blockTests := make([][]string, len(f.fn.Blocks))
	copies := map[string][]string{}
	switched := map[string]bool{}
	for _, b := range f.fn.Blocks {
		if b.Term == cparse.TBranch && b.Cond != nil {
			if _, _, _, x := f.atom(b.Cond); x != nil && x.Kind == cparse.EBinary && x.Op == "==" &&
				x.X.Kind == cparse.EIdent && isNamedConst(x.Y) {
				if f.enumVars == nil {
					f.enumVars = map[string]bool{}
				}
				f.enumVars[x.X.Name] = true
			}
		}
		if sw := b.Switch.Strip(); b.Term == cparse.TSwitch && sw != nil && sw.Kind == cparse.EIdent {
			for _, v := range b.Cases {
				if isNamedConst(v) {
					switched[sw.Name] = true
				}
			}
		}
		switch {
		case b.Term == cparse.TBranch && b.Cond != nil:
			// Tested means the condition is the variable's own truth
			// ("!pte", "ret < 0", "IS_ERR(p)"), not a use of it
			// ("pte_present(*pte)").
			if key, _, _, _ := f.atom(b.Cond); isAccessPath(key) {
				blockTests[b.ID] = append(blockTests[b.ID], key)
			}
			if c := b.Cond.Strip(); c != nil && c.Kind == cparse.ECall && len(c.Args) > 0 {
				if spec := f.p.kb.Funcs[c.CallName()]; spec != nil && spec.ErrTest != "" {
					blockTests[b.ID] = append(blockTests[b.ID], rootIdent(c.Args[0]), canonText(c.Args[0]))
				}
			}
		case b.Term == cparse.TReturn && b.Ret != nil:
			blockTests[b.ID] = append(blockTests[b.ID], b.Ret.Idents()...)
			// "return !!pvmw->pte": the caller tests the member.
			if key, _, _, _ := f.atom(b.Ret); isAccessPath(key) {
				blockTests[b.ID] = append(blockTests[b.ID], key)
			}
		}
		for _, k := range blockTests[b.ID] {
			testedVars[k] = true
		}
		for _, s := range b.Stmts {
			// a = b copies: a test of a tests b.
			if s.Kind == cparse.SAssign && s.RHS != nil {
				if src := copySource(s.RHS); src != "" {
					if r := rootIdent(s.LHS); r != "" && r != src {
						copies[src] = append(copies[src], r)
					}
				}
			}
		}
	}
	argVars := map[string]bool{}
	for _, b := range f.fn.Blocks {
		for _, s := range b.Stmts {
			if ks := derefKeys(s); len(ks) > 0 {
				if f.derefs == nil {
					f.derefs = map[int][]derefKey{}
				}
				f.derefs[s.ID] = ks
			}
			if ks := f.shiftCounts(s); len(ks) > 0 {
				if f.shifts == nil {
					f.shifts = map[int][]string{}
				}
				f.shifts[s.ID] = ks
			}
			if s.Kind != cparse.SCall || s.Call == nil {
				continue
			}
			if spec := f.p.kb.Funcs[s.Callee()]; spec != nil && spec.Release != "" {
				if l := f.lockArg(spec, s.Call.Args, nil); l != nil {
					if c := Canon(l); c != nil {
						if f.released == nil {
							f.released = map[string]bool{}
						}
						f.released[c.String()] = true
					}
				}
			}
			for _, a := range s.Call.Args {
				if a = a.Strip(); a != nil && a.Kind == cparse.EIdent {
					argVars[a.Name] = true
				}
				if a != nil && a.Kind == cparse.EUnary && a.Op == "&" {
					if v := a.X.Strip(); v != nil && v.Kind == cparse.EIdent {
						if f.addrVars == nil {
							f.addrVars = map[string]bool{}
						}
						f.addrVars[v.Name] = true
					}
				}
			}
		}
	}
	f.findBoolDefs(switched)
	for _, def := range f.boolDefs {
		// A call in a flag's definition is tested where the flag is:
		// a trylock there splits into success and failure.
		def.Walk(func(x *cparse.Expr) bool {
			if x.Kind == cparse.ECall {
				if id, ok := f.fn.CallIDs[x]; ok {
					f.tested[id] = true
				}
			}
			return true
		})
	}
	f.computeLive()
	for _, b := range f.fn.Blocks {
		f.noteCompared(b)
		for _, s := range b.Stmts {
			// "vmf->pte = trylock()" is tested by a later test of vmf->pte
			// (or of a copy of it), not by "return f(vmf)" nor by a test
			// on another branch.
			if s.Kind == cparse.SCall && s.LHS != nil {
				if f.testedAfter(b, canonText(s.LHS), testedVars, blockTests, copies) {
					f.tested[s.ID] = true
				}
			}
			if s.Kind == cparse.SCall && s.LHS != nil && s.LHS.Kind == cparse.EIdent && argVars[s.LHS.Name] {
				f.handed[s.ID] = true
			}
			if (s.Kind == cparse.SAssign || s.Kind == cparse.SCall) && s.LHS != nil && s.LHS.Kind == cparse.EIdent {
				rhs := s.RHS
				if s.Kind == cparse.SCall {
					rhs = s.Call
				}
				if rhs != nil && nowaitTest(rhs) {
					f.nowaitVars[s.LHS.Name] = true
				}
			}
		}
		// A call whose value a branch tests or the function returns is
		// "used": a trylock there splits into success and failure.
		used := b.Cond
		if b.Term == cparse.TReturn {
			used = b.Ret
		} else if b.Term != cparse.TBranch {
			used = nil
		}
		if used != nil {
			used.Walk(func(x *cparse.Expr) bool {
				if x.Kind == cparse.ECall {
					if id, ok := f.fn.CallIDs[x]; ok {
						f.tested[id] = true
					}
				}
				return true
			})
		}
	}
	var edges []nowaitEdge
	for _, b := range f.fn.Blocks {
		if b.Term != cparse.TBranch || b.Cond == nil || b.Pre || !nowaitTest(b.Cond) {
			continue
		}
		key, neg, _, _ := f.atom(b.Cond)
		target := b.Succs[0]
		if neg {
			target = b.Succs[1]
		}
		edges = append(edges, nowaitEdge{b, target, key})
	}
	if len(edges) > 0 {
		f.nowait, f.gates = nowaitRegions(f.fn, edges, f.tested)
	}
}

// testedAfter reports whether a branch or return reachable from block b
// tests the value stored in name, or in a copy of it.
func (f *flow) testedAfter(b *cparse.Block, name string, testedVars map[string]bool, blockTests [][]string, copies map[string][]string) bool {
	names := map[string]bool{name: true}
	work := []string{name}
	any := testedVars[name]
	for len(work) > 0 && len(names) < 16 {
		n := work[len(work)-1]
		work = work[:len(work)-1]
		for _, c := range copies[n] {
			if !names[c] {
				names[c] = true
				work = append(work, c)
				any = any || testedVars[c]
			}
		}
	}
	if !any {
		return false
	}
	seen := make([]bool, len(f.fn.Blocks))
	queue := []int{b.ID}
	seen[b.ID] = true
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, k := range blockTests[id] {
			if names[k] {
				return true
			}
		}
		for _, s := range f.fn.Blocks[id].Succs {
			if s >= 0 && s < len(seen) && !seen[s] {
				seen[s] = true
				queue = append(queue, s)
			}
		}
	}
	return false
}

// noteCompared records the variables a branch of b compares with another
// variable (f.compared).
func (f *flow) noteCompared(b *cparse.Block) {
	x := b.Cond.Strip()
	if b.Term != cparse.TBranch || x == nil {
		return
	}
	x.Walk(func(e *cparse.Expr) bool {
		if e.Kind == cparse.EBinary && (e.Op == "==" || e.Op == "!=") {
			l, r := e.X.Strip(), e.Y.Strip()
			if l != nil && r != nil && l.Kind == cparse.EIdent && r.Kind == cparse.EIdent {
				if f.compared == nil {
					f.compared = map[string]bool{}
				}
				f.compared[l.Name], f.compared[r.Name] = true, true
			}
		}
		return true
	})
}

// findBoolDefs fills boolDefs and caseVars; switched are the variables a
// switch compares with named constants.
func (f *flow) findBoolDefs(switched map[string]bool) {
	assigned := map[string]int{}
	defs := map[string]*cparse.Expr{}
	for _, b := range f.fn.Blocks {
		for _, s := range b.Stmts {
			if s.Kind != cparse.SAssign && s.Kind != cparse.SCall && s.Kind != cparse.SLoopVar || s.LHS == nil {
				continue
			}
			r := rootIdent(s.LHS)
			if s.Kind == cparse.SAssign && s.LHS.Strip().Kind == cparse.EIdent && s.Op == "=" && s.RHS != nil {
				if _, ok := constTruth(s.RHS); ok && defs[r] != nil {
					// "take_rtnl = true; goto retry;" after the
					// definition: the path knows that value itself, and
					// the definition still says what an unknown value
					// means.
					continue
				}
			}
			assigned[r]++
			if switched[r] && s.Kind == cparse.SAssign && isNamedConst(s.RHS) {
				// "mode = M_PARTIAL; ... switch (mode)": track it.
				if f.enumVars == nil {
					f.enumVars = map[string]bool{}
				}
				f.enumVars[r] = true
			}
			if s.Kind == cparse.SAssign && s.LHS.Strip().Kind == cparse.EIdent && (s.Op == "=" || s.Op == "") && s.RHS != nil {
				defs[r] = s.RHS.Strip()
			}
		}
	}
	for name, def := range defs {
		if assigned[name] != 1 || f.addrVars[name] || !isCondition(def) || f.hasImpureCall(def) {
			continue
		}
		stable := !f.readsOutsideCalls(def, func(id string) bool { return assigned[id] > 0 || f.addrVars[id] })
		if stable {
			if f.boolDefs == nil {
				f.boolDefs = map[string]*cparse.Expr{}
			}
			f.boolDefs[name] = def
			for _, id := range def.Idents() {
				if f.caseVars == nil {
					f.caseVars = map[string]bool{}
				}
				f.caseVars[id] = true
			}
		}
	}
	for v := range f.enumVars {
		if f.caseVars == nil {
			f.caseVars = map[string]bool{}
		}
		f.caseVars[v] = true
	}
	for v := range switched {
		// A parameter switched on and never assigned: its callers pass
		// the value, so the case is a condition of what each case does
		// (ehci_hub_control()'s msleep is on ClearPortFeature; a caller
		// that disabled interrupts only for GetPortStatus never gets there).
		if assigned[v] == 0 && f.env.paramIndex(v) >= 0 {
			if f.caseVars == nil {
				f.caseVars = map[string]bool{}
			}
			f.caseVars[v] = true
		}
	}
}

func isCondition(e *cparse.Expr) bool {
	e = e.Strip()
	if e == nil {
		return false
	}
	switch e.Kind {
	case cparse.EUnary:
		return e.Op == "!"
	case cparse.EBinary:
		switch e.Op {
		case "==", "!=", "<", ">", "<=", ">=", "&&", "||":
			return true
		}
	}
	return false
}

// readsOutsideCalls is ReadsAny but for the arguments of the calls the
// function makes as statements of their own: their results are facts of
// the path, whatever the arguments (spin_trylock_irq(&l) does not read l).
func (f *flow) readsOutsideCalls(e *cparse.Expr, match func(string) bool) bool {
	found := false
	e.Walk(func(x *cparse.Expr) bool {
		if found {
			return false
		}
		if x.Kind == cparse.ECall {
			if _, once := f.fn.CallIDs[x]; once {
				return false
			}
			found = x.ReadsAny(match)
			return false
		}
		if x.Kind == cparse.EIdent && match(x.Name) {
			found = true
		}
		return !found && x.Kind != cparse.ESizeof && x.Kind != cparse.EType
	})
	return found
}

// hasImpureCall reports a call in e other than a macro (READ_ONCE()) or
// a pure function: its value may change between two reads.
func (f *flow) hasImpureCall(e *cparse.Expr) bool {
	found := false
	e.Walk(func(x *cparse.Expr) bool {
		if x.Kind == cparse.EStmtExpr {
			found = true
		} else if x.Kind == cparse.ECall {
			name := x.CallName()
			_, once := f.fn.CallIDs[x]
			// A call the function makes as a statement of its own
			// ("contended = !spin_trylock_irq(&l)") is read through its
			// result's fact, which holds until the call runs again.
			found = name == "" || !isUpperName(name) && !f.pure(name) && !once
		}
		return !found
	})
	return found
}

func hasCallExpr(e *cparse.Expr) bool {
	found := false
	e.Walk(func(x *cparse.Expr) bool {
		if x.Kind == cparse.ECall || x.Kind == cparse.EStmtExpr {
			found = true
		}
		return !found
	})
	return found
}

// boolStore reports a store of a constant truth value in a bool member
// of what a parameter points to.
func boolStore(env typeEnv, s *cparse.Stmt) bool {
	if s.RHS == nil || s.Op != "=" && s.Op != "" {
		return false
	}
	l := s.LHS.Strip()
	if l == nil || l.Kind != cparse.EField || env.paramIndex(rootOf(l)) < 0 {
		return false
	}
	if _, ok := constTruth(s.RHS); !ok {
		return false
	}
	t, ok := env.typeOf(l)
	return ok && isBool(t)
}

// isBool reports a plain bool (not a pointer or an array of them).
func isBool(t cparse.Type) bool {
	return t.Ptr == 0 && !t.Array && (t.Base == "bool" || t.Base == "_Bool")
}
