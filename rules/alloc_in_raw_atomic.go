// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"

	"lockbot/flow"
)

// AllocInRawAtomic finds memory allocations and frees in truly atomic
// contexts.
var AllocInRawAtomic = &Analyzer{
	Name:     "ALLOC_IN_RAW_ATOMIC",
	Title:    "memory allocation or free in a truly atomic context",
	Severity: Error,
	RTOnly:   true,
	Doc: `On PREEMPT_RT the slab and page allocators take spinlock_t locks, which sleep. An
allocation, even with GFP_ATOMIC or GFP_NOWAIT, and a free (kfree, kmem_cache_free,
mempool_free, free_pages) are therefore invalid while a raw_spinlock_t or bit spinlock
is held, or with preemption or interrupts disabled: "the memory allocator is fully
preemptible and therefore cannot be invoked from truly atomic contexts". (A blocking
allocation there is reported as SLEEP_IN_ATOMIC instead.)`,
	Fix: "allocate before entering the atomic section and free after leaving it (collect what to free on a list, or free it with kfree_rcu), or preallocate",
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
			does := "allocates"
			if e.Frees {
				does = "frees"
			}
			msg := fmt.Sprintf("%s%s %s memory with %s held; the allocator takes sleeping locks on PREEMPT_RT",
				e.What, where(o), does, heldDesc(blame))
			chain := append(append([]flow.Step(nil), blame.Via.Steps()...), e.Chain...)
			pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg, Chain: chain},
				blame.Kind.Name, blame.Class, siteCallee(o))
		}
	}
}
