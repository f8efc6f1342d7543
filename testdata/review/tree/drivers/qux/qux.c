// SPDX-License-Identifier: GPL-2.0
/* A queue whose insert path leaks its lock on one error return. */

struct qux_queue {
	spinlock_t lock;
	unsigned int len, max;
	struct list_head items;
};

struct qux_item {
	struct list_head node;
	int prio;
};

int qux_insert(struct qux_queue *q, struct qux_item *it)
{
	spin_lock(&q->lock);
	if (it->prio < 0)
		return -EINVAL;
	if (q->len >= q->max) {
		spin_unlock(&q->lock);
		return -ENOSPC;
	}
	/* queue it */
	list_add_tail(&it->node, &q->items);
	q->len++;
	spin_unlock(&q->lock);
	return 0;
}

unsigned int qux_len(struct qux_queue *q)
{
	unsigned int n;

	spin_lock(&q->lock);
	n = q->len;
	spin_unlock(&q->lock);
	return n;
}
