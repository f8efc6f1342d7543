package flow

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"lockbot/cparse"
	"lockbot/internal/graph"
	"lockbot/kb"
)

const (
	// maxStates bounds the lock configurations tracked at one point.
	maxStates = 24
	// maxWork bounds one function's analysis, in statements run times the
	// facts and locks of the state they ran on, states compared at joins,
	// and callee effects observed: the state budget bounds how many
	// states a block sees, not how large they grow (thousands of
	// branches, each adding a fact, make each statement cost more than
	// the last). Indexing the whole 6.12 tree, the costliest function
	// measures 4.4 million (tegra210_emc_r21021_set_clock; 0.16 s), ten
	// are over 2 million, most under 50,000. A function past it is not
	// analysed, as one with too many paths is not.
	maxWork = 10_000_000
	// maxSameLocks bounds the states kept apart for one configuration.
	maxSameLocks = 4
	// maxRecursion bounds how deep a recursive context nests in a state.
	maxRecursion = 3
)

// flow is the shared pass over one function: a path-sensitive data-flow
// analysis of held contexts. States that hold the same contexts merge at
// joins and keep only the branch facts they share; states that differ stay
// apart, which is what lets "if (!locked) lock(); ... if (!locked)
// unlock();" pair up.
type flow struct {
	// defs are this function's locals that stand for an expression of
	// its parameters (see paramDefs).
	defs   map[string]*cparse.Expr
	p      *Program
	fi     *FuncInfo
	fn     *cparse.Func
	env    typeEnv
	in     [][]*State
	inKeys [][]string // lock keys of in, computed once
	// dirty marks the states of in that changed since their block ran.
	dirty [][]bool
	// record: observations and exits are recorded (a block on its final
	// input); frozen: the states a block reaches are not propagated (a
	// loop's last run, after its fixpoint).
	record, frozen bool
	out            *FuncFacts
	// obsBlock and exitBlock are the blocks the records came from.
	obsBlock  []int
	exitBlock map[*Exit]int
	calls     map[string]int // Calls noted (their index), by callee, line and context
	keyBuf    []byte         // where noteCall builds a key
	// lastRefKeys are the facts of branches on last-reference tests.
	lastRefKeys map[string]bool
	// lastRef is set while a last-reference callback's summary applies
	// (kref_put's release): only its lock effects are observed.
	lastRef bool
	// opsMemo are the implementations a call through a member reaches.
	opsMemo map[int][]opsCallee
	seen    map[obsSeen]bool
	// nowait maps blocks only NOWAIT requests reach to the branch that
	// makes it so.
	nowait     map[int]*Step
	nowaitVars map[string]bool
	// tested are the calls whose result a branch or an assignment reads.
	tested map[int]bool
	// handed are the calls whose result is stored in a variable that is
	// later an argument: the callee's summary may depend on it
	// ("ci = lock_cluster_or_swap_info(); unlock_cluster_or_swap_info(si, ci)").
	handed map[int]bool
	names  map[*cparse.Expr][2]string
	// live are the locals live at each block's entry, as bits numbered by
	// tracked: the locals whose liveness is known (their address is never
	// taken), nil when there are none.
	live    []bitset
	tracked map[string]int
	// released are the lock instances the function releases by name
	// somewhere (spin_unlock(&x->lock)): an unknown "unlock" helper is not
	// guessed to release those.
	released map[string]bool
	// derefs are the pointers each statement dereferences.
	derefs map[int][]derefKey
	// enumVars are variables a branch compares with a named constant
	// ("mode == M_PARTIAL"): assigning one a constant is tracked.
	enumVars map[string]bool
	// addrVars are variables whose address a call gets (lock flags).
	addrVars map[string]bool
	// boolDefs are variables assigned once, from a condition on values
	// the function never changes ("needs_lock = cmd != FAST"): a test of
	// the variable is a test of the condition.
	boolDefs map[string]*cparse.Expr
	// caseVars are switched variables whose case is worth a fact: they
	// are compared with constants elsewhere or feed a boolDef.
	caseVars map[string]bool
	exprTpl  map[string]*cparse.Expr
	failed   bool
	// work counts what the blocks did, in states times their size, up
	// to maxWork (see block).
	work int
	// Per call site, what a callee's summary says in this function's
	// terms: its effects, its contexts, its conditions on the arguments,
	// the locks it releases (nil: one of its own).
	translated map[effectSite]*Effect
	ctxCache   map[ctxSite]*Ctx
	argCache   map[exprSite]*argAtom
	relCache   map[exprSite]*cparse.Expr
	keptUnheld map[unheldKeep]*Effect
	lockCache  map[calleeExpr]siteLock
	// unheldMemo and unheldSite share the lists of released caller
	// contexts effects carry (see unheldUnion, translateEffect).
	unheldMemo map[[3]listID][]*Ctx
	unheldSite map[listSite][]*Ctx
}

func (p *Program) flow(fi *FuncInfo) *FuncFacts {
	fn := fi.F
	if !p.relevant(fi) && !(p.linkCalls && p.linkable(fi)) {
		// Nothing here takes, releases, sleeps or calls what does: callers
		// need only what its returns say (0, -EINVAL, NULL).
		f := &flow{p: p, fi: fi, fn: fn, env: typeEnv{p, fn}}
		ff := &FuncFacts{}
		empty := &State{}
		for _, b := range fn.Blocks {
			if b.Term == cparse.TReturn {
				ff.Exits = append(ff.Exits, &Exit{State: empty, Ret: b.Ret, Line: b.Line, Class: f.retClass(b.Ret, empty)})
			}
		}
		return ff
	}
	f := &flow{p: p, fi: fi, fn: fn, env: typeEnv{p, fn}, in: make([][]*State, len(fn.Blocks)), inKeys: make([][]string, len(fn.Blocks)),
		out: &FuncFacts{}, seen: map[obsSeen]bool{}, exprTpl: map[string]*cparse.Expr{}, translated: map[effectSite]*Effect{}, ctxCache: map[ctxSite]*Ctx{},
		argCache: map[exprSite]*argAtom{}, relCache: map[exprSite]*cparse.Expr{}}
	f.prepare()
	f.defs = paramDefs(fn)
	entry := f.entryState()
	f.in[fn.Entry] = []*State{entry}
	f.inKeys[fn.Entry] = []string{entry.lockKey()}
	f.dirty = make([][]bool, len(fn.Blocks))
	f.dirty[fn.Entry] = []bool{true}

	ok := f.run()
	// The program's budget counts what the function kept as well as what
	// it did: its observations live until the rules have run.
	kept := 0
	for _, o := range f.out.Obs {
		kept += 1 + len(o.Held) + len(o.Eff.Chain) + len(o.Eff.Inner)
	}
	p.work.Add(int64(f.work + kept))
	if !ok {
		f.out = &FuncFacts{Failed: true}
		p.log.Debug("analysis gave up", "function", fn.Name, "file", fn.File.Path)
		return f.out
	}
	f.sortRecords()
	return f.out
}

