// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"lockbot/cparse"
	"lockbot/internal/graph"
	"lockbot/kb"
)

// Code written for both contexts chooses its lock by a mode the object
// carries: ALSA's "if (substream->pcm->nonatomic) mutex_lock(...); else
// spin_lock(...);" (snd_pcm_stream_lock, snd_pcm_action_group). The flag
// is set by drivers whose callers may sleep; a caller in atomic context
// (an interrupt handler calling snd_pcm_period_elapsed()) is on the
// spinning side. Such a branch is a mode branch: what its sleeping arm
// does is not reported where an atomic context is held, here or in any
// caller (Effect.ModeAlt).

// maxModeArm bounds the blocks of an arm of a mode branch.
const maxModeArm = 64

// modeArms returns the blocks of the sleeping arms of the function's mode
// branches: a branch one arm of which takes a sleeping lock, and the
// other a spinning or atomic one but no sleeping one.
func modeArms(k *kb.KB, fn *cparse.Func) map[int]bool {
	var branches []*cparse.Block
	for _, b := range fn.Blocks {
		if b.Term == cparse.TBranch && len(b.Succs) == 2 && b.Succs[0] != b.Succs[1] && takesLock(k, fn, b.Succs[0]) && takesLock(k, fn, b.Succs[1]) {
			branches = append(branches, b)
		}
	}
	if len(branches) == 0 {
		return nil
	}
	preds := make([][]int, len(fn.Blocks))
	for _, b := range fn.Blocks {
		for _, s := range b.Succs {
			preds[s] = append(preds[s], b.ID)
		}
	}
	idom := graph.Dominators(cfg{fn}, fn.Entry, preds)
	kids := make([][]int, len(fn.Blocks))
	for id, d := range idom {
		if d >= 0 && d != id {
			kids[d] = append(kids[d], id)
		}
	}
	// An arm is what its first block dominates: a subtree of the
	// dominator tree, walked down from it. A mode branch's arm is a lock
	// call or two; past maxModeArm blocks the branch is something else,
	// and a function of thousands of branches stays linear.
	arm := func(entry int) (blocks []int, sleeping, spinning bool) {
		if len(preds[entry]) != 1 || idom[entry] < 0 {
			return nil, false, false // reached another way too: not an arm
		}
		stack := []int{entry}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(blocks) >= maxModeArm {
				return nil, false, false
			}
			blocks = append(blocks, id)
			stack = append(stack, kids[id]...)
			for _, s := range fn.Blocks[id].Stmts {
				switch lockCategory(k, s) {
				case kb.Sleeping:
					sleeping = true
				case kb.Spinning, kb.Atomic:
					spinning = true
				}
			}
		}
		return blocks, sleeping, spinning
	}
	var out map[int]bool
	for _, b := range branches {
		tb, tSleep, tSpin := arm(b.Succs[0])
		fb, fSleep, fSpin := arm(b.Succs[1])
		var sleepy []int
		switch {
		case tSleep && fSpin && !fSleep:
			sleepy = tb
		case fSleep && tSpin && !tSleep:
			sleepy = fb
		default:
			continue
		}
		if out == nil {
			out = map[int]bool{}
		}
		for _, id := range sleepy {
			out[id] = true
		}
	}
	return out
}

// takesLock reports whether a block's statements call a lock primitive.
func takesLock(k *kb.KB, fn *cparse.Func, id int) bool {
	for _, s := range fn.Blocks[id].Stmts {
		if lockCategory(k, s) != "" {
			return true
		}
	}
	return false
}

// lockCategory is the category of the lock a statement's primitive
// takes, or "".
func lockCategory(k *kb.KB, s *cparse.Stmt) kb.Category {
	if s.Kind != cparse.SCall {
		return ""
	}
	spec := k.Funcs[s.Callee()]
	if spec == nil {
		return ""
	}
	name := spec.Acquire
	if name == "" {
		name = spec.Try
	}
	kind := k.Kinds[name]
	if kind == nil || !kind.Lock {
		return ""
	}
	return kind.Category
}

// atomicHeld reports whether the state holds a context that must not
// sleep.
func atomicHeld(st *State) bool {
	for _, c := range st.Held {
		if c.Kind.Category == kb.Atomic || c.Kind.Category == kb.Spinning {
			return true
		}
	}
	return false
}
