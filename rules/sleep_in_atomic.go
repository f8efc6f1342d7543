// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"

	"lockbot/flow"
)

// SleepInAtomic finds calls that may sleep while a spinning context is held.
var SleepInAtomic = &Analyzer{
	Name:     "SLEEP_IN_ATOMIC",
	Title:    "a call that may sleep while a spinlock is held or preemption, interrupts or bottom halves are disabled",
	Severity: Error,
	Doc: `A sleeping lock (mutex, rw_semaphore), a wait, a user copy or an allocation whose gfp
mask allows direct reclaim (GFP_KERNEL, GFP_NOFS, GFP_NOIO, ...) may schedule. Under
a spinlock of any kind, or with preemption, interrupts or bottom halves disabled, that
is "BUG: sleeping function called from invalid context" (CONFIG_DEBUG_ATOMIC_SLEEP) on
every kernel. A helper that passes its gfp_t parameter down sleeps only for callers
that pass a blocking mask.`,
	Fix: "move the call out of the locked section (drop the lock around it, allocate before taking it), or use GFP_ATOMIC/GFP_NOWAIT for an allocation that may fail",
	Ref: "Documentation/locking/locktypes.rst, Documentation/core-api/memory-allocation.rst",
	Run: runSleepInAtomic,
}

func runSleepInAtomic(pass *Pass) {
	for _, fi := range pass.Funcs() {
		for _, o := range fi.Result.Obs {
			e := o.Eff
			if e.Kind != flow.ESleep || e.GfpParam >= 0 || anyCtx(e.Inner, isSpinningNonRCU) || anyCtx(e.Inner, isRCU) {
				continue
			}
			blame := flow.Innermost(o.Held, o.Exclude, isSpinningNonRCU)
			if blame == nil {
				continue
			}
			reportSleep(pass, fi, o, blame)
		}
	}
}

func reportSleep(pass *Pass, fi *flow.FuncInfo, o *flow.Obs, blame *flow.Ctx) {
	e := o.Eff
	msg := fmt.Sprintf("%s%s may sleep, but %s is held", e.What, where(o), heldDesc(blame))
	if callee := viaCall(o); callee != "" {
		msg = fmt.Sprintf("%s() calls %s() with %s held, and %s%s may sleep", fi.F.Name, callee, heldDesc(blame), e.What, where(o))
	}
	chain := append(append([]flow.Step(nil), blame.Via.Steps()...), e.Chain...)
	pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg, Chain: chain},
		blame.Kind.Name, blame.Class, siteCallee(o))
}
