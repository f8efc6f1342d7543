// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"lockbot/kb"
	"lockbot/source"
)

// TestRelatedSite: a site of another file is the analysed file's own
// directory or one above it, for tree-relative and absolute paths alike;
// net/wireless is not drivers/net/wireless's parent.
func TestRelatedSite(t *testing.T) {
	for _, c := range []struct {
		here, site string
		want       bool
	}{
		{"drivers/thermal/qcom/tm.c", "drivers/thermal/thermal_sysfs.c", true},
		{"./drivers/xen/xenbus/xs.c", "drivers/xen/xenbus/comms.c", true},
		{"fs/ext4/inode.c", "fs/namei.c", true},
		{"fs/ext4/inode.c", "fs/afs/file.c", false},
		{"drivers/scsi/qla4xxx/isr.c", "drivers/scsi/be2iscsi/main.c", false},
		{"drivers/net/wireless/ath/ath12k/reg.c", "net/wireless/nl80211.c", false},
		{"/tmp/t/drivers/net/wireless/ath/reg.c", "net/wireless/nl80211.c", false},
		{"/tmp/t/drivers/net/wireless/ath/reg.c", "drivers/net/wireless/core.c", true},
		{"/tmp/TestIndexLinkedOrder1/001/drivers/ab/c.c", "drivers/ab/a.c", true},
		{"drivers/ab/c.c", "fs/other/d.c", false},
		{"drivers/ab/c.c", "top.c", false},
	} {
		if got := relatedSite(c.here, c.site); got != c.want {
			t.Errorf("relatedSite(%q, %q) = %v, want %v", c.here, c.site, got, c.want)
		}
	}
}

// TestOwnStatics: a message names the finding's own file's static locks
// plainly, another file's with their file.
func TestOwnStatics(t *testing.T) {
	msg := "f() takes register_mutex@core/init.c while holding list_lock@core/sound.c"
	got := ownStatics(msg, "sound/core/init.c")
	if want := "f() takes register_mutex while holding list_lock@core/sound.c"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := ownStatics(msg, "sound/usb/init.c"); got != msg {
		t.Errorf("another directory's init.c: got %q", got)
	}
}

// TestDeliberate: a file that breaks the rules on purpose (lockdep's
// self-tests) has its findings left out unless asked for; the same code
// elsewhere is reported.
func TestDeliberate(t *testing.T) {
	src := []byte("static DEFINE_SPINLOCK(a);\nvoid aa(void)\n{\n\tspin_lock(&a);\n\tspin_lock(&a);\n}\n")
	run := func(path string, deliberate bool) int {
		t.Helper()
		res, err := Analyze(context.Background(), []source.Source{{Path: path, Src: src}}, Options{KB: kb.MustDefault(), Deliberate: deliberate})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Findings)
	}
	if n := run("lib/locking-selftest.c", false); n != 0 {
		t.Errorf("lib/locking-selftest.c: %d findings, want none by default", n)
	}
	if n := run("/src/linux/kernel/rcu/rcutorture.c", false); n != 0 {
		t.Errorf("rcutorture.c: %d findings, want none by default", n)
	}
	if n := run("lib/locking-selftest.c", true); n != 1 {
		t.Errorf("lib/locking-selftest.c asked for: %d findings, want 1", n)
	}
	if n := run("lib/locking.c", false); n != 1 {
		t.Errorf("lib/locking.c: %d findings, want 1", n)
	}
}

// TestNearestEffectsKept: past the bound on a summary's effects, the
// nearest are kept. teardown() first calls down to more distinct locks
// than a summary keeps, then takes m_direct through one call; a caller
// holding m_direct around teardown() deadlocks (mptsas's
// sas_topology_mutex behind a long device teardown).
func TestNearestEffectsKept(t *testing.T) {
	var b strings.Builder
	b.WriteString("static DEFINE_MUTEX(m_direct);\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "static DEFINE_MUTEX(m%d);\nstatic void deep%d(void)\n{\n\tmutex_lock(&m%d);\n\tmutex_unlock(&m%d);\n}\nstatic void mid%d(void)\n{\n\tdeep%d();\n}\n", i, i, i, i, i, i)
	}
	b.WriteString("static void find(void)\n{\n\tmutex_lock(&m_direct);\n\tmutex_unlock(&m_direct);\n}\n")
	b.WriteString("static void teardown(void)\n{\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "\tmid%d();\n", i)
	}
	b.WriteString("\tfind();\n}\n")
	b.WriteString("void remove_all(void)\n{\n\tmutex_lock(&m_direct);\n\tteardown();\n\tmutex_unlock(&m_direct);\n}\n")
	res, err := Analyze(context.Background(), []source.Source{{Path: "drivers/x/teardown.c", Src: []byte(b.String())}}, Options{KB: kb.MustDefault()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Rule+" "+f.Function)
	}
	if !slices.Contains(got, "DOUBLE_LOCK remove_all") {
		t.Errorf("findings %v, want DOUBLE_LOCK in remove_all (m_direct through find())", got)
	}
}

// TestConditionalPolicy: a finding whose path needs a value no caller in
// view decides is left out by default, and shown, with the condition
// named, when asked for.
func TestConditionalPolicy(t *testing.T) {
	src, err := os.ReadFile("../testdata/rules/conditional.c")
	if err != nil {
		t.Fatal(err)
	}
	run := func(conditional bool) []string {
		t.Helper()
		res, err := Analyze(context.Background(), []source.Source{{Path: "conditional.c", Src: src}}, Options{KB: kb.MustDefault(), Conditional: conditional})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range res.Findings {
			out = append(out, fmt.Sprintf("%s:%d:%d", f.Function, f.Line, len(f.If)))
		}
		sort.Strings(out)
		return out
	}
	if got, want := run(false), []string{"dev_play2:134:0", "dev_play:124:0", "dev_update3:49:0", "dev_update4:59:0", "dev_write_config:90:0", "hash_wait_locked:209:0"}; !slices.Equal(got, want) {
		t.Errorf("default: %v, want %v", got, want)
	}
	if got, want := run(true), []string{"dev_play2:134:0", "dev_play:124:0", "dev_release:71:1", "dev_update2:41:1", "dev_update3:49:0", "dev_update4:59:0", "dev_update:33:1", "dev_write_config:90:0", "hash_locked:202:1", "hash_wait_locked:209:0"}; !slices.Equal(got, want) {
		t.Errorf("conditional: %v, want %v", got, want)
	}
}

// TestRTOneFindingPerCall: a call that may take two sleeping locks in
// an atomic context is one RT finding, not one per lock.
func TestRTOneFindingPerCall(t *testing.T) {
	if got, want := fileFindings(t, "rt_one_per_call.c"), []string{"RT_SLEEPING_LOCK_IN_ATOMIC:notify:26"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

// TestLeakOfBhLockOnce: a lock taken with spin_lock_bh() and leaked is
// one LOCK_LEAK, not a second for bottom halves.
func TestLeakOfBhLockOnce(t *testing.T) {
	if got, want := fileFindings(t, "bh_pairs.c"), []string{"LOCK_LEAK:ppp_suspend:58"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

// fileFindings analyses one file of testdata/rules alone: each finding
// as RULE:function:line, in report order.
func fileFindings(t *testing.T, name string) []string {
	t.Helper()
	src, err := os.ReadFile("../testdata/rules/" + name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(context.Background(), []source.Source{{Path: name, Src: src}}, Options{KB: kb.MustDefault()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s:%s:%d", f.Rule, f.Function, f.Line))
	}
	return got
}
