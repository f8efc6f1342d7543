// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"fmt"

	"lockbot/cparse"
	"lockbot/internal/graph"
)

type nowaitEdge struct {
	from   *cparse.Block
	target int
	key    string // the test's fact key, true on the NOWAIT side
}

// nowaitRegions returns the blocks that only the NOWAIT side of a branch
// reaches: those its target dominates, when the target has no other way
// in. It returns too the gates among the tests: those whose NOWAIT side
// returns after nothing but more tests, turning away the NOWAIT requests
// the function cannot serve ("if (nowait && !dm_target_supports_nowait(
// ti->type)) return BLK_STS_NOTSUPP;"). The requests that pass are
// admitted: the code after the gate has promised not to block them. A
// return after work (a GFP_NOWAIT allocation that failed) is no gate:
// the requests that go on were not chosen. tested are the calls whose
// results only decide branches.
func nowaitRegions(fn *cparse.Func, edges []nowaitEdge, tested map[int]bool) (map[int]*Step, map[string]*Step) {
	preds := make([][]int, len(fn.Blocks))
	for _, b := range fn.Blocks {
		for _, s := range b.Succs {
			preds[s] = append(preds[s], b.ID)
		}
	}
	idom := graph.Dominators(cfg{fn}, fn.Entry, preds)
	out := map[int]*Step{}
	var gates map[string]*Step
	for _, e := range edges {
		if len(preds[e.target]) != 1 || idom[e.target] < 0 {
			continue
		}
		step := &Step{File: fn.File.Path, Line: e.from.Line, Func: fn.Name,
			Note: fmt.Sprintf("only NOWAIT requests get here: %s", e.from.Cond)}
		for _, b := range fn.Blocks {
			if graph.Dominates(idom, e.target, b.ID) {
				if _, ok := out[b.ID]; !ok {
					out[b.ID] = step
				}
			}
		}
		rejects := turnsAway(fn, e.target, tested)
		if rejects && e.key != "" {
			if gates == nil {
				gates = map[string]*Step{}
			}
			if _, ok := gates[e.key]; !ok {
				gates[e.key] = &Step{File: fn.File.Path, Line: e.from.Line, Func: fn.Name,
					Note: fmt.Sprintf("NOWAIT requests this test does not turn away go on: %s", e.from.Cond)}
			}
		}
	}
	return out, gates
}

// turnsAway reports whether a return is reached from block start through
// tests alone: blocks whose only statements are calls made for the branch
// that follows (dm_target_supports_nowait()), a few blocks deep.
func turnsAway(fn *cparse.Func, start int, tested map[int]bool) bool {
	const maxDepth = 4
	pure := func(b *cparse.Block) bool {
		for _, s := range b.Stmts {
			if s.Kind != cparse.SCall || s.LHS != nil || !tested[s.ID] {
				return false
			}
		}
		return true
	}
	seen := map[int]bool{}
	var walk func(id, depth int) bool
	walk = func(id, depth int) bool {
		if depth > maxDepth || seen[id] || id < 0 || id >= len(fn.Blocks) {
			return false
		}
		seen[id] = true
		b := fn.Blocks[id]
		if b.Term == cparse.TReturn {
			return true // what it does before returning is the refusal
		}
		if !pure(b) {
			return false
		}
		for _, s := range b.Succs {
			if walk(s, depth+1) {
				return true
			}
		}
		return false
	}
	return walk(start, 0)
}
