// SPDX-License-Identifier: GPL-2.0-only

// Package graph holds the graph algorithms the analysis needs, on graphs
// whose nodes are the integers 0 to n-1: the strongly connected
// components of a call graph or of a function's control flow, and the
// dominators of a control-flow graph. The walks keep stacks of their own
// rather than recursing, as a generated function or a chain of calls can
// be deep enough to matter.
package graph

// Graph is a directed graph of nodes 0..NumNodes()-1.
type Graph interface {
	NumNodes() int
	// Out lists a node's successors, in the order they are visited.
	Out(node int) []int
}

// SCCs returns the strongly connected components of the nodes reachable
// from roots, visited in the order given, in the order Tarjan's algorithm
// completes them: a component comes after every component it reaches
// (callees before their callers). Within a component, nodes are in the
// order they leave Tarjan's stack. The order is part of the contract:
// the analysis iterates recursive groups in it.
func SCCs(g Graph, roots []int) [][]int {
	n := g.NumNodes()
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	type frame struct{ v, edge int }
	var call []frame
	push := func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		call = append(call, frame{v, 0})
	}
	for _, root := range roots {
		if index[root] >= 0 {
			continue
		}
		push(root)
		for len(call) > 0 {
			top := &call[len(call)-1]
			v := top.v
			if succs := g.Out(v); top.edge < len(succs) {
				w := succs[top.edge]
				top.edge++
				switch {
				case index[w] < 0:
					push(w)
				case onStack[w]:
					low[v] = min(low[v], index[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				u := call[len(call)-1].v
				low[u] = min(low[u], low[v])
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				out = append(out, comp)
			}
		}
	}
	return out
}

// Dominators returns each node's immediate dominator in the graph from
// entry (Cooper, Harvey and Kennedy's iterative algorithm): entry's is
// itself, an unreachable node's -1. preds are each node's predecessors.
func Dominators(g Graph, entry int, preds [][]int) []int {
	n := g.NumNodes()
	// Postorder numbers, and the reverse postorder to iterate in.
	post := make([]int, n)
	for i := range post {
		post[i] = -1
	}
	visited := make([]bool, n)
	order := make([]int, 0, n)
	type frame struct{ v, edge int }
	call := []frame{{entry, 0}}
	visited[entry] = true
	for len(call) > 0 {
		top := &call[len(call)-1]
		if succs := g.Out(top.v); top.edge < len(succs) {
			w := succs[top.edge]
			top.edge++
			if !visited[w] {
				visited[w] = true
				call = append(call, frame{w, 0})
			}
			continue
		}
		post[top.v] = len(order)
		order = append(order, top.v)
		call = call[:len(call)-1]
	}
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	idom := make([]int, n)
	for i := range idom {
		idom[i] = -1
	}
	idom[entry] = entry
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
			if v == entry {
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

// Dominates reports whether a dominates b, given the immediate
// dominators Dominators returned.
func Dominates(idom []int, a, b int) bool {
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
