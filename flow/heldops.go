package flow

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"lockbot/kb"
)

// Contexts an ops member is called in, inferred from the tree: when the
// core calls a member only with a spinlock held, no implementation may
// sleep, as an irq_chip's callbacks run under the raw irq_desc lock
// (rules.yaml's ops_contexts, written by hand). The index records, per
// member, the contexts forbidding sleep that the functions of each file
// hold around a call through it, directly or in their callers in the
// same file, and a bare entry when some path there holds none; an
// implementation in another file is analysed as entered with them only
// when no path anywhere is bare and at most maxCoreFiles files call
// through the member. Any path will not do: one core's lock on a rare
// path (or an analysis mistake in it) would make every filesystem's
// inode_operations.lookup atomic, 282 findings on 6.12.

// HeldKey is the key under which an index keeps the contexts forbidding
// sleep held around calls through an ops member
// ("struct xfrmdev_ops.xdo_dev_state_delete").
func HeldKey(member string) string { return "held " + member }

const (
	// maxHeldDepth bounds how many callers up a file's call graph a
	// context held around an ops call is looked for.
	maxHeldDepth = 3
	// maxHeldSites bounds the sites a file records per member.
	maxHeldSites = 4
	// maxHeldChain bounds the evidence of one site.
	maxHeldChain = 12
	// maxCoreFiles bounds the files that call through a member whose
	// contexts its implementations inherit: a subsystem's core
	// (xfrm_state.c for xfrmdev_ops), not a dispatch member every
	// subsystem calls in its own context (notifier_block.notifier_call:
	// under RCU in kernel/notifier.c, a spinlock in random.c).
	maxCoreFiles = 3
)

// heldAt is a context held at a call, with the chain from where it was
// entered down to the call.
type heldAt struct {
	ctx   *Ctx
	chain []Step
}

// HeldSites lists, by HeldKey, the contexts forbidding sleep that file's
// functions (and the inlines of the local headers it includes) hold
// around their calls through ops members, and an entry without a kind
// for a member called on a path that holds none (from outside the file,
// or deeper than maxHeldDepth callers, counts as such); rel names files
// as the index does. Run on a program built with LinkCalls (an index's), whose
// functions record their calls.
func (p *Program) HeldSites(file string, rel func(string) string) map[string][]OpsTarget {
	callers := map[string][]*FuncInfo{} // in these files, by callee name
	var mine []*FuncInfo
	for _, fi := range p.Funcs {
		if fi.Result == nil || fi.F.Macro {
			continue
		}
		mine = append(mine, fi)
		seen := map[string]bool{}
		for _, c := range fi.Result.Calls {
			if c.Fn != "" && !seen[c.Fn] {
				seen[c.Fn] = true
				callers[c.Fn] = append(callers[c.Fn], fi)
			}
		}
	}
	// held lists what fi's callers in these files hold around their
	// calls of it, depth callers up, maxHeldSites at most: memoised, as
	// the callers of a file's functions overlap.
	type memoKey struct {
		fi    *FuncInfo
		depth int
	}
	memo := map[memoKey][]heldAt{}
	var held func(fi *FuncInfo, depth int) []heldAt
	held = func(fi *FuncInfo, depth int) []heldAt {
		if depth > maxHeldDepth {
			return nil
		}
		k := memoKey{fi, depth}
		if l, ok := memo[k]; ok {
			return l
		}
		memo[k] = nil // a cycle adds nothing
		var out []heldAt
		for _, c := range callers[fi.F.Name] {
			if c == fi {
				continue
			}
			for _, call := range c.Result.Calls {
				if len(out) >= maxHeldSites {
					break
				}
				if call.Fn != fi.F.Name || call.File != fi.F.File.Path {
					continue
				}
				step := Step{File: rel(c.F.File.Path), Line: call.Line, Func: c.F.Name, Note: "calls " + fi.F.Name + "()"}
				for _, x := range call.Inner {
					if noSleep(x.Kind) && len(out) < maxHeldSites {
						out = append(out, heldAt{x, append(relSteps(x.Via.Steps(), rel), step)})
					}
				}
				for _, h := range held(c, depth+1) {
					if len(out) < maxHeldSites {
						out = append(out, heldAt{h.ctx, append(append([]Step(nil), h.chain...), step)})
					}
				}
			}
		}
		memo[k] = out
		return out
	}
	// bare reports a path to fi from outside these files, or deeper than
	// maxHeldDepth, on which its callers here hold nothing that forbids
	// sleeping.
	bareMemo := map[memoKey]bool{}
	var bare func(fi *FuncInfo, depth int) bool
	bare = func(fi *FuncInfo, depth int) bool {
		if depth > maxHeldDepth || len(callers[fi.F.Name]) == 0 {
			return true
		}
		k := memoKey{fi, depth}
		if v, ok := bareMemo[k]; ok {
			return v
		}
		bareMemo[k] = false // a cycle adds no path
		v := false
		for _, c := range callers[fi.F.Name] {
			if c == fi {
				continue
			}
			for _, call := range c.Result.Calls {
				if call.Fn != fi.F.Name || call.File != fi.F.File.Path || slices.ContainsFunc(call.Inner, func(x *Ctx) bool { return noSleep(x.Kind) }) {
					continue
				}
				if bare(c, depth+1) {
					v = true
				}
			}
		}
		bareMemo[k] = v
		return v
	}
	out := map[string][]OpsTarget{}
	for _, fi := range mine {
		// A header's inline counts with what this file's callers hold
		// around it (xfrm_dev_state_delete()); what it holds itself is
		// its owner's to record.
		own := fi.F.File.Path == file
		var up []heldAt
		upDone := false
		for _, call := range fi.Result.Calls {
			if call.Ops == "" {
				continue
			}
			step := Step{File: rel(fi.F.File.Path), Line: call.Line, Func: fi.F.Name, Note: "calls through " + call.Ops}
			var sites []heldAt
			for _, x := range call.Inner {
				if own && noSleep(x.Kind) {
					sites = append(sites, heldAt{x, append(relSteps(x.Via.Steps(), rel), step)})
				}
			}
			if !upDone {
				up, upDone = held(fi, 1), true
			}
			for _, h := range up {
				sites = append(sites, heldAt{h.ctx, append(append([]Step(nil), h.chain...), step)})
			}
			k := HeldKey(call.Ops)
			if len(sites) == 0 || !own && bare(fi, 1) || own && !slices.ContainsFunc(call.Inner, func(x *Ctx) bool { return noSleep(x.Kind) }) && bare(fi, 1) {
				// A path on which nothing forbids sleeping: the member's
				// implementations may sleep, whatever other paths hold.
				if !slices.ContainsFunc(out[k], func(t OpsTarget) bool { return t.Kind == "" }) {
					out[k] = append(out[k], OpsTarget{Fn: fi.F.Name, File: rel(fi.F.File.Path), Line: call.Line})
				}
				continue
			}
			for _, h := range sites {
				if len(out[k]) > maxHeldSites || len(h.chain) > maxHeldChain {
					break
				}
				dup := false
				for _, t := range out[k] {
					dup = dup || t.Kind == h.ctx.Kind.Name && t.Fn == fi.F.Name
				}
				if !dup {
					out[k] = append(out[k], OpsTarget{Fn: fi.F.Name, File: rel(fi.F.File.Path), Line: call.Line, Kind: h.ctx.Kind.Name, Class: h.ctx.Class, Chain: h.chain})
				}
			}
		}
	}
	return out
}

