// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestParseOnlySameFiles: the parse-only baseline reads exactly the files
// Update indexes (arch/x86 but not arch/sparc, include/'s headers), on
// one worker and on several.
func TestParseOnlySameFiles(t *testing.T) {
	tree := copyTree(t)
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	ix.Close()
	var want int64
	files, _, err := walk(tree, "x86")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		want += f.size
	}
	for _, workers := range []int{1, 3} {
		ps, err := ParseOnly(context.Background(), UpdateOptions{Tree: tree, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if ps.Files != st.Files || ps.Failed != 0 {
			t.Errorf("workers %d: parsed %d files (%d failed), Update indexed %d", workers, ps.Files, ps.Failed, st.Files)
		}
		if ps.Bytes != want || ps.Workers != workers {
			t.Errorf("workers %d: %d bytes on %d workers, want %d bytes", workers, ps.Bytes, ps.Workers, want)
		}
	}
	// The tree has a file both skip (another architecture's), so the
	// equal counts above say the walk's rules hold here too.
	if _, err := os.Stat(filepath.Join(tree, "arch/sparc/mm/tlb.c")); err != nil || st.Files == 0 {
		t.Fatalf("test tree: %v, Update indexed %d files; want some, and arch/sparc/mm/tlb.c present", err, st.Files)
	}
}

func TestParseOnlyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ParseOnly(ctx, UpdateOptions{Tree: copyTree(t)}); err == nil {
		t.Fatal("a cancelled parse returned no error")
	}
}
