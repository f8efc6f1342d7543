// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lockbot/source"
)

// scanFindings runs scan --format json and returns its findings as
// "rule file:line message" lines, file relative to the test tree, sorted,
// and the whole document's bytes.
func scanFindings(t *testing.T, tree string, args ...string) ([]string, string) {
	t.Helper()
	out, stderr, code := runBin(t, append([]string{"scan", "--format", "json"}, args...)...)
	if code == 2 {
		t.Fatalf("scan %v: exit 2\n%s", args, stderr)
	}
	var doc struct {
		Findings []struct {
			Rule, File, Message string
			Line                int
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("scan %v: bad JSON (%v):\n%s", args, err, out)
	}
	var l []string
	for _, f := range doc.Findings {
		rel, err := filepath.Rel(tree, f.File)
		if err != nil {
			rel = f.File
		}
		l = append(l, fmt.Sprintf("%s %s:%d %s", f.Rule, filepath.ToSlash(rel), f.Line, f.Message))
	}
	slices.Sort(l)
	return l, out
}

// TestScanSameAloneOrTogether: with an index, a file's findings are the
// same whether it is scanned alone, with its directory, or with the whole
// tree, and the whole tree's scan is the same on one job or two (issue
// 24). The index answers for the files a scan does not name.
func TestScanSameAloneOrTogether(t *testing.T) {
	tree, db := indexedTree(t)
	var files []string
	dirs := map[string]bool{}
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".lockbot" {
			return filepath.SkipDir
		}
		if !d.IsDir() && source.IsCFile(p) {
			files = append(files, p)
			dirs[filepath.Dir(p)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	top := []string{filepath.Join(tree, "arch"), filepath.Join(tree, "drivers"), filepath.Join(tree, "include"), filepath.Join(tree, "lib")}
	whole, doc1 := scanFindings(t, tree, append([]string{"--index", db, "--jobs", "1"}, top...)...)
	if len(whole) < 6 {
		t.Fatalf("whole tree: %d findings, want the 6 cross-file sleeps at least:\n%s", len(whole), strings.Join(whole, "\n"))
	}
	_, doc2 := scanFindings(t, tree, append([]string{"--index", db, "--jobs", "2"}, top...)...)
	if doc1 != doc2 {
		t.Errorf("one job and two give different documents:\n%s\nvs\n%s", doc1, doc2)
	}
	var alone, byDir []string
	for _, f := range files {
		l, _ := scanFindings(t, tree, "--index", db, f)
		alone = append(alone, l...)
	}
	for d := range dirs {
		l, _ := scanFindings(t, tree, "--index", db, d)
		byDir = append(byDir, l...)
	}
	slices.Sort(alone)
	slices.Sort(byDir)
	if !slices.Equal(alone, whole) {
		t.Errorf("each file alone:\n%s\nthe whole tree:\n%s", strings.Join(alone, "\n"), strings.Join(whole, "\n"))
	}
	if !slices.Equal(byDir, whole) {
		t.Errorf("each directory:\n%s\nthe whole tree:\n%s", strings.Join(byDir, "\n"), strings.Join(whole, "\n"))
	}
	// Without an index, a scan this small is one program: the calls
	// between directories are followed all the same.
	noIndex, _ := scanFindings(t, tree, top...)
	if !slices.Equal(noIndex, whole) {
		t.Errorf("without an index:\n%s\nwith:\n%s", strings.Join(noIndex, "\n"), strings.Join(whole, "\n"))
	}
}

// TestScanTreeRootSkipsUserSpace: a scan of a kernel tree's root passes
// over tools/ and scripts/, whose programs run in user space, as the
// index does; naming a file there still scans it.
func TestScanTreeRootSkipsUserSpace(t *testing.T) {
	tree := t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(tree, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bad := "typedef struct { int x; } spinlock_t;\nstatic spinlock_t l;\nvoid f(void)\n{\n\tspin_lock(&l);\n\tmsleep(1);\n\tspin_unlock(&l);\n}\n"
	write("Kconfig", "config X\n\tbool\n")
	write("Makefile", "obj-y += kernel/\n")
	write("scripts/host.c", bad)
	write("tools/perf/util.c", bad)
	write("kernel/a.c", bad)
	got, _ := scanFindings(t, tree, "--no-rt", "--kconfig", "none", tree)
	if len(got) != 1 || !strings.Contains(got[0], "kernel/a.c:6") {
		t.Errorf("scan of the root: %v, want kernel/a.c's finding alone", got)
	}
	got, _ = scanFindings(t, tree, "--no-rt", "--kconfig", "none", filepath.Join(tree, "tools/perf/util.c"))
	if len(got) != 1 {
		t.Errorf("scan of a named file in tools/: %v, want its finding", got)
	}
}
