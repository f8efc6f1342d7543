// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"lockbot/cparse"
	"lockbot/kb"
)

// Externals supplies functions defined outside the analysed files. Lookup
// is called from the analysis workers at once, and returns nil for a name
// it does not know or cannot tell apart (two non-static definitions).
type Externals interface {
	Lookup(name string) *FuncInfo
	// LookupIn returns the definition of name in a tree-relative file.
	LookupIn(name, file string) *FuncInfo
	// Ops returns what ops tables store in a member ("struct
	// target_type.map"), in tree-relative files.
	Ops(key string) []OpsTarget
}

// KeyLister may be implemented by Externals: the distinct keys of its
// ops entries that begin with prefix, at most max of them, sorted. A lock
// order's successors ("order A -> ") come from it.
type KeyLister interface {
	KeysWithPrefix(prefix string, max int) []string
}

// TypeSource supplies struct definitions by tag ("struct dm_target"):
// those of the tree's headers, which a file's analysis does not read. Safe
// for concurrent use; nil for a struct it does not know.
type TypeSource interface {
	Struct(name string) *cparse.Struct
}

// ConstSource supplies the integer constants of the tree's headers
// (enumerators, #defines), which a file's analysis does not read. Safe
// for concurrent use; ok is false for a name it does not know or whose
// definitions differ.
type ConstSource interface {
	Const(name string) (int64, bool)
}

// RecordStore holds the records of a tree: an index.
type RecordStore interface {
	// Records returns the records of every definition of a name.
	Records(name string) ([]*FuncRecord, error)
	// OpsTargets returns what ops tables store in a member.
	OpsTargets(key string) ([]OpsTarget, error)
}

// RecordErrors may be implemented by a RecordStore to hear of what could
// not be read or decoded: a record, an ops member's entries. The function
// is then unknown to the analysis, so assumed not to sleep, and a
// finding may be missed: the store must make that known with its fix (an
// index logs itself as damaged, and keeps the error for its command to
// fail on). Called once per name (or record) a RecordSet reads.
type RecordErrors interface {
	RecordError(name string, err error)
}

// RecordSet is Externals over stored records, decoded when first called
// and linked: a record's calls into other files (FuncRecord.Calls) are
// followed, so that its summary holds what those callees do as well.
type RecordSet struct {
	k   *kb.KB
	src RecordStore
	kc  Kconfig // nil: every variant is possible

	mu      sync.Mutex
	records map[string][]*FuncRecord
	ops     map[string][]OpsTarget
	state   map[*FuncRecord]*linkState
	visible map[string]*FuncInfo
	// variants are anyVariant's answers, by name and caller directory.
	variants map[string]*FuncInfo
	// known is the configuration a set without one (kc nil) still
	// knows of, for a caller it does not build (UseVariants).
	known Kconfig
}

// Decoded counts the records the set has decoded and keeps: what its
// memory grows with.
func (s *RecordSet) Decoded() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.state)
}

// UseVariants gives a set that links without a configuration the one
// the run has: anyVariant joins only the variants that configuration
// builds. An ARM driver's clk_get_rate() may be drivers/clk/clk.c's, which
// x86_64 builds too, but its ioremap() is not lib/logic_iomem.c's, which
// only User-Mode Linux builds. Call it before the set serves lookups.
func (s *RecordSet) UseVariants(kc Kconfig) { s.known = kc }

// linkState is a record being linked: its decoded function and the
// effects its calls into other files add.
type linkState struct {
	fi *FuncInfo // nil: the record could not be decoded
	// linked, once done, are the effects its calls add, the same
	// whichever lookup linked it first (see link).
	linked []*Effect
	done   bool
	// top, once topDone, are the effects of a lookup of the record
	// itself where it could not be done (a cycle through it, or calls
	// deeper than maxLinkDepth): what a lookup of it alone links.
	top     []*Effect
	topDone bool
	full    *FuncInfo // fi with the effects of a lookup of it
}

// linkReq is one lookup's linking: the records on its path, and the
// links it made that depend on that path (see link).
type linkReq struct {
	busy    map[*FuncRecord]bool
	partial map[*FuncRecord][]*Effect
}

// MemStore is a RecordStore in memory.
type MemStore struct {
	byName map[string][]*FuncRecord
	ops    map[string][]OpsTarget
}

