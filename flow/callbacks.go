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
				add(g, &Ctx{Kind: kind, FromCaller: true, Via: NewPath(Step{File: t.File, Line: t.Line, Func: t.Fn, Note: note})})
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
