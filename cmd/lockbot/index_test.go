// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
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
	// The default index directory keeps itself out of git.
	if ig, err := os.ReadFile(filepath.Join(tree, ".lockbot/.gitignore")); err != nil || !strings.Contains(string(ig), "\n*\n") {
		t.Errorf(".lockbot/.gitignore: %q, %v", ig, err)
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

// indexedTree copies the index test tree to a scratch directory and
// indexes it, returning the tree and its index.
func indexedTree(t *testing.T) (tree, db string) {
	t.Helper()
	tree = t.TempDir()
	if out, err := exec.Command("cp", "-r", "../../testdata/index/tree/.", tree).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	if out, stderr, code := runBin(t, "index", "--tree", tree); code != 0 {
		t.Fatalf("index: exit %d\n%s%s", code, out, stderr)
	}
	return tree, filepath.Join(tree, ".lockbot", "index.db")
}

// crashed reports output of a crash rather than an error: a panic, a
// fault, a goroutine dump.
func crashed(stderr string) bool {
	for _, s := range []string{"panic:", "fatal error", "SIGSEGV", "goroutine "} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

// TestIndexDamaged: a truncated, empty or overwritten index, or one whose
// records have flipped bytes, is refused by every command with an error
// that says it is damaged and what to do, exit status 2: never a crash,
// nor a silent use.
func TestIndexDamaged(t *testing.T) {
	tree, db := indexedTree(t)
	if out, stderr, code := runBin(t, "index", "--check", "--tree", tree); code != 0 || !strings.Contains(out, ": sound: ") {
		t.Fatalf("index --check of a sound index: exit %d\n%s%s", code, out, stderr)
	}
	orig, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	// Where foo_resize's record lies in the file.
	var value []byte
	bdb, err := bolt.Open(db, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	bdb.View(func(tx *bolt.Tx) error {
		value = bytes.Clone(tx.Bucket([]byte("funcs")).Get([]byte("foo_resize\x00drivers/foo/foo_core.c")))
		return nil
	})
	bdb.Close()
	at := bytes.Index(orig, value)
	if value == nil || at < 0 {
		t.Fatal("foo_resize's record not found in the index file")
	}
	const fix = "delete it and run lockbot index"
	for _, tc := range []struct {
		name string
		fn   func([]byte) []byte
		// update: what lockbot index does with it (0: rebuilds it).
		update int
	}{
		{"truncated", func(d []byte) []byte { return d[:len(d)/2] }, 2},
		{"empty", func([]byte) []byte { return nil }, 0},
		{"meta page overwritten", func(d []byte) []byte {
			for i := 16; i < 80; i++ {
				d[i] = 0xa5
			}
			return d
		}, 0},
		{"record bytes flipped", func(d []byte) []byte {
			for _, i := range []int{3, len(value) / 2, len(value) - 2} {
				d[at+i] ^= 0x5a
			}
			return d
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "index.db")
			if err := os.WriteFile(p, tc.fn(bytes.Clone(orig)), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"explain", "--index", p, "foo_resize"},
				{"index", "--check", "--tree", tree, "--out", p},
			} {
				_, stderr, code := runBin(t, args...)
				if code != 2 || !strings.Contains(stderr, "index "+p+" is damaged: ") || !strings.Contains(stderr, fix) || crashed(stderr) {
					t.Errorf("%s: exit %d, %q; want 2 and the index named as damaged, with the fix", args[0], code, stderr)
				}
			}
			_, stderr, code := runBin(t, "scan", "--index", p, filepath.Join(tree, "drivers/foo/foo_main.c"))
			if tc.update == 2 && tc.name == "record bytes flipped" {
				// The record is read as the scan needs it: the damage is
				// logged as it is found, and fails the scan, by name.
				if code != 2 || !strings.Contains(stderr, `the record of "foo_resize"`) || !strings.Contains(stderr, fix) || crashed(stderr) {
					t.Errorf("scan: exit %d, %q; want 2 and the damaged record named", code, stderr)
				}
			} else if code != 2 || !strings.Contains(stderr, fix) || crashed(stderr) {
				t.Errorf("scan: exit %d, %q; want 2 and the fix", code, stderr)
			}
			out, stderr, code := runBin(t, "index", "--tree", tree, "--out", p)
			if code != tc.update || crashed(stderr) || tc.update == 2 && !strings.Contains(stderr, fix) {
				t.Errorf("index on it: exit %d\n%s%s\nwant %d", code, out, stderr, tc.update)
			}
			if tc.update == 0 {
				if out, stderr, code := runBin(t, "explain", "--index", p, "foo_resize"); code != 0 {
					t.Errorf("explain after lockbot index rebuilt it: exit %d\n%s%s", code, out, stderr)
				}
			}
		})
	}
}

// TestIndexUnreadable: a file lockbot index cannot read makes it exit 1
// naming it; once readable, the next run analyses it, and its functions
// are indexed (they were taken for unchanged for good before).
func TestIndexUnreadable(t *testing.T) {
	// Root reads any file: run lockbot as nobody, with a tree and an
	// index it may read and write.
	dir, err := os.MkdirTemp("", "lockbot-unreadable")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tree := filepath.Join(dir, "tree")
	if out, err := exec.Command("cp", "-r", "../../testdata/index/tree", tree).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	if err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chmod(p, map[bool]os.FileMode{true: 0o777, false: 0o644}[d.IsDir()])
	}); err != nil {
		t.Fatal(err)
	}
	run := runBin
	if os.Geteuid() == 0 {
		run = asNobody(t, dir)
	}
	core := filepath.Join(tree, "drivers/foo/foo_core.c")
	if err := os.Chmod(core, 0); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "index.db")
	out, stderr, code := run(t, "index", "--tree", tree, "--out", db)
	if code != 1 || !strings.Contains(out, "1 not readable") || !strings.Contains(stderr, "drivers/foo/foo_core.c") {
		t.Fatalf("index with foo_core.c unreadable: exit %d\n%s%s\nwant 1, and the file named", code, out, stderr)
	}
	if err := os.Chmod(core, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = run(t, "index", "--tree", tree, "--out", db)
	if code != 0 || !strings.Contains(out, "(1 analysed, 12 unchanged") {
		t.Errorf("index once foo_core.c is readable: exit %d\n%s%s\nwant it analysed", code, out, stderr)
	}
	if out, stderr, code := run(t, "explain", "--index", db, "foo_resize"); code != 0 || !strings.Contains(out, "foo_resize() at drivers/foo/foo_core.c") {
		t.Errorf("explain foo_resize: exit %d\n%s%s", code, out, stderr)
	}
}

