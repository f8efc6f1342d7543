// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"path/filepath"
	"strings"
	"testing"

	"lockbot/kbuild"
)

// argTree: effects two and three files down that depend on the callee's
// argument: bio_uncopy_user() copies to user space only for a read, a
// charge sleeps only for a blocking mask the caller computes, a copy only
// for a length over 4. The link does not follow arguments into other
// files: each such effect is dropped, whatever the caller passes (a
// device's capability, as in amdgpu_kiq_wreg()'s SR-IOV-only sleep, is
// no more decidable by a caller than by the link, and restating them
// measured mostly false on 6.12).
var argTree = map[string]string{
	"lib/iov.c": `size_t copy_page_to_iter(struct page *page, size_t bytes)
{
	might_fault();
	return bytes;
}

void charge_mem(struct page *page, gfp_t gfp, int nr)
{
	if (nr > 0 && gfp != GFP_NOWAIT)
		msleep(1);
}
`,
	"block/map.c": `static int bio_copy_to_iter(struct bio *bio)
{
	return copy_page_to_iter(bio->page, bio->size);
}

static int bio_uncopy_user(struct bio *bio)
{
	int ret = 0;

	if (bio_data_dir(bio) == READ)
		ret = bio_copy_to_iter(bio);
	kfree(bio->bi_private);
	return ret;
}

int blk_rq_unmap_user(struct bio *bio)
{
	return bio_uncopy_user(bio);
}

int blk_rq_unmap_chain(struct bio *bio)
{
	int ret = 0;

	while (bio) {
		ret |= bio_uncopy_user(bio);
		bio = bio->bi_next;
	}
	return ret;
}

static int bio_uncopy_len(struct bio *bio, int len)
{
	if (len > 4)
		return bio_copy_to_iter(bio);
	return 0;
}

int blk_charge(struct bio *bio)
{
	charge_mem(bio->page, gfp_charge(), bio_pages(bio));
	return 0;
}

int blk_rq_unmap_short(struct bio *bio)
{
	return bio_uncopy_len(bio, 0);
}

int blk_rq_unmap_len(struct bio *bio)
{
	int len = bio_len(bio);

	return bio_uncopy_len(bio, len);
}
`,
	"drivers/scsi/sg.c": `struct sg_fd {
	rwlock_t rq_list_lock;
	struct bio *bio;
};

void sg_remove(struct sg_fd *sfp)
{
	unsigned long flags;

	write_lock_irqsave(&sfp->rq_list_lock, flags);
	blk_rq_unmap_user(sfp->bio);
	write_unlock_irqrestore(&sfp->rq_list_lock, flags);
}

void sg_remove_chain(struct sg_fd *sfp)
{
	unsigned long flags;

	write_lock_irqsave(&sfp->rq_list_lock, flags);
	blk_rq_unmap_chain(sfp->bio);
	write_unlock_irqrestore(&sfp->rq_list_lock, flags);
}

void sg_remove_charge(struct sg_fd *sfp)
{
	unsigned long flags;

	write_lock_irqsave(&sfp->rq_list_lock, flags);
	blk_charge(sfp->bio);
	write_unlock_irqrestore(&sfp->rq_list_lock, flags);
}

void sg_remove_short(struct sg_fd *sfp)
{
	unsigned long flags;

	write_lock_irqsave(&sfp->rq_list_lock, flags);
	blk_rq_unmap_short(sfp->bio);
	write_unlock_irqrestore(&sfp->rq_list_lock, flags);
}

void sg_remove_len(struct sg_fd *sfp)
{
	unsigned long flags;

	write_lock_irqsave(&sfp->rq_list_lock, flags);
	blk_rq_unmap_len(sfp->bio);
	write_unlock_irqrestore(&sfp->rq_list_lock, flags);
}
`,
}

func TestIndexLinkDropsArgConds(t *testing.T) {
	tree := writeTree(t, argTree)
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	var got []string
	for _, f := range scanFile(t, tree, "drivers/scsi/sg.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
	}
	if len(got) != 0 {
		t.Errorf("findings %q, want none: each effect depends on an argument the link does not follow", got)
	}
}

