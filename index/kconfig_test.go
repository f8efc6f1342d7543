// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"lockbot/kb"
	"lockbot/kbuild"
	"lockbot/rules"
	"lockbot/source"
)

// configTree: clk_prepare() has three definitions, as in the kernel: a
// header's stub for !CONFIG_HAVE_CLK_PREPARE (what clk_prepare_enable()
// calls in the header's own analysis), the common clock framework's,
// which takes a mutex, and SuperH's, built only on SuperH. A driver
// calling clk_prepare_enable() under a spinlock sleeps on a configuration
// with HAVE_CLK_PREPARE and without SUPERH; without a configuration the
// variant is unknown and nothing is said.
var configTree = map[string]string{
	"include/linux/clk.h": `struct clk;
#ifdef CONFIG_HAVE_CLK_PREPARE
int clk_prepare(struct clk *clk);
#else
static inline int clk_prepare(struct clk *clk)
{
	return 0;
}
#endif

static inline int clk_prepare_enable(struct clk *clk)
{
	return clk_prepare(clk);
}

#ifdef CONFIG_HAVE_CLK
unsigned long clk_get_rate(struct clk *clk);
#else
static inline unsigned long clk_get_rate(struct clk *clk)
{
	return 0;
}
#endif
`,
	"drivers/Makefile": "obj-y += clk/ foo/\nobj-$(CONFIG_SUPERH) += sh/\nobj-$(CONFIG_ARM) += pwm/\n",
	"drivers/clk/clk.c": `static DEFINE_MUTEX(prepare_lock);

unsigned long clk_get_rate(struct clk *clk)
{
	mutex_lock(&prepare_lock);
	mutex_unlock(&prepare_lock);
	return 1;
}

int clk_prepare(struct clk *clk)
{
	mutex_lock(&prepare_lock);
	mutex_unlock(&prepare_lock);
	return 0;
}
`,
	"drivers/sh/clk/core.c": `int clk_prepare(struct clk *clk)
{
	return 0;
}

unsigned long clk_get_rate(struct clk *clk)
{
	return 0;
}
`,
	// An ARM driver (F-02, pwm-atmel-tcb.c): an x86 configuration does
	// not build it, so which clk_get_rate() it calls is not decided; it
	// may sleep, since one of the three variants does.
	"drivers/pwm/pwm-tcb.c": `#include <linux/clk.h>

static DEFINE_SPINLOCK(tcb_lock);

unsigned long tcb_config(struct clk *clk)
{
	unsigned long rate;

	spin_lock(&tcb_lock);
	rate = clk_get_rate(clk);
	spin_unlock(&tcb_lock);
	return rate;
}
`,
	// A caller in drivers/sh/, which an x86 configuration does not
	// build: which clk_prepare() its kernel has is SuperH's business, not
	// the configuration's.
	"drivers/sh/intc/irq.c": `#include <linux/clk.h>

static DEFINE_SPINLOCK(intc_lock);

void intc_enable(struct clk *clk)
{
	spin_lock(&intc_lock);
	clk_prepare(clk);
	clk_get_rate(clk);
	spin_unlock(&intc_lock);
}
`,
	"drivers/foo/foo.c": `#include <linux/clk.h>

static DEFINE_SPINLOCK(foo_lock);

void foo_start(struct clk *clk)
{
	spin_lock(&foo_lock);
	clk_prepare_enable(clk);
	spin_unlock(&foo_lock);
}

void foo_stop(void)
{
	spin_lock(&foo_lock);
#ifdef CONFIG_FOO_SLOW
	msleep(1);
#endif
	spin_unlock(&foo_lock);
}
`,
}

func TestIndexKconfig(t *testing.T) {
	tree := writeTree(t, configTree)
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	scan := func(config string, files ...string) []string {
		t.Helper()
		opt := rules.Options{KB: kb.MustDefault(), Externals: ix}
		if config != "" {
			c, err := kbuild.ParseConfig(strings.NewReader(config), "test")
			if err != nil {
				t.Fatal(err)
			}
			kc := c.ForTree(tree, nil)
			opt.Kconfig = kc
			ix.UseKconfig(kc)
		} else {
			ix.UseKconfig(nil)
		}
		if len(files) == 0 {
			files = []string{"drivers/foo/foo.c"}
		}
		var paths []string
		for _, f := range files {
			paths = append(paths, filepath.Join(tree, f))
		}
		srcs, err := source.LoadPaths(paths, source.LoadOptions{IncludeDepth: 2})
		if err != nil {
			t.Fatal(err)
		}
		res, err := rules.Analyze(context.Background(), srcs, opt)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Function+":"+f.Rule+":"+f.Message)
		}
		return got
	}
	for _, c := range []struct {
		config string
		want   string
	}{
		// No configuration: both arms of foo_stop() are possible; which
		// clk_prepare() is built is not known.
		{"", "foo_stop:SLEEP_IN_ATOMIC"},
		// The common clock framework's clk_prepare(), and no slow arm.
		{"CONFIG_X86=y\nCONFIG_HAVE_CLK_PREPARE=y\n", "foo_start:SLEEP_IN_ATOMIC"},
		{"CONFIG_X86=y\nCONFIG_HAVE_CLK_PREPARE=y\nCONFIG_FOO_SLOW=y\n", "foo_start:SLEEP_IN_ATOMIC foo_stop:SLEEP_IN_ATOMIC"},
		// The header's stub.
		{"CONFIG_X86=y\n", ""},
		// SuperH builds its own clk_prepare() too: two definitions, none
		// chosen.
		{"CONFIG_SUPERH=y\nCONFIG_HAVE_CLK_PREPARE=y\n", ""},
	} {
		var short []string
		for _, g := range scan(c.config) {
			short = append(short, strings.Join(strings.SplitN(g, ":", 3)[:2], ":"))
		}
		if got := strings.Join(short, " "); got != c.want {
			t.Errorf("config %q: findings %q, want %q", c.config, got, c.want)
		}
	}
	// drivers/sh's callers get drivers/sh/clk's variants, their own
	// subsystem's, with or without a configuration.
	for _, config := range []string{"", "CONFIG_X86=y\nCONFIG_HAVE_CLK_PREPARE=y\n"} {
		if got := scan(config, "drivers/sh/intc/irq.c"); len(got) != 0 {
			t.Errorf("config %q, drivers/sh: findings %q, want none", config, got)
		}
	}
	// The ARM driver: any variant may be built, and one sleeps; the chain
	// names the one.
	for _, config := range []string{"", "CONFIG_X86=y\nCONFIG_HAVE_CLK=y\n"} {
		got := scan(config, "drivers/pwm/pwm-tcb.c")
		if len(got) != 1 || !strings.HasPrefix(got[0], "tcb_config:SLEEP_IN_ATOMIC:") || !strings.Contains(got[0], "prepare_lock") {
			t.Errorf("config %q, drivers/pwm: findings %q, want tcb_config's clk_get_rate() under tcb_lock", config, got)
		}
	}
	// With ARM and SuperH in the configuration the file is built and the
	// configuration decides: two definitions are built, and neither is
	// guessed.
	if got := scan("CONFIG_ARM=y\nCONFIG_SUPERH=y\nCONFIG_HAVE_CLK=y\n", "drivers/pwm/pwm-tcb.c"); len(got) != 0 {
		t.Errorf("ARM and SuperH: findings %q, want none", got)
	}
}
