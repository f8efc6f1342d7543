// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"path/filepath"
	"testing"

	"lockbot/kb"
)

// TestViewAndUnmap: a View finds what the index finds, with caches of its
// own; after Unmap lets go of the file's pages, lookups read the file
// again and find the same. An index open for writing is not unmapped.
func TestViewAndUnmap(t *testing.T) {
	tree := copyTree(t)
	path := filepath.Join(t.TempDir(), "index.db")
	w, _ := build(t, tree, path, 0)
	if err := w.Unmap(); err == nil {
		t.Error("Unmap of an index open for writing: no error")
	}
	w.Close()
	ix, err := Open(path, kb.MustDefault(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	v := ix.View()
	if fi := v.Lookup("foo_resize"); fi == nil || fi.Sum == nil || len(fi.Sum.Effects) == 0 {
		t.Fatalf("View.Lookup(foo_resize) = %+v, want its record with its effects", fi)
	}
	if v.Decoded() == 0 {
		t.Error("the view decoded foo_resize() but counts nothing")
	}
	if n := ix.View().Decoded(); n != 0 {
		t.Errorf("a new view keeps %d records, want none", n)
	}
	if err := ix.Unmap(); err != nil {
		t.Fatal(err)
	}
	fresh := ix.View()
	if fi := fresh.Lookup("foo_resize"); fi == nil || len(fi.Sum.Effects) == 0 {
		t.Errorf("after Unmap, a new view does not find foo_resize(): %+v", fi)
	}
	if len(fresh.Ops("struct foo_ops.reset")) == 0 {
		t.Error("after Unmap, the ops table of foo_ops.c is not found")
	}
	if err := ix.Err(); err != nil {
		t.Errorf("reads after Unmap: %v", err)
	}
}
