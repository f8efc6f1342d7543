// SPDX-License-Identifier: GPL-2.0
/* Built only without PREEMPT_RT (see drivers/Kconfig). */

struct legacy_timer {
	spinlock_t lock;
	unsigned long ticks;
};

void legacy_tick(struct legacy_timer *t)
{
	unsigned long flags;

	local_irq_save(flags);
	t->ticks++;
	local_irq_restore(flags);
}
