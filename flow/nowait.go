package flow

import (
	"fmt"

	"lockbot/cparse"
	"lockbot/internal/graph"
)

type nowaitEdge struct {
	from   *cparse.Block
	target int
}

// nowaitRegions returns the blocks that only the NOWAIT side of a branch
// reaches: those its target dominates, when the target has no other way
// in.
func nowaitRegions(fn *cparse.Func, edges []nowaitEdge) map[int]*Step {
	preds := make([][]int, len(fn.Blocks))
	for _, b := range fn.Blocks {
		for _, s := range b.Succs {
			preds[s] = append(preds[s], b.ID)
		}
	}
	idom := graph.Dominators(cfg{fn}, fn.Entry, preds)
	out := map[int]*Step{}
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
	}
	return out
}
