// SPDX-License-Identifier: GPL-2.0-only

package flow

// Statements: what an assignment or a call does to a state.

import (
	"fmt"
	"strconv"
	"strings"

	"lockbot/cparse"
	"lockbot/kb"
)

func (f *flow) step(line int, note string) Step {
	return Step{File: f.fn.File.Path, Line: line, Func: f.fn.Name, Note: note}
}

// exec runs one statement on a state and returns the resulting states
// (a trylock or a call with several outcomes splits it).
func (f *flow) exec(b *cparse.Block, s *cparse.Stmt, st *State) []*State {
	if ks := f.derefs[s.ID]; ks != nil {
		if derefsNull(st, ks) {
			// "pte = pte_offset_map(...); orig = *pte;": the path on which
			// the call failed and returned NULL does not get here.
			return nil
		}
		// What is dereferenced is not NULL from here on: "mm =
		// vma->vm_mm; ... if (!vma)" is decided.
		st = f.nonNull(st, ks)
	}
	if ks := f.shifts[s.ID]; ks != nil {
		st = nonNegative(st, ks)
	}
	switch s.Kind {
	case cparse.SCall:
		return f.call(b, s, st)
	case cparse.SAssign:
		if !f.assignMatters(s, st) {
			return []*State{st}
		}
		n := st.clone()
		f.assign(s.LHS, s.RHS, s.Op, n)
		f.flagFact(s, n)
		f.flagLocks(b, s, n)
		return []*State{n}
	case cparse.SLoopVar:
		if !st.mentions(s.LHS.Name) {
			return []*State{st}
		}
		n := st.clone()
		n.forget(s.LHS.Name)
		return []*State{n}
	case cparse.SGuard, cparse.SGuardEnd:
		g := f.p.kb.Guards[s.Guard.Class]
		if g == nil {
			return f.fileGuard(b, s, st)
		}
		name := g.Lock
		if s.Kind == cparse.SGuardEnd {
			name = g.Unlock
		}
		spec := f.p.kb.Funcs[name]
		call := &cparse.Expr{Kind: cparse.ECall, X: &cparse.Expr{Kind: cparse.EIdent, Name: name}, Args: s.Guard.Args}
		n := st.clone()
		return f.prim(b, s, spec, call, n, s.Guard.ID, s.Guard.Cond)
	}
	return []*State{st}
}

// flagLocks makes "lock(); locked = 1;" what "locked = 1; lock();" is:
// the flag set just after the lock, in the same block, marks the lock, so
// that a callee given &locked may drop it (the gup protocol).
func (f *flow) flagLocks(b *cparse.Block, s *cparse.Stmt, st *State) {
	l := s.LHS.Strip()
	if l == nil || l.Kind != cparse.EIdent || !f.addrVars[l.Name] || s.RHS == nil || s.Op != "=" && s.Op != "" {
		return
	}
	if v, ok := constTruth(s.RHS); !ok || !v {
		return
	}
	lines := map[int]bool{}
	for _, x := range b.Stmts {
		if x == s {
			break
		}
		if x.Kind == cparse.SCall {
			lines[x.Line] = true
		}
	}
	for i, c := range st.Held {
		if c.FromCaller || c.Via.Len() == 0 || !lines[c.Via.Step.Line] || containsStr(c.Flags, l.Name) {
			continue
		}
		n := *c
		n.Flags = append(append([]string(nil), c.Flags...), l.Name)
		held := append([]*Ctx(nil), st.Held...)
		held[i] = &n
		st.Held = held
	}
}

