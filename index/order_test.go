// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"path/filepath"
	"strings"
	"testing"
)

// orderTree takes two locks of a shared struct in one order in one file
// and in the other order in another (mlx5's health recovery: rtnl then
// state_lock in health.c, state_lock then rtnl in reporter_tx.c).
var orderTree = map[string]string{
	"include/linux/pp.h": `struct priv {
	struct mutex state_lock;
	struct mutex cfg_lock;
	int state;
};
`,
	"drivers/pp/health.c": `#include <linux/pp.h>

void pp_recover_channels(struct priv *priv)
{
	rtnl_lock();
	mutex_lock(&priv->state_lock);
	priv->state = 0;
	mutex_unlock(&priv->state_lock);
	rtnl_unlock();
}

void pp_cfg(struct priv *priv)
{
	mutex_lock(&priv->cfg_lock);
	mutex_lock(&priv->state_lock);
	mutex_unlock(&priv->state_lock);
	mutex_unlock(&priv->cfg_lock);
}
`,
	"drivers/pp/reporter.c": `#include <linux/pp.h>

void pp_reporter_recover(struct priv *priv)
{
	mutex_lock(&priv->state_lock);
	rtnl_lock();
	priv->state = 1;
	rtnl_unlock();
	mutex_unlock(&priv->state_lock);
}

void pp_cfg_same_order(struct priv *priv)
{
	mutex_lock(&priv->cfg_lock);
	mutex_lock(&priv->state_lock);
	mutex_unlock(&priv->state_lock);
	mutex_unlock(&priv->cfg_lock);
}
`,
}

// TestIndexLockOrder: the index keeps each file's lock order edges, so
// an order a scanned file takes that another file of the tree inverts is
// an AB-BA, with the other file's sites in the chain; the same order in
// both files is none.
func TestIndexLockOrder(t *testing.T) {
	tree := writeTree(t, orderTree)
	if f := scanFile(t, tree, "drivers/pp/reporter.c", nil); len(f) != 0 {
		t.Errorf("without the index: %d findings, want none", len(f))
	}
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "drivers/pp/reporter.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
		other := false
		for _, s := range f.Chain {
			other = other || s.File == "drivers/pp/health.c" && s.Func == "pp_recover_channels"
		}
		if !other || !strings.Contains(f.Message, "pp_recover_channels() in drivers/pp/health.c") {
			t.Errorf("%s: chain %+v does not show the other order in health.c", f.Message, f.Chain)
		}
	}
	if strings.Join(got, " ") != "pp_reporter_recover:LOCK_ORDER_INVERSION" {
		t.Errorf("findings %v, want pp_reporter_recover:LOCK_ORDER_INVERSION", got)
	}
}

// opsOrderTree is the qcom thermal driver's inversion (D-29 in corpus/):
// the core calls the zone's get_temp() with the zone's lock held, the
// driver's get_temp() takes the chip's lock, and the driver's init takes
// the zone's lock (through a core function) under the chip's lock. A
// driver that drops the chip's lock first has no cycle.
var opsOrderTree = map[string]string{
	"include/linux/tz.h": `struct tz_device;
struct tz_ops {
	int (*get_temp)(struct tz_device *tz, int *temp);
};
struct tz_device {
	struct mutex lock;
	struct tz_ops ops;
	void *priv;
};
int tz_get_crit_temp(struct tz_device *tz, int *temp);
`,
	// Who takes the zone's lock around __tz_get_temp() is for the
	// assertion to say (the thermal core's callers are many, and its
	// get_temp() has more implementations than a call is linked to).
	"drivers/tz/core.c": `#include <linux/tz.h>

int __tz_get_temp(struct tz_device *tz, int *temp)
{
	lockdep_assert_held(&tz->lock);
	return tz->ops.get_temp(tz, temp);
}

int tz_get_crit_temp(struct tz_device *tz, int *temp)
{
	mutex_lock(&tz->lock);
	*temp = 100;
	mutex_unlock(&tz->lock);
	return 0;
}
`,
	"drivers/tz/chip.c": `#include <linux/tz.h>

struct chip {
	struct mutex lock;
	struct tz_device *tz;
	int temp;
};

static int chip_get_temp(struct tz_device *tz, int *temp)
{
	struct chip *chip = tz->priv;

	mutex_lock(&chip->lock);
	*temp = chip->temp;
	mutex_unlock(&chip->lock);
	return 0;
}

static const struct tz_ops chip_ops = {
	.get_temp = chip_get_temp,
};

int chip_init(struct chip *chip)
{
	int crit;

	mutex_lock(&chip->lock);
	tz_get_crit_temp(chip->tz, &crit);
	chip->temp = crit;
	mutex_unlock(&chip->lock);
	return 0;
}
`,
	"drivers/tz/chip2.c": `#include <linux/tz.h>

struct chip2 {
	struct mutex lock;
	struct tz_device *tz;
	int temp;
};

static int chip2_get_temp(struct tz_device *tz, int *temp)
{
	struct chip2 *chip = tz->priv;

	mutex_lock(&chip->lock);
	*temp = chip->temp;
	mutex_unlock(&chip->lock);
	return 0;
}

static const struct tz_ops chip2_ops = {
	.get_temp = chip2_get_temp,
};

int chip2_init(struct chip2 *chip)
{
	int crit;

	tz_get_crit_temp(chip->tz, &crit);
	mutex_lock(&chip->lock);
	chip->temp = crit;
	mutex_unlock(&chip->lock);
	return 0;
}
`,
}

