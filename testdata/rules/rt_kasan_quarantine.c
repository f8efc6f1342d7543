// The kasan quarantine case (seed 004): local_irq_save() then a
// spinlock_t. Equivalent to spin_lock_irqsave() on a normal kernel, broken
// on PREEMPT_RT where spinlock_t sleeps.
static DEFINE_SPINLOCK(quarantine_lock);
static DEFINE_RAW_SPINLOCK(quarantine_raw_lock);

struct qlist_head { struct qlist_node *head; size_t bytes; };

void quarantine_put(struct qlist_head *q, struct qlist_node *node)
{
	unsigned long flags;
	struct qlist_head temp;

	local_irq_save(flags);
	q->bytes += 8;
	if (q->bytes > 1024) {
		temp = *q;
		spin_lock(&quarantine_lock); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
		qlist_move_all(&temp, &global_quarantine);
		spin_unlock(&quarantine_lock);
	}
	local_irq_restore(flags);
}

/* The fix that was merged: a raw spinlock inside irqs-off is fine. */
void quarantine_put_raw(struct qlist_head *q)
{
	unsigned long flags;

	local_irq_save(flags);
	raw_spin_lock(&quarantine_raw_lock);
	q->bytes = 0;
	raw_spin_unlock(&quarantine_raw_lock);
	local_irq_restore(flags);
}

/* spin_lock_irqsave() is the RT-safe spelling of the same thing. */
void quarantine_put_irqsave(struct qlist_head *q)
{
	unsigned long flags;

	spin_lock_irqsave(&quarantine_lock, flags);
	q->bytes = 0;
	spin_unlock_irqrestore(&quarantine_lock, flags);
}

/* Taking spinlock_t after local_irq_restore() is fine too. */
void quarantine_after(struct qlist_head *q)
{
	unsigned long flags;

	local_irq_save(flags);
	q->bytes = 0;
	local_irq_restore(flags);
	spin_lock(&quarantine_lock);
	q->bytes = 1;
	spin_unlock(&quarantine_lock);
}
