// SPDX-License-Identifier: GPL-2.0-only

package flow

// Contexts a function runs in because the kernel calls it there: a
// callback registered with timer_setup() runs in softirq context, an
// interrupt handler with interrupts off, an irq_chip callback under the
// raw irq_desc lock. The function is analysed as entered with that
// context held, as if its caller held it, and the chain of a finding
// shows the registration.

import (
	"fmt"
	"strings"

	"lockbot/cparse"
)

// callbackContexts finds the contexts each analysed function is called
// in: by the registrations the analysed code makes (the knowledge base's
// runs_in), and by the ops tables it fills (ops_contexts). The index's
// registrations in other files are not followed yet.
func (p *Program) callbackContexts() map[*FuncInfo][]*Ctx {
	out := map[*FuncInfo][]*Ctx{}
	add := func(fi *FuncInfo, c *Ctx) {
		for _, x := range out[fi] {
			if x.Kind == c.Kind {
				return // one registration of each kind makes the point
			}
		}
		out[fi] = append(out[fi], c)
	}
	for _, fi := range p.Funcs {
		for _, b := range fi.F.Blocks {
			for _, s := range b.Stmts {
				if s.Kind != cparse.SCall {
					continue
				}
				spec := p.kb.Funcs[s.Callee()]
				if spec == nil || spec.RunsIn == "" {
					continue
				}
				var name string
				switch {
				case spec.Fn != nil && *spec.Fn < len(s.Call.Args):
					name = funcArg(s.Call.Args[*spec.Fn])
				case spec.FnMember != "" && spec.Item != nil && *spec.Item < len(s.Call.Args):
					name = memberCallback(fi.F, s.Call.Args[*spec.Item], spec.FnMember)
				}
				g := p.Lookup(fi.F, name)
				kind := p.kb.Kinds[spec.RunsIn]
				if spec.RunsInHard != "" && spec.Mode != nil && *spec.Mode < len(s.Call.Args) &&
					strings.Contains(s.Call.Args[*spec.Mode].String(), "HARD") {
					kind = p.kb.Kinds[spec.RunsInHard]
				}
				if name == "" || g == nil || g.external || kind == nil {
					continue
				}
				add(g, &Ctx{Kind: kind, FromCaller: true, Via: NewPath(Step{File: fi.F.File.Path, Line: s.Line, Func: fi.F.Name,
					Note: fmt.Sprintf("%s runs %s() in %s", callText(s.Call), name, kind.Desc)})})
			}
		}
	}
	// Registrations through wrappers: devm_usb_get_phy_by_node(dev, node,
	// &tegra->id_nb) registers the notifier_block on an atomic chain
	// (usb_register_notifier() in include/linux/usb/phy.h), and the
	// callback the caller stored in it runs there.
	wraps := p.wrapperRegistrations()
	for _, fi := range p.Funcs {
		for _, b := range fi.F.Blocks {
			for _, s := range b.Stmts {
				if s.Kind != cparse.SCall || p.kb.Funcs[s.Callee()] != nil {
					continue
				}
				g := p.Lookup(fi.F, s.Callee())
				for _, r := range p.registrationsOf(g, wraps) {
					if r.param >= len(s.Call.Args) {
						continue
					}
					arg := s.Call.Args[r.param]
					name := funcArg(arg)
					if r.member != "" {
						name = memberCallback(fi.F, arg, r.member)
					}
					kind := p.kb.Kinds[r.runs]
					if name == "" || fnParam(fi.F, name) >= 0 || kind == nil {
						continue
					}
					cb := p.Lookup(fi.F, name)
					if cb == nil || cb.external {
						continue
					}
					add(cb, &Ctx{Kind: kind, FromCaller: true, Via: NewPath(Step{File: fi.F.File.Path, Line: s.Line, Func: fi.F.Name,
						Note: fmt.Sprintf("%s() registers %s()%s, which runs it in %s", s.Callee(), name, r.how, kind.Desc)})})
				}
			}
		}
	}
	for tag, oc := range p.kb.OpsContexts {
		kind := p.kb.Kinds[oc.Kind]
		for _, m := range oc.Members {
			for _, t := range p.ops.local[tag+"."+m] {
				g := p.lookupIn(t.Fn, t.File)
				if g == nil || g.external {
					continue
				}
				note := fmt.Sprintf("%s holds %s around %s()", strings.TrimPrefix(tag, "struct "), kind.Desc, t.Fn)
				if oc.Why != "" {
					note = fmt.Sprintf(oc.Why, t.Fn, m)
				}
				c := &Ctx{Kind: kind, FromCaller: true, Via: NewPath(Step{File: t.File, Line: t.Line, Func: t.Fn, Note: note})}
				if oc.WhenNull != nil {
					if *oc.WhenNull >= len(g.F.Params) || g.F.Params[*oc.WhenNull].Name == "" {
						continue
					}
					c.WhenNull = g.F.Params[*oc.WhenNull].Name
				}
				add(g, c)
			}
		}
	}
	return out
}

// funcArg names the function an argument passes: "handler" in
// request_irq(irq, handler, ...) and in "&handler", "" for anything else.
func funcArg(a *cparse.Expr) string {
	a = a.Strip()
	if a != nil && a.Kind == cparse.EUnary && a.Op == "&" {
		a = a.X.Strip()
	}
	if a == nil || a.Kind != cparse.EIdent {
		return ""
	}
	return a.Name
}

