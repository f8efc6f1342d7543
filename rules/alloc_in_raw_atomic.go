package rules

import (
	"fmt"

	"lockbot/flow"
)

// AllocInRawAtomic finds memory allocations in truly atomic contexts.
var AllocInRawAtomic = &Analyzer{
	Name:     "ALLOC_IN_RAW_ATOMIC",
	Title:    "memory allocation in a truly atomic context",
	Severity: Error,
	RTOnly:   true,
	Doc: `On PREEMPT_RT the slab and page allocators take spinlock_t locks, which sleep. An
allocation, even with GFP_ATOMIC or GFP_NOWAIT, is therefore invalid while a
raw_spinlock_t or bit spinlock is held, or with preemption or interrupts disabled.
(A blocking allocation there is reported as SLEEP_IN_ATOMIC instead.)`,
	Fix: "allocate before entering the atomic section and free after leaving it, or preallocate",
	Ref: "Documentation/locking/locktypes.rst (raw_spinlock_t on RT)",
	Run: runAllocInRawAtomic,
}

func runAllocInRawAtomic(pass *Pass) {
	for _, fi := range pass.Funcs() {
		for _, o := range fi.Result.Obs {
			e := o.Eff
			if e.Kind != flow.EAlloc || e.Sleeps || anyCtx(e.Inner, isAtomic) || o.NonRT {
				continue
			}
			blame := flow.Innermost(o.Held, o.Exclude, isAtomic)
			if blame == nil {
				continue
			}
			msg := fmt.Sprintf("%s%s allocates memory with %s held; the allocator takes sleeping locks on PREEMPT_RT",
				e.What, where(o), heldDesc(blame))
			chain := append(append([]flow.Step(nil), blame.Via.Steps()...), e.Chain...)
			pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, Message: msg, Chain: chain},
				blame.Kind.Name, blame.Class, siteCallee(o))
		}
	}
}
