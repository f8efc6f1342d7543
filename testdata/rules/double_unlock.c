// DOUBLE_LOCK and UNLOCK_NOT_HELD.
struct q {
	spinlock_t lock;
	struct mutex m;
	struct q *next;
	int n;
};

static void q_touch(struct q *q)
{
	spin_lock(&q->lock);
	q->n++;
	spin_unlock(&q->lock);
}

void double_direct(struct q *q)
{
	spin_lock(&q->lock);
	spin_lock(&q->lock); /* want DOUBLE_LOCK */
	spin_unlock(&q->lock);
}

void double_callee(struct q *q)
{
	spin_lock(&q->lock);
	q_touch(q); /* want DOUBLE_LOCK */
	spin_unlock(&q->lock);
}

void double_asserted(struct q *q)
{
	lockdep_assert_held(&q->m);
	mutex_lock(&q->m); /* want DOUBLE_LOCK */
	mutex_unlock(&q->m);
}

/* Two instances of one class: not a double lock. */
void two_instances(struct q *a, struct q *b)
{
	spin_lock(&a->lock);
	spin_lock_nested(&b->lock, SINGLE_DEPTH_NESTING);
	spin_unlock(&b->lock);
	spin_unlock(&a->lock);
}

/* Hand-over-hand down a list: the cursor changes between locks. */
void hand_over_hand(struct q *q)
{
	struct q *next;

	spin_lock(&q->lock);
	while (q->next) {
		next = q->next;
		spin_lock_nested(&next->lock, 1);
		spin_unlock(&q->lock);
		q = next;
	}
	spin_unlock(&q->lock);
}

/* rcu_read_lock() nests. */
void rcu_nest(struct q *q)
{
	rcu_read_lock();
	rcu_read_lock();
	q->n++;
	rcu_read_unlock();
	rcu_read_unlock();
}

void unlock_twice(struct q *q)
{
	spin_lock(&q->lock);
	q->n++;
	spin_unlock(&q->lock);
	spin_unlock(&q->lock); /* want UNLOCK_NOT_HELD */
}

void unlock_after_failed_trylock(struct q *q)
{
	if (!mutex_trylock(&q->m)) {
		mutex_unlock(&q->m); /* want UNLOCK_NOT_HELD */
		return;
	}
	mutex_unlock(&q->m);
}

void error_path_double_unlock(struct q *q, int err)
{
	mutex_lock(&q->m);
	if (err) {
		mutex_unlock(&q->m);
		goto out;
	}
	q->n++;
out:
	mutex_unlock(&q->m); /* want UNLOCK_NOT_HELD */
}

/* Unlocking what the caller holds is what unlock helpers do. */
void q_unlock(struct q *q)
{
	spin_unlock(&q->lock);
}

/* Dropping and retaking a lock the caller holds. */
void drop_retake(struct q *q)
{
	spin_unlock(&q->lock);
	q_touch(q->next);
	spin_lock(&q->lock);
}