// actionTree: a core passes the table of actions to run (snd_pcm_stop()
// hands &snd_pcm_action_stop to snd_pcm_action(), whose helper calls
// ops->do_action()); only the prepare table's action sleeps, in another
// file. A driver stopping the stream under its lock is not told the
// prepare action sleeps; one preparing it is.
var actionTree = map[string]string{
	"lib/sync.c": `void sync_stop(struct s *x)
{
	msleep(1);
}
`,
	"sound/core/native.c": `struct s;
struct action_ops {
	int (*do_action)(struct s *x);
};

static int do_prepare(struct s *x)
{
	sync_stop(x);
	return 0;
}

static int do_stop(struct s *x)
{
	return 0;
}

static const struct action_ops action_prepare = {
	.do_action = do_prepare,
};

static const struct action_ops action_stop = {
	.do_action = do_stop,
};

static int action_single(const struct action_ops *ops, struct s *x)
{
	return ops->do_action(x);
}

static int s_action(const struct action_ops *ops, struct s *x)
{
	return action_single(ops, x);
}

int s_stop(struct s *x)
{
	return s_action(&action_stop, x);
}

int s_prepare(struct s *x)
{
	return s_action(&action_prepare, x);
}
`,
	"sound/pci/card.c": `static spinlock_t card_lock;

void card_irq(struct s *x)
{
	spin_lock(&card_lock);
	s_stop(x);
	spin_unlock(&card_lock);
}

void card_reset(struct s *x)
{
	spin_lock(&card_lock);
	s_prepare(x);
	spin_unlock(&card_lock);
}
`,
}

func TestIndexLinkNarrowsOps(t *testing.T) {
	tree := writeTree(t, actionTree)
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	var got []string
	for _, f := range scanFile(t, tree, "sound/pci/card.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
	}
	if len(got) != 1 || got[0] != "card_reset:SLEEP_IN_ATOMIC" {
		t.Errorf("findings %q, want card_reset's sleep through the prepare table alone", got)
	}
}

// TestIndexOpsSameNamedStruct: two drivers each define a struct
// e1000_mac_operations in a header of their own (igbvf's vf.h, e1000e's
// hw.h); a call through the member in one driver reaches its own
// driver's tables only, not the other's, whose implementation sleeps. A
// struct of a shared header stays the tree's.
func TestIndexOpsSameNamedStruct(t *testing.T) {
	ops := `struct mac_ops {
	int (*check_for_link)(struct hw *hw);
};
struct hw {
	struct mac_ops ops;
	spinlock_t lock;
	struct mutex m;
};
`
	for _, tc := range []struct {
		header string
		want   int
	}{
		{"drivers/igbvf/vf.h", 0},
		{"include/linux/macops.h", 1},
	} {
		files := map[string]string{
			tc.header: ops,
			"drivers/igbvf/vf.c": `#include "vf.h"
#include <linux/macops.h>

static int vf_check_for_link(struct hw *hw)
{
	return 0;
}

const struct mac_ops vf_mac_ops = {
	.check_for_link = vf_check_for_link,
};
`,
			"drivers/igbvf/netdev.c": `#include "vf.h"
#include <linux/macops.h>

int vf_watchdog(struct hw *hw)
{
	int ret;

	spin_lock(&hw->lock);
	ret = hw->ops.check_for_link(hw);
	spin_unlock(&hw->lock);
	return ret;
}
`,
			"drivers/e1000e/hw.h": ops,
			"drivers/e1000e/ich8lan.c": `#include "hw.h"

static int ich8lan_check_for_link(struct hw *hw)
{
	mutex_lock(&hw->m);
	mutex_unlock(&hw->m);
	return 0;
}

const struct mac_ops ich8_mac_ops = {
	.check_for_link = ich8lan_check_for_link,
};
`,
		}
		if tc.header != "drivers/igbvf/vf.h" {
			files["drivers/igbvf/vf.h"] = "/* the struct is the shared header's */\n"
			files["drivers/e1000e/hw.h"] = "#include <linux/macops.h>\n"
		} else {
			files["include/linux/macops.h"] = "/* nothing */\n"
		}
		tree := writeTree(t, files)
		ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
		var got []string
		for _, f := range scanFile(t, tree, "drivers/igbvf/netdev.c", ix) {
			got = append(got, f.Function+":"+f.Rule+": "+f.Message)
		}
		ix.Close()
		if len(got) != tc.want {
			t.Errorf("struct in %s: netdev.c findings %q, want %d", tc.header, got, tc.want)
		}
	}
}

