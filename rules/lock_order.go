package rules

import (
	"fmt"
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
run; here both orders are found in the analysed code, through callees too. Locks are
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
		return !slices.Contains(prog.KB().NoOrderClasses, class) &&
			(prog.KnownClass(class) || strings.HasPrefix(class, "struct ") && strings.Contains(class, "::"))
	}
}

// ruleKnown is the class test of the edges compared within the analysed
// files.
func ruleKnown(prog *flow.Program) func(string) bool {
	return func(class string) bool {
		return !slices.Contains(prog.KB().NoOrderClasses, class) && prog.KnownClass(class)
	}
}

// OrderKey is the key under which an index keeps the sites that take
// lock class b while holding a.
func OrderKey(a, b string) string { return "order " + a + " -> " + b }

// maxOrderChain bounds the evidence an index keeps of an order edge.
const maxOrderChain = 12

// OrderSites lists the lock order edges of a file's functions, by
// OrderKey, for an index: the other half of an AB-BA in another file.
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
			for i := range chain {
				if chain[i].File == file {
					chain[i].File = rel
				}
			}
			out[key] = append(out[key], flow.OpsTarget{Fn: fi.F.Name, File: rel, Line: o.Line, Chain: chain})
		})
	}
	return out
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
		pass.Report(&Finding{File: here.fi.F.File.Path, Line: here.o.Line, Function: here.fi.F.Name, Message: msg, Chain: chain},
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
		there := pass.Prog.OpsSites(OrderKey(k[1], k[0]))
		if len(there) == 0 {
			continue
		}
		t := there[0]
		msg := fmt.Sprintf("%s() takes %s while holding %s, but %s() in %s takes them in the opposite order: possible AB-BA deadlock",
			here.fi.F.Name, here.o.Eff.Ctx.Class, here.outer.Class, t.Fn, t.File)
		var chain []flow.Step
		chain = append(chain, t.Chain...)
		chain = append(chain, here.outer.Via.Steps()...)
		chain = append(chain, here.o.Eff.Chain...)
		pass.Report(&Finding{File: here.fi.F.File.Path, Line: here.o.Line, Function: here.fi.F.Name, Message: msg, Chain: chain},
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
