// local_irq_enable() enables interrupts however many times they were
// disabled: irq-off does not nest as a lock does. arm's
// do_work_pending() disables interrupts at the bottom of its loop, also
// on the path that never enabled them (it entered with them off), and
// enables them at the top before the work that sleeps. A lock held
// across the enable is still held.
struct conn {
	spinlock_t lock;
};

unsigned int read_thread_flags(void);

int work_pending(unsigned int flags)
{
	do {
		if (flags & 1) {
			flags++;
		} else {
			local_irq_enable();
			msleep(1);
		}
		local_irq_disable();
		flags = read_thread_flags();
	} while (flags & 7);
	return 0;
}

void enable_under_lock(struct conn *c)
{
	spin_lock(&c->lock);
	local_irq_disable();
	local_irq_disable();
	local_irq_enable();
	msleep(1); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&c->lock);
}
