// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"context"
	"log/slog"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"lockbot/cparse"
	"lockbot/internal/graph"
	"lockbot/kb"
	"lockbot/kbuild"
)

// Program is a set of analysed files: the functions, their summaries and
// the declarations that name lock classes.
type Program struct {
	kb    *kb.KB
	Files []*cparse.File
	// reports says which files' findings are wanted.
	reports  map[*cparse.File]bool
	Funcs    []*FuncInfo
	byName   map[string][]*FuncInfo
	structs  map[string]*cparse.Struct
	typedefs map[string]cparse.Type
	globals  map[string]cparse.Type
	log      *slog.Logger
	// boot holds the knowledge base's boot-only conditions by fact key.
	boot map[string]bool
	// valueIdents are identifiers used other than as called functions.
	valueIdents map[string]bool
	rt          RTScope
	rtFiles     map[string]bool
	// rtDefs memoises nonRTDef by function and file, as rtFiles.
	rtDefs map[string]bool
	// kc is the configuration.
	kc Kconfig
	// ext supplies functions outside the analysed files.
	ext       Externals
	linkCalls bool
	ops       *opsTable
	types     TypeSource
	// rtArms memoises nonRTArm by condition.
	rtArms sync.Map
	// constSrc answers for the constants of headers not read (nil:
	// none but the files' own are known).
	constSrc ConstSource
	// consts are the enumerators and #defines of the analysed files.
	consts map[string]int64
	// switched are the member names the analysed functions switch on
	// (switchedMember), computed once.
	switchedOnce sync.Once
	switched     map[string]bool
	// inits are the lock initialisation sites (initsite.go).
	inits initSites
	// Stats counts what the analysis could and could not do.
	Stats Stats
	// preds memoises predicate (predicate.go) by *cparse.Func.
	preds sync.Map
	// ctx stops the analysis midway (a review's deadline); nil: never.
	ctx context.Context
	// entered are the contexts functions are called in by the kernel,
	// set before the analysis starts (callbackContexts).
	entered map[*FuncInfo][]*Ctx
	// work is what the functions' analyses cost so far, in maxWork's
	// units, and budget what the whole program may cost (0: no bound);
	// overBudget is set once functions were left unanalysed for it.
	work       atomic.Int64
	budget     int64
	overBudget atomic.Bool
}

// Stats are the counts reported with findings.
type Stats struct {
	Files     int `json:"files"`
	Functions int `json:"functions"`
	// Partial functions hold syntax the parser could not read; they are
	// analysed around it.
	Partial int `json:"functions_partial"`
	// Failed functions could not be analysed (too many paths).
	Failed int `json:"functions_failed"`
	// ParseErrors counts syntax nodes tree-sitter could not read.
	ParseErrors int `json:"parse_errors"`
	// Skipped files were found in a directory but are not C.
	Skipped int `json:"files_skipped"`
}

// FuncInfo is one function of the program with what the analysis found.
type FuncInfo struct {
	F *cparse.Func
	// Report says whether findings in this function are reported; context
	// files (headers pulled in for types) are analysed but not reported.
	Report  bool
	Sum     *Summary
	Result  *FuncResult
	Callers int
	callees []*FuncInfo
	// external: a function of another run (an index), called but never
	// analysed here.
	external bool
	// pred is, for an external function, the test its record says it
	// returns (FuncRecord.Pred): a predicate of its parameters.
	pred *cparse.Expr
}

// Config is what a program is built with besides its files.
type Config struct {
	KB *kb.KB
	// Report says which files' findings are wanted; nil: all.
	Report func(*cparse.File) bool
	Log    *slog.Logger
	// RT tells which code a PREEMPT_RT kernel cannot build; nil when
	// unknown.
	RT RTScope
	// Kconfig decides configuration variants; nil: every arm is
	// possible.
	Kconfig Kconfig
	// Externals supplies the summaries of functions the files call but
	// do not define (an index of the tree); nil: such calls are unknown.
	Externals Externals
	// Types supplies the structs the files use but do not define; nil:
	// Externals' when it has them.
	Types TypeSource
	// LinkCalls records the calls each function makes (FuncFacts.Calls),
	// which an index needs to follow summaries across files.
	LinkCalls bool
	// Budget bounds what the analysis may cost, in the units of maxWork;
	// 0: no bound. Past it, the functions left are not analysed
	// (OverBudget).
	Budget int64
}

