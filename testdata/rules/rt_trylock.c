// A trylock of a lock that sleeps on PREEMPT_RT never waits: on RT
// spin_trylock() is rt_spin_trylock(), which gives up rather than block,
// and lockdep's wait-context check (PROVE_RAW_LOCK_NESTING) passes over
// trylocks (kernel/locking/lockdep.c, check_wait_context(): "if
// (!next_inner || next->trylock) return 0"). Taken with interrupts off or
// under a raw spinlock it is not "Invalid wait context"; a plain
// spin_lock() there still is. (vmalloc_dump_obj() under kasan's raw
// report_lock, netpoll's HARD_TX_TRYLOCK with interrupts off.)
struct vq {
	raw_spinlock_t raw;
	spinlock_t busy;
	int n;
};

static int vq_dump(struct vq *q)
{
	if (!spin_trylock(&q->busy))
		return -1;
	q->n++;
	spin_unlock(&q->busy);
	return 0;
}

void report_under_raw(struct vq *q)
{
	raw_spin_lock(&q->raw);
	vq_dump(q); /* a trylock under a raw lock: fine */
	raw_spin_unlock(&q->raw);
}

void send_irqs_off(struct vq *q)
{
	unsigned long flags;

	local_irq_save(flags);
	if (spin_trylock(&q->busy)) { /* fine: it does not wait */
		q->n++;
		spin_unlock(&q->busy);
	}
	local_irq_restore(flags);
}

void lock_irqs_off(struct vq *q)
{
	unsigned long flags;

	local_irq_save(flags);
	spin_lock(&q->busy); /* want RT_SLEEPING_LOCK_IN_ATOMIC "spin_lock\\(&q->busy\\) takes spinlock_t struct vq::busy" */
	q->n++;
	spin_unlock(&q->busy);
	local_irq_restore(flags);
}
