// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"lockbot/flow"
)

// LockOrderInversion finds two lock classes taken in both orders.
var LockOrderInversion = &Analyzer{
	Name:     "LOCK_ORDER_INVERSION",
	Title:    "two lock classes taken in opposite orders (AB-BA)",
	Severity: Error,
	Doc: `If one path takes lock A and then lock B while another takes B and then A, two
CPUs running them at once can each hold one lock and wait forever for the other.
lockdep reports this as "possible circular locking dependency" once both paths have
run; here both orders are found in the analysed code, through callees too, and with an
index in other files of the tree: their own edges, calls they make with a lock held,
ops members the core calls under its lock, and cycles of three classes. Locks are
compared by class, as lockdep does (struct type and field, or global name).`,
	Fix: "take the two locks in one documented order everywhere, or drop the first before taking the second",
	Ref: "Documentation/locking/lockdep-design.rst",
	Run: runLockOrder,
}

// maxOrderDepth bounds how deep in callees an acquisition may be to count
// for lock order: deeper chains cross subclass annotations and instance
// distinctions a static view cannot see.
const maxOrderDepth = 3

type orderEdge struct {
	fi    *flow.FuncInfo
	o     *flow.Obs
	outer *flow.Ctx
}

// orderEdges lists fi's lock order edges: a lock taken while another is
// held, each pair of classes once, both close enough to fi (maxOrderDepth)
// and named well enough to compare by class.
//
// known says which classes are names to compare: the rule's, a struct
// or global the analysis has seen; an index's, also a member of a struct
// named by a declared type, whose definition a local header further
// than the include depth holds (mlx5e_priv in en.h).
func orderEdges(fi *flow.FuncInfo, known func(string) bool, each func(k [2]string, o *flow.Obs, outer *flow.Ctx)) {
	if fi.Result == nil || fi.Result.Failed {
		return
	}

	for _, o := range fi.Result.Obs {
		e := o.Eff
		if e.Kind != flow.ETake || e.Ctx.Try || !e.Ctx.Kind.Lock || e.Ctx.Kind.NoOrder || !known(e.Ctx.Class) ||
			len(flow.CalleePath(e.Chain)) > maxOrderDepth {
			continue
		}
		for _, h := range o.Held {
			if !h.Kind.Lock || h.Kind.NoOrder || !known(h.Class) || h.Class == e.Ctx.Class ||
				len(flow.CalleePath(h.Via.Steps())) > maxOrderDepth {
				continue
			}
			if h.Inst == "" && strings.Contains(h.Class, "::") {
				// The held lock's instance was lost (taken in a loop over
				// an array, its pointer reassigned): it may well have
				// been released by now.
				continue
			}
			// lockdep orders classes with their subclass: A/1 inside B
			// inside A/0 is no cycle.
			each([2]string{orderName(h), orderName(e.Ctx)}, o, h)
		}
	}
}

// indexKnown is the class test of the order edges compared with the
// index's: the analysis's known classes, and members of structs named by
// a declared type.
func indexKnown(prog *flow.Program) func(string) bool {
	return func(class string) bool {
		return !slices.Contains(prog.KB().NoOrderClasses, class) && !prog.KeyedGeneric(class) &&
			(prog.KnownClass(class) || strings.HasPrefix(class, "struct ") && strings.Contains(class, "::"))
	}
}

// ruleKnown is the class test of the edges compared within the analysed
// files.
func ruleKnown(prog *flow.Program) func(string) bool {
	return func(class string) bool {
		return !slices.Contains(prog.KB().NoOrderClasses, class) && !prog.KeyedGeneric(class) && prog.KnownClass(class)
	}
}

// OrderKey is the key under which an index keeps the sites that take
// lock class b while holding a.
func OrderKey(a, b string) string { return "order " + a + " -> " + b }

