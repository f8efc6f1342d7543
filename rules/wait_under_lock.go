// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"
	"slices"

	"lockbot/flow"
)

// WaitUnderLock finds waits that cannot end because the waiter holds what
// the awaited party needs.
var WaitUnderLock = &Analyzer{
	Name:     "WAIT_UNDER_LOCK",
	Title:    "a wait that deadlocks with a lock the waiter holds",
	Severity: Error,
	Doc: `flush_work(), cancel_work_sync(), flush_workqueue(), del_timer_sync() and friends wait
for a callback to finish. If the callback takes a lock the waiter holds, neither can
proceed. The same holds for synchronize_rcu() inside rcu_read_lock() and
synchronize_srcu() inside a read section of the same srcu_struct. Work items are
matched to their functions through INIT_WORK/INIT_DELAYED_WORK/timer_setup in the
analysed code, and workqueues to their items through queue_work().`,
	Fix: "wait before taking the lock, or release it around the wait (and recheck state after)",
	Ref: "Documentation/core-api/workqueue.rst, Documentation/RCU/checklist.rst",
	Run: runWaitUnderLock,
}

func runWaitUnderLock(pass *Pass) {
	prog := pass.Prog
	reg := map[string][]*flow.Obs{} // work item class -> registrations
	queues := map[string][]string{} // workqueue class -> item classes
	for _, fi := range prog.Funcs {
		if fi.Result == nil {
			continue
		}
		for _, o := range fi.Result.Obs {
			switch o.Eff.Kind {
			case flow.ERegister:
				if o.Eff.Item != "" {
					reg[o.Eff.Item] = append(reg[o.Eff.Item], o)
				}
			case flow.EQueue:
				if o.Eff.Item != "" && o.Eff.Queue != "" && !slices.Contains(queues[o.Eff.Queue], o.Eff.Item) {
					queues[o.Eff.Queue] = append(queues[o.Eff.Queue], o.Eff.Item)
				}
			}
		}
	}
	for _, fi := range pass.Funcs() {
		for _, o := range fi.Result.Obs {
			e := o.Eff
			if e.Kind != flow.EWait {
				continue
			}
			switch e.Wait {
			case "rcu":
				if anyCtx(e.Inner, isRCU) {
					continue
				}
				if blame := flow.Innermost(o.Held, nil, isRCU); blame != nil {
					msg := fmt.Sprintf("%s%s waits for an RCU grace period inside %s: it can never end", e.What, where(o), heldDesc(blame))
					pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg,
						Chain: append(append([]flow.Step(nil), blame.Via.Steps()...), e.Chain...)}, "rcu", fmt.Sprint(flow.CalleePath(e.Chain)))
				}
			case "srcu":
				if e.Ctx == nil {
					continue
				}
				// An SRCU domain is one srcu_struct, not a class of them: a
				// wait on another instance (dm-thin's pool suspending its
				// thin devices, each a mapped_device of its own) is not a
				// wait on this read section, and a wait on one this
				// function cannot name is not known to be.
				for _, h := range o.Held {
					if h.Kind.Name == "srcu" && h.Inst != "" && h.Inst == e.Ctx.Inst {
						msg := fmt.Sprintf("%s%s waits for SRCU readers of %s inside its own read section", e.What, where(o), lockLabel(e.Ctx))
						pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg,
							Chain: append(append([]flow.Step(nil), h.Via.Steps()...), e.Chain...)}, "srcu", h.Class)
						break
					}
				}
			case "work", "queue":
				items := []string{e.Item}
				if e.Wait == "queue" {
					items = queues[e.Queue]
				}
				for _, item := range items {
					for _, r := range reg[item] {
						waitForCallback(pass, fi, o, pass.Prog.Lookup(r.Fn.F, r.Eff.Fn), r.Eff.Chain, item)
					}
					if len(reg[item]) > 0 || item == "" {
						continue
					}
					// Registered in another file, as the index says.
					for _, t := range pass.Prog.Registered(item) {
						step := flow.Step{File: t.File, Line: t.Line, Func: t.By, Note: fmt.Sprintf("registers %s() for %s", t.Fn, item)}
						waitForCallback(pass, fi, o, pass.Prog.LookupIn(t.Fn, t.File), []flow.Step{step}, item)
					}
				}
			}
		}
	}
}

// waitForCallback reports a wait under a lock the registered callback
// cb takes; reg is the registration's chain.
func waitForCallback(pass *Pass, fi *flow.FuncInfo, o *flow.Obs, cb *flow.FuncInfo, reg []flow.Step, item string) {
	if cb == nil || cb.Sum == nil {
		return
	}
	for _, h := range o.Held {
		if !h.Kind.Lock || h.Class == "" {
			continue
		}
		for _, t := range cb.Sum.Effects {
			if t.Kind != flow.ETake || t.Ctx.Try || t.Ctx.Class != h.Class || t.Ctx.Kind.EntryNeverSleeps {
				// A callback's srcu_read_lock() never waits for this
				// reader: readers do not block one another.
				continue
			}
			msg := fmt.Sprintf("%s%s waits for %s(), which takes %s, but %s is held here: deadlock",
				o.Eff.What, where(o), cb.F.Name, t.Ctx.Class, heldDesc(h))
			var chain []flow.Step
			chain = append(chain, h.Via.Steps()...)
			chain = append(chain, o.Eff.Chain...)
			chain = append(chain, reg...)
			chain = append(chain, t.Chain...)
			pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg, Chain: chain},
				item, cb.F.Name, h.Class)
			return
		}
	}
}
