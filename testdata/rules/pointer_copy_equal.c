// A pointer copied from another is equal to it until either changes
// (workqueue's node_activate_pending_pwq(): locked_pool = caller_pool,
// and "if (locked_pool != caller_pool)" before giving the caller's lock
// back): on the path that never switched pools the test is false, so the
// caller's lock is not taken again while held.
struct worker_pool { raw_spinlock_t lock; };
struct pwq { struct worker_pool *pool; };
struct nna { raw_spinlock_t lock; };
struct pwq *first_pending(struct nna *n);

static void activate_pending(struct nna *nna, struct worker_pool *caller_pool)
{
	struct worker_pool *locked_pool = caller_pool;
	struct pwq *pwq;

	lockdep_assert_held(&caller_pool->lock);
	raw_spin_lock(&nna->lock);
	pwq = first_pending(nna);
	if (!pwq)
		goto out_unlock;
	if (pwq->pool != locked_pool) {
		raw_spin_unlock(&locked_pool->lock);
		locked_pool = pwq->pool;
		if (!raw_spin_trylock(&locked_pool->lock)) {
			raw_spin_unlock(&nna->lock);
			raw_spin_lock(&locked_pool->lock);
			raw_spin_lock(&nna->lock);
		}
	}
out_unlock:
	raw_spin_unlock(&nna->lock);
	if (locked_pool != caller_pool) {
		raw_spin_unlock(&locked_pool->lock);
		raw_spin_lock(&caller_pool->lock);
	}
}

/* A switch that forgot to drop the caller's pool: the retake is reported. */
static void activate_bad(struct nna *nna, struct worker_pool *caller_pool)
{
	struct worker_pool *locked_pool = caller_pool;
	struct pwq *pwq = first_pending(nna);

	lockdep_assert_held(&caller_pool->lock);
	if (pwq && pwq->pool != locked_pool)
		locked_pool = pwq->pool;
	if (locked_pool != caller_pool) {
		raw_spin_lock(&caller_pool->lock); /* want DOUBLE_LOCK */
		raw_spin_unlock(&caller_pool->lock);
	}
}