// HeldCallKey is the key under which an index keeps the calls made with
// lock class a held to functions of other files, or through ops members
// (in the entry's Var), whose effects the file's own analysis does not
// see: what they take is an order edge only the link shows.
func HeldCallKey(a string) string { return "heldcall " + a }

// maxOrderChain bounds the evidence an index keeps of an order edge.
const maxOrderChain = 12

// OrderSites lists the lock order edges of a file's functions, by
// OrderKey, for an index: the other half of an AB-BA in another file.
// With them go the calls made with a lock held to other files
// (HeldCallKey) and through ops members (flow.OpsHeldKey).
func OrderSites(prog *flow.Program, file string, rel string) map[string][]flow.OpsTarget {
	out := map[string][]flow.OpsTarget{}
	known := indexKnown(prog)
	for _, fi := range prog.Funcs {
		if fi.F.File.Path != file || fi.F.Macro {
			continue
		}
		orderEdges(fi, known, func(k [2]string, o *flow.Obs, outer *flow.Ctx) {
			key := OrderKey(k[0], k[1])
			for _, t := range out[key] {
				if t.Fn == fi.F.Name {
					return
				}
			}
			chain := append(append([]flow.Step(nil), outer.Via.Steps()...), o.Eff.Chain...)
			if len(chain) > maxOrderChain {
				return
			}
			out[key] = append(out[key], flow.OpsTarget{Fn: fi.F.Name, File: rel, Line: o.Line, Chain: relocate(chain, file, rel)})
		})
		callSites(prog, fi, known, file, rel, out)
	}
	return out
}

// outsideCall is a call to another file reached from a call of fi: the
// steps from fi's call site down to it.
type outsideCall struct {
	call  *flow.Call
	chain []flow.Step
}

// maxOutsideCalls bounds what one call of a file's own function yields.
const maxOutsideCalls = 32

// outsideCalls lists the calls to other files (and through ops members)
// that c makes: c itself, or, for one of the file's own functions, its
// calls of that kind, depth calls deep at most.
func outsideCalls(prog *flow.Program, fi *flow.FuncInfo, c *flow.Call, step flow.Step, depth int) []outsideCall {
	callee := c.Fn + "()"
	if c.Ops != "" {
		callee = c.Ops
	}
	step.Note = "calls " + callee
	if c.File == "" {
		return []outsideCall{{c, []flow.Step{step}}}
	}
	g := prog.LookupIn(c.Fn, c.File)
	if depth <= 1 || g == nil || g == fi || g.Result == nil || g.Result.Failed || releasesCallers(g) {
		return nil
	}
	var out []outsideCall
	for _, d := range g.Result.Calls {
		if d.Fn == "" && d.Ops == "" || d.File == c.File && d.Fn == c.Fn {
			continue
		}
		for _, x := range outsideCalls(prog, g, d, flow.Step{File: g.F.File.Path, Line: d.Line, Func: g.F.Name}, depth-1) {
			out = append(out, outsideCall{x.call, append([]flow.Step{step}, x.chain...)})
			if len(out) >= maxOutsideCalls {
				return out
			}
		}
	}
	return out
}

// maxHeldCalls bounds the calls made under one class that linkedOrder
// follows: a class held around hundreds of calls (rtnl_mutex) would
// otherwise cost a scan more than the rest of its work.
const maxHeldCalls = 256

// linkedOrder finds a site of another file that takes class b while
// holding a: an index's order edge, or a call made under a to a function
// that, through its links, takes b. Its chain leads from a's acquisition
// to b's; nil when there is none.
func linkedOrder(pass *Pass, a, b, here string) *flow.OpsTarget {
	for _, t := range pass.Prog.OpsSites(OrderKey(a, b)) {
		if relatedSite(here, t.File) {
			return &t
		}
	}
	for i, t := range pass.Prog.OpsSites(HeldCallKey(a)) {
		if i >= maxHeldCalls {
			break
		}
		if !relatedSite(here, t.File) {
			continue
		}
		if chain := takesIn(pass, t, func(c string) bool { return c == b }); chain != nil {
			return &flow.OpsTarget{Fn: t.Fn, File: t.File, Line: t.Line, Chain: chain}
		}
	}
	return nil
}