// shiftCounts lists the locals a statement shifts by ("1 << bit") and
// does not assign: a negative shift count is undefined behaviour, so the
// kernel's code keeps them non-negative, and a later "bit < 0" is false.
// trace_test_and_set_recursion() returns -1 or the bit it set with
// "val |= 1 << bit" (and has preemption disabled only then): its callers'
// "if (bit < 0) return;" leaves nothing held.
func (f *flow) shiftCounts(s *cparse.Stmt) []string {
	var keys []string
	lhs := ""
	walk := func(e *cparse.Expr) {
		e.Walk(func(x *cparse.Expr) bool {
			if x.Kind == cparse.ESizeof || x.Kind == cparse.EType {
				return false
			}
			if x.Kind == cparse.EBinary && (x.Op == "<<" || x.Op == ">>") {
				if y := x.Y.Strip(); y != nil && y.Kind == cparse.EIdent && y.Name != lhs && !containsStr(keys, y.Name) {
					if _, ok := f.fn.Locals[y.Name]; ok {
						keys = append(keys, y.Name)
					}
				}
			}
			return true
		})
	}
	switch s.Kind {
	case cparse.SAssign:
		if l := s.LHS.Strip(); l != nil && l.Kind == cparse.EIdent {
			lhs = l.Name
		}
		walk(s.RHS)
	case cparse.SCall:
		if l := s.LHS.Strip(); l != nil && l.Kind == cparse.EIdent {
			lhs = l.Name
		}
		for _, a := range s.Call.Args {
			walk(a)
		}
	}
	return keys
}

// nonNegative records that the locals ks are not negative.
func nonNegative(st *State, ks []string) *State {
	n := st
	for _, k := range ks {
		if v, ok := n.fact(nonNegKey(k)); ok && v {
			continue
		}
		if n == st {
			n = st.clone()
		}
		n.setFact(Cond{Key: nonNegKey(k), Val: true, Idents: []string{k}})
	}
	return n
}

// derefKeys lists the pointers a statement dereferences ("*p", "p->f",
// "p[i]"), outside address computations and sizeof.
// derefKey is a dereferenced pointer and its fact key.
type derefKey struct {
	expr *cparse.Expr
	key  string
}

func derefKeys(s *cparse.Stmt) []derefKey {
	var keys []derefKey
	walk := func(e *cparse.Expr) {
		e.Walk(func(x *cparse.Expr) bool {
			switch {
			case x.Kind == cparse.ESizeof || x.Kind == cparse.EType:
				return false
			case x.Kind == cparse.EUnary && x.Op == "&":
				// &p->f computes an address; its own subscripts still
				// read memory.
				return false
			case x.Kind == cparse.EUnary && x.Op == "*", x.Kind == cparse.EField && x.Op == "->":
				if c := Canon(x.X); c != nil && isAccessPath(c.String()) {
					keys = append(keys, derefKey{c, c.String()})
				}
			}
			return true
		})
	}
	switch s.Kind {
	case cparse.SAssign:
		walk(s.RHS)
		if l := s.LHS.Strip(); l != nil && l.Kind != cparse.EIdent {
			walk(l)
		}
	case cparse.SCall:
		for _, a := range s.Call.Args {
			walk(a)
		}
	}
	return keys
}

// nonNull records that the pointers in keys are not NULL, on a copy of st
// when that is news.
func (f *flow) nonNull(st *State, keys []derefKey) *State {
	cloned := false
	for _, d := range keys {
		x, k := d.expr, d.key
		if _, known := st.fact(k); known {
			continue
		}
		if !cloned {
			st = st.clone()
			cloned = true
		}
		st.setFact(Cond{Key: k, Val: true, Idents: x.Idents(), Expr: x, Class: RetNonZero})
	}
	return st
}

// derefsNull reports a state on which a dereferenced pointer holds the
// NULL a failed call returned.
func derefsNull(st *State, keys []derefKey) bool {
	for _, d := range keys {
		if fa := st.factOf(d.key); fa != nil && !fa.Val && fa.Class == RetZero {
			return true
		}
	}
	return false
}