// TestIndexOpsStoredTable: rtw88's bus drivers each store their table in
// the device (pci.c: "rtwdev->hci.ops = &rtw_pci_ops"), and the core's
// register reads go through it (hci.h's rtw_read8()), from functions of
// other files too (ps.c). A PCI function holding a lock reaches, through
// ps.c, the PCI table's read only; without pci.c's store nothing says
// which bus, and the USB read's sleep is reported.
func TestIndexOpsStoredTable(t *testing.T) {
	for _, tc := range []struct {
		store, header string
		want          int
	}{
		{"dev->hci.ops = &pci_ops;", "drivers/rtw/hci.h", 0},
		{"", "drivers/rtw/hci.h", 1},
		// A core struct (bonding stores its table in the bond's
		// net_device and calls its slaves'): every driver's, no store
		// decides.
		{"dev->hci.ops = &pci_ops;", "include/linux/hci.h", 1},
	} {
		files := map[string]string{
			tc.header: `struct rtw_dev;
struct hci_ops {
	unsigned char (*read8)(struct rtw_dev *dev, unsigned int addr);
};
struct hci {
	const struct hci_ops *ops;
};
struct rtw_dev {
	struct hci hci;
	spinlock_t irq_lock;
	struct mutex usb_lock;
};
static inline unsigned char rtw_read8(struct rtw_dev *dev, unsigned int addr)
{
	return dev->hci.ops->read8(dev, addr);
}
void rtw_power_mode_change(struct rtw_dev *dev);
`,
			"drivers/rtw/ps.c": `#include "hci.h"

void rtw_power_mode_change(struct rtw_dev *dev)
{
	rtw_read8(dev, 0x10);
}
`,
			"drivers/rtw/usb.c": `#include "hci.h"

static unsigned char usb_read8(struct rtw_dev *dev, unsigned int addr)
{
	mutex_lock(&dev->usb_lock);
	mutex_unlock(&dev->usb_lock);
	return 0;
}

static const struct hci_ops usb_ops = {
	.read8 = usb_read8,
};

void usb_probe(struct rtw_dev *dev)
{
	dev->hci.ops = &usb_ops;
}
`,
			"drivers/rtw/pci.c": `#include "hci.h"

static unsigned char pci_read8(struct rtw_dev *dev, unsigned int addr)
{
	return readb(addr);
}

static const struct hci_ops pci_ops = {
	.read8 = pci_read8,
};

void pci_probe(struct rtw_dev *dev)
{
	` + tc.store + `
}

void pci_deep_ps_enter(struct rtw_dev *dev)
{
	spin_lock_bh(&dev->irq_lock);
	rtw_power_mode_change(dev);
	spin_unlock_bh(&dev->irq_lock);
}
`,
		}
		if tc.header != "drivers/rtw/hci.h" {
			for name, text := range files {
				if strings.HasSuffix(name, ".c") {
					files[name] = strings.Replace(text, `#include "hci.h"`, `#include <linux/hci.h>`, 1)
				}
			}
		}
		tree := writeTree(t, files)
		ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
		var got []string
		for _, f := range scanFile(t, tree, "drivers/rtw/pci.c", ix) {
			got = append(got, f.Function+":"+f.Rule+": "+f.Message)
		}
		ix.Close()
		if len(got) != tc.want {
			t.Errorf("%q in %s: pci.c findings %q, want %d", tc.store, tc.header, got, tc.want)
		}
	}
}

// TestIndexPredicate: a predicate another file defines (drm_file.c's
// drm_dev_needs_global_mutex(), "if (a || b) return true; return
// false;") or a shared header does, tested before a lock and before its
// unlock, is one test: the index keeps the test it returns
// (FuncRecord.Pred).
func TestIndexPredicate(t *testing.T) {
	tree := writeTree(t, map[string]string{
		"include/linux/dd.h": `struct drv {
	int (*load)(void);
	int (*unload)(void);
};
struct dev {
	const struct drv *driver;
	int cons;
	int line;
};
bool needs_global(struct dev *dev);
static inline bool dev_console(struct dev *dev)
{
	return dev->cons && dev->cons == dev->line;
}
`,
		"drivers/dd/file.c": `#include <linux/dd.h>

bool needs_global(struct dev *dev)
{
	if (dev->driver->load || dev->driver->unload)
		return true;
	return false;
}
`,
		"drivers/dd/drv.c": `#include <linux/dd.h>
static DEFINE_MUTEX(global_mutex);

int dev_register(struct dev *dev)
{
	int ret = 0;

	if (needs_global(dev))
		mutex_lock(&global_mutex);
	if (dev->line)
		ret = 1;
	if (needs_global(dev))
		mutex_unlock(&global_mutex);
	return ret;
}

void dev_configure(struct dev *dev)
{
	if (dev_console(dev))
		console_lock();
	pr_info("configured\n");
	if (dev_console(dev))
		console_unlock();
}
`,
	})
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "drivers/dd/drv.c", ix) {
		got = append(got, f.Function+":"+f.Rule+": "+f.Message)
	}
	if len(got) != 0 {
		t.Errorf("drv.c findings %q, want none: each pair of tests is one", got)
	}
}