// takesIn is the chain of a held call t down to an acquisition of a class
// want accepts, through the callee's links or the ops member's
// implementations; nil when it takes none.
func takesIn(pass *Pass, t flow.OpsTarget, want func(string) bool) []flow.Step {
	var callees []*flow.FuncInfo
	if t.Var != "" {
		// Only the analysed files' implementations: which of the tree's
		// a call through a member reaches is not known (amdgpu's
		// scheduler calls do not reach imagination's), but an analysed
		// file's table says its function is one of them.
		ts := pass.Prog.LocalOpsTargets(t.Var)
		if len(pass.Prog.OpsTargetsOf(t.Var)) > maxOpsOrderTargets {
			return nil
		}
		for _, x := range ts {
			if g := pass.Prog.OpsFunc(x); g != nil {
				callees = append(callees, g)
			}
		}
	} else if g := pass.Prog.ExternalLookup(t.By); g != nil {
		callees = append(callees, g)
	}
	for _, g := range callees {
		if g.Sum == nil {
			continue
		}
		for _, e := range g.Sum.Effects {
			// An acquisition after the callee released a lock of its
			// caller's (jffs2_write_dnode() drops f->sem before
			// jffs2_reserve_space() takes alloc_sem) is not made under
			// what the caller holds.
			if e.Kind != flow.ETake || e.Ctx == nil || e.Ctx.Try || !e.Ctx.Kind.Lock || e.Ctx.Kind.NoOrder || len(e.Unheld) > 0 ||
				len(flow.CalleePath(e.Chain))+1 > maxOrderDepth || !want(orderName(e.Ctx)) {
				continue
			}
			return append(append([]flow.Step(nil), t.Chain...), e.Chain...)
		}
	}
	return nil
}

// maxOpsOrderTargets bounds the implementations of an ops member a held
// call is taken to reach, as calls through members are (flow's
// maxOpsTargets).
const maxOpsOrderTargets = 8