// TestIndexOpsHeldOrder: the index keeps the locks held around calls
// through an ops member, so an implementation's lock, taken by its own
// file in the other order, closes a cycle with the core.
func TestIndexOpsHeldOrder(t *testing.T) {
	tree := writeTree(t, opsOrderTree)
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "drivers/tz/chip.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
		core := false
		for _, s := range f.Chain {
			core = core || s.File == "drivers/tz/core.c" && s.Func == "__tz_get_temp"
		}
		if !core || !strings.Contains(f.Message, "chip_get_temp() through struct tz_ops.get_temp") {
			t.Errorf("%s: chain %+v does not show the core's call through the table", f.Message, f.Chain)
		}
	}
	if strings.Join(got, " ") != "chip_init:LOCK_ORDER_INVERSION" {
		t.Errorf("chip.c: findings %v, want chip_init:LOCK_ORDER_INVERSION", got)
	}
	if f := scanFile(t, tree, "drivers/tz/chip2.c", ix); len(f) != 0 {
		t.Errorf("chip2.c: %d findings, want none", len(f))
	}
}

// cycle3Tree: a three-class cycle modelled on xenbus's (B-11 in corpus/,
// where comms.c calls the reply function through req->cb, which this does
// not follow). xs.c takes the response mutex under the watch rwsem;
// comms.c calls the frontend's reply function under the response mutex,
// and that takes the reply mutex; the frontend takes the watch rwsem
// under the reply mutex, through a helper of its own. other.c takes the reply mutex under its
// own lock, which nobody takes under the reply mutex: no cycle.
var cycle3Tree = map[string]string{
	"drivers/xen/xenbus.h": `struct xb_req {
	void (*cb)(struct xb_req *req);
	int state;
};
extern struct mutex xs_response_mutex;
void xs_queue_reply(struct xb_req *req);
void xs_register_watch(void);
`,
	"drivers/xen/xs.c": `#include "xenbus.h"
static DECLARE_RWSEM(xs_watch_rwsem);

void xs_suspend(void)
{
	down_write(&xs_watch_rwsem);
	mutex_lock(&xs_response_mutex);
}

void xs_register_watch(void)
{
	down_read(&xs_watch_rwsem);
	up_read(&xs_watch_rwsem);
}

`,
	"drivers/xen/comms.c": `#include "xenbus.h"
DEFINE_MUTEX(xs_response_mutex);

void xs_thread(struct xb_req *req)
{
	mutex_lock(&xs_response_mutex);
	xs_queue_reply(req);
	mutex_unlock(&xs_response_mutex);
}
`,
	// The frontend takes the watch rwsem under its reply mutex through a
	// helper of its own.
	"drivers/xen/frontend.c": `#include "xenbus.h"
DEFINE_MUTEX(reply_mutex);

void xs_queue_reply(struct xb_req *req)
{
	mutex_lock(&reply_mutex);
	req->state = 1;
	mutex_unlock(&reply_mutex);
}

static void xs_write_watch(void)
{
	xs_register_watch();
}

void xs_file_write(void)
{
	mutex_lock(&reply_mutex);
	xs_write_watch();
	mutex_unlock(&reply_mutex);
}
`,
	"drivers/xen/other.c": `static DEFINE_MUTEX(other_lock);
extern struct mutex reply_mutex;

void other_work(void)
{
	mutex_lock(&other_lock);
	mutex_lock(&reply_mutex);
	mutex_unlock(&reply_mutex);
	mutex_unlock(&other_lock);
}
`,
}