// NewMemStore holds records and ops tables.
func NewMemStore(recs []*FuncRecord, ops map[string][]OpsTarget) *MemStore {
	m := &MemStore{byName: map[string][]*FuncRecord{}, ops: ops}
	for _, r := range recs {
		m.byName[r.Name] = append(m.byName[r.Name], r)
	}
	return m
}

// Records implements RecordStore.
func (m *MemStore) Records(name string) ([]*FuncRecord, error) { return m.byName[name], nil }

// OpsTargets implements RecordStore.
func (m *MemStore) OpsTargets(key string) ([]OpsTarget, error) { return m.ops[key], nil }

// NewRecordSet holds records in memory for lookup by name.
func NewRecordSet(k *kb.KB, recs []*FuncRecord) *RecordSet {
	return NewLinker(k, NewMemStore(recs, nil), nil)
}

// NewLinker looks records up in src, once per name or member, choosing
// among a name's variants by kc (nil: none is chosen).
func NewLinker(k *kb.KB, src RecordStore, kc Kconfig) *RecordSet {
	return &RecordSet{k: k, src: src, kc: kc, records: map[string][]*FuncRecord{}, ops: map[string][]OpsTarget{},
		state: map[*FuncRecord]*linkState{}, visible: map[string]*FuncInfo{}, variants: map[string]*FuncInfo{}}
}

// LookupIn returns the definition of name in a file, linked.
func (s *RecordSet) LookupIn(name, file string) *FuncInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.recs(name) {
		if r.File == file {
			return s.linkedInfo(r)
		}
	}
	return nil
}

// Ops implements Externals.
func (s *RecordSet) Ops(key string) []OpsTarget {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opsTargets(key)
}

func (s *RecordSet) opsTargets(key string) []OpsTarget {
	l, ok := s.ops[key]
	if !ok {
		var err error
		if l, err = s.src.OpsTargets(key); err != nil {
			s.fail(key, err)
			l = nil
		}
		s.ops[key] = l
	}
	return l
}

// linkedInfo is r's function with its links in its summary.
func (s *RecordSet) linkedInfo(r *FuncRecord) *FuncInfo {
	st := s.decode(r)
	if st.fi == nil {
		return nil
	}
	var linked []*Effect
	switch {
	case st.done:
		linked = st.linked
	case st.topDone:
		linked = st.top
	default:
		var complete bool
		_, linked, complete = s.link(r, 0, &linkReq{busy: map[*FuncRecord]bool{}, partial: map[*FuncRecord][]*Effect{}})
		if !complete {
			st.top, st.topDone = linked, true
		}
	}
	if len(linked) == 0 {
		return st.fi
	}
	if st.full == nil {
		st.full = withEffects(st.fi, linked)
	}
	return st.full
}

// Lookup returns the one visible definition of name: the non-static one,
// or a static inline of a header when it is the only definition.
func (s *RecordSet) Lookup(name string) *FuncInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookup(name)
}

func (s *RecordSet) lookup(name string) *FuncInfo {
	if fi, ok := s.visible[name]; ok {
		return fi
	}
	var fi *FuncInfo
	if r := s.pick(name); r != nil {
		fi = s.linkedInfo(r)
	}
	s.visible[name] = fi
	return fi
}

// LookupFrom is Lookup for a caller in file (tree-relative) when no
// configuration decides: a name with several definitions resolves to the
// caller's own subsystem's, or to what any of them may do (anyVariant).
func (s *RecordSet) LookupFrom(name, file string) *FuncInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fi := s.lookup(name); fi != nil || s.kc != nil {
		return fi
	}
	key := name + "\x00" + path.Dir(file)
	if fi, ok := s.variants[key]; ok {
		return fi
	}
	fi := s.anyVariant(name, file)
	s.variants[key] = fi
	return fi
}

