// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"

	"lockbot/flow"
)

// DoubleLock finds a lock taken again while held.
var DoubleLock = &Analyzer{
	Name:     "DOUBLE_LOCK",
	Title:    "a lock taken while it is already held",
	Severity: Error,
	Doc: `Taking a non-recursive lock (spinlock, mutex, rw_semaphore, ...) that the same task
already holds deadlocks at once. The lock is the same when its class and its instance
(the same expression, its variables unchanged) match; the second acquisition may be in
a callee. Two instances of one class nest only with the *_nested() annotations, which
give them different subclasses.`,
	Fix: "release the lock before the call, or use a variant of the callee that expects it held (the __ or _locked helper)",
	Ref: "Documentation/locking/lockdep-design.rst",
	Run: runDoubleLock,
}

func runDoubleLock(pass *Pass) {
	for _, fi := range pass.Funcs() {
		if fi.Result.Imprecise {
			continue
		}
		for _, o := range fi.Result.Obs {
			e := o.Eff
			if e.Kind != flow.ETake || e.Ctx.Try || e.Ctx.Kind.Recursive || e.Ctx.Inst == "" {
				continue
			}
			var prev *flow.Ctx
			for _, h := range o.Held {
				if flow.Family(h.Kind) == flow.Family(e.Ctx.Kind) && h.Inst == e.Ctx.Inst && h.Sub == e.Ctx.Sub && !(h.Kind.Recursive && e.Ctx.Kind.Recursive) {
					prev = h
				}
			}
			if prev == nil {
				continue
			}
			var msg string
			if callee := viaCall(o); callee != "" {
				msg = fmt.Sprintf("%s() calls %s() with %s held, and %s%s takes it again", fi.F.Name, callee, heldDesc(prev), e.What, where(o))
			} else {
				msg = fmt.Sprintf("%s takes %s, which is already held", e.What, heldDesc(prev))
			}
			chain := append(append([]flow.Step(nil), prev.Via.Steps()...), e.Chain...)
			cond := o.If
			if prev.KeptIf != "" {
				cond = append(append([]string(nil), o.If...), prev.KeptIf)
			}
			pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: cond, Message: msg, Chain: chain},
				e.Ctx.Kind.Name, e.Ctx.Class, siteCallee(o))
		}
	}
}
