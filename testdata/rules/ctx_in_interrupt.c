// in_interrupt() is true wherever bottom halves are disabled (the
// softirq count of preempt_count is raised; on PREEMPT_RT the task's
// softirq_disable_cnt), in a softirq and in a hard interrupt: a callee
// that defers its sleeping work "if (in_interrupt())" does not sleep
// under spin_lock_bh() (btrfs's zstd workspace freed with kvfree()
// under spin_lock_bh()), and does under a plain spinlock.
struct pool {
	spinlock_t lock;
	void *buf;
};

void defer_free(void *p);

static void pool_free(void *p)
{
	if (in_interrupt()) {
		defer_free(p);
		return;
	}
	might_sleep();
	kfree(p);
}

void pool_drain_bh(struct pool *pl)
{
	spin_lock_bh(&pl->lock);
	pool_free(pl->buf);
	spin_unlock_bh(&pl->lock);
}

void pool_drain(struct pool *pl)
{
	spin_lock(&pl->lock);
	pool_free(pl->buf); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&pl->lock);
}
