// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lockbot/flow"
	"lockbot/kb"
	"lockbot/rules"
	"lockbot/source"
)

// TestKernelScanSameAloneOrTogether: on a real subsystem (6.12's fs/xfs
// and include/linux, copied into a tree of their own and indexed), each
// file's findings are the same analysed alone with a fresh reader of the
// index as in a stream of the whole directory sharing one (issue 24).
// Linking used to keep what the first lookup's path allowed, so a file's
// findings depended on what was analysed before it: xfs_log_cil.c's
// differed. Needs LOCKBOT_KERNEL_6_12 (scripts/fetch-kernel.sh).
func TestKernelScanSameAloneOrTogether(t *testing.T) {
	src := os.Getenv("LOCKBOT_KERNEL_6_12")
	if src == "" {
		t.Skip("LOCKBOT_KERNEL_6_12 not set: point it at a kernel tree from scripts/fetch-kernel.sh")
	}
	tree := t.TempDir()
	for _, d := range []string{kernelSubsystem, "include/linux"} {
		if err := os.MkdirAll(filepath.Join(tree, filepath.Dir(d)), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-r", filepath.Join(src, d), filepath.Join(tree, d)).CombinedOutput(); err != nil {
			t.Fatalf("cp %s: %v\n%s", d, err, out)
		}
	}
	w, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	if st.Analysed < 1000 {
		t.Fatalf("indexed %d files, want drivers/md's and include/linux's", st.Analysed)
	}
	w.Close()
	ix, err := Open(filepath.Join(filepath.Dir(w.Path()), "index.db"), kb.MustDefault(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	listed, err := source.ListPaths([]string{filepath.Join(tree, kernelSubsystem)})
	if err != nil {
		t.Fatal(err)
	}
	var files []source.Listed
	for _, l := range listed {
		if strings.HasSuffix(l.Path, ".c") && filepath.Dir(l.Path) == filepath.Join(tree, kernelSubsystem) {
			files = append(files, l)
		}
	}
	key := func(r *rules.Result) []string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, fmt.Sprintf("%s %s:%d %s", f.Rule, f.File, f.Line, f.Message))
		}
		return out
	}
	lopt := source.LoadOptions{IncludeDepth: 2}
	var units []rules.Unit
	for _, l := range files {
		units = append(units, rules.Unit{Name: l.Path, Load: func() ([]source.Source, error) {
			return source.LoadListed([]source.Listed{l}, lopt)
		}})
	}
	together := map[string][]string{}
	so := rules.StreamOptions{Jobs: 2, Externals: func() flow.Externals { return ix.View() }}
	err = rules.Stream(context.Background(), units, rules.Options{KB: kb.MustDefault()}, so, func(u rules.Unit, r *rules.Result) error {
		together[u.Name] = key(r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, l := range files {
		srcs, err := source.LoadListed([]source.Listed{l}, lopt)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rules.Analyze(context.Background(), srcs, rules.Options{KB: kb.MustDefault(), Externals: ix.View()})
		if err != nil {
			t.Fatal(err)
		}
		alone := key(res)
		found += len(alone)
		if !slices.Equal(alone, together[l.Path]) {
			t.Errorf("%s alone:\n%s\nin the directory's stream:\n%s", l.Path, strings.Join(alone, "\n"), strings.Join(together[l.Path], "\n"))
		}
	}
	if found == 0 {
		t.Errorf("no findings in %s: the comparison says nothing", kernelSubsystem)
	}
	t.Logf("%d files, %d findings alone", len(files), found)
}

// kernelSubsystem is the directory TestKernelScanSameAloneOrTogether
// copies and scans: xfs's log code reached a kvfree() under a spinlock
// through a record linked first from another file's lookup.
const kernelSubsystem = "fs/xfs"
