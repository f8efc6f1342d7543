// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"lockbot/flow"
	"lockbot/kb"
	"lockbot/rules"
	"lockbot/source"
)

// copyTree copies testdata/index/tree to a scratch directory the test may
// change.
func copyTree(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if out, err := exec.Command("cp", "-r", "../testdata/index/tree/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	return dst
}

func build(t *testing.T, tree, path string, workers int) (*Index, *UpdateStats) {
	t.Helper()
	ix, err := Open(path, kb.MustDefault(), true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ix.Update(context.Background(), UpdateOptions{Tree: tree, Workers: workers, IncludeDepth: 2})
	if err != nil {
		ix.Close()
		t.Fatal(err)
	}
	return ix, st
}

func scanMain(t *testing.T, tree string, ext flow.Externals) []*rules.Finding {
	t.Helper()
	return scanFile(t, tree, "drivers/foo/foo_main.c", ext)
}

// TestIndexCrossFile: foo_main.c calls foo_resize() under a spinlock, and
// foo_resize() sleeps two calls down in foo_core.c. A scan of foo_main.c
// sees it with the index and not without.
func TestIndexCrossFile(t *testing.T) {
	tree := copyTree(t)
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if st.Files != 13 || st.Analysed != 13 || st.Failed != 0 {
		t.Fatalf("stats %+v, want 13 files analysed (arch/x86 but not arch/sparc; include/)", st)
	}
	if f := scanMain(t, tree, nil); len(f) != 0 {
		t.Errorf("without the index: %d findings; unknown callees must not be guessed to sleep", len(f))
	}
	fs := scanMain(t, tree, ix)
	if len(fs) != 1 || fs[0].Rule != "SLEEP_IN_ATOMIC" || fs[0].Function != "foo_update" {
		t.Fatalf("with the index: %+v, want SLEEP_IN_ATOMIC in foo_update", fs)
	}
	var files []string
	for _, s := range fs[0].Chain {
		files = append(files, filepath.Base(s.File))
	}
	if chain := strings.Join(files, " "); !strings.Contains(chain, "foo_core.c") || !strings.Contains(chain, "foo.h") {
		t.Errorf("chain files %q: want the lock in foo.h and the allocation in foo_core.c", chain)
	}
	// A <linux/...> header's static inline, from include/.
	srcs, err := source.LoadPaths([]string{filepath.Join(tree, "drivers/foo/foo_reset.c")}, source.LoadOptions{IncludeDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rules.Analyze(context.Background(), srcs, rules.Options{KB: kb.MustDefault(), Externals: ix})
	if err != nil || len(res.Findings) != 1 || res.Findings[0].Function != "foo_reset" {
		t.Errorf("foo_reset with the index: %v %+v, want the sleep in foo_settle() under the lock", err, res)
	}
	// Only this build's architecture.
	if recs, _ := ix.Records("arch_enter_lazy_mode"); len(recs) != 1 || recs[0].File != "arch/x86/mm/lazy.c" {
		t.Errorf("arch_enter_lazy_mode records %+v, want only arch/x86's", recs)
	}
	// A header's static inline is indexed once, from the header.
	recs, err := ix.Records("foo_lock")
	if err != nil || len(recs) != 1 || recs[0].File != "drivers/foo/foo.h" {
		t.Errorf("foo_lock records %+v (%v), want one from drivers/foo/foo.h", recs, err)
	}
}

// scanFile scans one file of the tree, with ext when not nil.
func scanFile(t *testing.T, tree, rel string, ext flow.Externals) []*rules.Finding {
	t.Helper()
	srcs, err := source.LoadPaths([]string{filepath.Join(tree, rel)}, source.LoadOptions{IncludeDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	opt := rules.Options{KB: kb.MustDefault()}
	if ext != nil {
		opt.Externals = ext
	}
	res, err := rules.Analyze(context.Background(), srcs, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

// TestIndexLinked: foo_cmd.c calls, under the device lock, foo_flush()
// (foo_flush.c), which sleeps in lib/foo_util.c; foo_poke(GFP_KERNEL),
// which passes the mask to an allocation in lib/foo_util.c; and ->reset()
// through the one ops table filling it, in foo_ops.c. Each file's records
// are its own: the index links them when they are looked up, so a change
// two files down is seen after refreshing that file alone.
func TestIndexLinked(t *testing.T) {
	tree := copyTree(t)
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if fs := scanFile(t, tree, "drivers/foo/foo_cmd.c", nil); len(fs) != 0 {
		t.Errorf("without the index: %d findings, want none", len(fs))
	}
	got := map[string]string{}
	for _, f := range scanFile(t, tree, "drivers/foo/foo_cmd.c", ix) {
		var notes []string
		for _, s := range f.Chain {
			notes = append(notes, s.File+":"+s.Note)
		}
		got[f.Function] = f.Rule + " " + strings.Join(notes, " | ")
	}
	want := map[string][]string{
		"foo_cmd_flush": {"SLEEP_IN_ATOMIC", "drivers/foo/foo_flush.c:calls foo_wait_idle()", "lib/foo_util.c:msleep(1) may sleep"},
		"foo_cmd_grow":  {"SLEEP_IN_ATOMIC", "calls foo_poke() with GFP_KERNEL", "lib/foo_util.c:kmalloc(64, gfp)"},
		"foo_cmd_reset": {"SLEEP_IN_ATOMIC", "calls foo_hw_reset() through struct foo_ops.reset (ops table at foo_ops.c:22)",
			"drivers/foo/foo_ops.c:mutex_lock(&foo_reset_mutex)"},
	}
	if len(got) != len(want) {
		t.Errorf("findings in %v, want in foo_cmd_flush, foo_cmd_grow and foo_cmd_reset only", got)
	}
	for fn, parts := range want {
		for _, p := range parts {
			if !strings.Contains(got[fn], p) {
				t.Errorf("%s: %q lacks %q", fn, got[fn], p)
			}
		}
	}
	// A member of a struct only <linux/baz_ops.h> defines: the index's
	// types name it, in the scan and in the index's own records.
	if fs := scanFile(t, tree, "drivers/baz/baz_core.c", nil); len(fs) != 0 {
		t.Errorf("baz_core.c without the index: %+v, want nothing", fs)
	}
	fs := scanFile(t, tree, "drivers/baz/baz_core.c", ix)
	if len(fs) != 1 || fs[0].Function != "baz_start_locked" || fs[0].Line != 13 {
		t.Errorf("baz_core.c with the index: %+v, want SLEEP_IN_ATOMIC in baz_start_locked() at line 13", fs)
	}
	if fi := ix.Lookup("baz_start"); fi == nil || !strings.Contains(flow.Explain(fi), "calls baz_hw_start() through struct baz_ops.start (ops table at baz_hw.c:16)") {
		t.Errorf("baz_start's linked summary does not sleep through the ops table: %v", fi)
	}
	// foo_wait_idle() stops sleeping: refreshing lib/foo_util.c alone is
	// enough for foo_cmd_flush() to be quiet.
	util := filepath.Join(tree, "lib/foo_util.c")
	data, _ := os.ReadFile(util)
	if err := os.WriteFile(util, []byte(strings.Replace(string(data), "msleep(1)", "cpu_relax()", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(util, later, later)
	st, err := ix.Update(context.Background(), UpdateOptions{Tree: tree, IncludeDepth: 2})
	if err != nil || st.Analysed != 1 {
		t.Fatalf("refresh: %+v %v, want lib/foo_util.c analysed alone", st, err)
	}
	for _, f := range scanFile(t, tree, "drivers/foo/foo_cmd.c", ix) {
		if f.Function == "foo_cmd_flush" {
			t.Errorf("foo_cmd_flush still reported after foo_wait_idle() stopped sleeping: %+v", f)
		}
	}
}

// TestIndexRefresh: a second update analyses nothing; a changed file is
// analysed again; a removed file's records go.
func TestIndexRefresh(t *testing.T) {
	tree := copyTree(t)
	path := filepath.Join(t.TempDir(), "index.db")
	ix, _ := build(t, tree, path, 0)
	st, err := ix.Update(context.Background(), UpdateOptions{Tree: tree, IncludeDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.Analysed != 0 || st.Unchanged != 13 {
		t.Errorf("second update %+v, want nothing analysed", st)
	}
	core := filepath.Join(tree, "drivers/foo/foo_core.c")
	data, _ := os.ReadFile(core)
	fixed := strings.Replace(string(data), "GFP_KERNEL", "GFP_ATOMIC", 1)
	if err := os.WriteFile(core, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(core, later, later)
	if st, err = ix.Update(context.Background(), UpdateOptions{Tree: tree, IncludeDepth: 2}); err != nil {
		t.Fatal(err)
	}
	if st.Analysed != 1 || st.Unchanged != 12 {
		t.Errorf("after a change %+v, want one file analysed", st)
	}
	if fs := scanMain(t, tree, ix); len(fs) != 0 {
		t.Errorf("GFP_ATOMIC now: %d findings, want none", len(fs))
	}
	if err := os.Remove(core); err != nil {
		t.Fatal(err)
	}
	if st, err = ix.Update(context.Background(), UpdateOptions{Tree: tree, IncludeDepth: 2}); err != nil {
		t.Fatal(err)
	}
	if st.Removed != 1 {
		t.Errorf("after removing a file %+v, want one removed", st)
	}
	if recs, _ := ix.Records("foo_resize"); len(recs) != 0 {
		t.Errorf("foo_resize still indexed: %+v", recs)
	}
	ix.Close()
	// Read-only, as scan and check open it.
	ro, err := Open(path, kb.MustDefault(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if s, err := ro.Stats(); err != nil || s.Files != 12 {
		t.Errorf("stats %+v (%v), want 12 files", s, err)
	}
}

// dump lists every record of an index, for comparing two.
func dump(t *testing.T, path string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var lines []string
	err = db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketFuncs).ForEach(func(k, v []byte) error {
			rec, err := unpackRecord(k, v)
			if err != nil {
				return err
			}
			out, _ := json.Marshal(rec)
			lines = append(lines, strings.ReplaceAll(string(k), "\x00", " ")+" "+string(out))
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketTypes).ForEach(func(k, v []byte) error {
			data, err := unseal(k, v)
			if err != nil {
				return err
			}
			lines = append(lines, "type "+string(k)+" "+string(data))
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketOps).ForEach(func(k, v []byte) error {
			data, err := unseal(k, v)
			if err != nil {
				return err
			}
			var ts []flow.OpsTarget
			json.Unmarshal(data, &ts)
			sort.Slice(ts, func(i, j int) bool { return ts[i].File+ts[i].Fn < ts[j].File+ts[j].Fn })
			out, _ := json.Marshal(ts)
			lines = append(lines, "ops "+string(k)+" "+string(out))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestIndexDeterministic: one worker or two, the same records.
func TestIndexDeterministic(t *testing.T) {
	tree := copyTree(t)
	p1, p2 := filepath.Join(t.TempDir(), "one.db"), filepath.Join(t.TempDir(), "two.db")
	ix1, _ := build(t, tree, p1, 1)
	ix1.Close()
	ix2, _ := build(t, tree, p2, 2)
	ix2.Close()
	if a, b := dump(t, p1), dump(t, p2); a != b || a == "" {
		t.Errorf("records differ between one and two workers:\n%s\n---\n%s", a, b)
	}
}

// TestScanWithIndexDeterministic: a scan of the whole test tree with its
// index finds the same, with the same chains, on one worker or two (the
// index's linking is shared by the workers, and memoised on first use).
func TestScanWithIndexDeterministic(t *testing.T) {
	tree := copyTree(t)
	path := filepath.Join(t.TempDir(), "index.db")
	ix, _ := build(t, tree, path, 0)
	ix.Close()
	run := func(workers int) string {
		ro, err := Open(path, kb.MustDefault(), false)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		srcs, err := source.LoadPaths([]string{filepath.Join(tree, "drivers"), filepath.Join(tree, "lib")}, source.LoadOptions{IncludeDepth: 2})
		if err != nil {
			t.Fatal(err)
		}
		res, err := rules.Analyze(context.Background(), srcs, rules.Options{KB: kb.MustDefault(), Externals: ro, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(res.Findings)
		return string(out)
	}
	one, two := run(1), run(2)
	if one != two {
		t.Errorf("findings differ between one and two workers:\n%s\n---\n%s", one, two)
	}
	if !strings.Contains(one, "foo_hw_reset") || !strings.Contains(one, "foo_wait_idle") {
		t.Errorf("the scan does not reach the linked callees: %s", one)
	}
}

func TestIndexStaleAndBad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.db"), kb.MustDefault(), false); err == nil {
		t.Error("opening a missing index read-only: no error")
	}
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("not a database"), 0o644)
	if _, err := Open(junk, kb.MustDefault(), false); err == nil {
		t.Error("opening a file that is not an index: no error")
	}
	// An index built with another knowledge base is stale.
	tree := copyTree(t)
	path := filepath.Join(dir, "index.db")
	ix, _ := build(t, tree, path, 0)
	ix.Close()
	extra := filepath.Join(dir, "extra.yaml")
	os.WriteFile(extra, []byte("functions:\n  foo_extra: {sleeps: true, src: builtin}\n"), 0o644)
	k2, err := kb.Load(extra)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, k2, false); err != ErrStale {
		t.Errorf("other knowledge base: err %v, want ErrStale", err)
	}
}

// TestOpsEntriesPerFile: each file's ops entries are its own, so one
// file's update or removal leaves the other files' entries of a member.
func TestOpsEntriesPerFile(t *testing.T) {
	ix, err := Open(filepath.Join(t.TempDir(), "index.db"), kb.MustDefault(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	const key = "struct target_type.map"
	a := flow.OpsTarget{Fn: "linear_map", File: "drivers/md/dm-linear.c", Line: 9}
	b := flow.OpsTarget{Fn: "snapshot_map", File: "drivers/md/dm-snap.c", Line: 7}
	c := flow.OpsTarget{Fn: "origin_map", File: "drivers/md/dm-snap.c", Line: 8}
	if err := ix.write(func(tx *bolt.Tx) error {
		if err := editOps(tx, key, b.File, []flow.OpsTarget{b, c}); err != nil {
			return err
		}
		if err := editOps(tx, key, a.File, []flow.OpsTarget{a}); err != nil {
			return err
		}
		// A member whose name extends the key's is another key.
		return editOps(tx, key+"_x", a.File, []flow.OpsTarget{a})
	}); err != nil {
		t.Fatal(err)
	}
	got, err := ix.OpsTargets(key)
	if err != nil || !reflect.DeepEqual(got, []flow.OpsTarget{a, b, c}) {
		t.Fatalf("ops %+v (%v), want both files' entries in file order", got, err)
	}
	if err := ix.write(func(tx *bolt.Tx) error { return editOps(tx, key, b.File, nil) }); err != nil {
		t.Fatal(err)
	}
	if got, _ = ix.OpsTargets(key); !reflect.DeepEqual(got, []flow.OpsTarget{a}) {
		t.Errorf("after dm-snap.c's removal: %+v, want linear_map alone", got)
	}
}

// TestHeaderRecordOwner: a local header's static inline is analysed with
// each file including it, and what it calls resolves differently in each
// (a.c includes the header defining helper() first, b.c does not). The
// record kept is a.c's, the includer first by path, whichever finished
// last and whichever was re-analysed since; and it goes when a.c stops
// including the header.
func TestHeaderRecordOwner(t *testing.T) {
	tree := t.TempDir()
	write := func(rel, src string) { writeFile(t, tree, rel, src) }
	write("drv/defs.h", "static inline void helper(int x) { }\n")
	write("drv/h.h", "static inline void hi(void) { helper(1); }\n")
	write("drv/a.c", "#include \"defs.h\"\n#include \"h.h\"\nvoid a(void) { hi(); }\n")
	write("drv/b.c", "#include \"h.h\"\nvoid b(void) { hi(); }\n")
	path := filepath.Join(t.TempDir(), "index.db")
	hiRecord := func() string {
		t.Helper()
		for _, l := range strings.Split(dump(t, path), "\n") {
			if strings.HasPrefix(l, "hi drv/h.h ") {
				return l
			}
		}
		return ""
	}
	fromA := func(rec string) bool { return strings.Contains(rec, `"file":"drv/defs.h"`) }
	for _, workers := range []int{1, 2} {
		os.Remove(path)
		ix, _ := build(t, tree, path, workers)
		ix.Close()
		if rec := hiRecord(); !fromA(rec) {
			t.Fatalf("%d workers: hi's record %q, want a.c's, which resolves helper in defs.h", workers, rec)
		}
	}
	// b.c changes and is analysed again, last: a.c's record stays.
	later := time.Now().Add(time.Minute)
	write("drv/b.c", "#include \"h.h\"\nvoid b(void) { hi(); hi(); }\n")
	os.Chtimes(filepath.Join(tree, "drv/b.c"), later, later)
	ix, st := build(t, tree, path, 1)
	ix.Close()
	if st.Analysed != 1 {
		t.Fatalf("refresh analysed %d files, want b.c alone", st.Analysed)
	}
	if rec := hiRecord(); !fromA(rec) {
		t.Errorf("after b.c changed: hi's record %q, want a.c's still", rec)
	}
	// a.c no longer includes h.h: its record of hi goes with it.
	write("drv/a.c", "#include \"defs.h\"\nvoid a(void) { helper(2); }\n")
	os.Chtimes(filepath.Join(tree, "drv/a.c"), later, later)
	ix, _ = build(t, tree, path, 1)
	ix.Close()
	if rec := hiRecord(); fromA(rec) {
		t.Errorf("after a.c stopped including h.h: hi's record %q is still a.c's", rec)
	}
}