// anyVariant is, for a name with several definitions and no
// configuration to choose among them, what a caller in file must assume.
// A definition in the caller's own subsystem, deeper than drivers/ or
// fs/, is the one it is built with (drivers/sh's drivers use
// drivers/sh/clk's clk_prepare()). Otherwise the function may sleep if
// any variant may (lock-semantics.md): a header's stub for
// !CONFIG_HAVE_CLK returns 0, drivers/clk/clk.c's clk_get_rate() takes a
// mutex, and an ARM driver the configuration does not build gets either.
// Only the sleeps are joined: which locks a variant takes and leaves
// held, and what it returns, stay unknown, as for any unknown function.
// An architecture's variants are left out: they are the same primitive
// for another machine (arch_enter_lazy_mmu_mode()), not a
// configuration's stub and its real definition.
func (s *RecordSet) anyVariant(name, file string) *FuncInfo {
	var all []*FuncRecord
	for _, r := range s.recs(name) {
		if r.Macro {
			continue
		}
		if r.Static && !(strings.HasSuffix(r.File, ".h") && SharedHeader(r.File)) {
			continue // another file's own function
		}
		all = append(all, r)
	}
	if len(all) < 2 {
		return nil
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].File < all[j].File })
	best, bestN, ties := (*FuncRecord)(nil), 0, 0
	for _, r := range all {
		switch n := sharedDirs(file, r.File); {
		case n > bestN:
			best, bestN, ties = r, n, 1
		case n == bestN:
			ties++
		}
	}
	if bestN >= 2 && ties == 1 {
		return s.linkedInfo(best) // arch/powerpc's ioremap() for arch/powerpc/platforms/
	}
	var cands []*FuncRecord
	for _, r := range all {
		if strings.HasPrefix(r.File, "arch/") {
			continue
		}
		if s.known != nil && (!s.known.Builds(r.File) || !recordLive(s.known, r)) {
			continue
		}
		cands = append(cands, r)
	}
	if len(cands) == 1 && s.known != nil && len(all) > len(cands) {
		// The run's configuration builds one of them (mm/mmap.c's
		// expand_stack(), not mm/nommu.c's): a caller it does not
		// build is taken to get that one, as the kernels it is built
		// in mostly do, with the locks it takes and releases.
		return s.linkedInfo(cands[0])
	}
	for _, r := range cands {
		fi := s.linkedInfo(r)
		if fi == nil {
			continue
		}
		var effs []*Effect
		for _, e := range fi.Sum.Effects {
			if e.Kind != ESleep && !(e.Kind == EAlloc && e.Sleeps && !e.Frees) {
				continue
			}
			n := *e
			n.keyCache, n.obsCache = "", ""
			n.Chain = append([]Step{{File: r.File, Line: fi.F.Line, Func: name,
				Note: fmt.Sprintf("%s() as %s defines it: %d definitions, and no configuration says which is built", name, r.File, len(all))}},
				e.Chain...)
			effs = append(effs, &n)
		}
		if len(effs) == 0 {
			continue
		}
		sum := &Summary{Effects: effs, Outcomes: []*Outcome{{Ret: RetUnknown}}}
		sum.freeze()
		n := *fi
		n.Sum = sum
		return &n
	}
	return nil
}

// sharedDirs is the number of leading directories of b that a's
// directory has, from its start or, for a path that is not tree-relative
// (a scan's absolute argument), from any of its directories.
func sharedDirs(a, b string) int {
	da, db := strings.Split(path.Dir(filepath.ToSlash(a)), "/"), strings.Split(path.Dir(b), "/")
	best := 0
	for i := range da {
		n := 0
		for i+n < len(da) && n < len(db) && da[i+n] == db[n] && db[n] != "." {
			n++
		}
		best = max(best, n)
		if !filepath.IsAbs(a) {
			break
		}
	}
	return best
}

func (s *RecordSet) recs(name string) []*FuncRecord {
	rs, ok := s.records[name]
	if !ok {
		var err error
		if rs, err = s.src.Records(name); err != nil {
			s.fail(name, err)
			rs = nil // an unreadable record is an unknown function
		}
		s.records[name] = rs
	}
	return rs
}

// fail tells the store, if it listens, that name could not be read: the
// analysis goes on with it unknown.
func (s *RecordSet) fail(name string, err error) {
	if r, ok := s.src.(RecordErrors); ok {
		r.RecordError(name, err)
	}
}

func (s *RecordSet) decode(r *FuncRecord) *linkState {
	st := s.state[r]
	if st == nil {
		st = &linkState{}
		if fi, err := r.FuncInfo(s.k); err == nil {
			fi.external = true
			if s.kc != nil {
				pruneConfig(s.kc, fi)
			}
			st.fi = fi
		} else {
			s.fail(r.Name, fmt.Errorf("the record of %s (%s) cannot be decoded: %w", r.Name, r.File, err))
		}
		s.state[r] = st
	}
	return st
}