// memberCallback names the function fn stores in the member of the
// object obj points to ("&t->timer" and "t->timer.function = cb;"): the
// callback hrtimer_init() leaves to be set next to it. "" when fn stores
// none, or more than one.
func memberCallback(fn *cparse.Func, obj *cparse.Expr, member string) string {
	// "&t->timer" is stored through "t->timer.function", a pointer
	// "timer" through "timer->function".
	op := "->"
	obj = obj.Strip()
	if obj != nil && obj.Kind == cparse.EUnary && obj.Op == "&" {
		obj, op = obj.X.Strip(), "."
	}
	if obj == nil {
		return ""
	}
	want := obj.String()
	name := ""
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Kind != cparse.SAssign || s.LHS == nil || s.RHS == nil {
				continue
			}
			l := s.LHS.Strip()
			if l == nil || l.Kind != cparse.EField || l.Name != member || l.X == nil {
				continue
			}
			base := l.X.Strip()
			if l.Op != op || base == nil || base.String() != want {
				continue
			}
			f := funcArg(s.RHS)
			if f == "" || name != "" && name != f {
				return ""
			}
			name = f
		}
	}
	return name
}

// ctxReg is a registration a function makes of what its caller passes: a
// callback (its parameter param) or an object whose member holds one.
type ctxReg struct {
	param  int    // 0-based
	member string // "": the parameter is the callback itself
	runs   string // the kind it runs in
	how    string // " with atomic_notifier_chain_register(...) (file:line)"
}

// registrationsOf is what a call to g registers of its arguments: from
// an index record's summary (ERegister effects with Runs), or from the
// analysed code's wrappers.
func (p *Program) registrationsOf(g *FuncInfo, wraps map[*FuncInfo][]ctxReg) []ctxReg {
	if g == nil {
		return nil
	}
	if !g.external {
		return wraps[g]
	}
	var out []ctxReg
	for _, e := range g.Sum.Effects {
		if e.Kind != ERegister || e.Runs == "" {
			continue
		}
		how := ""
		if n := len(e.Chain); n > 0 {
			last := e.Chain[n-1]
			how = fmt.Sprintf(" with %s (%s:%d)", e.What, last.File, last.Line)
		}
		switch {
		case e.RegItem > 0 && e.Member != "":
			out = append(out, ctxReg{param: e.RegItem - 1, member: e.Member, runs: e.Runs, how: how})
		case e.RegFn > 0:
			out = append(out, ctxReg{param: e.RegFn - 1, runs: e.Runs, how: how})
		}
	}
	return out
}

// maxWrapperRounds bounds the rounds of wrapperRegistrations: each finds
// wrappers one call deeper, and real code nests two or three.
const maxWrapperRounds = 8

// wrapperRegistrations finds, before the analysis, the analysed
// functions that register what their callers pass with a function whose
// callback runs in a context (the knowledge base's runs_in, or a wrapper
// of one): what callbackContexts needs before any summary exists.
func (p *Program) wrapperRegistrations() map[*FuncInfo][]ctxReg {
	out := map[*FuncInfo][]ctxReg{}
	has := func(fi *FuncInfo, r ctxReg) bool {
		for _, x := range out[fi] {
			if x.param == r.param && x.member == r.member && x.runs == r.runs {
				return true
			}
		}
		return false
	}
	for round, changed := 0, true; changed && round < maxWrapperRounds; round++ {
		changed = false
		for _, fi := range p.Funcs {
			for _, b := range fi.F.Blocks {
				for _, s := range b.Stmts {
					if s.Kind != cparse.SCall || len(s.Call.Args) == 0 {
						continue
					}
					var inner []ctxReg
					if spec := p.kb.Funcs[s.Callee()]; spec != nil {
						switch {
						case spec.RunsIn == "":
						case spec.Fn != nil:
							inner = []ctxReg{{param: *spec.Fn, runs: spec.RunsIn}}
						case spec.FnMember != "" && spec.Item != nil:
							inner = []ctxReg{{param: *spec.Item, member: spec.FnMember, runs: spec.RunsIn}}
						}
					} else if g := p.Lookup(fi.F, s.Callee()); g != nil && g != fi {
						inner = p.registrationsOf(g, out)
					}
					for _, r := range inner {
						if r.param >= len(s.Call.Args) {
							continue
						}
						a := s.Call.Args[r.param].Strip()
						if r.member == "" {
							if funcArg(a) == "" {
								continue
							}
							a = &cparse.Expr{Kind: cparse.EIdent, Name: funcArg(a)}
						}
						if a == nil || a.Kind != cparse.EIdent || fnParam(fi.F, a.Name) < 0 {
							continue
						}
						n := ctxReg{param: fnParam(fi.F, a.Name), member: r.member, runs: r.runs,
							how: fmt.Sprintf(" with %s() (%s:%d)", s.Callee(), fi.F.File.Path, s.Line)}
						if !has(fi, n) {
							out[fi] = append(out[fi], n)
							changed = true
						}
					}
				}
			}
		}
	}
	return out
}
