// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rrTree: rr_kick() of core.c and the header inline rr_note() are called
// by three files, each under its own raw spinlock.
var rrTree = map[string]string{
	"Kconfig":  "",
	"Makefile": "",
	"drivers/rr/rr.h": `struct rr {
	raw_spinlock_t raw;
	spinlock_t lock;
	struct mutex mu;
	int n;
};
void rr_kick(struct rr *r);
void rr_wait(struct rr *r);

static inline void rr_note(struct rr *r)
{
	r->n++;
}
`,
	"drivers/rr/core.c": `#include "rr.h"

void rr_kick(struct rr *r)
{
	r->n++;
}

void rr_wait(struct rr *r)
{
	r->n--;
}
`,
}

func init() {
	for _, c := range []string{"a", "b", "c"} {
		rrTree["drivers/rr/"+c+".c"] = `#include "rr.h"

void rr_` + c + `(struct rr *r)
{
	raw_spin_lock(&r->raw);
	rr_kick(r);
	rr_note(r);
	raw_spin_unlock(&r->raw);
}

void rr_` + c + `_sp(struct rr *r)
{
	spin_lock(&r->lock);
	rr_wait(r);
	spin_unlock(&r->lock);
}
`
	}
}

const (
	kickLocks = `diff --git a/drivers/rr/core.c b/drivers/rr/core.c
--- a/drivers/rr/core.c
+++ b/drivers/rr/core.c
@@ -2,6 +2,8 @@
 
 void rr_kick(struct rr *r)
 {
+	spin_lock(&r->lock);
 	r->n++;
+	spin_unlock(&r->lock);
 }
 
`
	waitSleeps = `diff --git a/drivers/rr/core.c b/drivers/rr/core.c
--- a/drivers/rr/core.c
+++ b/drivers/rr/core.c
@@ -7,5 +7,6 @@
 
 void rr_wait(struct rr *r)
 {
+	msleep(1);
 	r->n--;
 }
`
	noteLocks = `diff --git a/drivers/rr/rr.h b/drivers/rr/rr.h
--- a/drivers/rr/rr.h
+++ b/drivers/rr/rr.h
@@ -9,5 +9,7 @@
 
 static inline void rr_note(struct rr *r)
 {
+	mutex_lock(&r->mu);
 	r->n++;
+	mutex_unlock(&r->mu);
 }
`
)

// TestCheckCallersEndToEnd runs the built binary on a tree and its index:
// a patch to a function or a header inline is told what it does to the
// callers in other files, once per cause, on its own line.
func TestCheckCallersEndToEnd(t *testing.T) {
	tree := t.TempDir()
	writeTree(t, tree, rrTree)
	db := filepath.Join(t.TempDir(), "rr.db")
	if out, stderr, code := runBin(t, "index", "--tree", tree, "--out", db); code != 0 {
		t.Fatalf("index: exit %d\n%s%s", code, out, stderr)
	}
	check := func(name, patch string, args ...string) (string, int) {
		t.Helper()
		p := filepath.Join(t.TempDir(), name+".patch")
		if err := os.WriteFile(p, []byte(patch), 0o644); err != nil {
			t.Fatal(err)
		}
		out, stderr, code := runBin(t, append(append([]string{"check", "--tree", tree, "--index", db}, args...), p)...)
		if code == 2 {
			t.Fatalf("%s: exit 2: %s", name, stderr)
		}
		return out, code
	}

	// One added spin_lock() under three callers' raw locks: one finding,
	// on the patch's line, naming all three.
	out, code := check("kick", kickLocks)
	if code != 1 || strings.Count(out, "ERROR:RT_SLEEPING_LOCK_IN_ATOMIC") != 1 || !strings.Contains(out, "total: 1 error,") {
		t.Errorf("spin_lock() under three raw-locked callers: exit %d, want one error\n%s", code, out)
	}
	for _, want := range []string{"FILE: drivers/rr/core.c:5:", "+\tspin_lock(&r->lock);", "rr_a()", "rr_b()", "rr_c()", "the same cause, also reached:"} {
		if !strings.Contains(out, want) {
			t.Errorf("kick: output lacks %q\n%s", want, out)
		}
	}
	if out, code := check("kick", kickLocks, "--no-callers"); code != 0 || !strings.Contains(out, "total: 0 errors") {
		t.Errorf("kick --no-callers: exit %d, want nothing (the callers are in other files)\n%s", code, out)
	}
	terse, _ := check("kick", kickLocks, "--terse")
	if lines := strings.Split(strings.TrimSpace(terse), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "also reached from") {
		t.Errorf("kick --terse: want one line naming the other callers\n%s", terse)
	}

	// A callee in another file starts to sleep under its callers' spinlock.
	out, code = check("wait", waitSleeps, "--terse")
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "drivers/rr/core.c:10: ERROR:SLEEP_IN_ATOMIC") {
		t.Errorf("msleep() in rr_wait(): exit %d, want one SLEEP_IN_ATOMIC on core.c:10\n%s", code, out)
	}

	// A header inline starts to take a mutex under its callers' raw lock.
	out, code = check("note", noteLocks, "--terse")
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "drivers/rr/rr.h:12: ERROR:SLEEP_IN_ATOMIC") {
		t.Errorf("mutex_lock() in rr_note(): exit %d, want one SLEEP_IN_ATOMIC on rr.h:12\n%s", code, out)
	}
}