// callSites adds to out, for an index, the calls fi makes with locks
// held to functions its file does not define and through ops members,
// directly or through the file's own functions: HeldCallKey entries by
// the lock's class, one per class and callee (xenbus_file_write() holds
// msgbuffer_mutex around xenbus_write_watch(), which calls
// register_xenbus_watch() of xenbus_xs.c), and flow.OpsHeldKey entries by
// member, one per member and class, asserted locks included (the thermal
// core calls tz->ops.get_temp() under tz->lock, which
// __thermal_zone_get_temp() asserts). With them go CallerKey entries by
// callee, for the calls made in any context, which a change to the callee
// may break (ImpactFiles).
func callSites(prog *flow.Program, fi *flow.FuncInfo, known func(string) bool, file, rel string, out map[string][]flow.OpsTarget) {
	if fi.Result == nil || fi.Result.Failed {
		return
	}
	add := func(key string, t flow.OpsTarget, h *flow.Ctx, steps []flow.Step, same func(flow.OpsTarget) bool) {
		if slices.ContainsFunc(out[key], same) {
			return
		}
		chain := append(h.Via.Steps(), steps...)
		if len(chain) > maxOrderChain {
			return
		}
		t.Chain = relocate(chain, file, rel)
		out[key] = append(out[key], t)
	}
	caller := func(callee string, line int) {
		if prog.KB().Funcs[callee] != nil {
			return // the knowledge base's: no patch changes what it does
		}
		key := CallerKey(callee)
		if !slices.ContainsFunc(out[key], func(t flow.OpsTarget) bool { return t.Fn == fi.F.Name }) {
			out[key] = append(out[key], flow.OpsTarget{Fn: fi.F.Name, File: rel, Line: line})
		}
	}
	for _, c := range fi.Result.Calls {
		if c.Fn == "" && c.Ops == "" {
			continue
		}
		held, asserted := orderLocks(c.Inner, known), orderLocks(c.Asserted, known)
		// Calls made in a context (any lock, RCU, interrupts off) are
		// what a change to the callee may break: CallerKey entries.
		inCtx := len(c.Inner) > 0
		if len(held)+len(asserted) == 0 && !inCtx {
			continue
		}
		if inCtx && c.Fn != "" && c.File != "" && c.File != file {
			caller(c.Fn, c.Line) // a header's function
		}
		for _, x := range outsideCalls(prog, fi, c, flow.Step{File: file, Line: c.Line, Func: fi.F.Name}, maxOrderDepth) {
			if inCtx && x.call.Fn != "" {
				caller(x.call.Fn, c.Line)
			}
			for _, h := range held {
				add(HeldCallKey(orderName(h)), flow.OpsTarget{Fn: fi.F.Name, File: rel, Line: c.Line, By: x.call.Fn, Var: x.call.Ops}, h, x.chain,
					func(t flow.OpsTarget) bool { return t.By == x.call.Fn && t.Var == x.call.Ops && t.Fn == fi.F.Name })
			}
			if x.call.Ops == "" {
				continue
			}
			for _, h := range append(append([]*flow.Ctx(nil), held...), asserted...) {
				class := orderName(h)
				add(flow.OpsHeldKey(x.call.Ops), flow.OpsTarget{Fn: fi.F.Name, File: rel, Line: c.Line, Var: class}, h, x.chain,
					func(t flow.OpsTarget) bool { return t.Fn == fi.F.Name && t.Var == class })
			}
		}
	}
}

// orderLocks are the locks of ctxs that count for lock order across
// files: locks with a known class, close enough to the call (as
// orderEdges takes them), and not instances lost in a loop.
func orderLocks(ctxs []*flow.Ctx, known func(string) bool) []*flow.Ctx {
	var out []*flow.Ctx
	for _, h := range ctxs {
		if h.Kind == nil || !h.Kind.Lock || h.Kind.NoOrder || h.Try || !known(h.Class) ||
			h.Inst == "" && strings.Contains(h.Class, "::") || len(flow.CalleePath(h.Via.Steps())) > maxOrderDepth {
			continue
		}
		out = append(out, h)
	}
	return out
}

// relocate names the analysed file (file) in chain as the index does
// (rel, relative to the tree).
func relocate(chain []flow.Step, file, rel string) []flow.Step {
	for i := range chain {
		if chain[i].File == file {
			chain[i].File = rel
		}
	}
	return chain
}

