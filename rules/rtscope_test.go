// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"os"
	"strings"
	"testing"

	"lockbot/flow"
	"lockbot/kb"
	"lockbot/kbuild"
	"lockbot/source"
)

type fakeRT struct {
	files   map[string]bool
	configs map[string]bool
}

func (f fakeRT) ExcludedFile(p string) bool     { return f.files[p] }
func (f fakeRT) ExcludedConfig(sym string) bool { return f.configs[sym] }

// RT-only findings in code a PREEMPT_RT kernel cannot build, or on paths
// under configuration it cannot have, are not reported; others are.
func TestRTScope(t *testing.T) {
	src := []byte(`struct s { spinlock_t lock; raw_spinlock_t raw; int n; };

void under_raw(struct s *p)
{
	raw_spin_lock(&p->raw);
	spin_lock(&p->lock);
	spin_unlock(&p->lock);
	raw_spin_unlock(&p->raw);
}

void thp_only(struct s *p)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	raw_spin_lock(&p->raw);
	spin_lock(&p->lock);
	spin_unlock(&p->lock);
	raw_spin_unlock(&p->raw);
#endif
}

void sleeps(struct s *p)
{
	raw_spin_lock(&p->raw);
	msleep(1);
	raw_spin_unlock(&p->raw);
}
`)
	k := kb.MustDefault()
	count := func(rt flow.RTScope) (rtOnly, other int) {
		res, err := Analyze(context.Background(), []source.Source{{Path: "huge.c", Src: src}}, Options{KB: k, RT: rt})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			if f.RTOnly {
				rtOnly++
			} else {
				other++
			}
		}
		return
	}
	if rt, other := count(nil); rt != 2 || other != 1 {
		t.Fatalf("without scope: %d RT-only, %d other findings; want 2 and 1", rt, other)
	}
	if rt, _ := count(fakeRT{configs: map[string]bool{"CONFIG_TRANSPARENT_HUGEPAGE": true}}); rt != 1 {
		t.Errorf("a path under an RT-excluded config still reports: %d RT-only findings", rt)
	}
	if rt, other := count(fakeRT{files: map[string]bool{"huge.c": true}}); rt != 0 || other != 1 {
		t.Errorf("an RT-excluded file: %d RT-only, %d other findings; want 0 and 1 (sleeping is wrong on every kernel)", rt, other)
	}
}

// The bundled example stays what the README shows.
func TestExampleFindings(t *testing.T) {
	srcs, err := source.LoadPaths([]string{"../testdata/example"}, source.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(context.Background(), srcs, Options{KB: kb.MustDefault()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Rule)
	}
	want := "RT_SLEEPING_LOCK_IN_ATOMIC SLEEP_IN_ATOMIC LOCK_LEAK LOCK_ORDER_INVERSION"
	if strings.Join(got, " ") != want {
		t.Errorf("example findings %v, want %s", got, want)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), res.Findings[0].Message) {
		t.Errorf("README shows a different first finding than lockbot prints: %s", res.Findings[0].Message)
	}
}

// TestRTDerivedDef: an RT finding through a definition under an #if on a
// name a header defines only with a symbol no PREEMPT_RT kernel has
// (page_address() under HASHED_PAGE_VIRTUAL, which needs CONFIG_HIGHMEM)
// is not reported; with the name's condition unknown it is.
func TestRTDerivedDef(t *testing.T) {
	srcs := []source.Source{
		{Path: "mm/hashed.c", Src: []byte(`static DEFINE_SPINLOCK(slot_lock);
#if defined(HASHED_VIRT)
void *page_addr(int n)
{
	spin_lock(&slot_lock);
	n++;
	spin_unlock(&slot_lock);
	return 0;
}
#endif
`)},
		{Path: "drivers/user.c", Src: []byte(`static DEFINE_RAW_SPINLOCK(raw);
void user(void)
{
	raw_spin_lock(&raw);
	page_addr(1);
	raw_spin_unlock(&raw);
}
`)},
	}
	rt := fakeRT{configs: map[string]bool{"CONFIG_HIGHMEM": true}}
	run := func(derived map[string]string) int {
		t.Helper()
		kc, err := kbuild.ParseConfig(strings.NewReader("CONFIG_SMP=y\n"), "test")
		if err != nil {
			t.Fatal(err)
		}
		kc = kc.ForTree("", func(sym string) bool { return sym == "CONFIG_HIGHMEM" || sym == "CONFIG_PREEMPT_RT" })
		kc = kc.SetDerived(func(n string) (string, bool) { c, ok := derived[n]; return c, ok })
		res, err := Analyze(context.Background(), srcs, Options{KB: kb.MustDefault(), RT: rt, Kconfig: kc})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range res.Findings {
			if f.Rule == "RT_SLEEPING_LOCK_IN_ATOMIC" {
				n++
			}
		}
		return n
	}
	if n := run(map[string]string{"HASHED_VIRT": "defined(CONFIG_HIGHMEM)"}); n != 0 {
		t.Errorf("%d RT findings through a definition RT cannot build, want 0", n)
	}
	if n := run(nil); n != 1 {
		t.Errorf("%d RT findings with HASHED_VIRT unknown, want 1", n)
	}
}
