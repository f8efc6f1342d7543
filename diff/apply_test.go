// SPDX-License-Identifier: GPL-2.0-only

package diff

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mapTree is a Tree held in memory; files it lacks come from base, if any.
type mapTree struct {
	files map[string]string
	base  Tree
}

func (m mapTree) ReadFile(path string) ([]byte, error) {
	if s, ok := m.files[path]; ok {
		return []byte(s), nil
	}
	if m.base != nil {
		return m.base.ReadFile(path)
	}
	return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
}

// removedTree hides some files of a base tree.
type removedTree struct {
	base    Tree
	removed string
}

func (r removedTree) ReadFile(path string) ([]byte, error) {
	if path == r.removed {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
	}
	return r.base.ReadFile(path)
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestApplySeries applies the series and compares each snapshot with what
// `git apply` makes of the same patches, file by file.
func TestApplySeries(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	s := mustRead(t, testdata(t, "series-cover.mbox"))
	snaps, err := ApplySeries(DirTree("testdata/tree"), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 3 {
		t.Fatalf("%d snapshots", len(snaps))
	}

	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/tree")); err != nil {
		t.Fatal(err)
	}
	patches, _ := filepath.Glob("testdata/series/*.patch")
	for i, snap := range snaps {
		before := map[string][]byte{}
		for path := range snap.Before {
			if b, err := os.ReadFile(filepath.Join(dir, path)); err == nil {
				before[path] = b
			}
		}
		abs, _ := filepath.Abs(patches[i])
		cmd := exec.Command("git", "apply", abs)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git apply %s: %v\n%s", patches[i], err, out)
		}
		if !reflect.DeepEqual(snap.Before, before) {
			t.Errorf("patch %d: Before differs from the tree git applied to: %v vs %v", i+1, keys(snap.Before), keys(before))
		}
		for _, path := range append(keys(snap.Before), keys(snap.After)...) {
			want, err := os.ReadFile(filepath.Join(dir, path))
			got, ok := snap.After[path]
			switch {
			case errors.Is(err, fs.ErrNotExist) && ok:
				t.Errorf("patch %d: %s is in After, git removed it", i+1, path)
			case err == nil && !ok:
				t.Errorf("patch %d: %s is not in After, git has it", i+1, path)
			case err == nil && string(got) != string(want):
				t.Errorf("patch %d: %s after:\n%s\nwant (git apply):\n%s", i+1, path, got, want)
			}
		}
		if snap.Patch != s.Patches[i] {
			t.Errorf("snapshot %d is of another patch", i+1)
		}
	}

	// Patch 2 changes the file patch 1 creates.
	if string(snaps[1].Before[frobStats]) != string(snaps[0].After[frobStats]) {
		t.Error("patch 2 does not see frob_stats.c as patch 1 left it")
	}
	if _, ok := snaps[0].Before[frobStats]; ok {
		t.Error("a file patch 1 creates is in its Before")
	}
	// Patch 3: rename, mode change, binary file.
	want3 := struct{ before, after, skipped []string }{
		before:  []string{frobTest, frobC, frobH, frobStats},
		after:   []string{frobTest, frobC, frobPrivH, frobStats},
		skipped: []string{frobFW},
	}
	if got := keys(snaps[2].Before); !reflect.DeepEqual(got, want3.before) {
		t.Errorf("patch 3 Before: %v, want %v", got, want3.before)
	}
	if got := keys(snaps[2].After); !reflect.DeepEqual(got, want3.after) {
		t.Errorf("patch 3 After: %v, want %v", got, want3.after)
	}
	if !reflect.DeepEqual(snaps[2].Skipped, want3.skipped) {
		t.Errorf("patch 3 Skipped: %v, want %v", snaps[2].Skipped, want3.skipped)
	}
	if string(snaps[2].Before[frobTest]) != string(snaps[2].After[frobTest]) {
		t.Error("a mode change changed the content")
	}
	for _, snap := range snaps {
		if len(snap.Offsets) != 0 {
			t.Errorf("offsets %v on the tree the patches were made from", snap.Offsets)
		}
	}
}

