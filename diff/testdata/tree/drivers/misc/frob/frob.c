// SPDX-License-Identifier: GPL-2.0
/*
 * frob: a toy device that keeps keyed items on a list.
 */
#include <linux/module.h>
#include <linux/slab.h>

#include "frob.h"

static struct frob_dev frob;

int frob_add(struct frob_dev *fd, u32 key, u64 value)
{
	struct frob_item *it;

	it = kzalloc(sizeof(*it), GFP_KERNEL);
	if (!it)
		return -ENOMEM;

	it->key = key;
	it->value = value;

	spin_lock(&fd->lock);
	list_add_tail(&it->node, &fd->items);
	fd->nr_items++;
	spin_unlock(&fd->lock);

	return 0;
}

struct frob_item *frob_find(struct frob_dev *fd, u32 key)
{
	struct frob_item *it;

	spin_lock(&fd->lock);
	list_for_each_entry(it, &fd->items, node) {
		if (it->key == key) {
			spin_unlock(&fd->lock);
			return it;
		}
	}
	spin_unlock(&fd->lock);

	return NULL;
}

static int __init frob_init(void)
{
	spin_lock_init(&frob.lock);
	INIT_LIST_HEAD(&frob.items);
	return 0;
}

static void __exit frob_exit(void)
{
	struct frob_item *it, *tmp;

	list_for_each_entry_safe(it, tmp, &frob.items, node)
		kfree(it);
}

module_init(frob_init);
module_exit(frob_exit);
MODULE_LICENSE("GPL");
