// SPDX-License-Identifier: GPL-2.0-only

package flow

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
	if fi.Result != nil && fi.Result.Failed {
		b.WriteString("  analysis failed: too many paths\n")
	}
	if fi.Result != nil && fi.Result.Imprecise {
		b.WriteString("  imprecise: lock configurations joined, leak checks off\n")
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
		for _, f := range o.Conds {
			fmt.Fprintf(&b, " [%s=%t]", f.Key, f.Val)
		}
		b.WriteByte('\n')
	}
	for _, e := range s.Effects {
		what := e.Kind.String()
		if e.Ctx != nil {
			what += " " + ctxs([]*Ctx{e.Ctx})
		}
		if e.GfpParam >= 0 {
			what += fmt.Sprintf(" (if param %d blocks)", e.GfpParam)
		}
		if len(e.Unheld) > 0 {
			what += " after releasing {" + ctxs(e.Unheld) + "}"
		}
		fmt.Fprintf(&b, "  effect %s: %s via %v", what, e.What, CalleePath(e.Chain))
		for _, f := range e.Conds {
			fmt.Fprintf(&b, " [%s=%t]", f.Key, f.Val)
		}
		b.WriteByte('\n')
	}
	if fi.Result != nil {
		for _, x := range fi.Result.Exits {
			fmt.Fprintf(&b, "  exit line %d (block %d) class %d held {%s}", x.Line, x.Block, x.Class, ctxs(x.State.Held))
			for _, f := range x.State.Conds {
				fmt.Fprintf(&b, " [%s=%t]", f.Key, f.Val)
			}
			b.WriteByte('\n')
		}
		for _, o := range fi.Result.Obs {
			what := o.Eff.Kind.String()
			if o.Eff.Ctx != nil {
				what += " " + ctxs([]*Ctx{o.Eff.Ctx})
			}
			fmt.Fprintf(&b, "  observed line %d %s: %s held {%s}", o.Line, what, o.Eff.What, ctxs(o.Held))
			if len(o.Eff.Inner) > 0 {
				fmt.Fprintf(&b, " inner {%s}", ctxs(o.Eff.Inner))
			}
			if o.NonRT {
				b.WriteString(" non-RT")
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Explain says what callers are told of a function, for `lockbot
// explain`: whether it may sleep and the shortest chain that shows it, the
// locks it takes, what it leaves held or releases, what it requires.
func Explain(fi *FuncInfo) string {
	var b strings.Builder
	f := fi.F
	fmt.Fprintf(&b, "%s() at %s:%d\n", f.Name, f.File.Path, f.Line)
	s := fi.Sum
	if s == nil || fi.Result != nil && fi.Result.Failed {
		b.WriteString("  not analysed (too many paths): callers treat it as unknown\n")
		return b.String()
	}
	var sleep *Effect
	for _, e := range s.Effects {
		if (e.Kind == ESleep || e.Kind == EAlloc && e.Sleeps) && (sleep == nil || len(e.Chain) < len(sleep.Chain)) {
			sleep = e
		}
	}
	if sleep == nil {
		b.WriteString("  may sleep: no\n")
	} else {
		cond := ""
		if sleep.GfpParam >= 0 && sleep.GfpParam < len(f.Params) {
			cond = fmt.Sprintf(" when %s allows direct reclaim", f.Params[sleep.GfpParam].Name)
		}
		fmt.Fprintf(&b, "  may sleep%s: %s\n", cond, sleep.What)
		for _, st := range sleep.Chain {
			fmt.Fprintf(&b, "    %s:%d: %s(): %s\n", st.File, st.Line, st.Func, st.Note)
		}
	}
	seen := map[string]bool{}
	for _, e := range s.Effects {
		if e.Kind != ETake || e.Ctx == nil || seen[e.Ctx.Kind.Name+e.Ctx.Class] {
			continue
		}
		seen[e.Ctx.Kind.Name+e.Ctx.Class] = true
		name := e.Ctx.Class
		if name == "" {
			name = e.Ctx.Inst
		}
		fmt.Fprintf(&b, "  takes %s %s: %s\n", e.Ctx.Kind.Desc, name, e.What)
	}
	for _, o := range s.Outcomes {
		if len(o.Acquired)+len(o.Released)+len(o.Maybe) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  returning %s (line %d):", o.Ret, o.Line)
		for _, c := range o.Acquired {
			fmt.Fprintf(&b, " leaves %s held;", describeCtx(c))
		}
		for _, c := range o.Released {
			fmt.Fprintf(&b, " releases the caller's %s;", describeCtx(c))
		}
		for _, c := range o.Maybe {
			fmt.Fprintf(&b, " may release the caller's %s;", describeCtx(c))
		}
		b.WriteByte('\n')
	}
	for _, c := range s.Requires {
		fmt.Fprintf(&b, "  requires %s held\n", describeCtx(c))
	}
	return b.String()
}

func describeCtx(c *Ctx) string {
	switch {
	case c.Class != "":
		return c.Kind.Desc + " " + c.Class
	case c.Inst != "":
		return c.Kind.Desc + " " + c.Inst
	}
	return c.Kind.Desc
}

// String says in one line what callers are told of a function: its
// effects ("sleeps: msleep(1) in foo_wait()", "takes spinlock_t struct
// foo::lock", "allocates, may sleep: kmalloc(n, GFP_KERNEL)"), its
// outcomes that leave or release something ("returns nonzero: acquires
// spinlock_t struct foo::lock"), what it requires held, and whether it
// returns at all. Tests match it ("want summary:..."), so its wording is
// the engine's product as much as a finding's.
func (s *Summary) String() string {
	if s == nil {
		return "not analysed"
	}
	var parts []string
	for _, e := range s.Effects {
		var what string
		switch e.Kind {
		case ETake:
			what = "takes " + describeCtx(e.Ctx)
		case ESleep:
			what = "sleeps: " + e.What
		case EAlloc:
			what = "allocates: " + e.What
			if e.Frees {
				what = "frees: " + e.What
			}
			if e.Sleeps {
				what = "allocates, may sleep: " + e.What
			}
		case EWait:
			what = "waits: " + e.What
		case ESeqWrite:
			what = "writes " + describeCtx(e.Ctx)
		default:
			what = e.Kind.String() + ": " + e.What
		}
		if e.GfpParam >= 0 {
			what += fmt.Sprintf(" if parameter %d blocks", e.GfpParam+1)
		}
		if path := CalleePath(e.Chain); len(path) > 0 {
			what += " in " + path[len(path)-1] + "()"
		}
		parts = append(parts, what)
	}
	for _, o := range s.Outcomes {
		var did []string
		for _, c := range o.Acquired {
			did = append(did, "acquires "+describeCtx(c))
		}
		for _, c := range o.Released {
			did = append(did, "releases "+describeCtx(c))
		}
		for _, c := range o.Maybe {
			did = append(did, "may release "+describeCtx(c))
		}
		if len(did) > 0 {
			parts = append(parts, "returns "+o.Ret.String()+": "+strings.Join(did, ", "))
		}
	}
	for _, c := range s.Requires {
		parts = append(parts, "requires "+describeCtx(c)+" held")
	}
	if s.NoReturn {
		parts = append(parts, "never returns")
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}