// run propagates states through the strongly connected parts of the
// control-flow graph in topological order. A block outside any loop has
// its final input once the blocks before it are done: it runs once, and
// records what it observes as it goes. A loop iterates to a fixpoint
// without recording, then each of its blocks runs once more to record, on
// its final input. It reports false when the path budget ran out.
func (f *flow) run() bool {
	fn := f.fn
	budget := 60*len(fn.Blocks) + 200
	queued := make([]bool, len(fn.Blocks))
	for _, comp := range blockSCCs(fn) {
		if len(comp) == 1 && !selfLoop(fn.Blocks[comp[0]]) {
			b := fn.Blocks[comp[0]]
			if len(f.in[b.ID]) == 0 {
				continue // unreachable
			}
			if budget--; budget < 0 || budget%64 == 0 && f.p.cancelled() {
				return false
			}
			f.record = true
			f.block(b)
			f.record = false
			if f.failed {
				return false
			}
			continue
		}
		inComp := map[int]bool{}
		var work []int
		for _, id := range comp {
			inComp[id] = true
			if len(f.in[id]) > 0 {
				work = append(work, id)
				queued[id] = true
			}
		}
		for len(work) > 0 {
			id := work[0]
			work = work[1:]
			queued[id] = false
			if budget--; budget < 0 || budget%64 == 0 && f.p.cancelled() {
				return false
			}
			for _, succ := range f.block(fn.Blocks[id]) {
				if inComp[succ] && !queued[succ] {
					queued[succ] = true
					work = append(work, succ)
				}
			}
			if f.failed {
				return false
			}
		}
		// The loop is stable: its exits have reached the blocks after it.
		f.record, f.frozen = true, true
		for _, id := range comp {
			if len(f.in[id]) > 0 {
				f.block(fn.Blocks[id])
			}
		}
		f.record, f.frozen = false, false
	}
	return !f.failed
}

// sortRecords puts observations and exits in block order, the order a
// reader of the function (and of its summary) expects, whatever order the
// blocks ran in.
func (f *flow) sortRecords() {
	idx := make([]int, len(f.out.Obs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return f.obsBlock[idx[a]] < f.obsBlock[idx[b]] })
	obs := make([]*Obs, len(idx))
	for i, j := range idx {
		obs[i] = f.out.Obs[j]
	}
	f.out.Obs = obs
	sort.SliceStable(f.out.Exits, func(a, b int) bool { return f.exitBlock[f.out.Exits[a]] < f.exitBlock[f.out.Exits[b]] })
}

// blockSCCs returns the strongly connected components of a function's
// control-flow graph reachable from its entry, in topological order
// (Tarjan's algorithm emits them in reverse).
func blockSCCs(fn *cparse.Func) [][]int {
	comps := graph.SCCs(cfg{fn}, []int{fn.Entry})
	for _, c := range comps {
		sort.Ints(c)
	}
	// Tarjan completes a component after those it reaches: reversed, the
	// blocks before a loop come before it.
	slices.Reverse(comps)
	return comps
}

// cfg is a function's control flow for the graph algorithms.
type cfg struct{ fn *cparse.Func }

func (g cfg) NumNodes() int       { return len(g.fn.Blocks) }
func (g cfg) Out(block int) []int { return g.fn.Blocks[block].Succs }

func selfLoop(b *cparse.Block) bool {
	for _, s := range b.Succs {
		if s == b.ID {
			return true
		}
	}
	return false
}

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
			}
		}
	}
	return false
}

