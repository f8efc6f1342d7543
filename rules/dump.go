package rules

import (
	"fmt"
	"strings"
)

// Dump renders a function's summary, for `lockbot debug summary`.
func (fi *FuncInfo) Dump() string {
	var b strings.Builder
	s := fi.Sum
	if s == nil {
		return "  (no summary)\n"
	}
	if fi.Facts != nil && fi.Facts.Failed {
		b.WriteString("  analysis failed: too many paths\n")
	}
	ctxs := func(l []*Ctx) string {
		var parts []string
		for _, c := range l {
			n := c.Kind.Name
			if c.Class != "" {
				n += " " + c.Class
			}
			if c.Inst != "" {
				n += " [" + c.Inst + "]"
			}
			parts = append(parts, n)
		}
		return strings.Join(parts, ", ")
	}
	for _, o := range s.Outcomes {
		fmt.Fprintf(&b, "  outcome line %d returns %s: acquires {%s} releases {%s} maybe {%s}", o.Line, o.Ret, ctxs(o.Acquired), ctxs(o.Released), ctxs(o.Maybe))
		for _, f := range o.Facts {
			fmt.Fprintf(&b, " [%s=%t]", f.Key, f.Val)
		}
		b.WriteByte('\n')
	}
	kinds := []string{"take", "sleep", "alloc", "wait", "register", "queue", "seqwrite", "release"}
	for _, e := range s.Effects {
		what := kinds[e.Kind]
		if e.Ctx != nil {
			what += " " + ctxs([]*Ctx{e.Ctx})
		}
		if e.GfpParam >= 0 {
			what += fmt.Sprintf(" (if param %d blocks)", e.GfpParam)
		}
		if len(e.Unheld) > 0 {
			what += " after releasing {" + ctxs(e.Unheld) + "}"
		}
		fmt.Fprintf(&b, "  effect %s: %s via %v\n", what, e.What, calleePath(e.Chain))
	}
	return b.String()
}
