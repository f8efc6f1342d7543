// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"lockbot/kb"
	"lockbot/rules"
	"lockbot/source"
)

// notifierTree: xhci-tegra's notifier (E-21 in corpus/). The driver stores
// its callback in a notifier_block and hands the block to a function of
// another file, which registers it on an atomic notifier chain through a
// header's static inline. The callback runs under rcu_read_lock() in
// atomic_notifier_call_chain() and must not sleep. The index's record of
// the other file's function says it registers its third argument; the
// link carries that through the header's record.
var notifierTree = map[string]string{
	"include/linux/usb/phy.h": `struct usb_phy {
	struct atomic_notifier_head notifier;
};

static inline int usb_register_notifier(struct usb_phy *x, struct notifier_block *nb)
{
	return atomic_notifier_chain_register(&x->notifier, nb);
}

struct usb_phy *devm_usb_get_phy_by_node(struct device *dev, struct device_node *node, struct notifier_block *nb);
`,
	"drivers/usb/phy/phy.c": `#include <linux/usb/phy.h>

static struct usb_phy the_phy;

struct usb_phy *devm_usb_get_phy_by_node(struct device *dev, struct device_node *node, struct notifier_block *nb)
{
	if (nb)
		usb_register_notifier(&the_phy, nb);
	return &the_phy;
}
`,
	"drivers/usb/host/hcd.c": `#include <linux/usb/phy.h>

struct hcd {
	struct notifier_block id_nb;
	struct notifier_block other_nb;
	struct device *dev;
	char *name;
};

static int hcd_id_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct hcd *h = container_of(nb, struct hcd, id_nb);

	h->name = kasprintf(GFP_KERNEL, "usb2-%lu", action);
	return 0;
}

static int hcd_other_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct hcd *h = container_of(nb, struct hcd, other_nb);

	h->name = kasprintf(GFP_KERNEL, "usb3-%lu", action);
	return 0;
}

int hcd_init(struct hcd *h, struct device_node *np)
{
	h->id_nb.notifier_call = hcd_id_notify;
	devm_usb_get_phy_by_node(h->dev, np, &h->id_nb);
	/* Not registered anywhere: a plain call may sleep. */
	hcd_other_notify(&h->other_nb, 0, NULL);
	return 0;
}
`,
}

func TestIndexNotifierWrapper(t *testing.T) {
	tree := writeTree(t, notifierTree)
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	if st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	srcs, err := source.LoadPaths([]string{filepath.Join(tree, "drivers/usb/host/hcd.c")}, source.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rules.Analyze(context.Background(), srcs, rules.Options{KB: kb.MustDefault(), Externals: ix})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		var chain []string
		for _, s := range f.Chain {
			chain = append(chain, s.Note)
		}
		got = append(got, f.Function+":"+f.Rule+":"+strings.Join(chain, " | "))
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "hcd_id_notify:SLEEP_IN_ATOMIC:") ||
		!strings.Contains(got[0], "devm_usb_get_phy_by_node() registers hcd_id_notify() with atomic_notifier_chain_register") {
		t.Errorf("findings %q, want hcd_id_notify's kasprintf in atomic notifier context, registered through devm_usb_get_phy_by_node()", got)
	}
}

// TestIndexGetLinkThroughLink: f2fs_get_link() hands its dentry on to
// page_get_link() in fs/namei.c, whose __page_get_link() blocks only for a
// non-NULL dentry;
// the RCU path walk's NULL dentry never gets there. The link keeps that
// condition on the caller's own parameter.
func TestIndexGetLinkThroughLink(t *testing.T) {
	tree := writeTree(t, map[string]string{
		"fs/namei.c": `struct dentry;
struct inode;

void *read_mapping_page(struct inode *inode);

static const char *__page_get_link(struct dentry *dentry, struct inode *inode)
{
	if (!dentry)
		return ERR_PTR(-ECHILD);
	return read_mapping_page(inode);
}

const char *page_get_link(struct dentry *dentry, struct inode *inode)
{
	return __page_get_link(dentry, inode);
}
`,
		"mm/filemap.c": `struct inode;

void *read_mapping_page(struct inode *inode)
{
	might_sleep();
	return inode;
}
`,
		"fs/f2fs/namei.c": `struct dentry;
struct inode;
struct inode_operations {
	const char *(*get_link)(struct dentry *, struct inode *);
};
const char *page_get_link(struct dentry *dentry, struct inode *inode);

static const char *f2fs_get_link(struct dentry *dentry, struct inode *inode)
{
	return page_get_link(dentry, inode);
}

static const char *f2fs_bad_get_link(struct dentry *dentry, struct inode *inode)
{
	might_sleep();
	return page_get_link(dentry, inode);
}

const struct inode_operations f2fs_symlink_ops = {
	.get_link = f2fs_get_link,
};

const struct inode_operations f2fs_bad_symlink_ops = {
	.get_link = f2fs_bad_get_link,
};
`,
	})
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "fs/f2fs/namei.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
	}
	if strings.Join(got, " ") != "f2fs_bad_get_link:SLEEP_IN_RCU" {
		t.Errorf("findings %v, want only f2fs_bad_get_link:SLEEP_IN_RCU", got)
	}
}