func (f *flow) entryState() *State {
	st := &State{}
	for _, c := range f.fn.Conds {
		// The whole function sits under #ifdef/#ifndef: a known fact.
		st.setFact(Fact{Key: c.Atom.Name, Val: c.Val, Idents: preIdents(c.Atom.Name), Expr: c.Atom})
	}
	for _, a := range f.fn.Annots {
		if a.Kind != "must_hold" && a.Kind != "releases" || a.Arg == nil {
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
		e = e.Strip()
		for e != nil && e.Kind == cparse.EUnary && e.Op == "!" {
			e = e.X.Strip()
		}
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
	f.computeLive()
	for _, b := range f.fn.Blocks {
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
		_, neg, _, _ := f.atom(b.Cond)
		target := b.Succs[0]
		if neg {
			target = b.Succs[1]
		}
		edges = append(edges, nowaitEdge{b, target})
	}
	if len(edges) > 0 {
		f.nowait = nowaitRegions(f.fn, edges)
	}
}

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
				f.spend(1 + len(c.Facts) + len(c.Held))
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
			m.merge(s)
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

func (f *flow) propagate(to int, st *State) []int {
	if f.frozen {
		return nil
	}
	// The state is compared with each state already there.
	f.spend((1 + len(st.Facts) + len(st.Held)) * (1 + len(f.in[to])))
	// States that agree on what is held merge, keeping what both know;
	// up to maxSameLocks of them stay apart when their facts conflict
	// (the lock taken only when "gfp & __GFP_DIRECT_RECLAIM" was set).
	if f.deadFacts(to, st) {
		st = st.clone()
		st.filterFacts(func(fa *Fact) bool { return !f.deadFact(to, fa) })
	}
	k := st.lockKey()
	var same []int
	for i, s := range f.in[to] {
		if f.inKeys[to][i] == k {
			if !conflicts(s, st) {
				if s.merge(st) {
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
			if f.in[to][target].merge(st) {
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
		s.merge(st)
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

// unheldUnion is uniqueCtxs of an effect's released caller contexts and
// the path's, memoised by list identity, so that the effects observed
// after one release share one list (and callers translate it once).
func (f *flow) unheldUnion(eff, rel, maybe []*Ctx) []*Ctx {
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
	for i, j := 0, 0; i < len(a.Facts) && j < len(b.Facts); {
		switch x, y := a.Facts[i], b.Facts[j]; {
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
	for _, fa := range a.Facts {
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
func isEnumFact(fa *Fact) bool {
	x := fa.Expr
	return x != nil && x.Kind == cparse.EBinary && x.Op == "==" && x.X != nil && x.X.Kind == cparse.EIdent && isNamedConst(x.Y)
}

// storedConflict reports states that disagree on a value the function
// stored: a constant flag or an enumerator.
func storedConflict(a, b *State) bool {
	for _, fa := range a.Facts {
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

func (f *flow) term(b *cparse.Block, st *State) []int {
	switch b.Term {
	case cparse.TJump:
		if len(b.Succs) > 0 {
			return f.propagate(b.Succs[0], st)
		}
	case cparse.TSwitch:
		var r []int
		for i, s := range b.Succs {
			if n := f.switchCase(b, i, st); n != nil {
				r = append(r, f.propagate(s, n)...)
			}
		}
		return r
	case cparse.TBranch:
		return f.branch(b, st)
	case cparse.TReturn:
		if f.record {
			x := &Exit{State: st, Ret: b.Ret, Line: b.Line, Class: f.retClass(b.Ret, st)}
			f.out.Exits = append(f.out.Exits, x)
			if f.exitBlock == nil {
				f.exitBlock = map[*Exit]int{}
			}
			f.exitBlock[x] = b.ID
		}
	}
	return nil
}

func (f *flow) branch(b *cparse.Block, st *State) []int {
	if b.Cond == nil {
		return append(f.propagate(b.Succs[0], st), f.propagate(b.Succs[1], st)...)
	}
	if v, ok := f.decide(b.Cond, st); ok {
		if v {
			return f.propagate(b.Succs[0], st)
		}
		return f.propagate(b.Succs[1], st)
	}
	key, neg, idents, expr := f.atom(b.Cond)
	if key == "" {
		return append(f.propagate(b.Succs[0], st), f.propagate(b.Succs[1], st)...)
	}
	if b.Pre {
		idents = preIdents(key)
	}
	v, ok := st.fact(key)
	if !ok {
		v, ok = otherConstant(expr, st)
	}
	if ok {
		if v != neg {
			return f.propagate(b.Succs[0], st)
		}
		return f.propagate(b.Succs[1], st)
	}
	t := st.clone()
	t.setFact(Fact{Key: key, Val: !neg, Idents: idents, Expr: expr, Class: f.errorTest(b.Cond, !neg)})
	e := st.clone()
	e.setFact(Fact{Key: key, Val: neg, Idents: idents, Expr: expr, Class: f.errorTest(b.Cond, neg)})
	var out []int
	if def := f.boolDefs[key]; def == nil || f.implyAtoms(def, !neg, t) {
		out = f.propagate(b.Succs[0], t)
	}
	if def := f.boolDefs[key]; def == nil || f.implyAtoms(def, neg, e) {
		out = append(out, f.propagate(b.Succs[1], e)...)
	}
	return out
}

// switchCase gives the state entering a switch's i-th successor, nil when
// what the path knows of the switched variable rules the case out
// ("needs_lock = cmd != FAST; ... switch (cmd) { case FAST: ..."). The
// case value is recorded only for variables tested elsewhere, so that a
// switch over a plain value does not multiply states.
func (f *flow) switchCase(b *cparse.Block, i int, st *State) *State {
	sw := b.Switch.Strip()
	if sw == nil || sw.Kind != cparse.EIdent || i >= len(b.Cases) {
		return st
	}
	eqKey := func(v *cparse.Expr) (string, *cparse.Expr, bool) {
		key, neg, _, expr := f.atom(&cparse.Expr{Kind: cparse.EBinary, Op: "==", X: sw, Y: v, Pos: sw.Pos})
		return key, expr, neg
	}
	if v := b.Cases[i]; v != nil {
		key, expr, neg := eqKey(v)
		if key == "" {
			return st
		}
		if val, known := st.fact(key); known {
			if val == neg {
				return nil
			}
			return st
		}
		if o, ok := otherConstant(expr, st); ok && !o && !neg {
			return nil
		}
		if !f.caseVars[sw.Name] {
			return st
		}
		n := st.clone()
		n.setFact(Fact{Key: key, Val: !neg, Idents: []string{sw.Name}, Expr: expr})
		return n
	}
	// default: not taken when the path knows the value is one of the cases.
	for _, v := range b.Cases {
		if v == nil {
			continue
		}
		if key, _, neg := eqKey(v); key != "" {
			if val, known := st.fact(key); known && val != neg {
				return nil
			}
		}
	}
	return st
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
		if assigned[name] != 1 || f.addrVars[name] || !isCondition(def) || hasCallExpr(def) {
			continue
		}
		stable := !def.ReadsAny(func(id string) bool { return assigned[id] > 0 || f.addrVars[id] })
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

// implyAtoms records what def having the value val says of its atoms:
// "a && b" true makes both true, "a || b" false both false. It reports
// false when that contradicts what the path knows: the branch cannot be
// taken.
func (f *flow) implyAtoms(def *cparse.Expr, val bool, st *State) bool {
	def = def.Strip()
	switch {
	case def == nil:
		return true
	case def.Kind == cparse.EUnary && def.Op == "!":
		return f.implyAtoms(def.X, !val, st)
	case def.Kind == cparse.EBinary && (def.Op == "&&" && val || def.Op == "||" && !val):
		return f.implyAtoms(def.X, val, st) && f.implyAtoms(def.Y, val, st)
	case def.Kind == cparse.EBinary && (def.Op == "&&" || def.Op == "||"):
		return true // one of them: nothing definite
	}
	key, neg, idents, expr := f.atom(def)
	if key == "" {
		return true
	}
	v := val != neg
	if old, known := st.fact(key); known {
		return old == v
	}
	if o, ok := otherConstant(expr, st); ok && v && !o {
		return false
	}
	st.setFact(Fact{Key: key, Val: v, Idents: idents, Expr: expr})
	return true
}

// isNamedConst reports an enumerator or macro constant (M_PARTIAL) or a
// nonzero number: a value a variable can be compared with.
func isNamedConst(e *cparse.Expr) bool {
	e = e.Strip()
	if e == nil {
		return false
	}
	switch e.Kind {
	case cparse.ENumber:
		return !isNull(e)
	case cparse.EIdent:
		return e.Name != "NULL" && e.Name != "true" && e.Name != "false" && isUpperName(e.Name) && !isIdentDigit(e.Name[0])
	}
	return false
}

func isIdentDigit(c byte) bool { return c >= '0' && c <= '9' }

// otherConstant decides "x == B" on a path that knows "x == A" for a
// different constant A: false.
func otherConstant(expr *cparse.Expr, st *State) (val, ok bool) {
	if expr == nil || expr.Kind != cparse.EBinary || expr.Op != "==" || expr.X.Kind != cparse.EIdent || !isNamedConst(expr.Y) {
		return false, false
	}
	prefix := expr.X.Name + " == "
	i := sort.Search(len(st.Facts), func(i int) bool { return st.Facts[i].Key >= prefix })
	for ; i < len(st.Facts) && strings.HasPrefix(st.Facts[i].Key, prefix); i++ {
		if fa := st.Facts[i]; fa.Val && fa.Expr != nil && fa.Expr.Kind == cparse.EBinary && isNamedConst(fa.Expr.Y) {
			return false, true
		}
	}
	return false, false
}

// errorTest gives the fact class of "x < 0" taken true: an error code.
func (f *flow) errorTest(cond *cparse.Expr, keyVal bool) RetClass {
	e := cond.Strip()
	if e != nil && e.Kind == cparse.EBinary && e.Op == "<" && isNull(e.Y) && keyVal {
		return RetError
	}
	return RetUnknown
}

// decide evaluates a condition from what the path knows of its parts:
// an error-code comparison, an IS_ERR() test, a gfp-mask test.
func (f *flow) decide(cond *cparse.Expr, st *State) (val, ok bool) {
	if v, ok := f.impliedFalse(cond, st); ok {
		return v, true
	}
	neg := false
	e := cond.Strip()
	for e != nil && e.Kind == cparse.EUnary && e.Op == "!" {
		neg = !neg
		e = e.X.Strip()
	}
	if e == nil {
		return false, false
	}
	if e.Kind == cparse.ECall && len(e.Args) > 0 {
		spec := f.p.kb.Funcs[e.CallName()]
		if spec != nil && spec.ErrTest != "" {
			if x := Canon(e.Args[0]); x != nil {
				if v, known := st.fact(x.String()); known {
					c := st.factClass(x.String())
					switch {
					case c == RetError:
						return !neg, true
					case !v && spec.ErrTest == "err_or_null":
						return !neg, true
					case !v || c == RetNonZero:
						return neg, true
					}
				}
			}
		}
		if spec != nil && spec.GFPTest != nil && *spec.GFPTest < len(e.Args) {
			switch f.gfp(e.Args[*spec.GFPTest], st).kind {
			case gfpBlocking:
				return !neg, true
			case gfpNonblocking:
				return neg, true
			}
		}
	}
	if e.Kind == cparse.EBinary && e.Op == "&" {
		// gfp & __GFP_DIRECT_RECLAIM on a mask whose value is known.
		for _, pair := range [][2]*cparse.Expr{{e.X, e.Y}, {e.Y, e.X}} {
			if fl := pair[1].Strip(); fl != nil && fl.Kind == cparse.EIdent && f.p.kb.GFP[fl.Name] == kb.GFPReclaim {
				switch f.gfp(pair[0], st).kind {
				case gfpBlocking:
					return !neg, true
				case gfpNonblocking:
					return neg, true
				}
			}
		}
	}
	if e.Kind == cparse.EIdent || e.Kind == cparse.EField {
		// A lock held through a pointer: the pointer is not NULL
		// ("if (pml && pml != ptl) spin_unlock(pml)").
		if x := f.canonLock(e); x != nil {
			inst := x.String()
			for _, c := range st.Held {
				if c.Inst == inst {
					return !neg, true
				}
			}
		}
	}
	return false, false
}

// impliedFalse decides "x == C" and "x != C" for a nonzero constant C when
// the path knows x is zero (ret == -ENOSPC after "if (ret) ...").
func (f *flow) impliedFalse(cond *cparse.Expr, st *State) (val, ok bool) {
	e := cond.Strip()
	if e == nil || e.Kind != cparse.EBinary || e.Op != "==" && e.Op != "!=" {
		return false, false
	}
	x, c := e.X, e.Y
	if _, isConst := constInt(x); isConst || isErrConst(x) {
		x, c = c, x
	}
	if v, isConst := constInt(c); !(isConst && v != 0 || isErrConst(c)) {
		return false, false
	}
	xc := Canon(x)
	if xc == nil {
		return false, false
	}
	if v, known := st.fact(xc.String()); known && !v {
		return e.Op == "!=", true
	}
	return false, false
}

// isErrConst reports -EFOO.
func isErrConst(e *cparse.Expr) bool {
	e = e.Strip()
	if e == nil || e.Kind != cparse.EUnary || e.Op != "-" {
		return false
	}
	x := e.X.Strip()
	return x != nil && x.Kind == cparse.EIdent && len(x.Name) > 1 && x.Name[0] == 'E' && isUpperName(x.Name)
}

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
			return []*State{st}
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

// derefKeys lists the pointers a statement dereferences ("*p", "p->f",
// "p[i]"), outside address computations and sizeof.
// derefKey is a dereferenced pointer and its fact key.
type derefKey struct {
	expr *cparse.Expr
	key  string
}

func derefKeys(s *cparse.Stmt) []derefKey {
	var keys []derefKey
	var walk func(e *cparse.Expr)
	walk = func(e *cparse.Expr) {
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
		st.setFact(Fact{Key: k, Val: true, Idents: x.Idents(), Expr: x, Class: RetNonZero})
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
				st.setFact(Fact{Key: eq.String(), Val: true, Idents: []string{root}, Expr: eq})
			}
			if v, ok := constTruth(rhs); ok {
				// "locked = true": later tests of it are known.
				st.setFact(Fact{Key: root, Val: v, Idents: []string{root}, Expr: lhs.Strip(), Const: true})
			} else if src := copySource(rhs); src != "" && src != root {
				// "start_pte = pte": what is known of pte holds of both.
				if v, ok := st.fact(src); ok {
					st.setFact(Fact{Key: root, Val: v, Idents: []string{root}, Expr: lhs.Strip(), Class: st.factClass(src)})
				}
			}
		}
		return
	}
	// A field or element store forgets conditions on that path; a
	// constant stored in a member path is known ("vmf->pte = NULL").
	cl := Canon(lhs)
	path := cl.String()
	st.filterFacts(func(fa *Fact) bool { return !strings.Contains(fa.Key, path) })
	if rhs != nil && (op == "=" || op == "") && isAccessPath(path) {
		if v, ok := constTruth(rhs); ok {
			st.setFact(Fact{Key: path, Val: v, Idents: cl.Idents(), Expr: cl})
		}
	}
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
		st.setFact(Fact{Key: key, Val: val != neg, Idents: idents, Expr: expr})
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
			if src := copySource(s.RHS); src != "" && st.mentions(src) {
				return true
			}
		}
		if t, ok := f.env.ident(root); ok && t.Base == "gfp_t" {
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
		if g := f.p.Lookup(f.fn, name); g != nil && g.Sum != nil && (len(g.Sum.Outcomes) > 1 || g.Sum.NoReturn ||
			len(g.Sum.Outcomes) == 1 && !g.Sum.Outcomes[0].empty() || len(g.Sum.Writes) > 0 && len(st.Facts) > 0) {
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

func (f *flow) call(b *cparse.Block, s *cparse.Stmt, st *State) []*State {
	if f.record && len(st.Held) > 0 {
		f.noteUnknown(s.Callee(), st)
	}
	if f.record && f.p.linkCalls {
		f.noteCall(s, st)
	}
	if f.record && s.Callee() == "" {
		for _, oc := range f.opsCallees(s) {
			subst, _ := f.bindArgs(s, oc.g)
			f.observeEffects(b, s, oc.g, st, subst, oc.step)
		}
	}
	if !f.callMatters(s, st) {
		if f.record {
			if g := f.p.Lookup(f.fn, s.Callee()); g != nil && g.Sum != nil && len(g.Sum.Effects) > 0 {
				subst, callStep := f.bindArgs(s, g)
				f.observeEffects(b, s, g, st, subst, callStep)
			}
		}
		return []*State{st}
	}
	n := st.clone()
	n.forget("$call" + strconv.Itoa(s.ID))
	name := s.Callee()
	g := (*FuncInfo)(nil)
	if name != "" && f.p.kb.Funcs[name] == nil {
		g = f.p.Lookup(f.fn, name)
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
		return f.apply(b, s, g, n)
	}
	f.unknownUnlock(name, s.Call.Args, n)
	return []*State{n}
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
		st.filterFacts(func(ft *Fact) bool {
			return !containsStr(ft.Idents, name) || isMemberOf(ft.Key, name)
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
			path := base + suffix
			if strings.HasPrefix(base, "&") {
				// (&v)->f is v.f
				path = base[1:] + "." + strings.TrimPrefix(strings.TrimPrefix(suffix, "->"), ".")
			}
			st.filterFacts(func(fa *Fact) bool { return !strings.Contains(fa.Key, path) })
		}
	}
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
// carrying the lock on would blame everything after on it.
func (f *flow) unknownUnlock(name string, args []*cparse.Expr, st *State) {
	if !strings.Contains(name, "unlock") && !strings.Contains(name, "release") {
		return
	}
	for _, a := range args {
		ac := Canon(a)
		if ac == nil {
			continue
		}
		as := ac.String()
		for i := len(st.Held) - 1; i >= 0; i-- {
			c := st.Held[i]
			if c.Expr == nil || f.released[c.Inst] {
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

// lockArg returns the lock expression a primitive acts on, in the current
// function's terms.
func (f *flow) lockArg(spec *kb.Func, args []*cparse.Expr, ret *cparse.Expr) *cparse.Expr {
	if spec.Lock != nil {
		if i, ok := spec.LockIndex(len(args)); ok {
			return args[i]
		}
		return nil
	}
	if spec.LockExpr == "" {
		return nil
	}
	if ret != nil {
		return f.templateRet(spec.LockExpr, args, ret)
	}
	return f.template(spec.LockExpr, args)
}

// templateRet instantiates a template that may name the call's result as
// $ret (pmd_lock() returns the lock it took).
func (f *flow) templateRet(text string, args []*cparse.Expr, ret *cparse.Expr) *cparse.Expr {
	tpl, ok := f.exprTpl[text]
	if !ok {
		src := []byte(text)
		tpl = cparse.ParseExpr(src, 0, len(src), nil)
		f.exprTpl[text] = tpl
	}
	m := map[string]*cparse.Expr{"$ret": ret}
	for i, a := range args {
		m["$"+strconv.Itoa(i)] = a
	}
	for _, id := range tpl.Idents() {
		if strings.HasPrefix(id, "$") && m[id] == nil {
			return nil
		}
	}
	return Canon(tpl.Subst(m))
}

// template instantiates an expression over call arguments ($0, $1, ...);
// nil when it names an argument the call does not have.
func (f *flow) template(text string, args []*cparse.Expr) *cparse.Expr {
	return f.templateRet(text, args, nil)
}

func (f *flow) newCtx(kind *kb.Kind, spec *kb.Func, arg *cparse.Expr, via Step) *Ctx {
	c := &Ctx{Kind: kind, Via: NewPath(via)}
	if arg != nil {
		c.Expr = f.canonLock(arg)
		if c.Expr != nil {
			c.Inst = c.Expr.String()
			if spec != nil && spec.Class != "" {
				c.Class = spec.Class
			} else {
				c.Class = f.env.classOf(Canon(arg))
			}
		}
	}
	return c
}

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
	for _, fa := range st.Facts {
		if f.effectFact(fa) || f.p.nonRTFact(fa) {
			writeFact(&b, fa)
		}
	}
	return b.String()
}

// bootPath reports a path taken only before the scheduler runs
// ("if (system_state < SYSTEM_SCHEDULING)"), which no rule reports on.
func (f *flow) bootPath(st *State) bool {
	if len(f.p.boot) == 0 {
		return false
	}
	for _, fa := range st.Facts {
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
	for _, fa := range st.Facts {
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
	k := obsSeen{s.ID, e.obsKey(), stateKey}
	if f.seen[k] {
		return
	}
	f.seen[k] = true
	// The path's own releases and conditions go on a copy: effects may be
	// shared between observations.
	var facts []Fact
	for _, fa := range st.Facts {
		if f.effectFact(fa) {
			facts = append(facts, *fa)
		}
	}
	// A callee's path that tested its calling context (preemptible())
	// ran under everything held here; a test this function makes itself
	// may precede what it holds now, and is left to its callers.
	if contextDenies(f.p.kb, e.Facts, st.Held) {
		return
	}
	addUnheld := len(st.CallerRel)+len(st.CallerMaybe) > 0
	if addUnheld || len(facts) > 0 {
		ne := *e
		ne.keyCache, ne.obsCache = "", ""
		if addUnheld {
			ne.Unheld = f.unheldUnion(e.Unheld, st.CallerRel, st.CallerMaybe)
		}
		ne.Facts = append(append([]Fact(nil), e.Facts...), facts...)
		e = &ne
	}
	o := &Obs{Fn: f.fi, Line: s.Line, Held: append([]*Ctx(nil), st.Held...), Eff: e, Exclude: exclude,
		NonRT: f.p.nonRTState(st.Facts) || f.p.nonRT(e.Facts)}
	if f.nowait != nil {
		o.Nowait = f.nowait[block.ID]
	}
	f.out.Obs = append(f.out.Obs, o)
	f.obsBlock = append(f.obsBlock, block.ID)
}

func factsKey(fs []*Fact) string {
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
func (f *flow) effectFact(fa *Fact) bool {
	return f.scalarArgFact(fa) || configFact(fa) || ctxTest(f.p.kb, fa) != nil || f.nonNullGuard(fa)
}

// nonNullGuard is "if (inode)" on a pointer parameter: a caller passing
// NULL (sock_release() is __sock_release(sock, NULL)) does not get what
// the guard protects. Only the non-NULL side is kept: a caller that does
// not know its pointer is taken to pass a real one.
func (f *flow) nonNullGuard(fa *Fact) bool {
	if !fa.Val || fa.Class == RetNonZero {
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
func (f *flow) scalarArgFact(fa *Fact) bool {
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
func (p *Program) nonRT(fs []Fact) bool {
	for i := range fs {
		if p.nonRTFact(&fs[i]) {
			return true
		}
	}
	return false
}

func (p *Program) nonRTState(fs []*Fact) bool {
	for _, f := range fs {
		if p.nonRTFact(f) {
			return true
		}
	}
	return false
}

func (p *Program) nonRTFact(f *Fact) bool {
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

func (f *flow) held(st *State, kind string) bool {
	for _, c := range st.Held {
		if c.Kind.Name == kind || containsStr(c.Kind.Implies, kind) {
			return true
		}
	}
	return false
}

// prim interprets a call to a kernel primitive described in rules.yaml.
func (f *flow) prim(b *cparse.Block, s *cparse.Stmt, spec *kb.Func, call *cparse.Expr, st *State, id int, condGuard bool) []*State {
	args := call.Args
	text := callText(call)
	line := s.Line
	lock := f.lockArg(spec, args, s.LHS)

	if spec.GFP != nil && *spec.GFP < len(args) && s.LHS != nil {
		mask := args[*spec.GFP]
		if spec.NofailBlocking && f.gfp(mask, st).kind == gfpBlocking || mask.Reads("__GFP_NOFAIL") {
			// This allocation cannot fail: its result is non-NULL.
			f.setVarFact(st, s.LHS, true, RetNonZero)
		}
	}
	if f.record {
		var dropped *Ctx
		if spec.Drops != "" {
			if d := f.template(spec.Drops, args); d != nil {
				dropped = f.findHeld(st, d)
				if dropped == nil {
					// A lock the caller holds (a helper running
					// cond_resched_lock() on it): the caller matches it
					// by its expression, and does not count it.
					if k := f.p.kb.KindOfType(f.env.lockType(d)); k != nil {
						if x := f.canonLock(d); x != nil {
							dropped = &Ctx{Kind: k, Expr: x, Inst: x.String(), Class: f.env.classOf(Canon(d))}
						}
					}
				}
			}
		}
		if spec.GFP != nil && *spec.GFP < len(args) {
			g := f.gfp(args[*spec.GFP], st)
			mask := args[*spec.GFP].String()
			switch g.kind {
			case gfpBlocking:
				f.observe(s, st, &Effect{Kind: ESleep, GfpParam: -1, What: text,
					Chain: []Step{f.step(line, fmt.Sprintf("%s may sleep: %s allows direct reclaim", text, mask))}}, dropped, b)
			case gfpParam:
				f.observe(s, st, &Effect{Kind: ESleep, GfpParam: g.param, What: text,
					Chain: []Step{f.step(line, fmt.Sprintf("%s may sleep when %s allows direct reclaim", text, mask))}}, dropped, b)
			}
			if spec.Alloc {
				gp := -1
				if g.kind == gfpParam {
					gp = g.param
				}
				f.observe(s, st, &Effect{Kind: EAlloc, GfpParam: gp, Sleeps: g.kind == gfpBlocking, What: text,
					Chain: []Step{f.step(line, text+" allocates memory")}}, nil, b)
			}
		} else if spec.Alloc {
			f.observe(s, st, &Effect{Kind: EAlloc, GfpParam: -1, Sleeps: spec.Sleeps, What: text,
				Chain: []Step{f.step(line, text+" allocates memory")}}, nil, b)
		}
		if spec.Sleeps && !(spec.SleepsUnless != "" && f.held(st, spec.SleepsUnless)) {
			e := &Effect{Kind: ESleep, GfpParam: -1, Blocks: spec.Blocks, Wait: spec.Wait, What: text,
				Chain: []Step{f.step(line, text+" may sleep")}}
			if dropped != nil {
				e.Drops = dropped
			}
			f.observe(s, st, e, dropped, b)
		}
		if spec.Wait != "" {
			f.observe(s, st, f.waitEffect(spec, args, text, line), nil, b)
		}
		if spec.Register != "" && spec.Item != nil && spec.Fn != nil && *spec.Item < len(args) && *spec.Fn < len(args) {
			if fn := args[*spec.Fn].Strip(); fn != nil && fn.Kind == cparse.EIdent {
				f.observe(s, st, &Effect{Kind: ERegister, GfpParam: -1, Item: f.env.classOf(args[*spec.Item]), Fn: fn.Name, What: text,
					Chain: []Step{f.step(line, fmt.Sprintf("%s registers %s()", text, fn.Name))}}, nil, b)
			}
		}
		if spec.Enqueue && spec.Item != nil && spec.Queue != nil && *spec.Item < len(args) && *spec.Queue < len(args) {
			f.observe(s, st, &Effect{Kind: EQueue, GfpParam: -1, Item: f.env.classOf(args[*spec.Item]),
				Queue: f.queueClass(args[*spec.Queue]), What: text,
				Chain: []Step{f.step(line, text+" queues the work item")}}, nil, b)
		}
		if spec.SeqWrite && lock != nil {
			c := f.newCtx(f.p.kb.Kinds["seqcount_write"], spec, lock, f.step(line, text))
			f.observe(s, st, &Effect{Kind: ESeqWrite, GfpParam: -1, Ctx: c, What: text, Item: f.env.lockType(lock),
				Chain: []Step{f.step(line, fmt.Sprintf("%s begins a write on seqcount_t %s", text, c.Class))}}, nil, b)
		}
	}
	if spec.Assert != "" {
		f.assert(spec, lock, st, line, text)
	}
	if spec.Release != "" {
		f.release(s, b, f.p.kb.Kinds[spec.Release], lock, "", st, f.step(line, text), true)
	}
	if spec.MayRelease != "" {
		f.mayRelease(f.p.kb.Kinds[spec.MayRelease], lock, st, f.step(line, text))
	}
	if spec.AlsoRelease != "" {
		// A secondary release: it never reports a lock not held.
		f.release(s, b, f.p.kb.Kinds[spec.AlsoRelease], nil, "", st, f.step(line, text), false)
	}
	if spec.Callback != nil && *spec.Callback < len(args) {
		if sts := f.callback(b, s, spec, args, st); sts != nil {
			return sts
		}
	}
	kindName := spec.Acquire
	try := false
	if kindName == "" && spec.Try != "" {
		kindName = spec.Try
		try = true
	}
	if kindName == "" {
		return []*State{st}
	}
	kind := f.p.kb.Kinds[kindName]
	c := f.newCtx(kind, spec, lock, f.step(line, f.enterNote(text, kind, nil)))
	c.Via.Step.Note = f.enterNote(text, kind, c)
	c.Try = try
	if spec.Subclass != nil && *spec.Subclass < len(args) {
		c.Sub = subclass(args[*spec.Subclass])
	}
	if f.record {
		if kind.Category == kb.Sleeping && !try && !kind.EntryNeverSleeps {
			f.observe(s, st, &Effect{Kind: ESleep, GfpParam: -1, Blocks: true, What: text,
				Chain: []Step{f.step(line, fmt.Sprintf("%s may sleep waiting for %s", text, c.Name()))}}, nil, b)
		}
		f.observe(s, st, &Effect{Kind: ETake, GfpParam: -1, Ctx: c, What: text, Chain: []Step{c.Via.Step}}, nil, b)
	}
	var also *Ctx
	if spec.AlsoAcquire != "" {
		k := f.p.kb.Kinds[spec.AlsoAcquire]
		also = f.newCtx(k, nil, nil, f.step(line, f.enterNote(text, k, nil)))
	}
	if !try || !(f.tested[id] || condGuard) {
		f.acquire(st, c)
		if also != nil {
			f.acquire(st, also)
		}
		return []*State{st}
	}
	// A trylock whose result is read: split into success and failure.
	val := spec.Success != "zero"
	key := "$call" + strconv.Itoa(id)
	if condGuard {
		key = "$guard" + strconv.Itoa(id)
		val = true
	}
	okClass, failClass := RetNonZero, RetZero
	if !val {
		okClass, failClass = RetZero, RetError
	}
	ok := st.clone()
	f.acquire(ok, c)
	if also != nil {
		f.acquire(ok, also)
	}
	ok.setFact(Fact{Key: key, Val: val, Class: okClass})
	fail := st
	fail.setFact(Fact{Key: key, Val: !val, Class: failClass})
	fail.Released = append(fail.Released, relMark{fam: Family(kind), class: c.Class, inst: c.Inst,
		step: f.step(line, text+" failed"), failed: true})
	if s.LHS != nil && !condGuard {
		f.setVarFact(ok, s.LHS, val, okClass)
		f.setVarFact(fail, s.LHS, !val, failClass)
	}
	return []*State{ok, fail}
}

// mayRelease forgets a lock a call releases on some of its returns: a
// lock this function took is no longer counted as held; one its caller
// holds becomes a maybe-release in the summary.
func (f *flow) mayRelease(kind *kb.Kind, lock *cparse.Expr, st *State, step Step) {
	if i := f.matchLoose(st, kind, lock); i >= 0 {
		st.Held = append(st.Held[:i:i], st.Held[i+1:]...)
		return
	}
	m := &Ctx{Kind: kind, FromCaller: true, Via: NewPath(step)}
	if lock != nil {
		m.Expr = f.canonLock(lock)
		m.Inst = m.Expr.String()
		m.Class = f.env.classOf(Canon(lock))
	}
	if !st.isCallerMaybe(m) {
		st.CallerMaybe = append(st.CallerMaybe[:len(st.CallerMaybe):len(st.CallerMaybe)], m)
	}
}

// matchLoose is matchRelease for releases that are only maybe (a call
// that drops a lock on some returns, a callee that released it before an
// effect): where the types on the way are unknown ("vma->vm_mm->mmap_lock"
// without struct vm_area_struct), the one held lock of the family with
// the same member name is the one.
func (f *flow) matchLoose(st *State, kind *kb.Kind, lock *cparse.Expr) int {
	i := f.matchRelease(st, kind, lock)
	if i >= 0 || lock == nil {
		return i
	}
	field := lastField(Canon(lock))
	if field == "" {
		return -1
	}
	for j, c := range st.Held {
		if Family(c.Kind) == Family(kind) && lastField(c.Expr) == field {
			if i >= 0 {
				return -1
			}
			i = j
		}
	}
	return i
}

// lastField returns the member a lock expression ends in: "mmap_lock" of
// "&mm->mmap_lock".
func lastField(e *cparse.Expr) string {
	e = e.Strip()
	for e != nil && e.Kind == cparse.EUnary && (e.Op == "&" || e.Op == "*") {
		e = e.X.Strip()
	}
	if e != nil && e.Kind == cparse.EField {
		return e.Name
	}
	return ""
}

// callback splits on a call that runs a function it is given when it
// returns nonzero (kref_put(ref, release)): on that side the function's
// summary applies, as if called with the first argument.
func (f *flow) callback(b *cparse.Block, s *cparse.Stmt, spec *kb.Func, args []*cparse.Expr, st *State) []*State {
	fn := args[*spec.Callback].Strip()
	if fn == nil || fn.Kind != cparse.EIdent {
		return nil
	}
	g := f.p.Lookup(f.fn, fn.Name)
	if g == nil || g.Sum == nil {
		return nil
	}
	call := &cparse.Expr{Kind: cparse.ECall, X: fn, Args: args[:1], Pos: s.Call.Pos}
	cs := &cparse.Stmt{Kind: cparse.SCall, ID: s.ID, Line: s.Line, Call: call}
	key := "$call" + strconv.Itoa(s.ID)
	f.lastRef = spec.LastRef
	ran := f.apply(b, cs, g, st.clone())
	f.lastRef = false
	for _, r := range ran {
		r.setFact(Fact{Key: key, Val: true, Class: RetNonZero})
		if s.LHS != nil {
			f.setVarFact(r, s.LHS, true, RetNonZero)
		}
	}
	kept := st.clone()
	kept.setFact(Fact{Key: key, Val: false, Class: RetZero})
	if s.LHS != nil {
		f.setVarFact(kept, s.LHS, false, RetZero)
	}
	return append(ran, kept)
}

func (f *flow) setVarFact(st *State, lhs *cparse.Expr, val bool, class RetClass) {
	l := Canon(lhs)
	if l == nil {
		return
	}
	st.setFact(Fact{Key: l.String(), Val: val, Idents: l.Idents(), Expr: l, Class: class})
}

func subclass(e *cparse.Expr) int {
	e = e.Strip()
	if e != nil && e.Kind == cparse.ENumber {
		if n, err := strconv.Atoi(e.Name); err == nil {
			return n
		}
	}
	return 1
}

func (f *flow) enterNote(text string, kind *kb.Kind, c *Ctx) string {
	if c != nil && kind.Lock {
		return fmt.Sprintf("%s takes %s", text, c.Name())
	}
	return fmt.Sprintf("%s enters %s", text, kind.Note)
}

func (f *flow) waitEffect(spec *kb.Func, args []*cparse.Expr, text string, line int) *Effect {
	e := &Effect{Kind: EWait, GfpParam: -1, Wait: spec.Wait, What: text}
	switch spec.Wait {
	case "rcu":
		e.Chain = []Step{f.step(line, text+" waits for all RCU readers")}
	case "srcu":
		if i, ok := spec.LockIndex(len(args)); ok {
			e.Ctx = f.newCtx(f.p.kb.Kinds["srcu"], spec, args[i], f.step(line, text))
		}
		e.Chain = []Step{f.step(line, text+" waits for all SRCU readers")}
	case "work":
		if spec.Item != nil && *spec.Item < len(args) {
			e.Item = f.env.classOf(args[*spec.Item])
		}
		e.Chain = []Step{f.step(line, text+" waits for the work item to finish")}
	case "queue":
		if spec.Queue != nil && *spec.Queue < len(args) {
			e.Queue = f.queueClass(args[*spec.Queue])
		}
		e.Chain = []Step{f.step(line, text+" waits for the work queued on it")}
	}
	return e
}

// queueClass names a workqueue: the pointer itself, by declared type and
// field, or a global.
func (f *flow) queueClass(arg *cparse.Expr) string {
	a := Canon(arg)
	if a == nil {
		return ""
	}
	switch a.Kind {
	case cparse.EIdent:
		if !f.env.isLocal(a.Name) {
			return a.Name
		}
	case cparse.EField:
		if t, ok := f.env.typeOf(a.X); ok && strings.HasPrefix(t.Base, "struct ") {
			return t.Base + "::" + a.Name
		}
	}
	return ""
}

func (f *flow) assert(spec *kb.Func, lock *cparse.Expr, st *State, line int, text string) {
	var kind *kb.Kind
	if spec.Assert == "not_held" {
		// The code states the lock is released by now: a callee this
		// analysis cannot see (bdev_freeze()'s ->freeze() holder op)
		// dropped it. Held no longer, and no release to check.
		if c := f.findHeld(st, lock); c != nil && lock != nil {
			for i := len(st.Held) - 1; i >= 0; i-- {
				if st.Held[i] == c {
					st.Held = append(st.Held[:i:i], st.Held[i+1:]...)
					break
				}
			}
		}
		return
	}
	if spec.Assert == "held" {
		if lock == nil {
			return
		}
		kind = f.p.kb.KindOfType(f.env.lockType(lock))
		if kind == nil {
			return
		}
		if spec.Read && kind.Name == "rwsem_write" {
			kind = f.p.kb.Kinds["rwsem_read"]
		}
		if f.findHeld(st, lock) != nil {
			return
		}
	} else {
		kind = f.p.kb.Kinds[spec.Assert]
		if f.held(st, kind.Name) {
			return
		}
		lock = nil
	}
	c := f.newCtx(kind, nil, lock, f.step(line, fmt.Sprintf("%s: the caller holds %s", text, kind.Desc)))
	c.FromCaller = true
	st.Held = append(st.Held, c)
}

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
	for _, fa := range st.Facts {
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
					st.setFact(Fact{Key: base, Val: true, Idents: []string{base}, Expr: &cparse.Expr{Kind: cparse.EIdent, Name: base}, Class: RetNonZero})
				}
			}
			if obj.Kind == cparse.EUnary && obj.Op == "*" {
				if p := Canon(obj.X); p != nil && p.Kind == cparse.EField {
					if k := p.String(); isAccessPath(k) {
						if _, known := st.fact(k); !known {
							st.setFact(Fact{Key: k, Val: true, Idents: p.Idents(), Expr: p, Class: RetNonZero})
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
			inst = expr.String()
			class = f.env.classOf(Canon(arg))
		}
	}
	var idx int
	if arg == nil && argClass != "" && kind.Lock {
		class = argClass
		idx = -1
		for i := len(st.Held) - 1; i >= 0; i-- {
			if c := st.Held[i]; Family(c.Kind) == fam && c.Class == class {
				idx = i
				break
			}
		}
	} else {
		idx = f.matchRelease(st, kind, arg)
	}
	if idx >= 0 {
		c := st.Held[idx]
		st.Held = append(st.Held[:idx:idx], st.Held[idx+1:]...)
		st.Released = append(st.Released, relMark{fam: fam, class: c.Class, inst: c.Inst, by: inst, step: via})
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
	for _, fa := range st.Facts {
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

// matchRelease returns the index of the held context a release of kind on
// arg releases, or -1: the same lock expression, else the same class, else
// the only held lock of that kind when one side's name is unknown.
func (f *flow) matchRelease(st *State, kind *kb.Kind, arg *cparse.Expr) int {
	fam := Family(kind)
	inst, class := f.lockName(arg)
	for i := len(st.Held) - 1; i >= 0; i-- {
		c := st.Held[i]
		if Family(c.Kind) == fam && inst != "" && c.Inst == inst {
			return i
		}
	}
	for i := len(st.Held) - 1; i >= 0; i-- {
		c := st.Held[i]
		if Family(c.Kind) == fam && (class != "" && c.Class == class || arg == nil || !kind.Lock) {
			return i
		}
	}
	if arg == nil {
		return -1
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
		inst = expr.String()
		// The class from the source's spelling: a local's declared type
		// says more than the expression it stands for (a void *private).
		class = f.env.classOf(Canon(arg))
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

// callText renders a call compactly for chain lines.
func callText(call *cparse.Expr) string {
	s := call.String()
	if len(s) <= 60 {
		return s
	}
	name := call.CallName()
	if name == "" {
		return s[:57] + "..."
	}
	var args []string
	for _, a := range call.Args {
		t := a.String()
		if len(t) > 24 {
			t = "..."
		}
		args = append(args, t)
	}
	s = name + "(" + strings.Join(args, ", ") + ")"
	if len(s) > 80 {
		s = name + "(...)"
	}
	return s
}