// TestIndexHeaderConsts: a callee's test of an argument against a named
// constant of a shared header (mwifiex's "action_code ==
// WLAN_TDLS_SETUP_CONFIRM", an enumerator of <linux/ieee80211.h>) is
// decided by the constant a caller passes, from the index's constants;
// a name two headers define differently decides nothing.
func TestIndexHeaderConsts(t *testing.T) {
	tree := writeTree(t, map[string]string{
		"include/linux/codes.h": `enum tdls_code {
	TDLS_SETUP_REQUEST = 0,
	TDLS_SETUP_RESPONSE,
	TDLS_SETUP_CONFIRM,
	TDLS_TEARDOWN,
	TDLS_DISCOVERY_REQUEST = 10,
};
#define MODE_SLOW 4
`,
		"include/linux/other.h": `#define MODE_FAST 4
`,
		"include/linux/clash.h": `#define MODE_FAST 5
`,
		"drivers/wl/tdls.c": `#include <linux/codes.h>
struct priv {
	spinlock_t lock;
};

static int send_frame(struct priv *priv, int code)
{
	if (code == TDLS_SETUP_CONFIRM || code == TDLS_TEARDOWN)
		msleep_interruptible(10);
	return 0;
}

static int set_mode(struct priv *priv, int mode)
{
	if (mode == MODE_SLOW)
		msleep(1);
	return 0;
}

void check_tx(struct priv *priv)
{
	spin_lock_bh(&priv->lock);
	send_frame(priv, TDLS_DISCOVERY_REQUEST);
	set_mode(priv, MODE_FAST);
	spin_unlock_bh(&priv->lock);
}

void teardown(struct priv *priv)
{
	spin_lock_bh(&priv->lock);
	send_frame(priv, TDLS_TEARDOWN);
	spin_unlock_bh(&priv->lock);
}
`,
	})
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "drivers/wl/tdls.c", ix) {
		sleep := "msleep_interruptible"
		if strings.Contains(f.Message, "msleep(1)") {
			sleep = "msleep"
		}
		got = append(got, f.Function+":"+f.Rule+":"+sleep)
	}
	// check_tx: TDLS_DISCOVERY_REQUEST is neither code that sleeps;
	// MODE_FAST is 4 in one header and 5 in another, so it may be
	// MODE_SLOW. teardown passes a code that sleeps.
	want := "check_tx:SLEEP_IN_ATOMIC:msleep teardown:SLEEP_IN_ATOMIC:msleep_interruptible"
	if strings.Join(got, " ") != want {
		t.Errorf("findings %q, want %q", got, want)
	}
	if v, ok := ix.Const("TDLS_DISCOVERY_REQUEST"); !ok || v != 10 {
		t.Errorf("TDLS_DISCOVERY_REQUEST = %d, %v; want 10", v, ok)
	}
	if _, ok := ix.Const("MODE_FAST"); ok {
		t.Error("MODE_FAST known, though two headers define it differently")
	}
}

// TestIndexDerived: the index keeps the condition under which a shared
// header defines an object-like macro, and a configuration decides a test
// of the macro by it (mm.h's HASHED_PAGE_VIRTUAL, which only
// CONFIG_HIGHMEM defines); two headers disagreeing leave it unknown.
func TestIndexDerived(t *testing.T) {
	tree := writeTree(t, map[string]string{
		"include/linux/mm.h": `#ifndef _LINUX_MM_H
#define _LINUX_MM_H
#if defined(CONFIG_HIGHMEM) && !defined(WANT_PAGE_VIRTUAL)
#define HASHED_PAGE_VIRTUAL
#endif
#ifdef CONFIG_SMP
#define CLASH 1
#endif
#endif
`,
		"include/linux/other.h": `#ifdef CONFIG_NUMA
#define CLASH 2
#endif
#ifdef CONFIG_X
#else
#define IN_ELSE 1
#endif
`,
	})
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if c, ok := ix.Derived("HASHED_PAGE_VIRTUAL"); !ok || c != "(defined(CONFIG_HIGHMEM) && !defined(WANT_PAGE_VIRTUAL))" {
		t.Errorf("HASHED_PAGE_VIRTUAL: %q, %v", c, ok)
	}
	if c, ok := ix.Derived("CLASH"); ok {
		t.Errorf("CLASH: %q, known though two headers define it under different conditions", c)
	}
	if c, ok := ix.Derived("IN_ELSE"); ok {
		t.Errorf("IN_ELSE: %q, known though an #else arm's condition is not kept", c)
	}
	kc, err := kbuild.ParseConfig(strings.NewReader("CONFIG_SMP=y\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	kc = kc.SetDerived(ix.Derived)
	if v, ok := kc.Eval("defined(HASHED_PAGE_VIRTUAL)"); v || !ok {
		t.Errorf("defined(HASHED_PAGE_VIRTUAL) without CONFIG_HIGHMEM: %v, %v; want false, true", v, ok)
	}
}