// TestIndexOrderCycle3: a cycle of three classes over three files is an
// AB-BA in effect, reported in the scanned file with all three sites; a
// chain that does not close is not.
func TestIndexOrderCycle3(t *testing.T) {
	tree := writeTree(t, cycle3Tree)
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "drivers/xen/xs.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
		files := map[string]bool{}
		for _, s := range f.Chain {
			files[s.File] = true
		}
		if !files["drivers/xen/comms.c"] || !files["drivers/xen/frontend.c"] || !strings.Contains(f.Message, "cycle of three") {
			t.Errorf("%s: chain %+v does not show the other two files", f.Message, f.Chain)
		}
	}
	if strings.Join(got, " ") != "xs_suspend:LOCK_ORDER_INVERSION" {
		t.Errorf("xs.c: findings %v, want xs_suspend:LOCK_ORDER_INVERSION", got)
	}
	if f := scanFile(t, tree, "drivers/xen/other.c", ix); len(f) != 0 {
		t.Errorf("other.c: %d findings, want none", len(f))
	}
}

// linkOrderTree: the other order of an AB-BA is taken through a call to
// a third file, which the index's own order edges (each file's, through
// its own callees) do not show: a.c holds alpha_lock and calls
// beta_take() of b.c, which takes beta_lock; c.c takes alpha_lock under
// beta_lock.
var linkOrderTree = map[string]string{
	"drivers/ab/a.c": `DEFINE_MUTEX(alpha_lock);
void beta_take(void);

void alpha_work(void)
{
	mutex_lock(&alpha_lock);
	beta_take();
	mutex_unlock(&alpha_lock);
}
`,
	"drivers/ab/b.c": `DEFINE_MUTEX(beta_lock);

void beta_take(void)
{
	mutex_lock(&beta_lock);
	mutex_unlock(&beta_lock);
}
`,
	// Unrelated code (another subsystem) holding delta_lock around
	// beta_take(): its classes are not taken to be e.c's.
	"fs/other/d.c": `DEFINE_MUTEX(delta_lock);
void beta_take(void);

void delta_work(void)
{
	mutex_lock(&delta_lock);
	beta_take();
	mutex_unlock(&delta_lock);
}
`,
	"drivers/ab/e.c": `extern struct mutex delta_lock;
extern struct mutex beta_lock;

void epsilon_work(void)
{
	mutex_lock(&beta_lock);
	mutex_lock(&delta_lock);
	mutex_unlock(&delta_lock);
	mutex_unlock(&beta_lock);
}
`,
	"drivers/ab/c.c": `extern struct mutex alpha_lock;
extern struct mutex beta_lock;

void gamma_work(void)
{
	mutex_lock(&beta_lock);
	mutex_lock(&alpha_lock);
	mutex_unlock(&alpha_lock);
	mutex_unlock(&beta_lock);
}
`,
}

// TestIndexLinkedOrder: the index keeps the calls made under each lock
// to other files, and the scan links them.
func TestIndexLinkedOrder(t *testing.T) {
	tree := writeTree(t, linkOrderTree)
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "drivers/ab/c.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
		linked := false
		for _, s := range f.Chain {
			linked = linked || s.File == "drivers/ab/b.c" && s.Func == "beta_take"
		}
		if !linked || !strings.Contains(f.Message, "alpha_work() in drivers/ab/a.c") {
			t.Errorf("%s: chain %+v does not lead through beta_take()", f.Message, f.Chain)
		}
	}
	if strings.Join(got, " ") != "gamma_work:LOCK_ORDER_INVERSION" {
		t.Errorf("c.c: findings %v, want gamma_work:LOCK_ORDER_INVERSION", got)
	}
	if f := scanFile(t, tree, "drivers/ab/e.c", ix); len(f) != 0 {
		t.Errorf("e.c: %d findings through fs/other/d.c, want none", len(f))
	}
}