// shiftedTree is the test tree with frob.c changed by edit.
func shiftedTree(t *testing.T, edit func(string) string) Tree {
	t.Helper()
	base := string(testdata(t, "tree/"+frobC))
	changed := edit(base)
	if changed == base {
		t.Fatal("edit changed nothing")
	}
	return mapTree{files: map[string]string{frobC: changed}, base: DirTree("testdata/tree")}
}

func TestApplyOffset(t *testing.T) {
	// Three lines more above frob_find(): its hunk in patch 1 and the
	// second hunk of patch 2 apply three lines further down.
	tree := shiftedTree(t, func(s string) string {
		return strings.Replace(s, "static struct frob_dev frob;\n", "static struct frob_dev frob;\n\n/* Set from debugfs. */\nstatic bool frob_debug;\n", 1)
	})
	s := mustRead(t, testdata(t, "series.mbox"))
	snaps, err := ApplySeries(tree, s)
	if err != nil {
		t.Fatal(err)
	}
	wantOffsets := [][]Offset{
		{{File: frobC, Hunk: 1, Lines: 3}},
		{{File: frobC, Hunk: 2, Lines: 3}},
		nil,
	}
	for i, snap := range snaps {
		if !reflect.DeepEqual(snap.Offsets, wantOffsets[i]) {
			t.Errorf("patch %d offsets %+v, want %+v", i+1, snap.Offsets, wantOffsets[i])
		}
	}
	after := strings.Split(string(snaps[0].After[frobC]), "\n")
	if after[41-1] != "\t\t\tfrob_stats_hit(fd);" {
		t.Fatalf("line 41 after patch 1: %q", after[40])
	}
	// A finding on line 41 of the result is on new line 38 of the patch.
	nl, ok := snaps[0].NewLine(frobC, 41)
	if !ok || nl != 38 || !s.Patches[0].Added(frobC, nl) {
		t.Errorf("NewLine(41) = %d, %v; want 38, an added line", nl, ok)
	}
	if _, ok := snaps[0].NewLine(frobC, 20); ok {
		t.Error("NewLine of a line outside the hunks: ok")
	}
	// Patch 2's first hunk is where it says, its second three lines on.
	if nl, ok := snaps[1].NewLine(frobC, 7); !ok || nl != 7 {
		t.Errorf("patch 2 NewLine(7) = %d, %v", nl, ok)
	}
	if nl, ok := snaps[1].NewLine(frobC, 63); !ok || nl != 60 || !s.Patches[1].Added(frobC, nl) {
		t.Errorf("patch 2 NewLine(63) = %d, %v; want 60, an added line", nl, ok)
	}
	if got := strings.Split(string(snaps[1].After[frobC]), "\n")[63-1]; got != "\tlist_for_each_entry_safe(it, tmp, &frob.items, node) {" {
		t.Errorf("line 63 after patch 2: %q", got)
	}

	// Lines fewer: the hunk applies earlier.
	tree = shiftedTree(t, func(s string) string {
		return strings.Replace(s, "// SPDX-License-Identifier: GPL-2.0\n/*\n * frob: a toy device that keeps keyed items on a list.\n */\n", "", 1)
	})
	snaps, err = ApplySeries(tree, mustRead(t, testdata(t, "single.patch")))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Offset{{File: frobC, Hunk: 1, Lines: -4}}; !reflect.DeepEqual(snaps[0].Offsets, want) {
		t.Errorf("offsets %+v, want %+v", snaps[0].Offsets, want)
	}
}

