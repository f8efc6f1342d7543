/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FROB_H
#define _FROB_H

#include <linux/spinlock.h>
#include <linux/list.h>

struct frob_dev {
	spinlock_t lock;
	struct list_head items;
	unsigned int nr_items;
};

struct frob_item {
	struct list_head node;
	u32 key;
	u64 value;
};

int frob_add(struct frob_dev *fd, u32 key, u64 value);
struct frob_item *frob_find(struct frob_dev *fd, u32 key);

#endif /* _FROB_H */
