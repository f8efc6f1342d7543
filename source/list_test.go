// SPDX-License-Identifier: GPL-2.0-only

package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestListPaths: a scan's files are listed without being read: named
// files, and a named directory's C files, sorted, each once, with their
// sizes; what the walk found is marked so. A named file that is missing
// or not C is an error, as LoadPaths says.
func TestListPaths(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"b.c": "int b;\n", "a.h": "int a;\n", "sub/c.c": "int cc;\n", "notes.txt": "x"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := ListPaths([]string{filepath.Join(dir, "b.c"), dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range l {
		rel, _ := filepath.Rel(dir, x.Path)
		got = append(got, rel+map[bool]string{true: "(found)", false: ""}[x.Found])
	}
	if strings.Join(got, " ") != "b.c a.h(found) sub/c.c(found)" {
		t.Errorf("listed %v", got)
	}
	if l[0].Found || l[0].Size != 7 || l[2].Size != 8 {
		t.Errorf("b.c named with size 7, c.c size 8: %+v", l)
	}
	if _, err := ListPaths([]string{filepath.Join(dir, "notes.txt")}); err == nil || !strings.Contains(err.Error(), "not a C source") {
		t.Errorf("a named text file: %v", err)
	}
	if _, err := ListPaths([]string{filepath.Join(dir, "gone.c")}); err == nil {
		t.Error("a missing file: no error")
	}
	srcs, err := LoadListed(l, LoadOptions{})
	if err != nil || len(srcs) != 3 || string(srcs[2].Src) != "int cc;\n" || !srcs[2].Found {
		t.Errorf("LoadListed: %v, %+v", err, srcs)
	}
}