// link computes the effects r's calls add, following them depth files
// deep at most. Recursion through another file is cut where it closes:
// the functions on the cycle see each other's direct effects only.
//
// What is kept for later lookups must not depend on which lookup came
// first, or a file's findings would depend on what else a scan named
// (issue 24): a record linked without meeting a cut (a cycle, the depth
// bound) has links that are its own, kept (done, complete); one that met
// a cut has links that depend on the lookup's path, kept for that lookup
// only (req.partial), and a lookup of it alone keeps its own result
// (linkedInfo's top).
func (s *RecordSet) link(r *FuncRecord, depth int, req *linkReq) (st *linkState, linked []*Effect, complete bool) {
	st = s.decode(r)
	switch {
	case st.fi == nil:
		return st, nil, true
	case st.done:
		return st, st.linked, true
	}
	if l, ok := req.partial[r]; ok {
		return st, l, false
	}
	if req.busy[r] || depth > maxLinkDepth {
		return st, nil, false
	}
	req.busy[r] = true
	complete = true
	seen := map[string]int{}
	perKind := map[EffKind]int{}
	for _, e := range st.fi.Sum.Effects {
		seen[e.key()] = -1
		perKind[e.Kind]++
	}
	add := func(n *Effect) {
		if n == nil {
			return
		}
		k := n.key()
		if i, ok := seen[k]; ok {
			if i >= 0 && len(n.Chain) < len(linked[i].Chain) {
				linked[i] = n
			}
			return
		}
		if perKind[n.Kind] >= maxEffectsPerKind {
			return
		}
		perKind[n.Kind]++
		seen[k] = len(linked)
		linked = append(linked, n)
	}
	full := func(o *FuncRecord) (*linkState, []*Effect) {
		callee, clinked, ok := s.link(o, depth+1, req)
		complete = complete && ok
		if callee.fi == nil {
			return callee, nil
		}
		return callee, append(append([]*Effect(nil), callee.fi.Sum.Effects...), clinked...)
	}
	for _, c := range st.fi.Result.Calls {
		if c.Ops != "" {
			ts := s.opsTargets(c.Ops)
			if len(ts) > maxOpsTargets {
				continue
			}
			for _, t := range ts {
				for _, o := range s.recs(t.Fn) {
					if o.File != t.File {
						continue
					}
					callee, effs := full(o)
					for _, y := range effs {
						if beyondOps(y) {
							continue
						}
						n := lift(s.k, st.fi.F, c, callee.fi.F, opsNote(t.Fn, c.Ops, t), y)
						if n != nil && c.OpsParam > 0 && t.Var != "" {
							// The table is the one fn's caller hands over.
							n.OpsArg, n.OpsVar = c.OpsParam, t.Var
						} else if n != nil && c.OpsStore != "" && t.Var != "" {
							// The table is the one an object's member
							// holds, which its callers' files may say.
							n.OpsStore, n.OpsStoreVar = c.OpsStore, t.Var
						}
						add(n)
					}
				}
			}
			continue
		}
		var callee *linkState
		var effs []*Effect
		if c.File != "" {
			// A function of the record's own analysis: its direct effects
			// are in the record already, only its links are new.
			for _, o := range s.recs(c.Fn) {
				if o.File == c.File {
					var ok bool
					callee, effs, ok = s.link(o, depth+1, req)
					complete = complete && ok
					break
				}
			}
			if callee != nil && callee.fi != nil && s.kc != nil && !defLive(s.kc, callee.fi.F.Conds) {
				// The file's variant is the stub the configuration
				// leaves out (clk_prepare() without
				// CONFIG_HAVE_CLK_PREPARE): the one it builds serves.
				callee, effs = nil, nil
				if o := s.pick(c.Fn); o != nil && !(o.Macro && c.ArgsAct) {
					callee, effs = full(o)
				}
			}
		} else if o := s.pick(c.Fn); o != nil && !(o.Macro && c.ArgsAct) {
			callee, effs = full(o)
		}
		if callee == nil || callee.fi == nil {
			continue
		}
		for _, y := range effs {
			add(lift(s.k, st.fi.F, c, callee.fi.F, "calls "+c.Fn+"()", y))
		}
	}
	delete(req.busy, r)
	if complete {
		st.linked, st.done = linked, true
	} else {
		req.partial[r] = linked
	}
	return st, linked, complete
}

