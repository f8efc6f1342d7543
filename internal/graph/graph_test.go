// SPDX-License-Identifier: GPL-2.0-only

package graph

import (
	"math/rand"
	"reflect"
	"testing"
)

type adj [][]int

func (a adj) NumNodes() int      { return len(a) }
func (a adj) Out(node int) []int { return a[node] }

func randomGraph(r *rand.Rand, n, edges int) adj {
	g := make(adj, n)
	for i := 0; i < edges; i++ {
		a, b := r.Intn(n), r.Intn(n)
		g[a] = append(g[a], b)
	}
	return g
}

// recursiveSCCs is Tarjan's algorithm as the textbook writes it, the
// order SCCs must keep.
func recursiveSCCs(g adj, roots []int) [][]int {
	index := map[int]int{}
	low := map[int]int{}
	on := map[int]bool{}
	var stack []int
	var out [][]int
	next := 0
	var strong func(v int)
	strong = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		on[v] = true
		for _, w := range g[v] {
			if _, ok := index[w]; !ok {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if on[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			out = append(out, comp)
		}
	}
	for _, r := range roots {
		if _, ok := index[r]; !ok {
			strong(r)
		}
	}
	return out
}

func TestSCCsKeepTarjansOrder(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		n := 1 + r.Intn(40)
		g := randomGraph(r, n, r.Intn(3*n))
		roots := r.Perm(n)
		if got, want := SCCs(g, roots), recursiveSCCs(g, roots); !reflect.DeepEqual(got, want) {
			t.Fatalf("graph %v roots %v:\n got %v\nwant %v", g, roots, got, want)
		}
	}
}

// A chain of a million nodes: the walk keeps its own stack.
func TestSCCsDeepChain(t *testing.T) {
	const n = 1_000_000
	g := make(adj, n)
	for i := 0; i+1 < n; i++ {
		g[i] = []int{i + 1}
	}
	g[n-1] = []int{0}
	if comps := SCCs(g, []int{0}); len(comps) != 1 || len(comps[0]) != n {
		t.Fatalf("%d components, want one of %d nodes", len(comps), n)
	}
}

// naiveDominates: a dominates b when b cannot be reached from entry
// without a.
func naiveDominates(g adj, entry, a, b int) bool {
	if a == entry {
		return reach(g, entry, b, -1)
	}
	return reach(g, entry, b, -1) && !reach(g, entry, b, a)
}

func reach(g adj, from, to, without int) bool {
	if from == without {
		return false
	}
	seen := map[int]bool{from: true}
	work := []int{from}
	for len(work) > 0 {
		v := work[len(work)-1]
		work = work[:len(work)-1]
		if v == to {
			return true
		}
		for _, w := range g[v] {
			if w != without && !seen[w] {
				seen[w] = true
				work = append(work, w)
			}
		}
	}
	return false
}

func TestDominators(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 300; i++ {
		n := 1 + r.Intn(25)
		g := randomGraph(r, n, r.Intn(3*n))
		preds := make([][]int, n)
		for v, out := range g {
			for _, w := range out {
				preds[w] = append(preds[w], v)
			}
		}
		idom := Dominators(g, 0, preds)
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
				if got, want := Dominates(idom, a, b), naiveDominates(g, 0, a, b); got != want {
					t.Fatalf("graph %v: Dominates(%d, %d) = %v, want %v", g, a, b, got, want)
				}
			}
		}
	}
}