// assign records an assignment: what was known of the variable is gone,
// and gfp_t variables track their value.
func (f *flow) assign(lhs, rhs *cparse.Expr, op string, st *State) {
	root := rootIdent(lhs)
	if root == "" {
		return
	}
	if lhs.Strip().Kind == cparse.EIdent {
		if rhs == nil && op == "" {
			// p++ on a pointer known not NULL leaves it not NULL.
			if t, ok := f.env.ident(root); ok && t.Ptr > 0 {
				if v, known := st.fact(root); known && v {
					return
				}
			}
		}
		old, known := st.gfpOf(root)
		st.forget(root)
		if t, ok := f.env.ident(root); ok && t.Base == "gfp_t" && t.Ptr == 0 && rhs != nil {
			switch {
			case op == "=" || op == "":
				st.setGfp(root, rhs)
			case known && old != nil && len(op) == 2:
				// gfp |= __GFP_DIRECT_RECLAIM: the new mask is old | rhs.
				st.setGfp(root, &cparse.Expr{Kind: cparse.EBinary, Op: op[:1], X: old, Y: rhs, Pos: lhs.Pos})
			case len(op) == 2:
				if i := f.env.paramIndex(root); i >= 0 {
					st.setGfp(root, &cparse.Expr{Kind: cparse.EBinary, Op: op[:1], X: lhs.Strip(), Y: rhs, Pos: lhs.Pos})
				}
			}
		}
		if rhs != nil && (op == "=" || op == "") {
			if f.enumVars[root] && isNamedConst(rhs) {
				// "mode = M_PARTIAL": later tests of mode against this
				// or another constant are known.
				eq := &cparse.Expr{Kind: cparse.EBinary, Op: "==", X: lhs.Strip(), Y: rhs.Strip(), Pos: lhs.Pos}
				st.setFact(Cond{Key: eq.String(), Val: true, Idents: []string{root}, Expr: eq})
			}
			if v, ok := constTruth(rhs); ok {
				// "locked = true": later tests of it are known.
				st.setFact(Cond{Key: root, Val: v, Idents: []string{root}, Expr: lhs.Strip(), Const: true})
			} else if src := copySource(rhs); src != "" && src != root {
				// "start_pte = pte": what is known of pte holds of both.
				if v, ok := st.fact(src); ok {
					st.setFact(Cond{Key: root, Val: v, Idents: []string{root}, Expr: lhs.Strip(), Class: st.factClass(src)})
				}
				if t, ok := f.env.ident(root); ok && t.Ptr > 0 && !isUpperName(src) {
					// "locked_pool = caller_pool": the two are one
					// pointer until either changes, which a later
					// "if (locked_pool != caller_pool)" reads.
					eq := &cparse.Expr{Kind: cparse.EBinary, Op: "==", X: lhs.Strip(), Y: rhs.Strip(), Pos: lhs.Pos}
					if key, neg, idents, expr := f.atom(eq); key != "" {
						st.setFact(Cond{Key: key, Val: !neg, Idents: idents, Expr: expr})
					}
				}
			}
		}
		return
	}
	// A field or element store forgets conditions on that path; a
	// constant stored in a member path is known ("vmf->pte = NULL").
	cl := Canon(lhs)
	path := cl.String()
	st.filterFacts(func(fa *Cond) bool { return !strings.Contains(fa.Key, path) })
	mp := f.memberPath(lhs)
	if mp != nil && mp.String() != path {
		// The same member through the parameter a local points into
		// ("nd->state" is "ndp->ndev.state"), as a switch on it is keyed.
		mps := mp.String()
		st.filterFacts(func(fa *Cond) bool { return !strings.Contains(fa.Key, mps) })
	}
	if rhs != nil && (op == "=" || op == "") && isAccessPath(path) {
		if v, ok := constTruth(rhs); ok {
			st.setFact(Cond{Key: path, Val: v, Idents: cl.Idents(), Expr: cl})
		} else if mp != nil && f.p.enumConst(rhs) && f.p.switchedMember(memberName(lhs)) {
			// "ndp->ndev.state = ncsi_dev_state_config" before a call
			// that switches on it.
			eq := &cparse.Expr{Kind: cparse.EBinary, Op: "==", X: mp, Y: rhs.Strip(), Pos: lhs.Pos}
			st.setFact(Cond{Key: eq.String(), Val: true, Idents: eq.Idents(), Expr: eq, Const: true})
		}
	}
	if rhs != nil && (op == "=" || op == "") && f.outParam(lhs) != "" && isNamedConst(rhs) {
		// "*maptype = 2" where the lock was taken: the caller's
		// "if (maptype == 2)" reads it from this outcome.
		eq := &cparse.Expr{Kind: cparse.EBinary, Op: "==", X: lhs.Strip(), Y: rhs.Strip(), Pos: lhs.Pos}
		if key, neg, idents, expr := f.atom(eq); key != "" {
			st.setFact(Cond{Key: key, Val: !neg, Idents: idents, Expr: expr})
		}
	}
}

