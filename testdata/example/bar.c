// SPDX-License-Identifier: GPL-2.0
/*
 * A small driver with the lock problems lockbot finds: a spinlock_t taken
 * under a bit spinlock through a helper (invalid on PREEMPT_RT), a
 * GFP_KERNEL allocation under a spinlock, an error path that keeps a
 * mutex, and two locks taken in both orders.
 */
#include "bar.h"

static DEFINE_MUTEX(bar_config_lock);

static void bar_count_hit(struct bar *b)
{
	spin_lock(&b->stats_lock);
	b->hits++;
	spin_unlock(&b->stats_lock);
}

struct bar_entry *bar_find(struct bar *b, struct hlist_bl_head *h, u32 key)
{
	struct bar_entry *e;
	struct hlist_bl_node *pos;

	hlist_bl_lock(h);
	hlist_bl_for_each_entry(e, pos, h, node) {
		if (e->key == key) {
			bar_count_hit(b);
			hlist_bl_unlock(h);
			return e;
		}
	}
	hlist_bl_unlock(h);
	return NULL;
}

static struct bar_entry *bar_alloc_entry(gfp_t gfp)
{
	return kzalloc(sizeof(struct bar_entry), gfp);
}

int bar_add(struct bar *b, struct hlist_bl_head *h, u32 key)
{
	struct bar_entry *e;

	spin_lock(&b->stats_lock);
	e = bar_alloc_entry(GFP_KERNEL);
	spin_unlock(&b->stats_lock);
	if (!e)
		return -ENOMEM;
	e->key = key;
	return 0;
}

/* Allocating before taking the lock is fine. */
int bar_add_fixed(struct bar *b, u32 key)
{
	struct bar_entry *e = bar_alloc_entry(GFP_KERNEL);

	if (!e)
		return -ENOMEM;
	spin_lock(&b->stats_lock);
	e->key = key;
	b->hits = 0;
	spin_unlock(&b->stats_lock);
	return 0;
}

int bar_configure(struct bar *b, int mode)
{
	mutex_lock(&b->config_lock);
	if (mode < 0)
		return -EINVAL;
	b->mode = mode;
	mutex_unlock(&b->config_lock);
	return 0;
}

void bar_register(struct bar *b)
{
	mutex_lock(&bar_config_lock);
	mutex_lock(&b->config_lock);
	b->registered = true;
	mutex_unlock(&b->config_lock);
	mutex_unlock(&bar_config_lock);
}

void bar_reset(struct bar *b)
{
	mutex_lock(&b->config_lock);
	mutex_lock(&bar_config_lock);
	b->mode = 0;
	mutex_unlock(&bar_config_lock);
	mutex_unlock(&b->config_lock);
}
