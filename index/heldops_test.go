package index

import (
	"path/filepath"
	"strings"
	"testing"
)

// heldTree: the core calls foo_ops.del through its header's inline, two
// calls below the function that holds the object's spinlock (the shape
// of xfrm_state_delete() -> __xfrm_state_delete() ->
// xfrm_dev_state_delete() -> ->xdo_dev_state_delete(), though that
// inline is in include/, whose inlines the index reads on their own); a
// driver in another directory implements it with a mutex. foo_ops.add
// is called with nothing held, and its implementation may sleep.
// foo_ops.put is called with the lock held on one path and without on
// another: its implementations may sleep. foo_ops.notify is a dispatch
// member that four files call, one under a spinlock: each caller decides
// its context, and an implementation does not inherit that one.
var heldTree = map[string]string{
	"include/linux/foo.h": `struct st;
struct foo_ops {
	void (*del)(struct st *x);
	void (*add)(struct st *x);
	void (*notify)(struct st *x);
	void (*put)(struct st *x);
};
struct st {
	spinlock_t lock;
	const struct foo_ops *ops;
};
`,
	"net/foo/state.h": `static inline void st_dev_del(struct st *x)
{
	if (x->ops)
		x->ops->del(x);
}
`,
	"net/foo/state.c": `#include <linux/foo.h>
#include "state.h"

static void __st_delete(struct st *x)
{
	st_dev_del(x);
}

void st_delete(struct st *x)
{
	spin_lock_bh(&x->lock);
	__st_delete(x);
	spin_unlock_bh(&x->lock);
}

void st_add(struct st *x)
{
	x->ops->add(x);
}

void st_put_locked(struct st *x)
{
	spin_lock(&x->lock);
	x->ops->put(x);
	spin_unlock(&x->lock);
}

void st_put(struct st *x)
{
	x->ops->put(x);
}

void st_notify(struct st *x)
{
	spin_lock(&x->lock);
	x->ops->notify(x);
	spin_unlock(&x->lock);
}
`,
	"drivers/a/a.c": `#include <linux/foo.h>
void a_notify(struct st *x) { x->ops->notify(x); }
`,
	"drivers/b/b.c": `#include <linux/foo.h>
void b_notify(struct st *x) { x->ops->notify(x); }
`,
	"drivers/c/c.c": `#include <linux/foo.h>
void c_notify(struct st *x) { x->ops->notify(x); }
`,
	"drivers/net/bar/offload.c": `#include <linux/foo.h>

static DEFINE_MUTEX(bar_mutex);

static void bar_del(struct st *x)
{
	mutex_lock(&bar_mutex);
	x->ops = NULL;
	mutex_unlock(&bar_mutex);
}

static void bar_add(struct st *x)
{
	mutex_lock(&bar_mutex);
	mutex_unlock(&bar_mutex);
}

static void bar_notify(struct st *x)
{
	mutex_lock(&bar_mutex);
	mutex_unlock(&bar_mutex);
}

static void bar_put(struct st *x)
{
	mutex_lock(&bar_mutex);
	mutex_unlock(&bar_mutex);
}

static const struct foo_ops bar_ops = {
	.put = bar_put,
	.del = bar_del,
	.add = bar_add,
	.notify = bar_notify,
};
`,
}

func TestIndexHeldOpsContexts(t *testing.T) {
	tree := writeTree(t, heldTree)
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	if fs := scanFile(t, tree, "drivers/net/bar/offload.c", nil); len(fs) != 0 {
		t.Errorf("without the index: %d findings, want none", len(fs))
	}
	var got []string
	for _, f := range scanFile(t, tree, "drivers/net/bar/offload.c", ix) {
		var notes []string
		for _, s := range f.Chain {
			notes = append(notes, s.File+":"+s.Note)
		}
		got = append(got, f.Function+":"+f.Rule+":"+strings.Join(notes, " | "))
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "bar_del:SLEEP_IN_ATOMIC:") {
		t.Fatalf("findings %q, want bar_del's mutex under the core's spinlock alone", got)
	}
	for _, want := range []string{"net/foo/state.c:spin_lock_bh(&x->lock)", "net/foo/state.c:calls __st_delete()",
		"net/foo/state.c:calls st_dev_del()", "net/foo/state.h:calls through struct foo_ops.del, which runs bar_del()"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("chain %q lacks %q", got[0], want)
		}
	}
}