// RTScope says what a PREEMPT_RT kernel excludes.
type RTScope interface {
	ExcludedConfig(symbol string) bool
	ExcludedFile(path string) bool
}

// NewProgram indexes files for analysis.
func NewProgram(files []*cparse.File, cfg Config) *Program {
	k, log, report := cfg.KB, cfg.Log, cfg.Report
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Program{kb: k, Files: files, byName: map[string][]*FuncInfo{},
		structs: map[string]*cparse.Struct{}, typedefs: map[string]cparse.Type{}, globals: map[string]cparse.Type{}, log: log,
		ops: newOpsTable(files), consts: map[string]int64{}, boot: bootKeys(k),
		rt: cfg.RT, kc: cfg.Kconfig, ext: cfg.Externals, types: cfg.Types, linkCalls: cfg.LinkCalls, budget: cfg.Budget}
	if cs, ok := cfg.Externals.(ConstSource); ok {
		p.constSrc = cs
	}
	if ts, ok := cfg.Externals.(TypeSource); ok && p.types == nil {
		p.types = ts
	}
	p.reports = map[*cparse.File]bool{}
	for _, f := range files {
		rep := report == nil || report(f)
		p.reports[f] = rep
		if rep {
			p.Stats.Files++
			p.Stats.ParseErrors += f.ErrorNodes
		}
		for name, st := range f.Structs {
			if old, ok := p.structs[name]; !ok || len(st.Fields) > len(old.Fields) {
				p.structs[name] = st
			}
		}
		for name, t := range f.Typedefs {
			p.typedefs[name] = t
		}
		for name, v := range f.Consts {
			if _, ok := p.consts[name]; !ok {
				p.consts[name] = v
			}
		}
		for name, t := range f.Globals {
			if _, ok := p.globals[name]; !ok {
				p.globals[name] = t
			}
		}
		for _, fn := range f.Funcs {
			if fn.Macro && k.Funcs[fn.Name] != nil {
				continue // the knowledge base's entry is what the macro does
			}
			if fn.Macro {
				fi := &FuncInfo{F: fn}
				p.Funcs = append(p.Funcs, fi)
				p.byName[fn.Name] = append(p.byName[fn.Name], fi)
				continue
			}
			fi := &FuncInfo{F: fn, Report: rep}
			if rep && p.kc != nil {
				// A definition the configuration does not compile (an
				// #ifdef CONFIG_X arm it leaves out) is not reported on.
				if kc := p.configFor(fn.File); kc != nil && !defLive(kc, fn.Conds) {
					fi.Report = false
				}
			}
			p.Funcs = append(p.Funcs, fi)
			p.byName[fn.Name] = append(p.byName[fn.Name], fi)
			if rep {
				p.Stats.Functions++
				if fn.ErrorNodes > 0 {
					p.Stats.Partial++
				}
			}
		}
	}
	return p
}

// bootKeys restates the knowledge base's boot-only conditions as the
// keys facts about them have.
func bootKeys(k *kb.KB) map[string]bool {
	m := map[string]bool{}
	for text, v := range k.BootOnly {
		if x := Canon(cparse.ParseExpr([]byte(text), 0, len(text), nil)); x != nil {
			m[x.String()] = v
		}
	}
	return m
}

// KB is the knowledge base the program was analysed with.
func (p *Program) KB() *kb.KB { return p.kb }

// bootFact reports a fact that holds only before the scheduler runs.
func (p *Program) bootFact(f *Cond) bool {
	v, ok := p.boot[f.Key]
	return ok && v == f.Val
}

// KnownClass reports whether a lock class is defined in the analysed code:
// a member of a struct the analysed files define, or a global they
// declare. Classes of generic types (struct inode, struct page) carry
// lockdep subclasses and per-instance rules that this analysis cannot see.
func (p *Program) KnownClass(class string) bool {
	if class == "" {
		return false
	}
	if i := strings.Index(class, "::"); i >= 0 {
		if strings.HasSuffix(class[:i], "()") {
			return true
		}
		if _, ok := p.structs[class[:i]]; ok {
			return true
		}
		// A struct of the tree's headers, which the index knows.
		return p.types != nil && p.types.Struct(class[:i]) != nil
	}
	name := strings.TrimSuffix(strings.TrimPrefix(class, "*"), "[]")
	if i := strings.IndexByte(name, '@'); i > 0 {
		name = name[:i] // a file's static (typeEnv.globalClass)
	}
	if _, ok := p.globals[name]; ok {
		return true
	}
	// A global lock the knowledge base names (rtnl_lock() takes
	// &rtnl_mutex): declared in a header the analysis need not read.
	spec := p.kb.LockGlobals()
	return spec[name]
}

