// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"fmt"
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
