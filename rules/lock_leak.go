// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"fmt"

	"lockbot/cparse"
	"lockbot/flow"
)

// LockLeak finds return paths that leave a lock held where others release it.
var LockLeak = &Analyzer{
	Name:     "LOCK_LEAK",
	Title:    "a return path that leaves a lock held while other paths release it",
	Severity: Error,
	Doc: `A function that takes a lock and releases it before returning must do so on every
path: an error path that returns early with the lock held leaves it locked forever (a
spinlock also leaves preemption disabled). Functions that return with a lock held on
purpose are recognised by their return values (held on success, released on failure,
as mutex_lock_interruptible does) and by __acquires/__cond_acquires annotations.`,
	Fix: "release the lock on this path too (usually: jump to the unlock label instead of returning)",
	Ref: "Documentation/process/coding-style.rst (centralized exiting of functions)",
	Run: runLockLeak,
}

func runLockLeak(pass *Pass) {
	for _, fi := range pass.Funcs() {
		if fi.Result.Imprecise {
			continue
		}
		exits := fi.Result.Exits
		annotated := acquiresAnnotations(fi.F)
		for _, h := range exits {
			for _, c := range h.State.Held {
				if c.FromCaller || annotated(c) || !c.Kind.Lock && (leakedWithLock(h.State.Held, c) || h.State.Retaken(c) || handedOff(pass, fi, c)) {
					continue
				}
				other := pass.Prog.ReleasingExit(fi, h, c)
				if other == nil {
					continue
				}
				releases := fmt.Sprintf("the return at line %d releases it", other.Line)
				if other.Line == h.Line {
					releases = "other paths to this return release it"
				}
				msg := fmt.Sprintf("%s() returns with %s still held; %s", fi.F.Name, heldDesc(c), releases)
				if pass.Prog.ErrorExit(fi, h, c) {
					msg = fmt.Sprintf("%s() returns an error with %s still held; %s", fi.F.Name, heldDesc(c), releases)
				}
				ret := "return"
				if h.Ret != nil {
					ret = "return " + h.Ret.String()
				}
				chain := append([]flow.Step(nil), c.Via.Steps()...)
				if d, ok := pass.Prog.Departure(fi, h, c); ok {
					chain = append(chain, d)
				}
				chain = append(chain, stepAt(fi, h.Line, ret+" with the lock held"))
				var cond []string
				if c.KeptIf != "" {
					cond = []string{c.KeptIf}
				}
				pass.Report(&Finding{File: fi.F.File.Path, Line: h.Line, Function: fi.F.Name, If: cond, Message: msg, Chain: chain},
					c.Kind.Name, c.Class, ret)
			}
		}
	}
}

// leakedWithLock reports a context that is not a lock (bottom halves
// off) entered by the call that took a lock also held here
// (spin_lock_bh()): the lock's leak is the one mistake to report.
func leakedWithLock(held []*flow.Ctx, c *flow.Ctx) bool {
	for _, l := range held {
		if l != c && l.Kind.Lock && !l.FromCaller && l.Via != nil && c.Via != nil && l.Via.Step.Line == c.Via.Step.Line && l.Via.Step.File == c.Via.Step.File {
			return true
		}
	}
	return false
}

// handedOff reports a context without identity (preemption or
// interrupts off, bottom halves off) that another function of the same
// file ends without having entered it, one the leaking function does not
// call and no function of the file calls to end what it holds itself (a
// release helper, trace_clear_recursion()): the two are halves of a
// protocol the kernel runs in turn.
// kprobe_handler() leaves preemption disabled for the single step and
// post_kprobe_handler() enables it after the step's trap. A lock is not
// inferred so: its unlock wrappers would hide every leak of it.
func handedOff(pass *Pass, fi *flow.FuncInfo, c *flow.Ctx) bool {
	if c.Kind.Lock {
		return false
	}
	calls := map[string]bool{}
	for _, b := range fi.F.Blocks {
		for _, s := range b.Stmts {
			if s.Kind == cparse.SCall {
				calls[s.Callee()] = true
			}
		}
	}
	helpers := map[string]bool{}
	for _, h := range pass.Prog.Funcs {
		if h.F.File.Path == fi.F.File.Path && h.Result != nil {
			for _, n := range h.Result.ReleaseHelpers {
				helpers[n] = true
			}
		}
	}
	for _, g := range pass.Prog.Funcs {
		if g == fi || g.Sum == nil || g.F.File.Path != fi.F.File.Path || g.F.Macro || calls[g.F.Name] || helpers[g.F.Name] {
			continue
		}
		for _, o := range g.Sum.Outcomes {
			for _, r := range o.Released {
				if r.Kind == c.Kind && r.Via != nil && r.Via.Step.Func == g.F.Name {
					return true
				}
			}
		}
	}
	return false
}

// acquiresAnnotations returns a test for locks the function is annotated
// to return held.
func acquiresAnnotations(fn *cparse.Func) func(*flow.Ctx) bool {
	var exprs []string
	for _, a := range fn.Annots {
		if (a.Kind == "acquires" || a.Kind == "cond_acquires") && a.Arg != nil {
			exprs = append(exprs, flow.Canon(a.Arg).String())
		}
	}
	return func(c *flow.Ctx) bool {
		for _, e := range exprs {
			if c.Inst == e || c.Expr != nil && flow.LockObject(c.Expr).String() == e || !c.Kind.Lock {
				return true
			}
		}
		return false
	}
}
