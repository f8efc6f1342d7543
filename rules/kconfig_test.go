// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"strings"
	"testing"

	"lockbot/kb"
	"lockbot/kbuild"
	"lockbot/source"
)

// A file's own #ifdef variants: the stub comes first, the real helper
// (which sleeps) second. A configuration chooses; without one the first
// definition serves, as before. An IS_ENABLED() test is decided the same
// way, and a function in an arm the configuration leaves out is not
// reported on. A symbol PREEMPT_RT excludes is never decided: a configuration
// with transparent huge pages still leaves rt_arm()'s other arm to an RT
// kernel, where it nests a spinlock_t in a raw one.
func TestKconfigVariants(t *testing.T) {
	src := []byte(`static DEFINE_SPINLOCK(l);
static DEFINE_RAW_SPINLOCK(r);

#ifndef CONFIG_PM
static inline int pm_get(void)
{
	return 1;
}
#else
static int pm_get(void)
{
	msleep(1);
	return 0;
}
#endif

void get_locked(void)
{
	spin_lock(&l);
	pm_get();
	spin_unlock(&l);
}

void maybe_slow(void)
{
	spin_lock(&l);
	if (IS_ENABLED(CONFIG_SLOW))
		msleep(1);
	spin_unlock(&l);
}

#ifdef CONFIG_HOSTMODE
void host_only(void)
{
	spin_lock(&l);
	msleep(1);
	spin_unlock(&l);
}
#endif

void rt_arm(void)
{
	raw_spin_lock(&r);
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	r_count++;
#else
	spin_lock(&l);
	spin_unlock(&l);
#endif
	raw_spin_unlock(&r);
}
`)
	k := kb.MustDefault()
	run := func(config string) string {
		t.Helper()
		opt := Options{KB: k}
		if config != "" {
			c, err := kbuild.ParseConfig(strings.NewReader(config), "test")
			if err != nil {
				t.Fatal(err)
			}
			opt.Kconfig = c.ForTree("", func(s string) bool { return s == "CONFIG_PREEMPT_RT" || s == "CONFIG_TRANSPARENT_HUGEPAGE" })
		}
		res, err := Analyze(context.Background(), []source.Source{{Path: "pm.c", Src: src}}, opt)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Function+":"+f.Rule)
		}
		return strings.Join(got, " ")
	}
	for config, want := range map[string]string{
		"":                             "maybe_slow:SLEEP_IN_ATOMIC host_only:SLEEP_IN_ATOMIC rt_arm:RT_SLEEPING_LOCK_IN_ATOMIC",
		"CONFIG_HOSTMODE=y\n":          "host_only:SLEEP_IN_ATOMIC rt_arm:RT_SLEEPING_LOCK_IN_ATOMIC",
		"CONFIG_PM=y\n":                "get_locked:SLEEP_IN_ATOMIC rt_arm:RT_SLEEPING_LOCK_IN_ATOMIC",
		"CONFIG_SLOW=y\nCONFIG_PM=y\n": "get_locked:SLEEP_IN_ATOMIC maybe_slow:SLEEP_IN_ATOMIC rt_arm:RT_SLEEPING_LOCK_IN_ATOMIC",
		"CONFIG_SLOW=m\n":              "maybe_slow:SLEEP_IN_ATOMIC rt_arm:RT_SLEEPING_LOCK_IN_ATOMIC",
		"CONFIG_X86=y\nCONFIG_TRANSPARENT_HUGEPAGE=y\n": "rt_arm:RT_SLEEPING_LOCK_IN_ATOMIC",
	} {
		if got := run(config); got != want {
			t.Errorf("config %q: %q, want %q", config, got, want)
		}
	}
}