// TestCheckSeriesCombination: patch 1 makes a helper in one file take a
// mutex, harmless alone; patch 2 calls it under a spinlock in another
// file. Only the pair is a bug, reported once, on patch 2's line.
func TestCheckSeriesCombination(t *testing.T) {
	tree := t.TempDir()
	files := map[string]string{
		"Kconfig":         "",
		"drivers/ss/ss.h": "struct ss {\n\tspinlock_t lock;\n\tstruct mutex mu;\n\tint n;\n};\nvoid ss_helper(struct ss *s);\n",
		"drivers/ss/a.c":  "#include \"ss.h\"\n\nvoid ss_helper(struct ss *s)\n{\n\ts->n++;\n}\n",
		"drivers/ss/b.c":  "#include \"ss.h\"\n\nvoid ss_user(struct ss *s)\n{\n\tss_helper(s);\n}\n",
	}
	writeTree(t, tree, files)
	series := `From: t <t@example.org>
Subject: [PATCH 1/2] ss: serialise the helper

---
diff --git a/drivers/ss/a.c b/drivers/ss/a.c
--- a/drivers/ss/a.c
+++ b/drivers/ss/a.c
@@ -3,4 +3,6 @@
 void ss_helper(struct ss *s)
 {
+	mutex_lock(&s->mu);
 	s->n++;
+	mutex_unlock(&s->mu);
 }
From: t <t@example.org>
Subject: [PATCH 2/2] ss: call the helper under the lock

---
diff --git a/drivers/ss/b.c b/drivers/ss/b.c
--- a/drivers/ss/b.c
+++ b/drivers/ss/b.c
@@ -3,4 +3,6 @@
 void ss_user(struct ss *s)
 {
+	spin_lock(&s->lock);
 	ss_helper(s);
+	spin_unlock(&s->lock);
 }
`
	mbox := filepath.Join(t.TempDir(), "series.mbox")
	if err := os.WriteFile(mbox, []byte("From mboxrd@z Thu Jan  1 00:00:00 1970\n"+strings.Replace(series, "\nFrom: t", "\nFrom mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: t", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runBin(t, "check", "--terse", "--tree", tree, mbox)
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "drivers/ss/b.c:5: ERROR:SLEEP_IN_ATOMIC") {
		t.Errorf("series: exit %d, want one SLEEP_IN_ATOMIC on patch 2's spin_lock()... call\n%s%s", code, out, stderr)
	}
	out, _, _ = runBin(t, "check", "--tree", tree, mbox)
	if !strings.Contains(out, `Patch 2/2 ("ss: call the helper under the lock")`) {
		t.Errorf("the finding is not attributed to patch 2:\n%s", out)
	}
}

// TestCheckCallersThroughOps: a driver's callback starts to sleep, and
// the core in another file calls it through the ops member holding its
// spinlock: the index's record of that call names the core's file.
func TestCheckCallersThroughOps(t *testing.T) {
	tree := t.TempDir()
	files := map[string]string{
		"Kconfig": "",
		"drivers/oo/oo.h": "struct oo;\nstruct oo_ops {\n\tvoid (*kick)(struct oo *o);\n};\n" +
			"struct oo {\n\tspinlock_t lock;\n\tconst struct oo_ops *ops;\n\tint n;\n};\n",
		"drivers/oo/bus.c": "#include \"oo.h\"\n\nvoid oo_bus_kick(struct oo *o)\n{\n\tspin_lock(&o->lock);\n\to->ops->kick(o);\n\tspin_unlock(&o->lock);\n}\n",
		"drivers/oo/drv/drv.c": "#include \"../oo.h\"\n\nstatic void drv_kick(struct oo *o)\n{\n\to->n++;\n}\n\n" +
			"const struct oo_ops drv_ops = {\n\t.kick = drv_kick,\n};\n",
	}
	writeTree(t, tree, files)
	db := filepath.Join(t.TempDir(), "oo.db")
	if out, stderr, code := runBin(t, "index", "--tree", tree, "--out", db); code != 0 {
		t.Fatalf("index: exit %d\n%s%s", code, out, stderr)
	}
	patch := filepath.Join(t.TempDir(), "kick.patch")
	if err := os.WriteFile(patch, []byte(`diff --git a/drivers/oo/drv/drv.c b/drivers/oo/drv/drv.c
--- a/drivers/oo/drv/drv.c
+++ b/drivers/oo/drv/drv.c
@@ -3,4 +3,5 @@
 static void drv_kick(struct oo *o)
 {
+	msleep(1);
 	o->n++;
 }
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runBin(t, "check", "--terse", "--tree", tree, "--index", db, patch)
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "drivers/oo/drv/drv.c:5: ERROR:SLEEP_IN_ATOMIC") {
		t.Errorf("msleep() in an ops callback the core calls under its lock: exit %d\n%s%s", code, out, stderr)
	}
}
