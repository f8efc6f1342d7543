// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"

	"lockbot/flow"
	"lockbot/kb"
)

// SeqcountWritePreemptible finds seqcount_t writers that can be preempted.
var SeqcountWritePreemptible = &Analyzer{
	Name:     "SEQCOUNT_WRITE_PREEMPTIBLE",
	Title:    "write_seqcount_begin() on a plain seqcount_t with preemption enabled",
	Severity: Warning,
	Doc: `A plain seqcount_t has no lock of its own: its writer must run with preemption
disabled, or a reader that preempts it spins until the next tick (forever for a
real-time reader). lockdep asserts it in write_seqcount_begin(). On PREEMPT_RT a
spinlock_t does not disable preemption, so a writer serialised only by one needs a
seqcount_spinlock_t. Callers are followed: the report is where no caller provides the
context.`,
	Fix: "use seqcount_LOCKNAME_t (seqcount_spinlock_t, seqcount_mutex_t) associated with the writer's lock, or a seqlock_t, or disable preemption around the write",
	Ref: "Documentation/locking/seqlock.rst",
	Run: runSeqcount,
}

func runSeqcount(pass *Pass) {
	for _, fi := range pass.Funcs() {
		for _, o := range fi.Result.Obs {
			e := o.Eff
			if e.Kind != flow.ESeqWrite || e.Item != "seqcount_t" {
				continue
			}
			all := append(append([]*flow.Ctx(nil), e.Inner...), o.Held...)
			preemptOff := anyCtx(all, func(c *flow.Ctx) bool { return c.Kind.PreemptOff })
			atomic := anyCtx(all, func(c *flow.Ctx) bool { return c.Kind.Category == kb.Atomic })
			switch {
			case !preemptOff && fi.Callers == 0 && !pass.Prog.AddressTaken(fi):
				msg := fmt.Sprintf("%s%s writes plain seqcount_t %s with preemption enabled and no lock held",
					e.What, where(o), lockLabel(e.Ctx))
				pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg, Chain: e.Chain},
					e.Ctx.Class, fmt.Sprint(flow.CalleePath(e.Chain)))
			case preemptOff && !atomic && !o.NonRT:
				c := flow.Innermost(all, nil, func(c *flow.Ctx) bool { return c.Kind.PreemptOff && !c.FromCaller })
				if c == nil {
					continue
				}
				msg := fmt.Sprintf("%s%s writes plain seqcount_t %s under %s, which does not disable preemption on PREEMPT_RT",
					e.What, where(o), lockLabel(e.Ctx), heldDesc(c))
				pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg, RTOnly: true,
					Chain: append(append([]flow.Step(nil), c.Via.Steps()...), e.Chain...)}, e.Ctx.Class, c.Class, "rt")
			}
		}
	}
}
