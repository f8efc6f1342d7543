package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexAndCheck: a patch makes foo_store() call foo_resize(), which
// sleeps two calls down in another file, under a spinlock. check sees it
// with the tree's index and not without; explain shows why.
func TestIndexAndCheck(t *testing.T) {
	tree := t.TempDir()
	if out, err := exec.Command("cp", "-r", "../../testdata/index/tree/.", tree).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	patch := mustAbs(t, "../../testdata/index/resize-under-lock.patch")
	r, _, code := checkBin(t, "--tree", tree, patch)
	if code != 0 || len(r.Findings) != 0 {
		t.Errorf("without an index: exit %d, findings %+v; want none (the callee is unknown)", code, r.Findings)
	}
	if out, _, _ := runBin(t, "check", "--tree", tree, patch); !strings.Contains(out, "NOTE: 1 function called under a lock not seen, assumed not to sleep: foo_resize()") {
		t.Errorf("without an index, the review does not say foo_resize() was not seen:\n%s", out)
	}
	// foo_restart() calls, under the lock, foo_flush(), which sleeps two
	// files down, and ->reset() of an ops table in another file.
	restart := mustAbs(t, "../../testdata/index/restart-under-lock.patch")
	if r, _, code := checkBin(t, "--tree", tree, restart); code != 0 || len(r.Findings) != 0 {
		t.Errorf("restart without an index: exit %d, findings %+v; want none", code, r.Findings)
	}
	out, stderr, code := runBin(t, "index", "--tree", tree)
	if code != 0 || !strings.Contains(out, "13 files (13 analysed") {
		t.Fatalf("index: exit %d\n%s%s", code, out, stderr)
	}
	r, _, code = checkBin(t, "--tree", tree, patch)
	if code != 1 || len(r.Findings) != 1 || r.Findings[0].Rule != "SLEEP_IN_ATOMIC" || r.Findings[0].Line != 8 {
		t.Fatalf("with the index: exit %d, findings %+v; want SLEEP_IN_ATOMIC on the added call, line 8", code, r.Findings)
	}
	r2, _, code := checkBin(t, "--tree", tree, restart)
	var lines []string
	for _, f := range r2.Findings {
		lines = append(lines, fmt.Sprintf("%s:%d", f.Rule, f.Line))
	}
	if code != 1 || strings.Join(lines, " ") != "SLEEP_IN_ATOMIC:14 SLEEP_IN_ATOMIC:15" {
		t.Errorf("restart with the index: exit %d, findings %v; want the added foo_flush() and ->reset() lines", code, lines)
	}
	deep := false
	for _, s := range r.Findings[0].Chain {
		deep = deep || s.Function == "foo_alloc"
	}
	if !deep {
		t.Errorf("chain %+v does not reach foo_alloc() in foo_core.c", r.Findings[0].Chain)
	}
	out, _, code = runBin(t, "explain", "--tree", tree, "foo_resize")
	if code != 0 || !strings.Contains(out, "may sleep: kmalloc(n, GFP_KERNEL)") || !strings.Contains(out, "drivers/foo/foo_core.c:6: foo_alloc()") {
		t.Errorf("explain: exit %d\n%s", code, out)
	}
	// The witness crosses files: foo_flush.c to lib/foo_util.c.
	out, _, code = runBin(t, "explain", "--tree", tree, "foo_flush")
	if code != 0 || !strings.Contains(out, "may sleep: msleep(1)") || !strings.Contains(out, "lib/foo_util.c:7: foo_wait_idle()") {
		t.Errorf("explain foo_flush: exit %d\n%s", code, out)
	}
	if _, stderr, code := runBin(t, "explain", "--tree", tree, "no_such_function"); code != 2 || !strings.Contains(stderr, "not in the index") {
		t.Errorf("explain of an unknown function: exit %d, %q", code, stderr)
	}
	// A second run refreshes nothing.
	if out, _, _ := runBin(t, "index", "--tree", tree); !strings.Contains(out, "(0 analysed, 13 unchanged") {
		t.Errorf("second index run: %s", out)
	}
	if _, stderr, code := runBin(t, "check", "--index", filepath.Join(tree, "missing.db"), "--tree", tree, patch); code != 2 || stderr == "" {
		t.Errorf("--index naming a missing file: exit %d, %q; want 2 and an error", code, stderr)
	}
}
