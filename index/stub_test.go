// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"path/filepath"
	"strings"
	"testing"
)

// stubTree has a header with one configuration's stub of a function the
// other configuration declares (clk_prepare() returning 0 without
// CONFIG_HAVE_CLK_PREPARE), a static inline built on it, and a driver
// whose error path after the wrapper releases its mutex.
var stubTree = map[string]string{
	"include/linux/clkx.h": `#ifndef _LINUX_CLKX_H
#define _LINUX_CLKX_H
struct clk;
#ifdef CONFIG_HAVE_CLK_PREPARE
int clkx_prepare(struct clk *clk);
#else
static inline int clkx_prepare(struct clk *clk)
{
	might_sleep();
	return 0;
}
#endif
static inline int clkx_prepare_enable(struct clk *clk)
{
	int ret;

	ret = clkx_prepare(clk);
	if (ret)
		return ret;
	return 0;
}
#endif
`,
	"drivers/x/user.c": `#include <linux/clkx.h>

struct vop { struct mutex lock; int count; struct clk *clk; };

static void vop_enable(struct vop *vop)
{
	int ret;

	mutex_lock(&vop->lock);
	ret = clkx_prepare_enable(vop->clk);
	if (ret < 0) {
		mutex_unlock(&vop->lock);
		return;
	}
	vop->count++;
}
`,
}

// TestIndexConfigStub: a stub's constant return does not decide the
// callers' branches through the index, since another configuration
// returns errors: the error path of vop_enable() is real, releases the
// mutex, and so shows the end of the function leaking it (a void
// function: the returns cannot be told apart).
func TestIndexConfigStub(t *testing.T) {
	tree := writeTree(t, stubTree)
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	var got []string
	for _, f := range scanFile(t, tree, "drivers/x/user.c", ix) {
		got = append(got, f.Function+":"+f.Rule+":"+f.Message)
	}
	if len(got) != 1 || !strings.Contains(got[0], "vop_enable:LOCK_LEAK") || !strings.Contains(got[0], "line 13 releases it") {
		t.Errorf("findings %q, want vop_enable's leak, released by the error path's return at line 13", got)
	}
}

// passTree: of_find_property() hands its lenp down to a helper that
// tests it ("if (lenp) *lenp = pp->length;"); a caller in another file
// passing NULL still gets the property back.
var passTree = map[string]string{
	"drivers/of/base.c": `static struct property *__find_prop(const struct device_node *np, const char *name, int *lenp)
{
	struct property *pp;

	if (!np)
		return NULL;
	for (pp = np->properties; pp; pp = pp->next) {
		if (strcmp(pp->name, name) == 0) {
			if (lenp)
				*lenp = pp->length;
			break;
		}
	}
	return pp;
}

struct property *find_prop(const struct device_node *np, const char *name, int *lenp)
{
	struct property *pp;
	unsigned long flags;

	raw_spin_lock_irqsave(&devtree_lock, flags);
	pp = __find_prop(np, name, lenp);
	raw_spin_unlock_irqrestore(&devtree_lock, flags);
	return pp;
}
`,
	"drivers/x/u.c": `struct s { spinlock_t lock; };

void u(struct s *s, struct device_node *np)
{
	struct property *p;

	spin_lock(&s->lock);
	p = find_prop(np, "x", NULL);
	if (p)
		msleep(1);
	spin_unlock(&s->lock);
}
`,
}

// TestIndexPassedThroughNull: a function passing its own pointer
// parameter to a callee that tests it for NULL keeps the callee's
// outcomes for NULL, stated on its parameter: the path where a caller
// passing NULL finds the property is not lost.
func TestIndexPassedThroughNull(t *testing.T) {
	tree := writeTree(t, passTree)
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "drivers/x/u.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
	}
	if strings.Join(got, " ") != "u:SLEEP_IN_ATOMIC" {
		t.Errorf("findings %v, want u:SLEEP_IN_ATOMIC (msleep when the property is found)", got)
	}
}

// defineTree: a header of include/ defines a feature macro for the
// kernel (aclinux.h's ACPI_GPE_USE_LOGICAL_ADDRESSES inside #ifdef
// __KERNEL__); a driver's #ifdef of it is decided through the index.
var defineTree = map[string]string{
	"include/acpi/platform/acl.h": `#ifndef __ACL_H__
#define __ACL_H__
#ifdef __KERNEL__
#define GPE_USE_LOGICAL
#endif
#endif
`,
	"drivers/acpi/gpe.c": `#include <acpi/platform/acl.h>

struct gpe { spinlock_t lock; void *addr; };

static void gpe_write(struct gpe *g, u8 v)
{
#ifdef GPE_USE_LOGICAL
	writeb(v, g->addr);
#else
	msleep(1);
#endif
}

void gpe_clear(struct gpe *g)
{
	spin_lock(&g->lock);
	gpe_write(g, 1);
	spin_unlock(&g->lock);
}
`,
}

// TestIndexHeaderDefines: the index keeps the object-like macros the
// kernel's headers define whatever the configuration, and a scan decides
// an #ifdef of one: the #else that sleeps is not built.
func TestIndexHeaderDefines(t *testing.T) {
	tree := writeTree(t, defineTree)
	if f := scanFile(t, tree, "drivers/acpi/gpe.c", nil); len(f) != 1 {
		t.Errorf("without the index: %d findings, want the #else's sleep", len(f))
	}
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if f := scanFile(t, tree, "drivers/acpi/gpe.c", ix); len(f) != 0 {
		t.Errorf("with the index: %d findings, want none", len(f))
	}
}