// AddressTaken reports whether the function is used other than by direct
// calls (an ops table, a callback): it then has callers this analysis
// does not see.
func (p *Program) AddressTaken(fi *FuncInfo) bool {
	if p.valueIdents == nil {
		p.valueIdents = map[string]bool{}
		for _, f := range p.Files {
			for id := range cparse.ValueIdents(f.Src) {
				p.valueIdents[id] = true
			}
		}
	}
	return p.valueIdents[fi.F.Name]
}

// RTExcluded reports whether any step of a chain is in a file a
// PREEMPT_RT kernel does not build.
func (p *Program) RTExcluded(chain []Step) bool {
	if p.rt == nil {
		return false
	}
	if p.rtFiles == nil {
		p.rtFiles = map[string]bool{}
	}
	for _, s := range chain {
		ex, ok := p.rtFiles[s.File]
		if !ok {
			ex = p.rt.ExcludedFile(s.File)
			p.rtFiles[s.File] = ex
		}
		if ex {
			return true
		}
		k := s.Func + "\x00" + s.File
		def, ok := p.rtDefs[k]
		if !ok {
			def = p.nonRTDef(s)
			if p.rtDefs == nil {
				p.rtDefs = map[string]bool{}
			}
			p.rtDefs[k] = def
		}
		if def {
			return true
		}
	}
	return false
}

// Lookup resolves a call from caller to name among the analysed functions:
// the caller's own file first, then a unique definition elsewhere (static
// functions of other .c files are not visible).
func (p *Program) Lookup(caller *cparse.Func, name string) *FuncInfo {
	if shadowed(caller, name) {
		return nil
	}
	cands := p.liveDefs(caller, p.byName[name])
	if len(cands) == 0 {
		if p.ext != nil {
			return p.externalFor(caller, name)
		}
		return nil
	}
	// A function wins over a macro of the same name: the two are
	// #ifdef alternatives, or the macro is another file's.
	if fns := nonMacro(cands); len(fns) > 0 {
		cands = fns
	}
	cands = p.rtVariants(cands)
	var visible []*FuncInfo
	for _, c := range cands {
		if c.F.File == caller.File {
			return c
		}
		if !c.F.Static || strings.HasSuffix(c.F.File.Path, ".h") {
			visible = append(visible, c)
		}
	}
	if len(visible) == 1 {
		return visible[0]
	}
	dir := filepath.Dir(caller.File.Path)
	var near []*FuncInfo
	for _, c := range visible {
		if filepath.Dir(c.F.File.Path) == dir {
			near = append(near, c)
		}
	}
	if len(near) == 1 {
		return near[0]
	}
	return nil
}

// rtVariants drops, where a name has several definitions, those a
// PREEMPT_RT kernel does not build (an #ifndef CONFIG_PREEMPT_RT arm's
// "#define conn_get_cpu(v) get_cpu_ptr(v)"): the RT rules must not see
// the preemption it disables, which the other arm's migrate_disable()
// does not.
//
// A macro alone under such an arm is dropped too: its other arm does
// nothing ("do { } while (0)"), so it was not read as a function.
func (p *Program) rtVariants(cands []*FuncInfo) []*FuncInfo {
	if len(cands) == 0 || len(cands) == 1 && !cands[0].F.Macro {
		return cands
	}
	var out []*FuncInfo
	for _, c := range cands {
		nonRT := false
		for _, pc := range c.F.Conds {
			if pc.Atom != nil && p.nonRTArm(pc) {
				nonRT = true
				break
			}
		}
		if !nonRT {
			out = append(out, c)
		}
	}
	if len(out) == 0 && len(cands) > 1 {
		return cands
	}
	return out
}