// outParam is the parameter p of a store "*p = ...", where p is a
// pointer parameter the function never changes: what the caller passes
// the address of.
func (f *flow) outParam(lhs *cparse.Expr) string {
	x := lhs.Strip()
	if x == nil || x.Kind != cparse.EUnary || x.Op != "*" {
		return ""
	}
	v := x.X.Strip()
	if v == nil || v.Kind != cparse.EIdent || f.env.paramIndex(v.Name) < 0 || f.repointed(v.Name) {
		return ""
	}
	return v.Name
}

// repointed reports a variable the function assigns as a whole ("p =
// ..."), not only through ("*p = ...").
func (f *flow) repointed(name string) bool {
	if f.wholeAssigned == nil {
		f.wholeAssigned = map[string]bool{}
		for _, b := range f.fn.Blocks {
			for _, s := range b.Stmts {
				if (s.Kind == cparse.SAssign || s.Kind == cparse.SCall || s.Kind == cparse.SLoopVar) && s.LHS != nil {
					if l := s.LHS.Strip(); l != nil && l.Kind == cparse.EIdent {
						f.wholeAssigned[l.Name] = true
					}
				}
			}
		}
	}
	return f.wholeAssigned[name]
}

// flagFact records what "x |= FLAG" and "x &= ~FLAG" make known of
// "x & FLAG": a flag set where a lock is taken is how many functions know to
// release it later.
func (f *flow) flagFact(s *cparse.Stmt, st *State) {
	if s.RHS == nil || s.Op != "|=" && s.Op != "&=" {
		return
	}
	flag, val := s.RHS.Strip(), true
	if s.Op == "&=" {
		if flag == nil || flag.Kind != cparse.EUnary || flag.Op != "~" {
			return
		}
		flag, val = flag.X.Strip(), false
	}
	if flag == nil || flag.Kind != cparse.EIdent {
		return
	}
	test := &cparse.Expr{Kind: cparse.EBinary, Op: "&", X: s.LHS, Y: flag, Pos: s.LHS.Pos}
	if key, neg, idents, expr := f.atom(test); key != "" {
		// Stored here (Const): no condition of what follows for the
		// callers (__cleanup_nmi()'s "desc->istate &= ~IRQS_NMI"
		// before its frees).
		st.setFact(Cond{Key: key, Val: val != neg, Idents: idents, Expr: expr, Const: true})
	}
}

// isAccessPath reports whether s is a variable or a member path of one
// ("pte", "vmf->pte", "s.ptl"): the things whose truth a branch tests.
func isAccessPath(s string) bool {
	if s == "" || !isIdentByte(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch {
		case isIdentByte(s[i]), s[i] == '.':
		case s[i] == '-' && i+1 < len(s) && s[i+1] == '>':
			i++
		default:
			return false
		}
	}
	return true
}

