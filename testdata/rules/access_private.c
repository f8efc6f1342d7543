// rcu_node's lock is reached through ACCESS_PRIVATE(rnp, lock), which is
// rnp->lock: a walk up the tree that releases the child's lock, under
// either spelling, before it takes the parent's is no double lock, and
// taking the lock under the other spelling while it is held is one.
struct raw_spinlock;
struct rnode { struct raw_spinlock __private lock; struct rnode *parent; unsigned long qsmask; };

#define node_lock(p) raw_spin_lock(&ACCESS_PRIVATE(p, lock))
#define node_unlock(p) raw_spin_unlock(&ACCESS_PRIVATE(p, lock))

static void report_up(struct rnode *rnp, unsigned long mask)
{
	for (;;) {
		if (!(rnp->qsmask & mask)) {
			node_unlock(rnp);
			return;
		}
		rnp->qsmask &= ~mask;
		if (!rnp->parent)
			break;
		raw_spin_unlock(&rnp->lock);
		rnp = rnp->parent;
		node_lock(rnp);
	}
	node_unlock(rnp);
}

void report_leaf(struct rnode *leaf, unsigned long mask)
{
	node_lock(leaf);
	report_up(leaf, mask);
}

void lock_twice(struct rnode *rnp)
{
	raw_spin_lock(&rnp->lock);
	node_lock(rnp); /* want DOUBLE_LOCK */
	node_unlock(rnp);
}
