/* SPDX-License-Identifier: GPL-2.0 */
#ifndef QUUX_H
#define QUUX_H

struct quux_flow {
	struct hlist_bl_node node;
	unsigned long key;
	unsigned long hits;
};

struct quux {
	struct hlist_bl_head *table;
	unsigned int mask;
	atomic_t nr_flows;
};

#endif