func canonText(e *cparse.Expr) string {
	if c := Canon(e); c != nil {
		return c.String()
	}
	return ""
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// copySource returns the variable an assignment copies: "b" in "a = b"
// and in "a = b = call()".
func copySource(rhs *cparse.Expr) string {
	r := rhs.Strip()
	for r != nil && r.Kind == cparse.EAssign && r.Op == "=" {
		r = r.X.Strip()
	}
	if r != nil && r.Kind == cparse.EIdent {
		return r.Name
	}
	return ""
}

func rootIdent(x *cparse.Expr) string {
	for x != nil {
		switch x.Kind {
		case cparse.EIdent:
			return x.Name
		case cparse.EField, cparse.EIndex, cparse.EParen, cparse.ECast:
			x = x.X
		case cparse.EUnary:
			x = x.X
		default:
			return ""
		}
	}
	return ""
}

// assignMatters reports whether an assignment changes anything the state
// tracks, so that the common case needs no copy.
func (f *flow) assignMatters(s *cparse.Stmt, st *State) bool {
	root := rootIdent(s.LHS)
	if root == "" {
		return false
	}
	if f.enumVars[root] {
		return true
	}
	if st.mentions(root) {
		return true
	}
	if s.LHS.Strip().Kind == cparse.EIdent {
		if s.RHS != nil && (s.Op == "=" || s.Op == "") {
			if _, ok := constTruth(s.RHS); ok {
				return true
			}
			if src := copySource(s.RHS); src != "" && (st.mentions(src) || f.compared[root] && f.compared[src]) {
				return true
			}
		}
		if t, ok := f.env.ident(root); ok && t.Base == "gfp_t" {
			return true
		}
	}
	if s.RHS != nil && (s.Op == "=" || s.Op == "") && f.outParam(s.LHS) != "" && isNamedConst(s.RHS) {
		return true
	}
	if s.RHS != nil && (s.Op == "=" || s.Op == "") && s.LHS.Strip().Kind == cparse.EField && f.p.enumConst(s.RHS) && f.p.switchedMember(memberName(s.LHS)) {
		return true
	}
	if s.RHS != nil && (s.Op == "=" || s.Op == "") && s.LHS.Strip().Kind == cparse.EField && f.boolField(s.LHS.Strip()) {
		if _, ok := constTruth(s.RHS); ok {
			// "link->link_dev.power.no_pm = true": what a callee's
			// test of the member finds (flagTest). Any member path,
			// not only a parameter's (boolStore): the caller's own.
			return true
		}
	}
	return s.Op == "|=" || s.Op == "&="
}

// callMatters reports whether a call can change the state: it takes or
// releases something, its result or an argument's address is kept, or the
// path knows something of its result.
func (f *flow) callMatters(s *cparse.Stmt, st *State) bool {
	if s.LHS != nil {
		return true
	}
	name := s.Callee()
	if len(st.Held) > 0 && (strings.Contains(name, "unlock") || strings.Contains(name, "release")) {
		return true
	}
	if name != "" {
		if f.p.kb.Funcs[name] != nil {
			return true
		}
		if g := f.calleeOf(s); g != nil && g.Sum != nil && (len(g.Sum.Outcomes) > 1 || g.Sum.NoReturn ||
			len(g.Sum.Outcomes) == 1 && !g.Sum.Outcomes[0].empty() || len(g.Sum.Writes) > 0 && len(st.Conds) > 0) {
			return true
		}
	}
	for _, a := range s.Call.Args {
		if x := a.Strip(); x != nil && x.Kind == cparse.EUnary && x.Op == "&" {
			if v := x.X.Strip(); v != nil && v.Kind == cparse.EIdent && st.mentions(v.Name) {
				return true
			}
		}
	}
	_, known := st.fact("$call" + strconv.Itoa(s.ID))
	return known
}

// call runs a call statement on a state: the knowledge base's primitive
// (prim), an analysed callee through its summary (apply), or a function
// nothing is known of, which may still release a lock it is handed; what
// the callee may change of the caller's variables is forgotten first.
// While recording, the callee's effects are observed, the call is noted
// for the index, and a call through an ops table observes each
// implementation's effects. It returns the states after the call.
func (f *flow) call(b *cparse.Block, s *cparse.Stmt, st *State) []*State {
	if f.record {
		if name := s.Callee(); name != "" {
			if i := fnParam(f.fn, name); i >= 0 {
				// A call of the function the caller passes: the caller
				// sees it run with what this path holds (ECallArg).
				f.observe(s, st, &Effect{Kind: ECallArg, GfpParam: -1, FnParam: i, What: name + "()",
					Chain: []Step{f.step(s.Line, fmt.Sprintf("calls the function its parameter %s points to", name))}}, nil, b)
			}
		}
	}
	if f.record && len(st.Held) > 0 {
		f.noteUnknown(s.Callee(), st)
	}
	if f.record && f.p.linkCalls {
		f.noteCall(s, st)
	}
	if f.record && s.Callee() == "" {
		for _, oc := range f.opsCallees(s) {
			subst, _ := f.bindArgs(s, oc.g)
			f.observeEffects(b, s, oc.g, st, subst, oc.step, oc.tbl)
		}
	}
	if !f.callMatters(s, st) {
		if f.record {
			if g := f.calleeOf(s); g != nil && g.Sum != nil && len(g.Sum.Effects) > 0 {
				subst, callStep := f.bindArgs(s, g)
				f.observeEffects(b, s, g, st, subst, callStep, "")
			}
		}
		return []*State{st}
	}
	n := st.clone()
	n.forget("$call" + strconv.Itoa(s.ID))
	name := s.Callee()
	g := (*FuncInfo)(nil)
	if name != "" && f.p.kb.Funcs[name] == nil {
		g = f.calleeOf(s)
	}
	if g == nil || g.Sum == nil {
		f.forgetAddressed(s, n)
	} else {
		f.forgetWritten(s, g.Sum, n)
	}
	if s.LHS != nil {
		f.assign(s.LHS, nil, "=", n)
	}
	if name == "" {
		return []*State{n}
	}
	if spec := f.p.kb.Funcs[name]; spec != nil {
		sts := f.prim(b, s, spec, s.Call, n, s.ID, false)
		if spec.GFPFrom != nil && s.LHS != nil {
			if r := rootIdent(s.LHS); r != "" {
				for _, x := range sts {
					if t, ok := f.env.ident(r); ok && t.Base == "gfp_t" {
						x.setGfp(r, s.Call)
					}
				}
			}
		}
		return sts
	}
	if g != nil && g.Sum != nil {
		return f.apply(b, s, g, n, st)
	}
	f.unknownUnlock(b, s, n)
	return []*State{n}
}

// fnParam is the index of fn's parameter named name when the function
// calls it (a function pointer its caller passes), else -1.
func fnParam(fn *cparse.Func, name string) int {
	for i, p := range fn.Params {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// noteUnknown records a function called in a spinning or RCU context
// that neither the knowledge base, these files nor an index knows: what
// it does there is assumed harmless, and the output says so.
func (f *flow) noteUnknown(name string, st *State) {
	if name == "" || isUpperName(name) || f.p.kb.Funcs[name] != nil || f.p.Lookup(f.fn, name) != nil {
		return
	}
	for _, c := range st.Held {
		if c.Kind.Category == kb.Atomic || c.Kind.Category == kb.Spinning || c.Kind.RCU {
			if !containsStr(f.out.Unknown, name) {
				f.out.Unknown = append(f.out.Unknown, name)
			}
			return
		}
	}
}

// forgetAddressed drops what the path knew of variables whose address the
// call gets: it may change them. A lock taken under such a flag ("locked =
// 1; mmap_read_lock(mm);" then "f(..., &locked)", the gup protocol) may
// have been dropped by the call, which reports it through the flag.
func (f *flow) forgetAddressed(s *cparse.Stmt, st *State) {
	for _, a := range s.Call.Args {
		x := a.Strip()
		if x == nil || x.Kind != cparse.EUnary || x.Op != "&" {
			continue
		}
		v := x.X.Strip()
		if v == nil || v.Kind != cparse.EIdent {
			continue
		}
		// A callee given &x may set x ("helper(&locked)"), but one given
		// a struct seldom repoints a member a branch already tested
		// ("args.ptep = pte_offset_map_lock(...); tests(&args);
		// if (args.ptep)"): keep facts about members.
		name := v.Name
		st.filterFacts(func(ft *Cond) bool {
			return !containsStr(ft.Idents, name) || isMemberOf(ft.Key, name) || onlyMembersOf(ft.Expr, name)
		})
		for i := len(st.Held) - 1; i >= 0; i-- {
			if containsStr(st.Held[i].Flags, v.Name) {
				st.Held = append(st.Held[:i:i], st.Held[i+1:]...)
			}
		}
	}
}

// forgetWritten drops what the path knew of the members a callee stores
// through the arguments it gets (map_pte(pvmw) sets pvmw->ptl).
func (f *flow) forgetWritten(s *cparse.Stmt, sum *Summary, st *State) {
	for j, suffixes := range sum.Writes {
		if j >= len(s.Call.Args) {
			continue
		}
		a := s.Call.Args[j].Strip()
		base := ""
		switch {
		case a == nil:
		case a.Kind == cparse.EIdent:
			base = a.Name
		case a.Kind == cparse.EUnary && a.Op == "&":
			if v := a.X.Strip(); v != nil && v.Kind == cparse.EIdent {
				base = "&" + v.Name
			}
		}
		if base == "" {
			continue
		}
		for _, suffix := range suffixes {
			if suffix == "*" {
				continue // the variable itself, which forgetAddressed forgets
			}
			path := base + suffix
			if strings.HasPrefix(base, "&") {
				// (&v)->f is v.f
				path = base[1:] + "." + strings.TrimPrefix(strings.TrimPrefix(suffix, "->"), ".")
			}
			st.filterFacts(func(fa *Cond) bool { return !strings.Contains(fa.Key, path) })
		}
	}
}

// onlyMembersOf reports a condition that reads variable v only through
// its members ("new_path.dentry == old_path.dentry"): kept as a test of a
// member is (forgetAddressed).
func onlyMembersOf(x *cparse.Expr, v string) bool {
	if x == nil {
		return false
	}
	ok, seen := true, false
	x.Walk(func(e *cparse.Expr) bool {
		if !ok {
			return false
		}
		if e.Kind == cparse.EField && e.Op == "." {
			if b := e.X.Strip(); b != nil && b.Kind == cparse.EIdent && b.Name == v {
				seen = true
				return false
			}
		}
		if e.Kind == cparse.EIdent && e.Name == v {
			ok = false
		}
		return true
	})
	return ok && seen
}

// isMemberOf reports whether key is a member path of variable v: "v.f",
// "v->f", "v.f.g".
func isMemberOf(key, v string) bool {
	rest, ok := strings.CutPrefix(key, v)
	return ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "->")) && isAccessPath(v+rest)
}

// unknownUnlock treats a call the analysis cannot see, named like an
// unlock helper (unlock_page_lruvec_irq, pte_unmap_unlock in a header),
// that gets a held lock or the object holding it, as maybe releasing it:
// carrying the lock on would blame everything after on it. Not a lock
// the function itself releases by name after the call in the same block
// (flush_dcache_mmap_unlock(mapping) before i_mmap_unlock_write(mapping)):
// there the helper is something else. One released on another path
// (vgic_queue_irq_unlock(kvm, irq, flags); return 0;) is the helper's.
func (f *flow) unknownUnlock(b *cparse.Block, s *cparse.Stmt, st *State) {
	name := s.Callee()
	if !strings.Contains(name, "unlock") && !strings.Contains(name, "release") {
		return
	}
	for _, a := range s.Call.Args {
		ac := Canon(a)
		if ac == nil {
			continue
		}
		as := ac.String()
		for i := len(st.Held) - 1; i >= 0; i-- {
			c := st.Held[i]
			if c.Expr == nil || f.released[c.Inst] && f.releasedAfter(b, s, c) {
				continue
			}
			obj := LockObject(c.Expr)
			if as == c.Inst || obj != nil && (as == obj.String() || rootOf(obj) == as) {
				st.Held = append(st.Held[:i:i], st.Held[i+1:]...)
				return
			}
		}
	}
}

// releasedAfter reports whether a statement after s in block b releases
// c by name.
func (f *flow) releasedAfter(b *cparse.Block, s *cparse.Stmt, c *Ctx) bool {
	after := false
	for _, x := range b.Stmts {
		if x == s {
			after = true
			continue
		}
		if !after || x.Kind != cparse.SCall || x.Call == nil {
			continue
		}
		spec := f.p.kb.Funcs[x.Callee()]
		if spec == nil || spec.Release == "" {
			continue
		}
		if l := f.lockArg(spec, x.Call.Args, nil); l != nil {
			if lc := Canon(l); lc != nil && lc.String() == c.Inst {
				return true
			}
		}
	}
	return false
}

// rootOf returns the text of the base object of a member path
// (lruvec for lruvec->lru_lock).
func rootOf(x *cparse.Expr) string {
	for x != nil && (x.Kind == cparse.EField || x.Kind == cparse.EIndex) {
		if x.X != nil && (x.X.Kind == cparse.EIdent || x.X.Kind == cparse.EUnary) {
			return Canon(x.X).String()
		}
		x = x.X
	}
	return ""
}

// fileGuard runs a guard of a class the file defines (DEFINE_GUARD): its
// lock call, or at the end of the scope its unlock call, with the guarded
// object in place, as the call the macro expands to would run.
func (f *flow) fileGuard(b *cparse.Block, s *cparse.Stmt, st *State) []*State {
	def := f.fn.File.Guards[s.Guard.Class]
	if def == nil {
		return []*State{st}
	}
	tpl := def.Lock
	if s.Kind == cparse.SGuardEnd {
		tpl = def.Unlock
	}
	var obj *cparse.Expr
	if !def.NoObject {
		if len(s.Guard.Args) == 0 {
			return []*State{st}
		}
		obj = s.Guard.Args[0]
	}
	call := guardCall(tpl, obj, def.LockT)
	n := st.clone()
	if spec := f.p.kb.Funcs[call.CallName()]; spec != nil {
		return f.prim(b, s, spec, call, n, s.Guard.ID, s.Guard.Cond)
	}
	// A lock helper of the file's own: a call of it, which its summary
	// says what it does.
	cs := f.guardStmts[s]
	if cs == nil {
		cs = &cparse.Stmt{Kind: cparse.SCall, ID: s.ID, Line: s.Line, Call: call}
		if f.guardStmts == nil {
			f.guardStmts = map[*cparse.Stmt]*cparse.Stmt{}
		}
		f.guardStmts[s] = cs
	}
	return f.call(b, cs, n)
}

// guardCall is a guard class's lock or unlock call with obj for the
// guarded object: "_T" in DEFINE_GUARD's, "_T->lock" in
// DEFINE_LOCK_GUARD_1's.
func guardCall(tpl, obj *cparse.Expr, lockT bool) *cparse.Expr {
	if obj == nil {
		return tpl
	}
	if !lockT {
		return tpl.Subst(map[string]*cparse.Expr{"_T": obj})
	}
	var replace func(e *cparse.Expr) *cparse.Expr
	replace = func(e *cparse.Expr) *cparse.Expr {
		if e == nil {
			return nil
		}
		if x := e.X.Strip(); e.Kind == cparse.EField && e.Op == "->" && e.Name == "lock" && x != nil && x.Kind == cparse.EIdent && x.Name == "_T" {
			return obj
		}
		c := *e
		c.X, c.Y, c.Z = replace(e.X), replace(e.Y), replace(e.Z)
		if e.Args != nil {
			c.Args = make([]*cparse.Expr, len(e.Args))
			for i, a := range e.Args {
				c.Args[i] = replace(a)
			}
		}
		return &c
	}
	return replace(tpl)
}

// calleeOf is the analysed function a direct call runs, or nil. A macro
// runs its arguments where its body says, not before it as a call does
// (an unlock handed to a wait macro runs around the sleep): a macro
// whose arguments call functions that act is not read as a function, and
// is unknown.
func (f *flow) calleeOf(s *cparse.Stmt) *FuncInfo {
	g := f.p.Lookup(f.fn, s.Callee())
	if g != nil && g.F.Macro && f.macroArgsAct(g, s.Call) {
		return nil
	}
	return g
}

// macroArgsAct reports a macro call an argument of which calls a
// function that acts: the macro may run it anywhere in its body, or
// never. For a macro of the tree's shared headers (read from the index,
// g nil or external), a call the analysis knows does nothing a lock rule
// sees (a register field's macro, BDC_CSTS(status) in
// readl_poll_timeout()'s condition; an unknown function, as anywhere
// else) leaves the macro read as a function. A macro of the analysed
// files' own (jfs's __SLEEP_COND(), handed LCACHE_LOCK(flags) and
// LCACHE_UNLOCK(flags), macros of the file that are not read) is not read
// when any argument calls anything.
func (f *flow) macroArgsAct(g *FuncInfo, call *cparse.Expr) bool {
	if g != nil && !g.external {
		for _, a := range call.Args {
			if hasCallExpr(a) {
				return true
			}
		}
		return false
	}
	acts := false
	for _, a := range call.Args {
		a.Walk(func(x *cparse.Expr) bool {
			switch x.Kind {
			case cparse.EStmtExpr:
				acts = true
			case cparse.ECall:
				acts = f.callActs(x)
			}
			return !acts
		})
		if acts {
			return true
		}
	}
	return false
}

// callActs reports whether a call in a macro's argument may do what a
// lock rule sees: a call through a pointer, a function of the knowledge
// base, or one whose summary has effects or moves locks.
func (f *flow) callActs(x *cparse.Expr) bool {
	name := x.CallName()
	if name == "" {
		return true
	}
	if f.p.kb.Funcs[name] != nil {
		return true
	}
	g := f.p.Lookup(f.fn, name)
	if g == nil || g.Sum == nil {
		return false
	}
	if len(g.Sum.Effects) > 0 || g.Sum.NoReturn {
		return true
	}
	for _, o := range g.Sum.Outcomes {
		if len(o.Acquired)+len(o.Released)+len(o.Maybe) > 0 {
			return true
		}
	}
	return false
}
