// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// macroTree is a tree whose include/ holds function-like macros: a
// polling macro that sleeps only when asked to (iopoll.h's
// read_poll_timeout), one built on it, a lock macro (hci_dev_lock), a
// wait macro that runs the unlock and relock it is handed around its
// sleep, and a macro that a .c file defines as a function too.
var macroTree = map[string]string{
	"include/linux/pollq.h": `#define pollq_timeout(op, val, cond, sleep_us, args...) \
({ \
	unsigned long __sleep_us = (sleep_us); \
	for (;;) { \
		(val) = op(args); \
		if (cond) \
			break; \
		if (__sleep_us) \
			usleep_range(__sleep_us, __sleep_us * 2); \
	} \
	0; \
})
#define readq_poll(addr, val, cond, us) pollq_timeout(readl, val, cond, us, addr)
#define dev_lock(d)	mutex_lock(&(d)->mtx)
#define dev_unlock(d)	mutex_unlock(&(d)->mtx)
#define wait_for_it(cond, unlock, relock) \
	do { \
		while (!(cond)) { \
			unlock; \
			msleep(1); \
			relock; \
		} \
	} while (0)
#define dual_op(x)	msleep(x)
`,
	"drivers/bar/dual.c": `void dual_op(int x)
{
	udelay(x);
}
`,
	"drivers/bar/bar.c": `#include <linux/pollq.h>

struct bar {
	spinlock_t lock;
	struct mutex mtx;
	int ready;
};

void bar_poll(struct bar *b, void *addr)
{
	u32 v;

	spin_lock(&b->lock);
	readq_poll(addr, v, v & 1, 10);
	spin_unlock(&b->lock);
}

void bar_spin(struct bar *b, void *addr)
{
	u32 v;

	spin_lock(&b->lock);
	readq_poll(addr, v, v & 1, 0);
	spin_unlock(&b->lock);
}

void bar_mutex(struct bar *b)
{
	spin_lock(&b->lock);
	dev_lock(b);
	dev_unlock(b);
	spin_unlock(&b->lock);
}

int bar_leak(struct bar *b, int err)
{
	dev_lock(b);
	if (err)
		return -EINVAL;
	dev_unlock(b);
	return 0;
}

void bar_wait(struct bar *b)
{
	spin_lock(&b->lock);
	wait_for_it(b->ready, spin_unlock(&b->lock), spin_lock(&b->lock));
	spin_unlock(&b->lock);
}

#define BAR_READY(v)	((v) & 1)

static int bar_ready(struct bar *b)
{
	return b->ready;
}

static void bar_drop(struct bar *b)
{
	spin_unlock(&b->lock);
}

static void bar_take(struct bar *b)
{
	spin_lock(&b->lock);
}

void bar_poll_field(struct bar *b, void *addr)
{
	u32 v;

	spin_lock(&b->lock);
	readq_poll(addr, v, BAR_READY(v) && bar_ready(b), 10);
	spin_unlock(&b->lock);
}

void bar_wait_helpers(struct bar *b)
{
	spin_lock(&b->lock);
	wait_for_it(bar_ready(b), bar_drop(b), bar_take(b));
	spin_unlock(&b->lock);
}

#define BAR_LOCAL_LOCK(b)	spin_lock(&(b)->lock)
#define BAR_LOCAL_UNLOCK(b)	spin_unlock(&(b)->lock)
#define bar_local_wait(cond, unlock, relock) \
	do { \
		while (!(cond)) { \
			unlock; \
			msleep(1); \
			relock; \
		} \
	} while (0)

void bar_wait_macros(struct bar *b)
{
	spin_lock(&b->lock);
	bar_local_wait(b->ready, BAR_LOCAL_UNLOCK(b), BAR_LOCAL_LOCK(b));
	spin_unlock(&b->lock);
}

void bar_dual(struct bar *b)
{
	spin_lock(&b->lock);
	dual_op(1);
	spin_unlock(&b->lock);
}
`,
}

// TestIndexHeaderMacros: the index reads include/'s function-like macros
// as it reads static inlines, so a file calling them learns that the
// polling macro sleeps when its sleep argument is not 0, that the lock
// macro takes a mutex (to sleep under a spinlock and to leak); a wait
// macro handed an unlock and a relock, or the file's functions that do
// them, is not read, nor a macro of the file handed its own lock macros (where it runs them is its body's business), one
// whose condition calls a register macro and a predicate is; and a
// function of the macro's name wins.
func TestIndexHeaderMacros(t *testing.T) {
	tree := writeTree(t, macroTree)
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	if f := scanFile(t, tree, "drivers/bar/bar.c", nil); len(f) != 0 {
		t.Errorf("without the index: %d findings, want none (the macros are not read)", len(f))
	}
	var got []string
	for _, f := range scanFile(t, tree, "drivers/bar/bar.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
		if f.Function == "bar_poll" {
			var files []string
			for _, s := range f.Chain {
				files = append(files, filepath.Base(s.File))
			}
			if !strings.Contains(strings.Join(files, " "), "pollq.h") {
				t.Errorf("bar_poll's chain %v does not name the macro's header", files)
			}
		}
	}
	sort.Strings(got)
	want := []string{"bar_leak:LOCK_LEAK", "bar_mutex:SLEEP_IN_ATOMIC", "bar_poll:SLEEP_IN_ATOMIC", "bar_poll_field:SLEEP_IN_ATOMIC"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("findings %v, want %v", got, want)
	}
}