// nonRTArm reports a preprocessor arm a PREEMPT_RT kernel does not
// build, whatever else is configured: "#ifndef CONFIG_PREEMPT_RT", the
// #else of "#if defined(CONFIG_SMP) || defined(CONFIG_PREEMPT_RT)"
// (mm/page_alloc.c's pcp_trylock_prepare(), local_irq_save() on UP
// only), an arm on a symbol RT excludes.
func (p *Program) nonRTArm(pc cparse.PreCond) bool {
	key := pc.Atom.Name
	if !pc.Val {
		key = "!" + key
	}
	if v, ok := p.rtArms.Load(key); ok {
		return v.(bool)
	}
	known := map[string]string{}
	derived := p.derivedFn()
	var add func(text string, depth int)
	add = func(text string, depth int) {
		for _, id := range preIdents(text) {
			sym, ok := strings.CutPrefix(id, "CONFIG_")
			switch {
			case !ok:
				// A name a header defines under a condition
				// (HASHED_PAGE_VIRTUAL under CONFIG_HIGHMEM, which no
				// PREEMPT_RT kernel has on x86): its condition's symbols.
				if cond, found := derived(id); found && depth < 4 {
					add(cond, depth+1)
				}
			case slices.Contains(p.kb.RTConfig, id):
				known[sym] = "y"
			case p.rt != nil && p.rt.ExcludedConfig(id):
				known[sym] = ""
			}
		}
	}
	add(pc.Atom.Name, 0)
	v, ok := kbuild.EvalPartialDerived(pc.Atom.Name, known, derived)
	res := len(known) > 0 && ok && v != pc.Val
	p.rtArms.Store(key, res)
	return res
}

// derivedFn is what the configuration knows of names the tree's headers
// define under a condition (kbuild.Config.Derived), or nothing.
func (p *Program) derivedFn() func(string) (string, bool) {
	if d, ok := p.kc.(interface{ Derived(string) (string, bool) }); ok && p.kc != nil {
		return d.Derived
	}
	return func(string) (string, bool) { return "", false }
}

// nonRTDef reports a chain step in a definition no PREEMPT_RT kernel
// builds: an #if arm around it that RT rules out (mm/highmem.c's
// page_address() under HASHED_PAGE_VIRTUAL, which needs CONFIG_HIGHMEM,
// reached from the !CONFIG_HIGHMEM kmap_local_page()).
func (p *Program) nonRTDef(s Step) bool {
	fi := p.lookupIn(s.Func, s.File)
	if fi == nil {
		return false
	}
	for _, pc := range fi.F.Conds {
		if pc.Atom != nil && p.nonRTArm(pc) {
			return true
		}
	}
	return false
}

// nonMacro returns the candidates that are functions, not macros.
func nonMacro(cands []*FuncInfo) []*FuncInfo {
	n := 0
	for _, c := range cands {
		if !c.F.Macro {
			n++
		}
	}
	if n == len(cands) {
		return cands
	}
	out := make([]*FuncInfo, 0, n)
	for _, c := range cands {
		if !c.F.Macro {
			out = append(out, c)
		}
	}
	return out
}

// lookupAny returns some definition of name, for its declared return type.
func (p *Program) lookupAny(name string) *FuncInfo {
	if c := p.byName[name]; len(c) > 0 {
		return c[0]
	}
	if p.ext != nil {
		return p.ext.Lookup(name)
	}
	return nil
}

// shadowed reports whether a called name is the caller's own parameter
// or local, a function pointer ("sync(dev)" with a "sync" parameter), not
// the global function of that name.
func shadowed(fn *cparse.Func, name string) bool {
	if _, ok := fn.Locals[name]; ok {
		return true
	}
	for _, p := range fn.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}

