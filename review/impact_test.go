// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lockbot/diff"
	"lockbot/flow"
	"lockbot/index"
	"lockbot/kb"
)

// calleeTree: gg_run() of core.c is called under gg_start()'s spinlock in
// udc.c, another file.
var calleeTree = map[string]string{
	"drivers/gg/gg.h": "struct gg {\n\tspinlock_t lock;\n\tint state;\n};\nint gg_run(struct gg *g);\n",
	"drivers/gg/core.c": `#include "gg.h"

static int gg_poll(struct gg *g)
{
	return g->state;
}

int gg_run(struct gg *g)
{
	return gg_poll(g);
}
`,
	"drivers/gg/udc.c": `#include "gg.h"

int gg_start(struct gg *g)
{
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	gg_run(g);
	spin_unlock_irqrestore(&g->lock, flags);
	return 0;
}
`,
}

const pollSleeps = `diff --git a/drivers/gg/core.c b/drivers/gg/core.c
--- a/drivers/gg/core.c
+++ b/drivers/gg/core.c
@@ -3,5 +3,6 @@
 static int gg_poll(struct gg *g)
 {
+	usleep_range(10, 20);
 	return g->state;
 }
 
`

// TestReviewerCallerInOtherFile: a patch that makes a function sleep is
// told that a caller in another file, which the index names, holds a
// spinlock around it; the finding sits on the patch's line, with the
// caller in its chain. Without the index only the callers in the callee's
// directory are seen, and the review says so.
func TestReviewerCallerInOtherFile(t *testing.T) {
	tree := t.TempDir()
	for rel, src := range calleeTree {
		p := filepath.Join(tree, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := buildIndex(t, tree)
	s := readDiff(t, pollSleeps)

	bare := open(t, Setup{IncludeDepth: 2})
	out, err := bare.Review(context.Background(), Base{Tree: diff.DirTree(tree)}, s)
	if err != nil {
		t.Fatal(err)
	}
	// Without the index, the callers are looked for in the directory of
	// the changed file, and the review says that is all it looked at.
	if fs := out.Result.Findings; len(fs) != 1 || fs[0].Rule != "SLEEP_IN_ATOMIC" || fs[0].Line != 5 {
		t.Errorf("without the index, caller in the same directory: %v, want SLEEP_IN_ATOMIC at core.c:5", rulesOf(fs))
	}
	if got := out.Result.CallersNotSeen; !slices.Equal(got, []string{"gg_run"}) {
		t.Errorf("without the index: callers not seen %v, want [gg_run]", got)
	}
	// A caller in another directory is not seen without the index.
	far := t.TempDir()
	for rel, src := range calleeTree {
		rel = strings.Replace(rel, "drivers/gg/udc.c", "drivers/usb/gg_udc.c", 1)
		src = strings.Replace(src, `#include "gg.h"`, `#include "../gg/gg.h"`, 1)
		p := filepath.Join(far, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err = bare.Review(context.Background(), Base{Tree: diff.DirTree(far)}, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Result.Findings) != 0 || len(out.Result.CallersNotSeen) != 1 {
		t.Errorf("without the index, caller elsewhere: %v, not seen %v; want none, and the note", rulesOf(out.Result.Findings), out.Result.CallersNotSeen)
	}

	r := open(t, Setup{IncludeDepth: 2, OpenIndex: func(k *kb.KB) (*index.Index, error) {
		return index.OpenWith(path, k, index.OpenOptions{})
	}})
	out, err = r.Review(context.Background(), Base{Tree: diff.DirTree(tree)}, s)
	if err != nil {
		t.Fatal(err)
	}
	fs := out.Result.Findings
	if len(fs) != 1 {
		t.Fatalf("with the index: %v, want one SLEEP_IN_ATOMIC", rulesOf(fs))
	}
	f := fs[0]
	if f.Rule != "SLEEP_IN_ATOMIC" || f.File != "drivers/gg/core.c" || f.Line != 5 || f.PatchLine == 0 || !strings.Contains(f.Quote, "usleep_range") {
		t.Errorf("got %s at %s:%d (patch line %d %q), want SLEEP_IN_ATOMIC on the added usleep_range() at core.c:5", f.Rule, f.File, f.Line, f.PatchLine, f.Quote)
	}
	if !slices.ContainsFunc(f.Chain, func(s flow.Step) bool { return s.File == "drivers/gg/udc.c" && s.Func == "gg_start" && s.Line == 7 }) {
		t.Errorf("chain %+v does not show gg_start()'s spin_lock_irqsave() in udc.c", f.Chain)
	}
}

// buildIndex indexes tree into a scratch file and returns its path.
func buildIndex(t *testing.T, tree string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "index.db")
	ix, err := index.Open(path, kb.MustDefault(), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Update(context.Background(), index.UpdateOptions{Tree: tree, Workers: 1, IncludeDepth: 2}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUnknownOnlyWhatThePatchBrings: a patch that leaves alone the code
// calling an unseen function under a lock names none (the hook runs on
// every send); one that adds such a call names that function only.
func TestUnknownOnlyWhatThePatchBrings(t *testing.T) {
	tree := t.TempDir()
	src := "static DEFINE_SPINLOCK(l);\n\nvoid f(void)\n{\n\tspin_lock(&l);\n\text_old();\n\tspin_unlock(&l);\n}\n"
	if err := os.MkdirAll(filepath.Join(tree, "drivers/u"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "drivers/u/u.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := open(t, Setup{IncludeDepth: 2})
	for _, c := range []struct {
		name, patch string
		want        []string
	}{
		{"cosmetic", "diff --git a/drivers/u/u.c b/drivers/u/u.c\n--- a/drivers/u/u.c\n+++ b/drivers/u/u.c\n@@ -1,3 +1,3 @@\n-static DEFINE_SPINLOCK(l);\n+static DEFINE_SPINLOCK(l); /* the lock */\n \n void f(void)\n", nil},
		{"adds a call", "diff --git a/drivers/u/u.c b/drivers/u/u.c\n--- a/drivers/u/u.c\n+++ b/drivers/u/u.c\n@@ -4,5 +4,6 @@\n {\n \tspin_lock(&l);\n \text_old();\n+\text_new();\n \tspin_unlock(&l);\n }\n", []string{"ext_new"}},
	} {
		out, err := r.Review(context.Background(), Base{Tree: diff.DirTree(tree)}, readDiff(t, c.patch))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(out.Result.Unknown, c.want) {
			t.Errorf("%s: unknown %v, want %v", c.name, out.Result.Unknown, c.want)
		}
	}
}
