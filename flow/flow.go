// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"slices"
	"sort"

	"lockbot/cparse"
	"lockbot/internal/graph"
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
// unlock();" pair up. Its fields are grouped by when they are set, as
// go/ssa's Function's are.
type flow struct {
	// What is analysed, set when the pass is made.
	p   *Program
	fi  *FuncInfo
	fn  *cparse.Func
	env typeEnv

	// The function read once before the solver runs (prepare, live),
	// then only read.

	// defs are this function's locals that stand for an expression of
	// its parameters (see paramDefs).
	defs map[string]*cparse.Expr
	// stableParams are the parameters the function never changes.
	stableParams map[string]bool
	// valueDefs are those of defs that read no memory ("__sleep_us =
	// (sleep_us)" in read_poll_timeout()): a test of one is a test of
	// the parameters, which a caller decides by what it passes.
	valueDefs map[string]*cparse.Expr
	// tested are the calls whose result a branch or an assignment reads.
	tested map[int]bool
	// handed are the calls whose result is stored in a variable that is
	// later an argument: the callee's summary may depend on it
	// ("ci = lock_cluster_or_swap_info(); unlock_cluster_or_swap_info(si, ci)").
	handed map[int]bool
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
	// shifts are the locals each statement shifts by (shiftCounts).
	shifts map[int][]string
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
	// compared are the pointers a branch compares with another variable
	// ("locked_pool != caller_pool"): a copy of one into the other is an
	// equality worth keeping.
	compared map[string]bool
	// wholeAssigned are the variables assigned as a whole (repointed).
	wholeAssigned map[string]bool
	// nowait maps blocks only NOWAIT requests reach to the branch that
	// makes it so.
	nowait map[int]*Step
	// gates are the keys of NOWAIT tests whose NOWAIT side rejects some
	// requests (returns): the requests that pass are admitted, and a path
	// whose facts say the test was true carries one (nowaitGates).
	gates      map[string]*Step
	nowaitVars map[string]bool
	// loopHead are the blocks a loop is entered by: where a path that
	// went round it meets one that did not (State.RelMaybe).
	loopHead map[int]bool
	// modeArm are the blocks of the sleeping arms of mode branches
	// (mode.go).
	modeArm map[int]bool

	// The solver's state (run, block, propagate).

	in     [][]*State
	inKeys [][]string // lock keys of in, computed once
	// dirty marks the states of in that changed since their block ran.
	dirty [][]bool
	// record: observations and exits are recorded (a block on its final
	// input); frozen: the states a block reaches are not propagated (a
	// loop's last run, after its fixpoint). The two modes change what
	// block, term and the observers do.
	record, frozen bool
	// lastRef is set while a last-reference callback's summary applies
	// (kref_put's release): only its lock effects are observed.
	lastRef bool
	failed  bool
	// work counts what the blocks did, in states times their size, up
	// to maxWork (see spend).
	work int

	// What the pass produces, and where each record came from.

	out *FuncResult
	// obsBlock and exitBlock are the blocks the records came from.
	obsBlock  []int
	exitBlock map[*Exit]int
	// seen are the observations made, one per statement, effect and
	// state.
	seen   map[obsSeen]bool
	calls  map[string]int // Calls noted (their index), by callee, line and context
	keyBuf []byte         // where noteCall builds a key

	// Memos filled as the pass goes, each answering a question it asks
	// again and again.

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
	// contexts effects carry (see pathUnheld, translateEffect).
	unheldMemo map[[3]listID][]*Ctx
	unheldSite map[listSite][]*Ctx
	// lastRefKeys are the facts of branches on last-reference tests.
	lastRefKeys map[string]bool
	// opsMemo are the implementations a call through a member reaches.
	opsMemo map[int][]opsCallee
	// names are the instance and class of each lock expression named.
	names map[*cparse.Expr][2]string
	// exprTpl are the knowledge base's templates, parsed.
	exprTpl map[string]*cparse.Expr
	// guardStmts are the calls file-defined guards make, one per guard
	// statement, so that the call-site memos see one site.
	guardStmts map[*cparse.Stmt]*cparse.Stmt
}

// flow analyses one function: its facts (observations, exits, the calls
// it makes) from which its summary is made. Callees are summarised first
// (Program.Analyze runs groups bottom-up).
func (p *Program) flow(fi *FuncInfo) *FuncResult {
	fn := fi.F
	if !p.relevant(fi) && !(p.linkCalls && p.linkable(fi)) {
		// Nothing here takes, releases, sleeps or calls what does: callers
		// need only what its returns say (0, -EINVAL, NULL).
		f := &flow{p: p, fi: fi, fn: fn, env: typeEnv{p, fn}}
		ff := &FuncResult{}
		empty := &State{}
		for _, b := range fn.Blocks {
			if b.Term == cparse.TReturn {
				ff.Exits = append(ff.Exits, &Exit{State: empty, Ret: b.Ret, Line: b.Line, Class: f.retClass(b.Ret, empty)})
			}
		}
		return ff
	}
	f := &flow{p: p, fi: fi, fn: fn, env: typeEnv{p, fn}, in: make([][]*State, len(fn.Blocks)), inKeys: make([][]string, len(fn.Blocks)),
		out: &FuncResult{}, seen: map[obsSeen]bool{}, exprTpl: map[string]*cparse.Expr{}, translated: map[effectSite]*Effect{}, ctxCache: map[ctxSite]*Ctx{},
		argCache: map[exprSite]*argAtom{}, relCache: map[exprSite]*cparse.Expr{}}
	f.defs, f.stableParams = paramDefs(fn)
	for name, d := range f.defs {
		if !derefs(d) {
			if f.valueDefs == nil {
				f.valueDefs = map[string]*cparse.Expr{}
			}
			f.valueDefs[name] = d
		}
	}
	f.prepare()
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
		f.out = &FuncResult{Failed: true}
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
	comps := blockSCCs(fn)
	f.loopHead = loopHeads(fn, comps)
	for _, comp := range comps {
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

// loopHeads returns the blocks of loops (strongly connected components
// with a cycle) that a block outside the loop jumps to.
func loopHeads(fn *cparse.Func, comps [][]int) map[int]bool {
	var heads map[int]bool
	for _, comp := range comps {
		if len(comp) == 1 && !selfLoop(fn.Blocks[comp[0]]) {
			continue
		}
		in := map[int]bool{}
		for _, id := range comp {
			in[id] = true
		}
		for _, b := range fn.Blocks {
			if in[b.ID] {
				continue
			}
			for _, s := range b.Succs {
				if in[s] {
					if heads == nil {
						heads = map[int]bool{}
					}
					heads[s] = true
				}
			}
		}
	}
	return heads
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