// withEffects is fi with more effects in its summary.
func withEffects(fi *FuncInfo, more []*Effect) *FuncInfo {
	sum := *fi.Sum
	sum.Effects = append(append([]*Effect(nil), fi.Sum.Effects...), more...)
	sum.freeze()
	n := *fi
	n.Sum = &sum
	return &n
}

// sharedHeader reports a header any file may include with <...>:
// include/ and an architecture's include/. A local header's static inline
// is seen by the files that include it, which read it themselves; to any
// other file the name is something else (mt76_rmw() is a macro in mt76.h
// and a static inline in mt7601u.h).
func sharedHeader(path string) bool {
	return SharedHeader(path)
}

// SharedHeader reports a header any file may include with <...>:
// include/ and an architecture's include/.
func SharedHeader(path string) bool {
	return strings.HasPrefix(path, "include/") || strings.HasPrefix(path, "arch/") && strings.Contains(path, "/include/")
}

// pick chooses among the definitions of name those the configuration
// keeps.
func (s *RecordSet) pick(name string) *FuncRecord {
	rs := s.recs(name)
	if s.kc == nil || len(rs) < 2 {
		return pickRecord(rs)
	}
	live := make([]*FuncRecord, 0, len(rs))
	for _, r := range rs {
		if !s.kc.Builds(r.File) {
			continue
		}
		if !recordLive(s.kc, r) {
			continue
		}
		live = append(live, r)
	}
	return pickRecord(live)
}

// recordLive reports whether the configuration keeps a record's
// definition: each decided condition around it holds.
func recordLive(kc Kconfig, r *FuncRecord) bool {
	for _, c := range r.Conds {
		if v, ok := kc.Eval(c.Key); ok && v != c.Val {
			return false
		}
	}
	return true
}

// pruneConfig drops from a decoded record what happens only in arms the
// configuration leaves out: effects, outcomes and calls under a
// configuration fact it contradicts.
func pruneConfig(kc Kconfig, fi *FuncInfo) {
	if !kc.Builds(fi.F.File.Path) {
		return // a file it does not build: its arms are not its to decide
	}
	s := fi.Sum
	var effs []*Effect
	for _, e := range s.Effects {
		if !factsContradict(kc, e.Conds) {
			effs = append(effs, e)
		}
	}
	var outs []*Outcome
	for _, o := range s.Outcomes {
		if !factsContradict(kc, o.Conds) {
			outs = append(outs, o)
		}
	}
	if len(outs) == 0 {
		outs = s.Outcomes // every return under a contradiction: keep what the record says
	}
	var calls []*Call
	for _, c := range fi.Result.Calls {
		if !factsContradict(kc, c.Conds) {
			calls = append(calls, c)
		}
	}
	if len(effs) == len(s.Effects) && len(outs) == len(s.Outcomes) && len(calls) == len(fi.Result.Calls) {
		return
	}
	n := *s
	n.Effects, n.Outcomes = effs, outs
	n.freeze()
	fi.Sum = &n
	fi.Result.Calls = calls
}

// pickRecord chooses among definitions of one name: a single non-static
// one wins; otherwise a single definition in a header.
func pickRecord(rs []*FuncRecord) *FuncRecord {
	var global, header, macros []*FuncRecord
	for _, r := range rs {
		if r.Macro {
			if sharedHeader(r.File) {
				macros = append(macros, r)
			}
			continue
		}
		switch {
		case !r.Static:
			global = append(global, r)
		case strings.HasSuffix(r.File, ".h") && sharedHeader(r.File):
			header = append(header, r)
		}
	}
	if len(global) == 1 {
		return global[0]
	}
	if len(global) == 0 && len(header) == 1 {
		return header[0]
	}
	// A macro of a shared header, when no function has its name: the
	// same rule as a header's static inline.
	if len(global) == 0 && len(header) == 0 && len(macros) == 1 {
		return macros[0]
	}
	// Several headers define it: per-architecture variants
	// (arch_enter_lazy_mmu_mode() disables preemption on some, is empty
	// on x86) or #ifdef alternatives. Which one a build uses is not known
	// here, so none is guessed.
	return nil
}
