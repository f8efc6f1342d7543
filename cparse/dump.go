// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"fmt"
	"strings"
)

// Dump renders the control-flow graph, for tests and `lockbot debug cfg`.
func (f *Func) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "func %s (line %d-%d, entry B%d)\n", f.Name, f.Line, f.EndLine, f.Entry)
	for _, bl := range f.Blocks {
		fmt.Fprintf(&b, "B%d:\n", bl.ID)
		for _, s := range bl.Stmts {
			fmt.Fprintf(&b, "  %d: %s\n", s.Line, s)
		}
		switch bl.Term {
		case TJump:
			if len(bl.Succs) > 0 {
				fmt.Fprintf(&b, "  jump B%d\n", bl.Succs[0])
			} else {
				fmt.Fprintf(&b, "  (unterminated)\n")
			}
		case TBranch:
			c := "?"
			if bl.Cond != nil {
				c = bl.Cond.String()
			}
			fmt.Fprintf(&b, "  if %s then B%d else B%d\n", c, bl.Succs[0], bl.Succs[1])
		case TSwitch:
			fmt.Fprintf(&b, "  switch %v\n", bl.Succs)
		case TReturn:
			r := ""
			if bl.Ret != nil {
				r = " " + bl.Ret.String()
			}
			fmt.Fprintf(&b, "  %d: return%s\n", bl.Line, r)
		case TStop:
			fmt.Fprintf(&b, "  stop\n")
		}
	}
	return b.String()
}

func (s *Stmt) String() string {
	switch s.Kind {
	case SCall:
		if s.LHS != nil {
			return s.LHS.String() + " = " + s.Call.String()
		}
		return s.Call.String()
	case SAssign:
		if s.RHS == nil {
			return s.LHS.String() + "++"
		}
		return s.LHS.String() + " = " + s.RHS.String()
	case SGuard:
		return fmt.Sprintf("guard(%s)(%s)", s.Guard.Class, exprList(s.Guard.Args))
	case SGuardEnd:
		return fmt.Sprintf("end guard(%s)(%s)", s.Guard.Class, exprList(s.Guard.Args))
	case SLoopVar:
		return "loop var " + s.LHS.String()
	}
	return "?"
}

func exprList(es []*Expr) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, e.String())
	}
	return strings.Join(parts, ", ")
}