func TestApplyErrors(t *testing.T) {
	series := mustRead(t, testdata(t, "series.mbox"))
	tests := []struct {
		name    string
		tree    Tree
		applied int // snapshots returned with the error
		want    ApplyError
		msg     string
	}{
		{
			name: "hunk does not apply",
			tree: shiftedTree(t, func(s string) string {
				return strings.Replace(s, "\t\tkfree(it);\n", "\t\tkvfree(it);\n", 1)
			}),
			applied: 1,
			want:    ApplyError{Index: 2, Total: 3, Subject: "frob: take a lock around the hit counter", File: frobC, Hunk: 2, Header: "@@ -56,8 +57,10 @@"},
			msg:     `patch 2/3 ("frob: take a lock around the hit counter"): drivers/misc/frob/frob.c: hunk #2 at @@ -56,8 +57,10 @@ does not apply: line 60 is "\t\tkvfree(it);", the patch expects "\t\tkfree(it);", and they are nowhere else in the file`,
		},
		{
			name:    "file missing",
			tree:    removedTree{DirTree("testdata/tree"), frobH},
			applied: 0,
			want:    ApplyError{Index: 1, Total: 3, Subject: "frob: count lookup hits", File: frobH},
			msg:     `patch 1/3 ("frob: count lookup hits"): drivers/misc/frob/frob.h: no such file in the tree (after the patches before this one)`,
		},
		{
			name:    "new file exists",
			tree:    mapTree{files: map[string]string{frobStats: "/* already here */\n"}, base: DirTree("testdata/tree")},
			applied: 0,
			want:    ApplyError{Index: 1, Total: 3, Subject: "frob: count lookup hits", File: frobStats},
			msg:     "already exists in the tree, but the patch creates it",
		},
		{
			name:    "rename onto a file",
			tree:    mapTree{files: map[string]string{frobPrivH: "/* here */\n"}, base: DirTree("testdata/tree")},
			applied: 2,
			want:    ApplyError{Index: 3, Total: 3, Subject: "frob: rename frob.h to frob_priv.h", File: frobPrivH},
			msg:     "drivers/misc/frob/frob_priv.h: already exists in the tree, but the patch renames drivers/misc/frob/frob.h to it",
		},
		{
			name: "file too short",
			tree: shiftedTree(t, func(s string) string {
				return s[:strings.Index(s, "static int __init frob_init")]
			}),
			applied: 1,
			want:    ApplyError{Index: 2, Total: 3, Subject: "frob: take a lock around the hit counter", File: frobC, Hunk: 2, Header: "@@ -56,8 +57,10 @@"},
			msg:     "the file has 47 lines, fewer than the hunk's position, and they are nowhere else in the file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snaps, err := ApplySeries(tt.tree, series)
			var ae *ApplyError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an *ApplyError", err)
			}
			got := *ae
			got.Err = nil
			if got != tt.want {
				t.Errorf("ApplyError %+v, want %+v", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error:\n%s\nwant it to contain:\n%s", err, tt.msg)
			}
			if len(snaps) != tt.applied {
				t.Errorf("%d snapshots with the error, want %d", len(snaps), tt.applied)
			}
		})
	}
}