// asNobody returns a runBin that runs lockbot as the user nobody, from a
// copy of it in dir.
func asNobody(t *testing.T, dir string) func(*testing.T, ...string) (string, string, int) {
	t.Helper()
	bin := filepath.Join(dir, "lockbot")
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var exit *exec.ExitError
		code := 0
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
}

// TestIndexSpecialFiles: a FIFO named like C and a header that is a
// symlink to /dev/zero are skipped and counted; the run ends (it blocked
// on the FIFO, or read /dev/zero until memory ran out).
func TestIndexSpecialFiles(t *testing.T) {
	tree := t.TempDir()
	for rel, src := range map[string]string{
		"drivers/x/a.c": "#include \"zero.h\"\nvoid a(void) { }\n",
		"drivers/x/b.c": "void b(void) { }\n",
	} {
		p := filepath.Join(tree, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(tree, "drivers/x/f.c"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(tree, "drivers/x/zero.h")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "index", "--tree", tree)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("lockbot index did not end in 60 s\n%s", e.String())
	}
	if err != nil || !strings.Contains(o.String(), "2 files (2 analysed") || !strings.Contains(o.String(), "2 skipped") {
		t.Errorf("index: %v\n%s%s\nwant a.c and b.c analysed, f.c and zero.h skipped", err, o.String(), e.String())
	}
	for _, name := range []string{"drivers/x/f.c", "drivers/x/zero.h"} {
		if !strings.Contains(e.String(), name) {
			t.Errorf("%s not named as skipped:\n%s", name, e.String())
		}
	}
}

// TestDebugIndex: the developer's view of an index. debug summary of a
// function the files do not define prints the index's linked summary,
// and a name nothing defines is an error; debug index prints a
// function's records with the calls they make, and a key's entries.
func TestDebugIndex(t *testing.T) {
	tree := t.TempDir()
	if out, err := exec.Command("cp", "-r", "../../testdata/index/tree/.", tree).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	idx := filepath.Join(t.TempDir(), "index.db")
	if out, stderr, code := runBin(t, "index", "--tree", tree, "--out", idx); code != 0 {
		t.Fatalf("index: exit %d\n%s%s", code, out, stderr)
	}
	caller := filepath.Join(tree, "drivers/foo/foo_main.c")
	out, stderr, code := runBin(t, "debug", "summary", "--index", idx, "foo_resize", caller)
	if code != 0 || !strings.Contains(out, "foo_resize (drivers/foo/foo_core.c:") || !strings.Contains(out, "from the index") || !strings.Contains(out, "kmalloc") {
		t.Errorf("debug summary of an indexed callee: exit %d\n%s%s", code, out, stderr)
	}
	if _, stderr, code := runBin(t, "debug", "summary", "--index", idx, "no_such_fn", caller); code == 0 || !strings.Contains(stderr, "no function no_such_fn") {
		t.Errorf("debug summary of an unknown name: exit %d, %s", code, stderr)
	}
	out, stderr, code = runBin(t, "debug", "index", idx, "foo_resize")
	if code != 0 || !strings.Contains(out, `"name":"foo_resize"`) || !strings.Contains(out, `"calls":[`) {
		t.Errorf("debug index of foo_resize: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code = runBin(t, "debug", "index", idx, "--key", "struct foo_ops.reset")
	if code != 0 || !strings.Contains(out, `"fn":"foo_hw_reset"`) {
		t.Errorf("debug index --key: exit %d\n%s%s", code, out, stderr)
	}
}

// TestScanCallers: scan --callers of a patched copy of a tree's file
// reports, through the index, what the change does to a caller in another
// file: foo_poke() now sleeps itself, and foo_cmd_poke() in foo_cmd.c
// calls it under the device lock (its GFP_ATOMIC kept it from sleeping
// before). foo_cmd_grow()'s call already slept there: not new. Without
// the flag, or for the tree's own file, nothing.
func TestScanCallers(t *testing.T) {
	tree, db := indexedTree(t)
	// What makes it a kernel tree to --tree.
	for _, p := range []string{"Kconfig", "Makefile", "scripts/.keep"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, "drivers/foo"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"foo_flush.c", "foo.h"} {
		b, err := os.ReadFile(filepath.Join(tree, "drivers/foo", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "foo_flush.c" {
			b = []byte(strings.Replace(string(b), "\treturn foo_util_alloc(d, gfp);", "\tmsleep(1);\n\treturn foo_util_alloc(d, gfp);", 1))
		}
		if err := os.WriteFile(filepath.Join(work, "drivers/foo", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(work, "drivers/foo/foo_flush.c")
	out, stderr, code := runBin(t, "scan", "--terse", "--tree", tree, "--index", db, file)
	if code != 0 || out != "" {
		t.Errorf("without --callers: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code = runBin(t, "scan", "--terse", "--callers", "--tree", tree, "--index", db, file)
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "foo_cmd.c:32: ERROR:SLEEP_IN_ATOMIC: foo_cmd_poke() calls foo_poke()") || !strings.Contains(out, "msleep(1)") {
		t.Errorf("with --callers: exit %d, want foo_cmd_poke()'s call of foo_poke() and msleep(1)\n%s%s", code, out, stderr)
	}
	// The tree's own file: nothing changed, nothing to say of its callers.
	if out, _, code := runBin(t, "scan", "--terse", "--callers", "--tree", tree, "--index", db, filepath.Join(tree, "drivers/foo/foo_flush.c")); code != 0 || out != "" {
		t.Errorf("the tree's own file with --callers: exit %d\n%s", code, out)
	}
}