// TestIndexLinkedOrderRelease: a helper of the holder's file that drops
// the holder's lock before calling another file (dentry_unlink_inode()
// drops d_lock before iput()) makes no order edge of that call.
func TestIndexLinkedOrderRelease(t *testing.T) {
	tree := writeTree(t, map[string]string{
		"drivers/ab/a.c": `DEFINE_MUTEX(alpha_lock);
void beta_take(void);

static void alpha_drop_and_take(void)
{
	mutex_unlock(&alpha_lock);
	beta_take();
}

void alpha_work(void)
{
	mutex_lock(&alpha_lock);
	alpha_drop_and_take();
}
`,
		"drivers/ab/b.c": linkOrderTree["drivers/ab/b.c"],
		"drivers/ab/c.c": linkOrderTree["drivers/ab/c.c"],
	})
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if f := scanFile(t, tree, "drivers/ab/c.c", ix); len(f) != 0 {
		t.Errorf("c.c: %d findings (%s), want none: alpha_lock is dropped before beta_take()", len(f), f[0].Message)
	}
}

// dropTree holds f_sem around a call to another file's function, which
// on its retry path drops that lock before a third file takes alloc_sem
// (jffs2_write_begin() -> jffs2_write_dnode() -> jffs2_reserve_space()),
// while dir.c takes alloc_sem, then f_sem. drop and retake are the retry
// path's release and reacquisition.
func dropTree(drop, retake string) map[string]string {
	return map[string]string{
		"include/linux/jf.h": `struct jf {
	struct mutex f_sem;
	struct mutex alloc_sem;
};
`,
		"drivers/jf/write.c": `#include <linux/jf.h>
void jf_reserve(struct jf *c);

int jf_write_node(struct jf *f, int retry)
{
	if (retry) {
		` + drop + `
		jf_reserve(f);
		` + retake + `
	}
	return 0;
}
`,
		"drivers/jf/reserve.c": `#include <linux/jf.h>

void jf_reserve(struct jf *c)
{
	mutex_lock(&c->alloc_sem);
	mutex_unlock(&c->alloc_sem);
}
`,
		"drivers/jf/file.c": `#include <linux/jf.h>
int jf_write_node(struct jf *f, int retry);

void jf_write_begin(struct jf *f, int retry)
{
	mutex_lock(&f->f_sem);
	jf_write_node(f, retry);
	mutex_unlock(&f->f_sem);
}
`,
		"drivers/jf/dir.c": `#include <linux/jf.h>

void jf_create(struct jf *f)
{
	mutex_lock(&f->alloc_sem);
	mutex_lock(&f->f_sem);
	mutex_unlock(&f->f_sem);
	mutex_unlock(&f->alloc_sem);
}
`,
	}
}

// TestIndexLinkedOrderCalleeRelease: a function of another file that
// releases its caller's lock before calling a third file's function,
// which takes another lock, orders nothing under the caller's lock: the
// index records the release with the call (Call.Unheld). Without the
// release the same tree is an AB-BA.
func TestIndexLinkedOrderCalleeRelease(t *testing.T) {
	for _, tc := range []struct {
		drop, retake string
		want         int
	}{
		{"mutex_unlock(&f->f_sem);", "mutex_lock(&f->f_sem);", 0},
		{"", "", 1},
	} {
		tree := writeTree(t, dropTree(tc.drop, tc.retake))
		ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
		var got []string
		for _, f := range scanFile(t, tree, "drivers/jf/dir.c", ix) {
			got = append(got, f.Function+":"+f.Rule+": "+f.Message)
		}
		ix.Close()
		if len(got) != tc.want {
			t.Errorf("%s: dir.c findings %q, want %d", tc.drop, got, tc.want)
		}
	}
}

