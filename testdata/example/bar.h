/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BAR_H
#define _BAR_H

struct bar_entry {
	struct hlist_bl_node node;
	u32 key;
};

struct bar {
	spinlock_t stats_lock;
	struct mutex config_lock;
	unsigned long hits;
	int mode;
	bool registered;
};

#endif
