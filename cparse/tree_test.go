// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/c"
)

// The flattened tree must answer every question the builder asks as
// go-tree-sitter's nodes do. This also checks the memory layout the
// flattening relies on: a wrong one reads garbage and fails here.
func TestFlatTreeMatchesBinding(t *testing.T) {
	var paths []string
	for _, pat := range []string{"../testdata/*/*.c", "../testdata/*/*/*.c", "../testdata/*/*/*.h"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if k := os.Getenv("LOCKBOT_KERNEL_DIR"); k != "" {
		// Real code too, when a tree is at hand (as the rules package's
		// kernel tests take it).
		for _, pat := range []string{"drivers/md/*.c", "kernel/locking/*.c", "mm/*.c", "include/linux/*.h"} {
			m, _ := filepath.Glob(filepath.Join(k, pat))
			paths = append(paths, m...)
		}
	}
	if len(paths) < 20 {
		t.Fatalf("only %d test files found", len(paths))
	}
	srcs := map[string][]byte{
		// ERROR and MISSING nodes, which have built-in symbols.
		"broken.c": []byte("int f(void) { if (x { return 1 }\n}\nint g( {\n"),
		"empty.c":  {},
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// What the builder parses: attributes and annotations blanked.
		srcs[p] = prepass(b, &Dialect{}, &fileTypes{d: &Dialect{}, f: &File{Typedefs: map[string]Type{}}}).src
	}
	lang := c.GetLanguage()
	table := newLangTable(lang)
	var fl flattener
	ts := sitter.NewParser()
	defer ts.Close()
	ts.SetLanguage(lang)
	for name, src := range srcs {
		tree, err := ts.ParseCtx(context.Background(), nil, src)
		if err != nil {
			t.Fatal(err)
		}
		root := tree.RootNode()
		ft, err := fl.flatten(root, src, table)
		if err != nil {
			t.Fatal(err)
		}
		n := compareNodes(t, name, table, root, ft.root())
		if n != len(ft.nodes) {
			t.Errorf("%s: the binding's tree has %d nodes, the copy %d", name, n, len(ft.nodes))
		}
		if ft.hasError() != root.HasError() {
			t.Errorf("%s: hasError %v, binding %v", name, ft.hasError(), root.HasError())
		}
		tree.Close()
	}
}

// compareNodes checks a and b and their subtrees; it returns the number
// of nodes compared.
func compareNodes(t *testing.T, file string, table *langTable, a *sitter.Node, b *tsNode) int {
	t.Helper()
	if a.Type() != b.Type() || a.StartByte() != b.StartByte() || a.EndByte() != b.EndByte() ||
		a.IsNamed() != b.IsNamed() || a.IsMissing() != b.IsMissing() ||
		a.ChildCount() != b.ChildCount() || a.NamedChildCount() != b.NamedChildCount() {
		t.Fatalf("%s: node %s [%d,%d] named=%v missing=%v kids=%d/%d, copy %s [%d,%d] named=%v missing=%v kids=%d/%d", file,
			a.Type(), a.StartByte(), a.EndByte(), a.IsNamed(), a.IsMissing(), a.ChildCount(), a.NamedChildCount(),
			b.Type(), b.StartByte(), b.EndByte(), b.IsNamed(), b.IsMissing(), b.ChildCount(), b.NamedChildCount())
	}
	// Where error recovery built the tree, tree-sitter's answers about
	// fields disagree with each other (under an ERROR node a child has a
	// field by FieldNameForChild and none by ChildByFieldName; next to
	// one, a parent has a field none of its children has): fields are
	// compared where the syntax was read.
	recovered := a.IsError()
	for i := 0; i < int(a.ChildCount()); i++ {
		if a.Child(i).IsError() {
			recovered = true
		}
	}
	for i := 0; i < int(a.ChildCount()) && !recovered; i++ {
		if ch := a.Child(i); ch.IsError() || ch.IsExtra() {
			// ts_node_field_name_for_child gives an ERROR child or a
			// comment the field of the child before it (a comment after
			// an #else's statement is "alternative"); the cursor the copy
			// is made with gives none, which is right.
			continue
		}
		if fa, fb := a.FieldNameForChild(i), b.FieldNameForChild(i); fa != fb {
			t.Fatalf("%s: %s at %d: child %d's field %q, copy %q", file, a.Type(), a.StartByte(), i, fa, fb)
		}
	}
	for _, field := range table.fieldNm[1:] {
		if recovered {
			break
		}
		ca, cb := a.ChildByFieldName(field), b.ChildByFieldName(field)
		if (ca == nil) != (cb == nil) || ca != nil && (ca.StartByte() != cb.StartByte() || ca.Type() != cb.Type()) {
			t.Fatalf("%s: %s at %d: field %s differs (%v, copy %v)", file, a.Type(), a.StartByte(), field, ca != nil, cb != nil)
		}
	}
	for i := 0; i < int(a.NamedChildCount()); i++ {
		if a.NamedChild(i).StartByte() != b.NamedChild(i).StartByte() || a.NamedChild(i).Type() != b.NamedChild(i).Type() {
			t.Fatalf("%s: %s at %d: named child %d differs", file, a.Type(), a.StartByte(), i)
		}
	}
	n := 1
	for i := 0; i < int(a.ChildCount()); i++ {
		n += compareNodes(t, file, table, a.Child(i), b.Child(i))
	}
	return n
}
