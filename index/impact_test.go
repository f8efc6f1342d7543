// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lockbot/flow"
	"lockbot/kb"
	"lockbot/rules"
	"lockbot/source"
)

// impactTree: bb_run() of core.c is called by udc.c under a spinlock, and
// by plat.c under none; bb_stop() already sleeps under udc.c's lock (a
// finding of udc.c's own scan, not of a change); bb_hint() of a header is
// called under the lock too.
var impactTree = map[string]string{
	"drivers/bb/bb.h": `struct bdc {
	spinlock_t lock;
	struct mutex m;
	int state;
};
int bb_run(struct bdc *b);
int bb_stop(struct bdc *b);
`,
	"include/linux/bbh.h": `static inline void bb_hint(struct bdc *b)
{
	b->state++;
}
`,
	"drivers/bb/core.c": `#include "bb.h"

static int poll_oip(struct bdc *b)
{
	return b->state;
}

int bb_run(struct bdc *b)
{
	return poll_oip(b);
}

int bb_stop(struct bdc *b)
{
	msleep(10);
	return 0;
}
`,
	"drivers/bb/udc.c": `#include "bb.h"
#include <linux/bbh.h>

int bb_start(struct bdc *b)
{
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	bb_run(b);
	bb_stop(b);
	bb_hint(b);
	spin_unlock_irqrestore(&b->lock, flags);
	return 0;
}
`,
	"drivers/bb/plat.c": `#include "bb.h"

int bb_probe(struct bdc *b)
{
	return bb_run(b);
}
`,
}

// TestImpactCallers: the analysis of a changed file, given the file as it
// was and the index, reports what the change does to the callers the
// index knows in other files (a function that now sleeps, called under a
// spinlock in udc.c), with the changed line in the chain; not the
// callers' findings the old version already gives (bb_stop()), not
// callers that hold nothing, and nothing for an unchanged file. A
// header's inline is followed the same way.
func TestImpactCallers(t *testing.T) {
	tree := writeTree(t, impactTree)
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	load := func(rels []string) ([]source.Source, error) {
		var paths []string
		for _, r := range rels {
			paths = append(paths, filepath.Join(tree, r))
		}
		return source.LoadPaths(paths, source.LoadOptions{IncludeDepth: 2})
	}
	scan := func(rel, src string) ([]*rules.Finding, *rules.Impact) {
		t.Helper()
		// The changed file, in a copy of its directory, as a patched
		// checkout would have it.
		work := t.TempDir()
		writeFile(t, work, rel, src)
		writeFile(t, work, "drivers/bb/bb.h", impactTree["drivers/bb/bb.h"])
		srcs, err := source.LoadPaths([]string{filepath.Join(work, rel)}, source.LoadOptions{IncludeDepth: 2})
		if err != nil {
			t.Fatal(err)
		}
		base, err := load([]string{rel})
		if err != nil {
			t.Fatal(err)
		}
		res, imp, err := rules.AnalyzeImpact(context.Background(), srcs, base, rules.Options{KB: kb.MustDefault(), Externals: ix}, load)
		if err != nil {
			t.Fatal(err)
		}
		return res.Findings, imp
	}

	if fs, imp := scan("drivers/bb/core.c", impactTree["drivers/bb/core.c"]); len(fs) != 0 || len(imp.Changed) != 0 {
		t.Errorf("unchanged core.c: findings %v, changed %v; want none", fs, imp.Changed)
	}

	sleeping := strings.Replace(impactTree["drivers/bb/core.c"], "\treturn b->state;", "\tusleep_range(10, 20);\n\treturn b->state;", 1)
	fs, imp := scan("drivers/bb/core.c", sleeping)
	if !slices.Equal(imp.Changed, []string{"bb_run"}) || !slices.Equal(imp.Files, []string{"drivers/bb/udc.c"}) {
		t.Errorf("changed %v, caller files %v; want bb_run, drivers/bb/udc.c (plat.c holds nothing)", imp.Changed, imp.Files)
	}
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1 (bb_run() under udc.c's lock): %v", len(fs), fs)
	}
	f := fs[0]
	if f.Rule != "SLEEP_IN_ATOMIC" || f.Function != "bb_start" || !strings.HasSuffix(f.File, "drivers/bb/udc.c") || f.Line != 9 {
		t.Errorf("got %s in %s() at %s:%d, want SLEEP_IN_ATOMIC in bb_start() at udc.c:9", f.Rule, f.Function, f.File, f.Line)
	}
	if !slices.ContainsFunc(f.Chain, func(s flow.Step) bool { return strings.HasSuffix(s.File, "drivers/bb/core.c") && s.Line == 5 }) {
		t.Errorf("chain %+v does not reach the changed line core.c:5", f.Chain)
	}

	locking := strings.Replace(impactTree["include/linux/bbh.h"], "\tb->state++;", "\tmutex_lock(&b->m);\n\tb->state++;\n\tmutex_unlock(&b->m);", 1)
	fs, _ = scan("include/linux/bbh.h", locking)
	if len(fs) != 1 || fs[0].Function != "bb_start" || fs[0].Line != 11 {
		t.Errorf("header inline that now takes a mutex: %v, want one finding at bb_start's call (udc.c:11)", fs)
	}
}
