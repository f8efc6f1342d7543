// SPDX-License-Identifier: GPL-2.0
/*
 * A cache of flows in bit-locked hash buckets, modelled on the
 * hlist_bl tables of dm-snapshot: lookups and inserts run under the
 * bucket's bit spinlock.
 */
#include "quux.h"

static struct hlist_bl_head *quux_bucket(struct quux *q, unsigned long key)
{
	return &q->table[key & q->mask];
}

static void quux_touch(struct quux_flow *f)
{
	f->hits++;
}

struct quux_flow *quux_lookup(struct quux *q, unsigned long key)
{
	struct hlist_bl_head *h = quux_bucket(q, key);
	struct hlist_bl_node *pos;
	struct quux_flow *f, *found = NULL;

	hlist_bl_lock(h);
	hlist_bl_for_each_entry(f, pos, h, node) {
		if (f->key == key) {
			quux_touch(f);
			found = f;
			break;
		}
	}
	hlist_bl_unlock(h);
	return found;
}

void quux_insert(struct quux *q, struct quux_flow *f)
{
	struct hlist_bl_head *h = quux_bucket(q, f->key);

	hlist_bl_lock(h);
	hlist_bl_add_head(&f->node, h);
	hlist_bl_unlock(h);
	atomic_inc(&q->nr_flows);
}