// callGraph links each function to the analysed functions it calls.
func (p *Program) callGraph() {
	for _, fi := range p.Funcs {
		seen := map[*FuncInfo]bool{}
		for _, b := range fi.F.Blocks {
			for _, s := range b.Stmts {
				if s.Kind == cparse.SCall && s.Call != nil {
					// A function handed over as an argument may be run by
					// the callee (scc_start_tx_timer(scc, t_txdelay, 0)):
					// its summary must be ready first, or what the caller
					// sees of it depends on which worker ran first.
					for _, a := range s.Call.Args {
						if n := funcArg(a); n != "" {
							if c := p.Lookup(fi.F, n); c != nil && c != fi && !c.external && !seen[c] {
								seen[c] = true
								fi.callees = append(fi.callees, c)
							}
						}
					}
				}
				name := s.Callee()
				if spec := p.kb.Funcs[name]; spec != nil && spec.Callback != nil && *spec.Callback < len(s.Call.Args) {
					// kref_put(ref, release) runs release here: its
					// summary must be ready first.
					if fn := s.Call.Args[*spec.Callback].Strip(); fn != nil && fn.Kind == cparse.EIdent {
						name = fn.Name
					}
				}
				if name == "" && s.Kind == cparse.SCall {
					// Through an ops table: the implementations first.
					if key := opsMember(typeEnv{p, fi.F}, s.Call); key != "" {
						for _, t := range p.ops.local[key] {
							if c := p.OpsFunc(t); c != nil && c != fi && !seen[c] {
								seen[c] = true
								fi.callees = append(fi.callees, c)
							}
						}
					}
					continue
				}
				if p.kb.Funcs[name] != nil {
					continue
				}
				if c := p.Lookup(fi.F, name); c != nil && !c.external && !seen[c] {
					seen[c] = true
					fi.callees = append(fi.callees, c)
					c.Callers++
				}
			}
		}
	}
}

// sccs returns the strongly connected components of the call graph,
// callees before callers (Tarjan's algorithm completes them in that
// order), each in the order its members leave Tarjan's stack.
func (p *Program) sccs() [][]*FuncInfo {
	cg := &callGraph{id: map[*FuncInfo]int{}}
	add := func(fi *FuncInfo) {
		if _, ok := cg.id[fi]; !ok {
			cg.id[fi] = len(cg.funcs)
			cg.funcs = append(cg.funcs, fi)
		}
	}
	for _, fi := range p.Funcs {
		add(fi)
	}
	for i := 0; i < len(cg.funcs); i++ {
		for _, c := range cg.funcs[i].callees {
			add(c)
		}
	}
	roots := make([]int, len(p.Funcs))
	for i := range roots {
		roots[i] = i
	}
	var out [][]*FuncInfo
	for _, comp := range graph.SCCs(cg, roots) {
		fis := make([]*FuncInfo, len(comp))
		for i, v := range comp {
			fis[i] = cg.funcs[v]
		}
		out = append(out, fis)
	}
	return out
}

// callGraph numbers the functions for the graph algorithms.
type callGraph struct {
	funcs []*FuncInfo
	id    map[*FuncInfo]int
	out   [][]int
}

func (g *callGraph) NumNodes() int { return len(g.funcs) }

func (g *callGraph) Out(v int) []int {
	if g.out == nil {
		g.out = make([][]int, len(g.funcs))
	}
	if g.out[v] == nil {
		o := make([]int, 0, len(g.funcs[v].callees))
		for _, c := range g.funcs[v].callees {
			o = append(o, g.id[c])
		}
		g.out[v] = o
	}
	return g.out[v]
}

// Analyze runs the shared pass over every function, bottom-up over the
// call graph, so that each call finds its callee's summary. Recursive
// groups iterate until their summaries stop changing. Groups whose callees
// are done run in parallel, one per worker (GOMAXPROCS when workers is
// 0). When ctx ends, the groups left are passed over and its error is
// returned: the program is then not the analysis of its files.
func (p *Program) Analyze(ctx context.Context, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p.ctx = ctx
	p.entered = p.callbackContexts()
	p.workers(workers)
	return ctx.Err()
}

// OverBudget reports whether functions were left unanalysed for the
// program's budget.
func (p *Program) OverBudget() bool { return p.overBudget.Load() }

// Budget is what the program's analysis may cost (Config.Budget).
func (p *Program) Budget() int64 { return p.budget }