// TestApplySynthetic covers what the generated series does not: deletions,
// hunks without context, a missing final newline, binary then text.
func TestApplySynthetic(t *testing.T) {
	tree := mapTree{files: map[string]string{
		"a.c":     "one\ntwo\nthree\nfour\nfive\nsix\nseven\n",
		"noeol.c": "int x;\nint y;",
		"gone.c":  "/* old */\nint gone;\n",
	}}
	tests := []struct {
		name   string
		patch  string
		path   string
		after  string // "" with deleted
		delete bool
		err    string
	}{
		{
			name:  "zero-context insertion",
			patch: "--- a/a.c\n+++ b/a.c\n@@ -5,0 +6,2 @@\n+five.1\n+five.2\n",
			path:  "a.c", after: "one\ntwo\nthree\nfour\nfive\nfive.1\nfive.2\nsix\nseven\n",
		},
		{
			name:  "zero-context insertion at the top",
			patch: "--- a/a.c\n+++ b/a.c\n@@ -0,0 +1 @@\n+zero\n",
			path:  "a.c", after: "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\n",
		},
		{
			name:  "no newline at end of file",
			patch: "--- a/noeol.c\n+++ b/noeol.c\n@@ -1,2 +1,3 @@\n int x;\n-int y;\n\\ No newline at end of file\n+int y;\n+int z;\n",
			path:  "noeol.c", after: "int x;\nint y;\nint z;\n",
		},
		{
			name:  "deletion",
			patch: "diff --git a/gone.c b/gone.c\ndeleted file mode 100644\nindex 1111111..0000000\n--- a/gone.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-/* old */\n-int gone;\n",
			path:  "gone.c", delete: true,
		},
		{
			name:  "deletion of other content",
			patch: "diff --git a/gone.c b/gone.c\ndeleted file mode 100644\nindex 1111111..0000000\n--- a/gone.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-/* new */\n-int gone;\n",
			err:   `gone.c: hunk #1 at @@ -1,2 +0,0 @@ does not apply: line 1 is "/* old */", the patch expects "/* new */"`,
		},
		{
			name:  "deletion that leaves content",
			patch: "diff --git a/gone.c b/gone.c\ndeleted file mode 100644\nindex 1111111..0000000\n--- a/gone.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-/* old */\n",
			err:   "gone.c: hunk #1 at @@ -1 +0,0 @@ does not apply: conflict: src still has content after full delete",
		},
		{
			name:  "far off",
			patch: "--- a/a.c\n+++ b/a.c\n@@ -1000000,2 +1000000,2 @@\n two\n-three\n+THREE\n",
			path:  "a.c", after: "one\ntwo\nTHREE\nfour\nfive\nsix\nseven\n",
		},
		{
			name:  "far off and nowhere",
			patch: "--- a/a.c\n+++ b/a.c\n@@ -1000000,2 +1000000,2 @@\n two\n-tree\n+THREE\n",
			err:   "hunk #1 at @@ -1000000,2 +1000000,2 @@ does not apply: the file has 7 lines, fewer than the hunk's position",
		},
		{
			name:  "a hunk overlapping the one before",
			patch: "--- a/a.c\n+++ b/a.c\n@@ -2,2 +2,2 @@\n two\n-three\n+THREE\n@@ -2,2 +2,2 @@\n two\n-three\n+THREE\n",
			err:   "hunk #2 at @@ -2,2 +2,2 @@ does not apply: its lines are only where the hunk before it applied",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustRead(t, []byte(tt.patch))
			snaps, err := ApplySeries(tree, s)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, ok := snaps[0].After[tt.path]
			if tt.delete {
				if ok {
					t.Errorf("%s still in After", tt.path)
				}
				if string(snaps[0].Before[tt.path]) != tree.files[tt.path] {
					t.Errorf("Before %q", snaps[0].Before[tt.path])
				}
				return
			}
			if string(got) != tt.after {
				t.Errorf("after:\n%q\nwant\n%q", got, tt.after)
			}
			checkLineMap(t, s, snaps)
		})
	}

	// The line after a "\ No newline" marker keeps its input line.
	s := mustRead(t, []byte(tests[2].patch))
	if n, text, ok := s.Patches[0].PatchLine("noeol.c", 3); !ok || n != 8 || text != "+int z;" {
		t.Errorf("PatchLine(noeol.c, 3) = %d %q %v, want 8", n, text, ok)
	}
	if n, text, _ := s.Patches[0].PatchLine("noeol.c", 2); n != 7 || text != "+int y;" {
		t.Errorf("PatchLine(noeol.c, 2) = %d %q, want 7", n, text)
	}
}

