// SPDX-License-Identifier: GPL-2.0
/*
 * A hash table with bit-locked buckets, modelled on dm-snapshot's
 * exception tables: lookups run under the bucket's hlist_bl lock.
 */
#include "bar.h"

static struct hlist_bl_head *bar_bucket(struct bar *b, unsigned long key)
{
	return &b->table[key & b->mask];
}

static void bar_count_hit(struct bar *b, struct bar_entry *e)
{
	e->hits++;
}

struct bar_entry *bar_find(struct bar *b, unsigned long key)
{
	struct hlist_bl_head *h = bar_bucket(b, key);
	struct hlist_bl_node *pos;
	struct bar_entry *e, *found = NULL;

	hlist_bl_lock(h);
	hlist_bl_for_each_entry(e, pos, h, node) {
		if (e->key == key) {
			bar_count_hit(b, e);
			found = e;
			break;
		}
	}
	hlist_bl_unlock(h);
	return found;
}

void bar_stats(struct bar *b, unsigned long *lookups)
{
	spin_lock(&b->stats_lock);
	*lookups = b->lookups;
	spin_unlock(&b->stats_lock);
}
