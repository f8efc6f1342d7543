package rules

import (
	"fmt"

	"lockbot/cparse"
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
	idom := dominators(fn, preds)
	out := map[int]*Step{}
	for _, e := range edges {
		if len(preds[e.target]) != 1 || idom[e.target] < 0 {
			continue
		}
		step := &Step{File: fn.File.Path, Line: e.from.Line, Func: fn.Name,
			Note: fmt.Sprintf("only NOWAIT requests get here: %s", e.from.Cond)}
		for _, b := range fn.Blocks {
			if dominates(idom, e.target, b.ID) {
				if _, ok := out[b.ID]; !ok {
					out[b.ID] = step
				}
			}
		}
	}
	return out
}

// dominators computes immediate dominators (Cooper, Harvey and Kennedy's
// iterative algorithm); unreachable blocks get -1.
func dominators(fn *cparse.Func, preds [][]int) []int {
	n := len(fn.Blocks)
	order := make([]int, 0, n) // reverse postorder
	post := make([]int, n)
	for i := range post {
		post[i] = -1
	}
	visited := make([]bool, n)
	var dfs func(int)
	dfs = func(v int) {
		visited[v] = true
		for _, s := range fn.Blocks[v].Succs {
			if !visited[s] {
				dfs(s)
			}
		}
		post[v] = len(order)
		order = append(order, v)
	}
	dfs(fn.Entry)
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	idom := make([]int, n)
	for i := range idom {
		idom[i] = -1
	}
	idom[fn.Entry] = fn.Entry
	intersect := func(a, b int) int {
		for a != b {
			for post[a] < post[b] {
				a = idom[a]
			}
			for post[b] < post[a] {
				b = idom[b]
			}
		}
		return a
	}
	for changed := true; changed; {
		changed = false
		for _, v := range order {
			if v == fn.Entry {
				continue
			}
			nd := -1
			for _, p := range preds[v] {
				if idom[p] < 0 {
					continue
				}
				if nd < 0 {
					nd = p
				} else {
					nd = intersect(p, nd)
				}
			}
			if nd >= 0 && idom[v] != nd {
				idom[v] = nd
				changed = true
			}
		}
	}
	return idom
}

func dominates(idom []int, a, b int) bool {
	if idom[b] < 0 {
		return false
	}
	for {
		if b == a {
			return true
		}
		if idom[b] == b {
			return false
		}
		b = idom[b]
	}
}
