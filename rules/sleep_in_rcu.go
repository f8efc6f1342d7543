// SPDX-License-Identifier: GPL-2.0-only

package rules

import "lockbot/flow"

// SleepInRCU finds calls that may sleep inside an RCU read-side section.
var SleepInRCU = &Analyzer{
	Name:     "SLEEP_IN_RCU",
	Title:    "a call that may sleep inside rcu_read_lock()",
	Severity: Error,
	Doc: `rcu_read_lock(), rcu_read_lock_bh() and rcu_read_lock_sched() sections must not sleep:
with PREEMPT_RCU a sleeping reader stalls grace periods, without it the section runs
with preemption disabled. SRCU readers may sleep; RCU readers may not. A NOWAIT request
(REQ_NOWAIT, IOCB_NOWAIT) is no licence to sleep under RCU: NOWAIT means "do not wait
for other I/O", not "will not schedule" (the dm REQ_NOWAIT bug, commit 5a7e8b2 upstream).`,
	Fix: "move the call out of the RCU read-side section, take a reference and drop rcu_read_lock() first, or use SRCU for sections that must sleep",
	Ref: "Documentation/RCU/whatisRCU.rst, Documentation/RCU/checklist.rst",
	Run: runSleepInRCU,
}

func runSleepInRCU(pass *Pass) {
	for _, fi := range pass.Funcs() {
		for _, o := range fi.Result.Obs {
			e := o.Eff
			if e.Kind != flow.ESleep || e.GfpParam >= 0 || anyCtx(e.Inner, isSpinningNonRCU) || anyCtx(e.Inner, isRCU) {
				continue
			}
			if flow.Innermost(o.Held, o.Exclude, isSpinningNonRCU) != nil {
				continue // SLEEP_IN_ATOMIC reports it
			}
			if e.Wait == "rcu" {
				continue // WAIT_UNDER_LOCK reports synchronize_rcu() under RCU
			}
			blame := flow.Innermost(o.Held, o.Exclude, isRCU)
			if blame == nil {
				continue
			}
			reportSleep(pass, fi, o, blame)
		}
	}
}