func TestApplyBinaryThenText(t *testing.T) {
	s := mustRead(t, testdata(t, "series.mbox"))
	text := mustRead(t, []byte("diff --git a/drivers/misc/frob/frob.fw b/drivers/misc/frob/frob.fw\n"+
		"--- a/drivers/misc/frob/frob.fw\n+++ b/drivers/misc/frob/frob.fw\n@@ -1 +1 @@\n-FRB\n+FRC\n"))
	s.Patches = append(s.Patches, text.Patches[0])
	snaps, err := ApplySeries(DirTree("testdata/tree"), s)
	want := `patch: drivers/misc/frob/frob.fw: content unknown: patch 3/3 ("frob: rename frob.h to frob_priv.h") changed it with a binary diff`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if len(snaps) != 3 {
		t.Errorf("%d snapshots", len(snaps))
	}
}

func TestDirTree(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sub", "in.c"), []byte("int in;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("in.c", filepath.Join(root, "sub", "link.c")); err != nil {
		t.Fatal(err)
	}
	tree := DirTree(root)
	for _, p := range []string{"sub/in.c", "sub/link.c"} {
		if b, err := tree.ReadFile(p); err != nil || string(b) != "int in;\n" {
			t.Errorf("ReadFile(%s) = %q, %v", p, b, err)
		}
	}
	for _, p := range []string{"../" + filepath.Base(outside) + "/secret", "/etc/passwd", "sub/../../x", "out", "sub", "", "."} {
		if b, err := tree.ReadFile(p); err == nil {
			t.Errorf("ReadFile(%q) = %q, want an error", p, b)
		}
	}
	if _, err := tree.ReadFile("sub/none.c"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}

	// A patch naming a path out of the tree fails to apply, reading nothing.
	s := mustRead(t, []byte("--- a/../secret\n+++ b/../secret\n@@ -1 +1 @@\n-x\n+y\n"))
	_, err := ApplySeries(tree, s)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.File != "../secret" {
		t.Errorf("err = %v", err)
	}
}

func TestApplyCopyRename(t *testing.T) {
	tree := mapTree{files: map[string]string{"a.c": "one\ntwo\n", "d.c": "int d;\n"}}
	s := mustRead(t, []byte("diff --git a/a.c b/b.c\nsimilarity index 50%\ncopy from a.c\ncopy to b.c\n"+
		"--- a/a.c\n+++ b/b.c\n@@ -1,2 +1,2 @@\n-one\n+ONE\n two\n"+
		"diff --git a/d.c b/e.c\nsimilarity index 100%\nrename from d.c\nrename to e.c\n"))
	snaps, err := ApplySeries(tree, s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"a.c": []byte("one\ntwo\n"), "b.c": []byte("ONE\ntwo\n"), "e.c": []byte("int d;\n")}
	if !reflect.DeepEqual(snaps[0].After, want) {
		t.Errorf("After %q, want %q", snaps[0].After, want)
	}
	if got := keys(snaps[0].Before); !reflect.DeepEqual(got, []string{"a.c", "d.c"}) {
		t.Errorf("Before %v", got)
	}
	if n, text, ok := s.Patches[0].PatchLine("b.c", 1); !ok || n != 9 || text != "+ONE" {
		t.Errorf("PatchLine(b.c, 1) = %d %q %v", n, text, ok)
	}
}

// A tree's FIFO or link to a device is refused before it is opened:
// opening a FIFO for reading blocks until a writer comes.
func TestDirTreeSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "f.c"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := os.Symlink("f.c", filepath.Join(dir, "l.c")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, name := range []string{"f.c", "l.c"} {
			if _, err := DirTree(dir).ReadFile(name); !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: got %v, want ErrNotRegular", name, err)
			}
		}
		if _, err := ReadRegular("/dev/zero", 1<<20); !errors.Is(err, ErrNotRegular) {
			t.Errorf("/dev/zero: got %v, want ErrNotRegular", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("blocked opening a FIFO")
	}
}
