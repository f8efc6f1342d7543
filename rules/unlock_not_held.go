// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"

	"lockbot/flow"
)

// UnlockNotHeld finds a lock released on a path that already released it.
var UnlockNotHeld = &Analyzer{
	Name:     "UNLOCK_NOT_HELD",
	Title:    "a lock released on a path where it is not held",
	Severity: Error,
	Doc: `Releasing a lock this function already released on the same path, or whose trylock
failed, corrupts the lock: a spinlock's owner check fires, a mutex wakes a waiter that
finds it held, an RCU nesting count goes negative. Only cases evident inside one
function are reported; unlocking a lock the caller holds is how unlock helpers work.`,
	Fix: "remove the extra release, or make the error path skip it (jump to a label after the unlock)",
	Ref: "Documentation/locking/lockdep-design.rst",
	Run: runUnlockNotHeld,
}

func runUnlockNotHeld(pass *Pass) {
	for _, fi := range pass.Funcs() {
		if fi.Result.Imprecise {
			continue
		}
		for _, o := range fi.Result.Obs {
			e := o.Eff
			if e.Kind != flow.ERelease || e.Prev == nil {
				continue
			}
			prev := primOf(e.Prev.Note)
			if prev == "" {
				prev = "released"
			}
			msg := fmt.Sprintf("%s releases %s, which this path no longer holds (%s at line %d)",
				primOf(e.What), e.Ctx.Name(), prev, e.Prev.Line)
			chain := e.Chain
			if d, ok := pass.Prog.Detour(fi, e.Prev.Line, o.Line); ok && len(chain) > 0 {
				chain = append(append(append([]flow.Step(nil), chain[:len(chain)-1]...), d), chain[len(chain)-1])
			}
			pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg, Chain: chain},
				e.Ctx.Kind.Name, e.Ctx.Class, e.Ctx.Inst)
		}
	}
}
