// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"

	"lockbot/flow"
)

// NowaitMayBlock finds blocking calls on paths only NOWAIT requests take.
var NowaitMayBlock = &Analyzer{
	Name:     "NOWAIT_MAY_BLOCK",
	Title:    "a blocking call or allocation on a path taken only for NOWAIT requests",
	Severity: Warning,
	Doc: `REQ_NOWAIT, IOCB_NOWAIT, RWF_NOWAIT and IOMAP_NOWAIT ask the kernel not to wait for
locks or I/O: io_uring and AIO submit such requests inline and retry them from a worker
on -EAGAIN. A path taken only for NOWAIT requests that takes a sleeping lock or waits
for an event or for I/O defeats that contract. So, in a milder way, does an allocation
whose mask allows direct reclaim, which can wait for writeback: the kernel's own iomap,
filemap and block ioctl code switch to GFP_NOWAIT there. A function that turns away
the NOWAIT requests it cannot serve (returns -EAGAIN or BLK_STS_NOTSUPP for them) has
promised to serve the rest without blocking: such an allocation on their path is
reported too.`,
	Fix: "use the trylock variant and return -EAGAIN when it fails; allocate with GFP_NOWAIT and return -EAGAIN when that fails",
	Ref: "Documentation/filesystems/iomap/operations.rst (IOMAP_NOWAIT), include/linux/blk_types.h (REQ_NOWAIT)",
	Run: runNowaitMayBlock,
}

func runNowaitMayBlock(pass *Pass) {
	for _, fi := range pass.Funcs() {
		for _, o := range fi.Result.Obs {
			e := o.Eff
			if e.GfpParam >= 0 {
				continue
			}
			if o.Nowait == nil {
				// A NOWAIT request the function let through after turning
				// others away (dm's REQ_NOWAIT fix, 6f25dd1c57b8): an
				// allocation that may wait for writeback breaks the promise.
				// A lock or a wait there is left alone: which locks the
				// function deems short is its own call.
				// Only an allocation whose mask the function chooses: made
				// here, or by a callee given its mask ("alloc_tio(...,
				// GFP_NOIO)"); what callees deeper down do with their own
				// masks is not this function's promise to keep.
				if o.Admitted != nil && e.Kind == flow.EAlloc && e.Sleeps && !e.Frees && (len(e.Chain) == 1 || e.MaskHere) {
					msg := fmt.Sprintf("%s%s allocates with a mask that allows direct reclaim, which can wait for writeback, and NOWAIT requests that line %d lets through reach it",
						e.What, where(o), o.Admitted.Line)
					chain := append([]flow.Step{*o.Admitted}, e.Chain...)
					pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg, Chain: chain},
						siteCallee(o))
				}
				continue
			}
			var msg string
			switch {
			case e.Kind == flow.ESleep && e.Blocks:
				msg = fmt.Sprintf("%s%s may block, but only NOWAIT requests reach it", e.What, where(o))
			case e.Kind == flow.EAlloc && e.Sleeps && !e.Frees:
				msg = fmt.Sprintf("%s%s allocates with a mask that allows direct reclaim, which can wait for writeback, but only NOWAIT requests reach it",
					e.What, where(o))
			default:
				continue
			}
			chain := append([]flow.Step{*o.Nowait}, e.Chain...)
			pass.Report(&Finding{File: fi.F.File.Path, Line: o.Line, Function: fi.F.Name, If: o.If, Message: msg, Chain: chain},
				siteCallee(o))
		}
	}
}