func runLockOrder(pass *Pass) {
	edges := map[[2]string]*orderEdge{}
	var keys [][2]string
	for _, fi := range pass.Prog.Funcs {
		orderEdges(fi, ruleKnown(pass.Prog), func(k [2]string, o *flow.Obs, h *flow.Ctx) {
			if _, ok := edges[k]; !ok {
				edges[k] = &orderEdge{fi, o, h}
				keys = append(keys, k)
			}
		})
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"\x00"+keys[i][1] < keys[j][0]+"\x00"+keys[j][1] })
	for _, k := range keys {
		if k[0] > k[1] {
			continue
		}
		ab, ba := edges[k], edges[[2]string{k[1], k[0]}]
		if ba == nil {
			continue
		}
		// Anchor on the later of the two sites; the chain shows both.
		here, there := ab, ba
		if siteLess(ab, ba) {
			here, there = ba, ab
		}
		if !here.fi.Report {
			here, there = there, here
			if !here.fi.Report {
				continue
			}
		}
		msg := fmt.Sprintf("%s() takes %s while holding %s, but %s() takes them in the opposite order: possible AB-BA deadlock",
			here.fi.F.Name, here.o.Eff.Ctx.Class, here.outer.Class, there.fi.F.Name)
		var chain []flow.Step
		chain = append(chain, there.outer.Via.Steps()...)
		chain = append(chain, there.o.Eff.Chain...)
		chain = append(chain, here.outer.Via.Steps()...)
		chain = append(chain, here.o.Eff.Chain...)
		pass.Report(&Finding{File: here.fi.F.File.Path, Line: here.o.Line, Function: here.fi.F.Name, If: here.o.If, Message: msg, Chain: chain},
			k[0], k[1])
	}
	// The other order in a file of the tree the index knows. A class
	// matched there by its exact name may be a member of a struct whose
	// definition this scan did not read (mlx5e_priv in en.h, past the
	// include depth), as the index's sites may.
	xedges := map[[2]string]*orderEdge{}
	var xkeys [][2]string
	for _, fi := range pass.Prog.Funcs {
		if !fi.Report {
			continue
		}
		orderEdges(fi, indexKnown(pass.Prog), func(k [2]string, o *flow.Obs, h *flow.Ctx) {
			if _, ok := xedges[k]; !ok {
				xedges[k] = &orderEdge{fi, o, h}
				xkeys = append(xkeys, k)
			}
		})
	}
	sort.Slice(xkeys, func(i, j int) bool { return xkeys[i][0]+"\x00"+xkeys[i][1] < xkeys[j][0]+"\x00"+xkeys[j][1] })
	for _, k := range xkeys {
		here := xedges[k]
		if edges[[2]string{k[1], k[0]}] != nil || xedges[[2]string{k[1], k[0]}] != nil {
			continue
		}
		var there []flow.OpsTarget
		for _, t := range pass.Prog.OpsSites(OrderKey(k[1], k[0])) {
			if relatedSite(here.fi.F.File.Path, t.File) {
				there = append(there, t)
			}
		}
		if len(there) == 0 {
			if t := linkedOrder(pass, k[1], k[0], here.fi.F.File.Path); t != nil {
				there = []flow.OpsTarget{*t}
			}
		}
		if len(there) == 0 {
			if f := opsHeldOrder(pass, here, k); f != nil {
				pass.Report(f, k[0], k[1])
			} else if f := orderThroughThird(pass, here, k); f != nil {
				pass.Report(f, k[0], k[1])
			}
			continue
		}
		t := there[0]
		msg := fmt.Sprintf("%s() takes %s while holding %s, but %s() in %s takes them in the opposite order: possible AB-BA deadlock",
			here.fi.F.Name, here.o.Eff.Ctx.Class, here.outer.Class, t.Fn, t.File)
		var chain []flow.Step
		chain = append(chain, t.Chain...)
		chain = append(chain, here.outer.Via.Steps()...)
		chain = append(chain, here.o.Eff.Chain...)
		pass.Report(&Finding{File: here.fi.F.File.Path, Line: here.o.Line, Function: here.fi.F.Name, If: here.o.If, Message: msg, Chain: chain},
			k[0], k[1])
	}
}

func orderName(c *flow.Ctx) string {
	if c.Sub != 0 {
		return fmt.Sprintf("%s/%d", c.Class, c.Sub)
	}
	return c.Class
}

func siteLess(a, b *orderEdge) bool {
	if a.fi.F.File.Path != b.fi.F.File.Path {
		return a.fi.F.File.Path < b.fi.F.File.Path
	}
	return a.o.Line < b.o.Line
}