// TestIndexLinkedSleepCalleeRelease: a caller holding a spinlock calls a
// function of another file that drops it before it calls a third file's
// function that sleeps, and takes it again after (__release_sock()'s
// spin_unlock_bh() around the backlog's processing): no sleep under the
// caller's lock. Without the release the same tree is SLEEP_IN_ATOMIC.
func TestIndexLinkedSleepCalleeRelease(t *testing.T) {
	for _, tc := range []struct {
		drop, retake string
		want         int
	}{
		{"spin_unlock(&s->lock);", "spin_lock(&s->lock);", 0},
		{"", "", 1},
	} {
		tree := writeTree(t, map[string]string{
			"include/linux/sk.h": `struct sk {
	spinlock_t lock;
	int backlog;
};
`,
			"net/sk/release.c": `#include <linux/sk.h>
void sk_process(struct sk *s);

void sk_release_backlog(struct sk *s)
{
	while (s->backlog) {
		` + tc.drop + `
		sk_process(s);
		` + tc.retake + `
		s->backlog--;
	}
}
`,
			"net/sk/process.c": `#include <linux/sk.h>

void sk_process(struct sk *s)
{
	msleep(1);
}
`,
			"net/sk/close.c": `#include <linux/sk.h>
void sk_release_backlog(struct sk *s);

void sk_close(struct sk *s)
{
	spin_lock(&s->lock);
	sk_release_backlog(s);
	spin_unlock(&s->lock);
}
`,
		})
		ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
		var got []string
		for _, f := range scanFile(t, tree, "net/sk/close.c", ix) {
			got = append(got, f.Function+":"+f.Rule+": "+f.Message)
		}
		ix.Close()
		if len(got) != tc.want {
			t.Errorf("%q: close.c findings %q, want %d", tc.drop, got, tc.want)
		}
	}
}

// TestIndexInitSiteRelease: a lock whose class a file names by its
// initialisation site (super.c's init_f2fs_rwsem(&sbi->cp_rwsem), through
// the index) is released by a helper of another file whose record names
// it by the wrapper's own struct (inode.c knows no initialisation site):
// the two names are one lock, and the error path through the helper
// leaks nothing (f2fs_create()'s "goto out" to
// f2fs_handle_failed_inode(), which calls f2fs_unlock_op(), with another
// rwsem held, so that the class decides which lock the helper releases).
func TestIndexInitSiteRelease(t *testing.T) {
	tree := writeTree(t, map[string]string{
		"fs/ff/ff.h": `struct ff_rwsem {
	struct rw_semaphore internal_rwsem;
};
void __init_ff_rwsem(struct ff_rwsem *sem, const char *name, struct lock_class_key *key);
#define init_ff_rwsem(sem)					\
do {								\
	static struct lock_class_key __key;			\
								\
	__init_ff_rwsem((sem), #sem, &__key);			\
} while (0)
struct sb_info {
	struct ff_rwsem cp_rwsem;
	struct rw_semaphore node_sem;
};
struct ff_inode {
	struct sb_info *sbi;
};
static inline void ff_lock_op(struct sb_info *sbi)
{
	down_read(&sbi->cp_rwsem.internal_rwsem);
}
static inline void ff_unlock_op(struct sb_info *sbi)
{
	up_read(&sbi->cp_rwsem.internal_rwsem);
}
void ff_handle_failed_inode(struct ff_inode *inode);
int ff_add_link(struct ff_inode *inode);
struct sb_info *ff_i_sb(struct ff_inode *inode);
`,
		"fs/ff/super.c": `#include "ff.h"

void ff_fill_super(struct sb_info *sbi)
{
	init_ff_rwsem(&sbi->cp_rwsem);
}
`,
		"fs/ff/inode.c": `#include "ff.h"

void ff_handle_failed_inode(struct ff_inode *inode)
{
	struct sb_info *sbi = ff_i_sb(inode);

	ff_unlock_op(sbi);
}
`,
		"fs/ff/namei.c": `#include "ff.h"

int ff_create(struct sb_info *sbi, struct ff_inode *inode)
{
	int err;

	down_read(&sbi->node_sem);
	ff_lock_op(sbi);
	err = ff_add_link(inode);
	if (err)
		goto out;
	ff_unlock_op(sbi);
	up_read(&sbi->node_sem);
	return 0;
out:
	ff_handle_failed_inode(inode);
	up_read(&sbi->node_sem);
	return err;
}
`,
	})
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "fs/ff/namei.c", ix) {
		got = append(got, f.Function+":"+f.Rule+": "+f.Message)
	}
	if len(got) != 0 {
		t.Errorf("namei.c findings %q, want none", got)
	}
}
