// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"lockbot/cparse"
	"lockbot/kb"
)

type gfpKind uint8

const (
	gfpUnknown gfpKind = iota
	gfpBlocking
	gfpNonblocking
	gfpParam // decided by the caller's gfp argument
)

type gfpClass struct {
	kind  gfpKind
	param int
}

// gfp evaluates a gfp mask: whether it allows direct reclaim (and so may
// sleep), or passes the function's own gfp parameter through.
func (f *flow) gfp(e *cparse.Expr, st *State) gfpClass {
	return f.gfpDepth(e, st, 0)
}

func (f *flow) gfpDepth(e *cparse.Expr, st *State, depth int) gfpClass {
	e = e.Strip()
	if e == nil || depth > 8 {
		return gfpClass{}
	}
	switch e.Kind {
	case cparse.ENumber:
		if isNull(e) {
			// No flags at all (__xa_store(..., 0) in huge_memory.c): no
			// __GFP_DIRECT_RECLAIM, so nothing blocks.
			return gfpClass{kind: gfpNonblocking}
		}
		return gfpClass{}
	case cparse.EIdent:
		switch f.p.kb.GFP[e.Name] {
		case kb.GFPBlocking, kb.GFPReclaim:
			return gfpClass{kind: gfpBlocking}
		case kb.GFPNonblocking, kb.GFPModifier:
			return gfpClass{kind: gfpNonblocking}
		}
		if v, ok := st.gfpOf(e.Name); ok && v != nil {
			return f.gfpDepth(v, st, depth+1)
		}
		if i := f.env.paramIndex(e.Name); i >= 0 {
			if t := f.fn.Params[i].Type; t.Base == "gfp_t" && t.Ptr == 0 {
				return gfpClass{kind: gfpParam, param: i}
			}
		}
		return gfpClass{}
	case cparse.EBinary:
		switch e.Op {
		case "|":
			a, b := f.gfpDepth(e.X, st, depth+1), f.gfpDepth(e.Y, st, depth+1)
			switch {
			case a.kind == gfpBlocking || b.kind == gfpBlocking:
				return gfpClass{kind: gfpBlocking}
			case a.kind == gfpUnknown || b.kind == gfpUnknown:
				return gfpClass{}
			case a.kind == gfpParam && b.kind == gfpParam:
				if a.param == b.param {
					return a
				}
				return gfpClass{}
			case a.kind == gfpParam:
				return a
			case b.kind == gfpParam:
				return b
			}
			return gfpClass{kind: gfpNonblocking}
		case "&":
			if y := e.Y.Strip(); y != nil && y.Kind == cparse.EUnary && y.Op == "~" {
				if f.clearsReclaim(y.X) {
					return gfpClass{kind: gfpNonblocking}
				}
				return f.gfpDepth(e.X, st, depth+1)
			}
			return gfpClass{}
		}
	case cparse.ECall:
		if spec := f.p.kb.Funcs[e.CallName()]; spec != nil && spec.GFPFrom != nil && *spec.GFPFrom < len(e.Args) {
			return f.gfpDepth(e.Args[*spec.GFPFrom], st, depth+1)
		}
	case cparse.ECond:
		if e.Y == nil {
			return gfpClass{}
		}
		a, b := f.gfpDepth(e.Y, st, depth+1), f.gfpDepth(e.Z, st, depth+1)
		if a == b {
			return a
		}
	}
	return gfpClass{}
}

// clearsReclaim reports whether a mask cleared with & ~ holds the direct
// reclaim bit.
func (f *flow) clearsReclaim(e *cparse.Expr) bool {
	return e.ReadsAny(func(id string) bool { return f.p.kb.GFP[id] == kb.GFPReclaim })
}