// opsHeldOrder finds the other order of here's edge k (k[1] taken while
// k[0] is held) through an ops table of the analysed files: another file
// calls through a member with k[1] held (OpsHeldKey), and the analysed
// function the table stores there takes k[0]. qpnp_tm_init() takes the
// thermal zone's lock under chip->lock, and the thermal core calls
// qpnp_tm_get_temp(), which takes chip->lock, under the zone's lock.
func opsHeldOrder(pass *Pass, here *orderEdge, k [2]string) *Finding {
	for _, g := range pass.Prog.Funcs {
		members := pass.Prog.LocalOps(g)
		if len(members) == 0 {
			continue
		}
		var take *flow.Obs
		orderEdgesTakes(g, indexKnown(pass.Prog), func(o *flow.Obs) {
			if take == nil && orderName(o.Eff.Ctx) == k[0] {
				take = o
			}
		})
		if take == nil {
			continue
		}
		for _, m := range members {
			for _, t := range pass.Prog.OpsSites(flow.OpsHeldKey(m)) {
				if t.Var != k[1] || !relatedSite(here.fi.F.File.Path, t.File) {
					continue
				}
				msg := fmt.Sprintf("%s() takes %s while holding %s, but %s() in %s holds %s when it calls %s() through %s, which takes %s: possible AB-BA deadlock",
					here.fi.F.Name, here.o.Eff.Ctx.Class, here.outer.Class, t.Fn, t.File, k[1], g.F.Name, m, k[0])
				var chain []flow.Step
				chain = append(chain, t.Chain...)
				chain = append(chain, flow.Step{File: g.F.File.Path, Line: g.F.Line, Func: g.F.Name,
					Note: fmt.Sprintf("%s() is %s in this file's table", g.F.Name, m)})
				chain = append(chain, take.Eff.Chain...)
				chain = append(chain, here.outer.Via.Steps()...)
				chain = append(chain, here.o.Eff.Chain...)
				return &Finding{File: here.fi.F.File.Path, Line: here.o.Line, Function: here.fi.F.Name, Message: msg, Chain: chain}
			}
		}
	}
	return nil
}

// orderEdgesTakes calls each with fi's lock acquisitions that count for
// lock order, held lock or not: those close enough to fi and named well
// enough to compare by class, as orderEdges takes them.
func orderEdgesTakes(fi *flow.FuncInfo, known func(string) bool, each func(o *flow.Obs)) {
	if fi.Result == nil || fi.Result.Failed {
		return
	}
	for _, o := range fi.Result.Obs {
		e := o.Eff
		if e.Kind != flow.ETake || e.Ctx.Try || !e.Ctx.Kind.Lock || e.Ctx.Kind.NoOrder || !known(e.Ctx.Class) ||
			len(flow.CalleePath(e.Chain)) > maxOrderDepth {
			continue
		}
		each(o)
	}
}

// maxThirdClasses bounds the classes orderThroughThird tries as the
// third of a cycle: the locks taken under one class in the whole tree.
const maxThirdClasses = 64

