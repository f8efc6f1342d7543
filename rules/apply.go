package rules

import (
	"fmt"
	"strconv"

	"lockbot/cparse"
)

// apply runs a call to an analysed function through its summary: its
// effects are observed here with this function's contexts, and each of its
// outcomes (what it leaves held or released, and under which conditions on
// the arguments) becomes a successor state.
func (f *flow) apply(b *cparse.Block, s *cparse.Stmt, g *FuncInfo, st *State) []*State {
	sum := g.Sum
	args := s.Call.Args
	subst := map[string]*cparse.Expr{}
	for i, p := range g.F.Params {
		if i < len(args) && p.Name != "" {
			subst[p.Name] = args[i]
		}
	}
	callStep := f.step(s.Line, fmt.Sprintf("calls %s()", g.F.Name))
	if f.record {
		for _, e := range sum.Effects {
			if te := f.translateEffect(e, g, subst, args, st, callStep); te != nil {
				var exclude *Ctx
				if te.Drops != nil && te.Drops.Expr != nil {
					exclude = f.findHeld(st, te.Drops.Expr)
				}
				f.observe(s, st, te, exclude, b)
			}
		}
	}
	if sum.NoReturn && g.Facts != nil && !g.Facts.Failed {
		return nil
	}
	if len(sum.Outcomes) == 0 {
		return []*State{st}
	}
	used := f.tested[s.ID]
	var out []*State
	for _, o := range sum.Outcomes {
		n := st.clone()
		ok := true
		for _, fa := range o.Facts {
			if fa.Expr == nil {
				continue
			}
			x, local := f.substitute(fa.Expr, subst, g)
			if local {
				continue
			}
			key, neg, idents, expr := f.atom(x)
			if key == "" {
				continue
			}
			val := fa.Val != neg
			if v, known := n.fact(key); known && v != val {
				ok = false
				break
			}
			n.setFact(Fact{Key: key, Val: val, Idents: idents, Expr: expr})
		}
		if !ok {
			continue
		}
		for _, r := range o.Released {
			var arg *cparse.Expr
			if r.Expr != nil {
				x, local := f.substitute(r.Expr, subst, g)
				if !local {
					arg = x
				}
			}
			via := callStep
			via.Note = fmt.Sprintf("calls %s(), which releases %s", g.F.Name, r.Kind.Desc)
			f.release(s, b, r.Kind, arg, n, via, false)
		}
		for _, a := range o.Acquired {
			f.acquire(n, f.translateCtx(a, g, subst, callStep))
		}
		if used {
			if val, known := retTruth(o.Ret); known {
				n.setFact(Fact{Key: "$call" + strconv.Itoa(s.ID), Val: val})
				if s.LHS != nil {
					f.setVarFact(n, s.LHS, val)
				}
			}
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		// Every outcome contradicts what this path knows: keep the path
		// rather than lose it to an imprecise fact.
		return []*State{st}
	}
	return f.compact(out)
}

func retTruth(r RetClass) (val, known bool) {
	switch r {
	case RetZero:
		return false, true
	case RetNonZero, RetError:
		return true, true
	}
	return false, false
}

// substitute rewrites a callee expression into the caller's terms. local
// reports that it names the callee's own variables, which mean nothing
// here.
func (f *flow) substitute(x *cparse.Expr, subst map[string]*cparse.Expr, g *FuncInfo) (*cparse.Expr, bool) {
	local := false
	for _, id := range x.Idents() {
		if _, isParam := subst[id]; isParam {
			continue
		}
		if _, ok := g.F.Locals[id]; ok {
			local = true
		}
		for _, p := range g.F.Params {
			if p.Name == id {
				local = true // a parameter without an argument (varargs)
			}
		}
	}
	return canon(x.Subst(subst)), local
}

func (f *flow) translateCtx(c *Ctx, g *FuncInfo, subst map[string]*cparse.Expr, callStep Step) *Ctx {
	n := &Ctx{Kind: c.Kind, Class: c.Class, Sub: c.Sub, Try: c.Try}
	n.Via = append([]Step{callStep}, c.Via...)
	if c.Expr != nil {
		x, local := f.substitute(c.Expr, subst, g)
		n.Expr = x
		if !local {
			n.Inst = x.String()
			if n.Class == "" {
				n.Class = f.env.classOf(x)
			}
		}
	}
	return n
}

// translateEffect brings a callee's effect into this call's terms. An
// effect that depends on the callee's gfp parameter happens here only if
// the argument allows direct reclaim.
func (f *flow) translateEffect(e *Effect, g *FuncInfo, subst map[string]*cparse.Expr, args []*cparse.Expr, st *State, callStep Step) *Effect {
	n := *e
	n.Chain = append([]Step{callStep}, e.Chain...)
	if e.Ctx != nil {
		n.Ctx = f.translateCtx(e.Ctx, g, subst, callStep)
	}
	if e.Drops != nil {
		n.Drops = f.translateCtx(e.Drops, g, subst, callStep)
	}
	if e.GfpParam >= 0 {
		var gv gfpClass
		if e.GfpParam < len(args) {
			gv = f.gfp(args[e.GfpParam], st)
			n.Chain[0].Note = fmt.Sprintf("calls %s() with %s", g.F.Name, args[e.GfpParam])
		}
		switch gv.kind {
		case gfpBlocking:
			n.GfpParam = -1
			n.Sleeps = e.Kind == EAlloc
		case gfpParam:
			n.GfpParam = gv.param
		default:
			if e.Kind == ESleep {
				return nil
			}
			n.GfpParam = -1
			n.Sleeps = false
		}
	}
	return &n
}
