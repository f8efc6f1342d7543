// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"lockbot/diff"
	"lockbot/kb"
	"lockbot/kbuild"
)

// TestKernelDMSnapFix reviews upstream's change to dm-snap.c between 6.1
// and 6.12 (it replaced the exception tables' bit locks) as one patch on
// the 6.1 tree: it introduces nothing and resolves snapshot_map() calling
// track_chunk() under the bit lock. Trees from scripts/fetch-kernel.sh.
func TestKernelDMSnapFix(t *testing.T) {
	old, newer := os.Getenv("LOCKBOT_KERNEL_6_1"), os.Getenv("LOCKBOT_KERNEL_6_12")
	if old == "" || newer == "" {
		t.Skip("LOCKBOT_KERNEL_6_1 and LOCKBOT_KERNEL_6_12 not set: point them at trees from scripts/fetch-kernel.sh")
	}
	const file = "drivers/md/dm-snap.c"
	out, _ := exec.Command("git", "diff", "--no-index", "--no-color", old+"/"+file, newer+"/"+file).Output()
	if len(out) == 0 {
		t.Fatal("git diff --no-index gave no diff")
	}
	out = bytes.ReplaceAll(out, []byte("a"+old+"/"), []byte("a/"))
	out = bytes.ReplaceAll(out, []byte("b"+newer+"/"), []byte("b/"))
	patch := append([]byte("From: Test <t@example.org>\nSubject: [PATCH] dm snapshot: 6.1 to 6.12\n\n---\n"), out...)
	s, err := diff.Read(bytes.NewReader(patch), diff.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := kbuild.LoadRT(old, "PREEMPT_RT")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Check(context.Background(), s, Options{KB: kb.MustDefault(), Tree: diff.DirTree(old), RT: kbuild.TreeRelative{RT: rt}, IncludeDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		t.Errorf("introduced: %s:%d %s %s", f.File, f.Line, f.Rule, f.Message)
	}
	found := false
	for _, f := range res.Resolved {
		if f.Rule == "RT_SLEEPING_LOCK_IN_ATOMIC" && f.Function == "snapshot_map" && strings.Contains(f.Message, "track_chunk()") {
			found = true
		}
	}
	if !found {
		t.Errorf("snapshot_map() -> track_chunk() not among the %d resolved findings", len(res.Resolved))
	}
}