// orderThroughThird finds a cycle of three classes that closes here's
// edge k (k[1] taken while k[0] is held) through two files of the tree:
// one takes a third class x under k[1], another k[0] under x. xs_suspend()
// takes xs_response_mutex under xs_watch_rwsem; xenbus_thread() takes the
// frontend's reply_mutex under xs_response_mutex; xenbus_file_write()
// takes xs_watch_rwsem under the reply mutex. lockdep reports such a cycle
// as it does two classes.
func orderThroughThird(pass *Pass, here *orderEdge, k [2]string) *Finding {
	prefix := OrderKey(k[1], "")
	try := func(x string, fwd flow.OpsTarget) *Finding {
		// x comes from the index, whose sites name only classes their
		// files knew.
		if x == k[0] || x == k[1] {
			return nil
		}
		b := linkedOrder(pass, x, k[0], here.fi.F.File.Path)
		if b == nil {
			return nil
		}
		msg := fmt.Sprintf("%s() takes %s while holding %s; %s() in %s takes %s while holding it, and %s() in %s takes %s while holding that: a cycle of three lock classes, possible deadlock",
			here.fi.F.Name, here.o.Eff.Ctx.Class, here.outer.Class, fwd.Fn, fwd.File, x, b.Fn, b.File, here.outer.Class)
		var chain []flow.Step
		chain = append(chain, here.outer.Via.Steps()...)
		chain = append(chain, here.o.Eff.Chain...)
		chain = append(chain, fwd.Chain...)
		chain = append(chain, b.Chain...)
		return &Finding{File: here.fi.F.File.Path, Line: here.o.Line, Function: here.fi.F.Name, Message: msg, Chain: chain}
	}
	for _, key := range pass.Prog.KeysWithPrefix(prefix, maxThirdClasses) {
		for _, fwd := range pass.Prog.OpsSites(key) {
			if relatedSite(here.fi.F.File.Path, fwd.File) {
				if f := try(strings.TrimPrefix(key, prefix), fwd); f != nil {
					return f
				}
				break
			}
		}
	}
	// Classes taken under k[1] through a call to another file.
	tried := 0
	for i, t := range pass.Prog.OpsSites(HeldCallKey(k[1])) {
		if i >= maxHeldCalls || tried >= maxThirdClasses {
			break
		}
		if !relatedSite(here.fi.F.File.Path, t.File) {
			continue
		}
		var x string
		chain := takesIn(pass, t, func(c string) bool {
			if c == k[0] || c == k[1] {
				return false
			}
			x = c
			return true
		})
		if chain == nil {
			continue
		}
		tried++
		if f := try(x, flow.OpsTarget{Fn: t.Fn, File: t.File, Line: t.Line, Chain: chain}); f != nil {
			return f
		}
	}
	return nil
}

// relatedSite reports whether a site in another file (tree-relative) is
// code the analysed file here works with: its own directory, or one above
// it (the thermal core in drivers/thermal for a driver in
// drivers/thermal/qcom, the VFS in fs/ for fs/ext4). lockdep names a
// class by its initialization, and the classes unrelated code shares a
// name with are mostly others: ext4's and afs's i_rwsem have a class per
// filesystem type, be2iscsi's sessions never reach qla4xxx's hardware
// lock. Edges from such code made cycles lockdep would not report.
func relatedSite(here, site string) bool {
	hd, sd := path.Dir(filepath.ToSlash(here)), path.Dir(site)
	if sd == "." || sd == "" {
		return false
	}
	if !path.IsAbs(hd) {
		return hd == sd || strings.HasPrefix(hd, sd+"/")
	}
	// An absolute path (a scan's argument outside a tree's root): the
	// site's directory must start where the tree does, not inside
	// another top-level directory (net/wireless is not
	// drivers/net/wireless's).
	parts := strings.Split(strings.TrimPrefix(hd, "/"), "/")
	first := strings.SplitN(sd, "/", 2)[0]
	for i := range parts {
		if parts[i] != first || i > 0 && topLevelDirs[parts[i-1]] {
			continue
		}
		if rest := strings.Join(parts[i:], "/"); rest == sd || strings.HasPrefix(rest, sd+"/") {
			return true
		}
	}
	return false
}

// topLevelDirs are the kernel tree's top-level directories.
var topLevelDirs = map[string]bool{
	"arch": true, "block": true, "certs": true, "crypto": true, "drivers": true, "fs": true, "include": true,
	"init": true, "io_uring": true, "ipc": true, "kernel": true, "lib": true, "mm": true, "net": true,
	"rust": true, "samples": true, "security": true, "sound": true, "virt": true,
}

// releasesCallers reports a function that releases a lock its caller
// holds on some path (dentry_unlink_inode() drops d_lock and i_lock
// before iput()): what it calls of other files need not run under its
// caller's locks, and outsideCalls does not look inside it.
func releasesCallers(g *flow.FuncInfo) bool {
	if g.Sum == nil {
		return true
	}
	for _, o := range g.Sum.Outcomes {
		if len(o.Released) > 0 || len(o.Maybe) > 0 {
			return true
		}
	}
	for _, e := range g.Sum.Effects {
		if len(e.Unheld) > 0 {
			return true
		}
	}
	return false
}