// relSteps names the files of a chain as the index does.
func relSteps(ss []Step, rel func(string) string) []Step {
	out := append([]Step(nil), ss...)
	for i := range out {
		out[i].File = rel(out[i].File)
	}
	return out
}

// heldContexts adds the contexts the index says the tree holds
// around calls through the members the analysed files' ops tables fill.
// A site in the implementation's own file is not one: the analysis of
// that file sees it.
func (p *Program) heldContexts(add func(*FuncInfo, *Ctx)) {
	if p.ext == nil {
		return
	}
	// In a fixed order: a function gets one context of each kind, the
	// first met.
	for _, key := range slices.Sorted(maps.Keys(p.ops.local)) {
		impls := p.ops.local[key]
		sites := p.ext.Ops(HeldKey(key))
		files := map[string]bool{}
		for _, s := range sites {
			files[s.File] = true
		}
		if len(sites) == 0 || len(files) > maxCoreFiles || slices.ContainsFunc(sites, func(s OpsTarget) bool { return s.Kind == "" }) {
			continue
		}
		for _, t := range impls {
			g := p.lookupIn(t.Fn, t.File)
			if g == nil || g.external {
				continue
			}
			for _, s := range sites {
				kind := p.kb.Kinds[s.Kind]
				if kind == nil || !noSleep(kind) || len(s.Chain) == 0 ||
					strings.HasSuffix(g.F.File.Path, "/"+s.File) || g.F.File.Path == s.File {
					continue
				}
				steps := append([]Step(nil), s.Chain...)
				last := &steps[len(steps)-1]
				last.Note = fmt.Sprintf("%s, which runs %s() (ops table at %s:%d) with %s held", last.Note, t.Fn, filepath.Base(t.File), t.Line, kind.Desc)
				via := NewPath(steps[len(steps)-1])
				for i := len(steps) - 2; i >= 0; i-- {
					via = via.Push(steps[i])
				}
				add(g, &Ctx{Kind: kind, Class: s.Class, FromCaller: true, Via: via})
			}
		}
	}
}

// noSleep reports a context that forbids sleeping: a spinlock of any
// kind, preemption, interrupts or bottom halves off, an RCU reader.
func noSleep(k *kb.Kind) bool {
	return k.Category == kb.Spinning || k.Category == kb.Atomic
}
