// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lockbot/diff"
	"lockbot/kb"
	"lockbot/source"
)

// manyFuncs is C whose analysis takes long enough to be interrupted: a
// chain of functions each taking a lock around its callee.
func manyFuncs(n int) []byte {
	var b strings.Builder
	b.WriteString("spinlock_t l;\nstruct mutex m;\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "static void f%d(int x)\n{\n\tif (x)\n\t\tspin_lock(&l);\n\telse\n\t\tmutex_lock(&m);\n\tf%d(x - 1);\n\tif (x)\n\t\tspin_unlock(&l);\n\telse\n\t\tmutex_unlock(&m);\n}\n", i, i+1)
	}
	return []byte(b.String())
}

// An analysis stops when its context does: a review's deadline (lore's
// review_seconds, serve's job timeout) is honoured midway, not only
// between files.
func TestAnalyzeHonoursContext(t *testing.T) {
	src := manyFuncs(3000)
	opt := Options{KB: kb.MustDefault(), Workers: 2}
	start := time.Now()
	if _, err := Analyze(context.Background(), []source.Source{{Path: "chain.c", Src: src}}, opt); err != nil {
		t.Fatal(err)
	}
	full := time.Since(start)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Analyze(ctx, []source.Source{{Path: "chain.c", Src: src}}, opt); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: got %v, want context.Canceled", err)
	}

	// A deadline that falls during the analysis: the parse of the one
	// file is done by then, the functions are not.
	ctx, cancel = context.WithTimeout(context.Background(), full/4)
	defer cancel()
	start = time.Now()
	_, err := Analyze(ctx, []source.Source{{Path: "chain.c", Src: src}}, opt)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline at a quarter of the run: got %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > full/4+full/2 {
		t.Errorf("stopped after %v; the whole analysis takes %v", took, full)
	}
}

// A function whose states grow with every branch (a fact per test, and
// thousands of tests) is given up past maxWork, as one with too many
// paths is: counted as not analysed, at a bounded cost.
func TestWorkBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("spinlock_t l;\nstruct mutex m;\nvoid f(int x)\n{\n")
	for i := 0; i < 6000; i++ {
		fmt.Fprintf(&b, "\tif (x & %d) spin_lock(&l); else mutex_lock(&m);\n", i)
	}
	b.WriteString("}\nvoid g(void)\n{\n\tspin_lock(&l);\n\tmsleep(1);\n\tspin_unlock(&l);\n}\n")
	start := time.Now()
	res, err := Analyze(context.Background(), []source.Source{{Path: "branches.c", Src: []byte(b.String())}}, Options{KB: kb.MustDefault(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Failed != 1 {
		t.Errorf("%d functions not analysed, want 1 (f)", res.Stats.Failed)
	}
	if len(res.Findings) != 1 || res.Findings[0].Function != "g" {
		t.Errorf("findings %v, want g's sleep under its lock", res.Findings)
	}
	// Before the bound: 4 s and 1.4 GB for 16,000 branches, quadratic.
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v", took)
	}
}

// Files that are not regular files are never opened for reading: a FIFO
// would block the run forever, a link to a device fill memory. Named,
// they are an error; found in a directory or included, they are passed
// over.
func TestLoadPathsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.c", "#include \"fifo.h\"\n#include \"zero.h\"\nvoid a(void) { }\n")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.h"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.c"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"zero.h", "zero.c"} {
		if err := os.Symlink("/dev/zero", filepath.Join(dir, l)); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srcs, err := source.LoadPaths([]string{dir}, source.LoadOptions{IncludeDepth: 2})
		if err != nil {
			t.Errorf("directory: %v", err)
			return
		}
		if len(srcs) != 1 || filepath.Base(srcs[0].Path) != "a.c" {
			var names []string
			for _, s := range srcs {
				names = append(names, s.Path)
			}
			t.Errorf("read %v, want a.c alone", names)
		}
		for _, name := range []string{"fifo.c", "zero.c"} {
			if _, err := source.LoadPaths([]string{filepath.Join(dir, name)}, source.LoadOptions{}); !errors.Is(err, diff.ErrNotRegular) {
				t.Errorf("%s named: got %v, want ErrNotRegular", name, err)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("LoadPaths blocked on a FIFO")
	}
}