// workers runs the pass with n parallel workers.
func (p *Program) workers(n int) {
	p.callGraph()
	need := p.needed()
	comps := p.sccs()
	compOf := map[*FuncInfo]int{}
	for i, c := range comps {
		for _, fi := range c {
			compOf[fi] = i
		}
	}
	// Dependents of each group, and how many callee groups each waits for.
	dependents := make([][]int, len(comps))
	pending := make([]int, len(comps))
	for i, c := range comps {
		seen := map[int]bool{}
		for _, fi := range c {
			for _, callee := range fi.callees {
				j := compOf[callee]
				if j != i && !seen[j] {
					seen[j] = true
					dependents[j] = append(dependents[j], i)
					pending[i]++
				}
			}
		}
	}
	if n < 1 {
		n = 1
	}
	ready := make(chan int, len(comps))
	done := make(chan int, len(comps))
	for i := range comps {
		if pending[i] == 0 {
			ready <- i
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ready {
				// Once the context is done the groups left are passed
				// over: the caller throws the program away.
				switch {
				case !need[comps[i][0]] || p.cancelled():
				case p.budget > 0 && p.work.Load() > p.budget:
					p.overBudget.Store(true)
					for _, fi := range comps[i] {
						fi.Result = &FuncResult{Failed: true}
						fi.Sum = &Summary{}
					}
				default:
					p.analyzeGroup(comps[i])
				}
				done <- i
			}
		}()
	}
	for finished := 0; finished < len(comps); finished++ {
		i := <-done
		for _, d := range dependents[i] {
			if pending[d]--; pending[d] == 0 {
				ready <- d
			}
		}
	}
	close(ready)
	wg.Wait()
	for _, fi := range p.Funcs {
		if fi.Report && fi.Result != nil && fi.Result.Failed {
			p.Stats.Failed++
		}
	}
}

// needed are the functions whose analysis can matter: those reported and
// what they call or hand over as callbacks (INIT_WORK(&w, fn)), however
// deep. The static inlines of an included header that none of them
// reaches are left alone: a file including a large header pays for what
// it uses. A group of mutually recursive functions is needed whole.
func (p *Program) needed() map[*FuncInfo]bool {
	need := map[*FuncInfo]bool{}
	var stack []*FuncInfo
	mark := func(fi *FuncInfo) {
		if !need[fi] {
			need[fi] = true
			stack = append(stack, fi)
		}
	}
	for _, fi := range p.Funcs {
		if fi.Report || p.linkCalls && fi.F.Macro && p.reports[fi.F.File] && strings.HasSuffix(fi.F.File.Path, ".h") {
			// A header's macros are recorded for the files that use
			// them, as its static inlines are.
			mark(fi)
		}
	}
	for len(stack) > 0 {
		fi := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range fi.callees {
			mark(c)
		}
		for _, b := range fi.F.Blocks {
			for _, s := range b.Stmts {
				if s.Kind != cparse.SCall {
					continue
				}
				for _, a := range s.Call.Args {
					if x := a.Strip(); x != nil && x.Kind == cparse.EIdent {
						for _, c := range p.byName[x.Name] {
							mark(c)
						}
					}
				}
			}
		}
	}
	return need
}

// analyzeGroup runs the pass over one strongly connected group. A bug of
// ours that panics on some function's code fails that group (counted as
// not analysed, as a function with too many paths is) rather than the
// whole run: a server reviewing strangers' patches must not die of one.
func (p *Program) analyzeGroup(comp []*FuncInfo) {
	defer func() {
		if v := recover(); v != nil {
			fi := comp[0]
			p.log.Error("internal error analysing a function; counted as not analysed",
				"function", fi.F.Name, "file", fi.F.File.Path, "panic", v, "stack", string(debug.Stack()))
			for _, fi := range comp {
				fi.Result = &FuncResult{Failed: true}
				fi.Sum = &Summary{}
			}
		}
	}()
	for round := 0; ; round++ {
		changed := false
		for _, fi := range comp {
			old := ""
			if fi.Sum != nil {
				old = fi.Sum.key()
			}
			fi.Result = p.flow(fi)
			fi.Sum = p.summarize(fi)
			fi.Result.dropDeferred()
			if fi.Sum.key() != old {
				changed = true
			}
		}
		if !changed || len(comp) == 1 && !selfRecursive(comp[0]) || round >= 3 {
			return
		}
	}
}

// cancelled reports whether the analysis should stop: its context is
// done.
func (p *Program) cancelled() bool {
	return p.ctx != nil && p.ctx.Err() != nil
}

func selfRecursive(fi *FuncInfo) bool {
	for _, c := range fi.callees {
		if c == fi {
			return true
		}
	}
	return false
}

// Unknown lists the functions the reported code calls in a spinning or RCU
// context without their definition.
func (p *Program) Unknown() []string {
	seen := map[string]bool{}
	var out []string
	for _, fi := range p.Funcs {
		if !fi.Report || fi.Result == nil {
			continue
		}
		for _, n := range fi.Result.Unknown {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}
