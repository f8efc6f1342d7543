// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"lockbot/flow"
	"lockbot/kb"
	"lockbot/source"
)

// The calls an index links are recorded once per call, context and line,
// under the conditions every path to them shares, with the gfp class of
// their mask arguments.
func TestNoteCalls(t *testing.T) {
	src := `
void ext_flush(int);
void ext_alloc(void *p, gfp_t gfp);

void one(int force, gfp_t gfp, spinlock_t *l)
{
	gfp_t mask = GFP_ATOMIC;

	if (force)
		mask = GFP_KERNEL;
	ext_alloc(NULL, mask);
	if (force)
		ext_flush(1);
	ext_flush(2);
	ext_alloc(NULL, gfp);
	spin_lock(l);
	ext_flush(3);
	spin_unlock(l);
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible())
		ext_fill();
}
`
	prog, err := Build(context.Background(), []source.Source{{Path: "calls.c", Src: []byte(src)}},
		Options{KB: kb.MustDefault(), LinkCalls: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range prog.Funcs[0].Result.Calls {
		var facts []string
		for _, f := range c.Conds {
			facts = append(facts, fmt.Sprintf("%s=%t", f.Key, f.Val))
		}
		var gfp []string
		for i, v := range c.Gfp {
			gfp = append(gfp, fmt.Sprintf("%d:%d", i, v))
		}
		sort.Strings(gfp)
		got = append(got, fmt.Sprintf("%s@%d inner=%d facts=[%s] gfp=[%s]", c.Fn, c.Line, len(c.Inner),
			strings.Join(facts, " "), strings.Join(gfp, " ")))
	}
	want := []string{
		// GFP_ATOMIC on one path, GFP_KERNEL on the other: it may block.
		"ext_alloc@11 inner=0 facts=[] gfp=[1:-1]",
		"ext_flush@13 inner=0 facts=[force=true] gfp=[]",
		"ext_flush@14 inner=0 facts=[] gfp=[]",
		// The caller's own mask, passed on.
		"ext_alloc@15 inner=0 facts=[] gfp=[1:1]",
		"ext_flush@17 inner=1 facts=[] gfp=[]",
		// Reached on two configurations: one record each, not one
		// without either condition.
		"ext_fill@20 inner=0 facts=[IS_ENABLED(CONFIG_PREEMPT_RT)=false] gfp=[]",
		"ext_fill@20 inner=0 facts=[IS_ENABLED(CONFIG_PREEMPT_RT)=true preemptible()=true] gfp=[]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A lone static inline is taken from a header of include/ (or an
// architecture's include/), which any file may include, and not from a
// driver's local header, which only its own files include.
func TestPickRecordSharedHeaders(t *testing.T) {
	k := kb.MustDefault()
	recs := []*flow.FuncRecord{
		{Name: "mt76_rmw", File: "drivers/net/wireless/mediatek/mt7601u/mt7601u.h", Static: true},
		{Name: "foo_settle", File: "include/linux/foo_wait.h", Static: true},
		{Name: "arch_thing", File: "arch/x86/include/asm/thing.h", Static: true},
	}
	set := flow.NewRecordSet(k, recs)
	if set.Lookup("mt76_rmw") != nil {
		t.Error("a driver's local header's static inline was taken for another file's call")
	}
	for _, name := range []string{"foo_settle", "arch_thing"} {
		if set.Lookup(name) == nil {
			t.Errorf("%s from a shared header not found", name)
		}
	}
}

// linkRecords analyses each file on its own, as the index does, and
// returns the records of their functions.
func linkRecords(t *testing.T, k *kb.KB, files map[string]string) []*flow.FuncRecord {
	t.Helper()
	var recs []*flow.FuncRecord
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		prog, err := Build(context.Background(), []source.Source{{Path: n, Src: []byte(files[n])}}, Options{KB: k, LinkCalls: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range prog.Funcs {
			recs = append(recs, flow.Record(fi))
		}
	}
	return recs
}

// effectsOf lists what a linked function's summary says it does, with
// the functions each effect's chain passes through.
func effectsOf(fi *flow.FuncInfo) []string {
	var out []string
	for _, e := range fi.Sum.Effects {
		var via []string
		for _, s := range e.Chain {
			via = append(via, s.Func)
		}
		out = append(out, fmt.Sprintf("%s via %s", e.What, strings.Join(via, ">")))
	}
	sort.Strings(out)
	return out
}

// TestLinkOrderIndependent: what a lookup of a function in the index
// links does not depend on which functions were looked up before it, so
// a file's findings do not depend on the other files a scan names (issue
// 24). a_fn() and b_fn(), in two files, call each other; b_fn() also
// calls c_fn(), which sleeps. Linked first from a lookup of another
// function, a record used to be kept with the links that lookup's path
// allowed (without what it reaches through the function on the path),
// and handed to every later lookup.
func TestLinkOrderIndependent(t *testing.T) {
	k := kb.MustDefault()
	recs := linkRecords(t, k, map[string]string{
		"a.c": "spinlock_t la;\nvoid b_fn(void);\nvoid a_fn(void)\n{\n\tspin_lock(&la);\n\tspin_unlock(&la);\n\tb_fn();\n}\n",
		"b.c": "void a_fn(void);\nvoid c_fn(void);\nvoid b_fn(int x)\n{\n\tc_fn();\n\tif (x)\n\t\ta_fn();\n}\n",
		"c.c": "void c_fn(void)\n{\n\tmsleep(1);\n}\n",
		"d.c": "void c_fn(void);\nvoid d_fn(void)\n{\n\tc_fn();\n}\n",
	})
	names := []string{"a_fn", "b_fn", "c_fn", "d_fn"}
	alone := map[string][]string{}
	for _, n := range names {
		fi := flow.NewRecordSet(k, recs).Lookup(n)
		if fi == nil {
			t.Fatalf("%s not found", n)
		}
		alone[n] = effectsOf(fi)
	}
	if !slices.ContainsFunc(alone["a_fn"], func(s string) bool { return strings.HasPrefix(s, "msleep(1) via ") }) {
		t.Errorf("a_fn() alone: %v, want the msleep() it reaches through b_fn() and c_fn()", alone["a_fn"])
	}
	for _, order := range [][]string{{"b_fn", "a_fn", "c_fn", "d_fn"}, {"c_fn", "d_fn", "b_fn", "a_fn"}, {"a_fn", "c_fn", "b_fn", "d_fn"}} {
		set := flow.NewRecordSet(k, recs)
		for _, n := range order {
			if got := effectsOf(set.Lookup(n)); !slices.Equal(got, alone[n]) {
				t.Errorf("looked up in the order %v, %s: %v\nwant, looked up alone: %v", order, n, got, alone[n])
			}
		}
	}
}
