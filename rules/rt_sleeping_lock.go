// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"

	"lockbot/flow"
)

// RTSleepingLockInAtomic finds spinlock_t, rwlock_t and local_lock taken
// inside a truly atomic context.
var RTSleepingLockInAtomic = &Analyzer{
	Name:     "RT_SLEEPING_LOCK_IN_ATOMIC",
	Title:    "spinlock_t, rwlock_t or local_lock taken in a truly atomic context",
	Severity: Error,
	RTOnly:   true,
	Doc: `On PREEMPT_RT, spinlock_t, rwlock_t and local_lock_t are sleeping locks (rt_mutex
based). Taking one while a raw_spinlock_t or a bit spinlock (hlist_bl_lock) is held,
with preemption disabled (preempt_disable, get_cpu, get_cpu_ptr), with interrupts
disabled (local_irq_disable/save) or inside rcu_read_lock_sched() schedules in atomic
context. lockdep reports it as "Invalid wait context" with PROVE_RAW_LOCK_NESTING.
A trylock is not reported: it gives up rather than wait, and lockdep's check passes
over it.
The raw context may be entered in a caller or hidden in a helper: the chain shows where.`,
	Fix: "make the inner lock a raw_spinlock_t, use spin_lock_irqsave() instead of local_irq_save() + spin_lock(), or move the locked code out of the atomic section",
	Ref: "Documentation/locking/locktypes.rst",
	Run: runRTSleepingLock,
}

func runRTSleepingLock(pass *Pass) {
	for _, fi := range pass.Funcs() {
		for _, o := range fi.Result.Obs {
			e := o.Eff
			// A trylock never waits (rt_spin_trylock() gives up), and
			// lockdep's wait-context check passes over trylocks
			// (check_wait_context(): "next->trylock").
			if e.Kind != flow.ETake || !e.Ctx.Kind.RTSleeps || e.Ctx.Try || anyCtx(e.Inner, isAtomic) || o.NonRT {
				continue
			}
			blame := flow.Innermost(o.Held, o.Exclude, isAtomic)
			if blame == nil {
				continue
			}
			var msg string
			if callee := viaCall(o); callee != "" {
				msg = fmt.Sprintf("%s%s takes %s, a sleeping lock on PREEMPT_RT, but %s() calls %s() with %s held",
					e.What, where(o), e.Ctx.Name(), fi.F.Name, callee, heldDesc(blame))
			} else {
				msg = fmt.Sprintf("%s takes %s, a sleeping lock on PREEMPT_RT, with %s held",
					e.What, e.Ctx.Name(), heldDesc(blame))
			}
			chain := append(append([]flow.Step(nil), blame.Via.Steps()...), e.Chain...)
			fix := fmt.Sprintf("use raw_spinlock_t for %s, or move it out of the %s section", lockLabel(e.Ctx), blame.Kind.Desc)
			// One finding per call and atomic context, as for a sleep: a
			// callee that may take any of eight sleeping locks deep down
			// (ghes_notify_nmi()'s estatus reads through ioremap) is one
			// mistake at the call, shown by its shortest chain.
			inner, class := e.Ctx.Kind.Name, e.Ctx.Class
			if viaCall(o) != "" {
				inner, class = "", ""
			}
			pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg, Chain: chain, Fix: fix},
				blame.Kind.Name, blame.Class, inner, class, siteCallee(o))
		}
	}
}

// lockLabel names a held context's lock in a message: its class, else
// its expression.
func lockLabel(c *flow.Ctx) string {
	if c.Class != "" {
		return c.Class
	}
	if c.Expr != nil {
		return c.Expr.String()
	}
	return c.Kind.Desc
}
