/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BAR_H
#define BAR_H

struct bar_entry {
	struct hlist_bl_node node;
	unsigned long key;
	unsigned long hits;
};

struct bar {
	struct hlist_bl_head *table;
	unsigned int mask;
	spinlock_t stats_lock;
	unsigned long lookups;
};

#endif
