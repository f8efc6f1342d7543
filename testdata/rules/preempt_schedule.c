// schedule_preempt_disabled(): called with preemption disabled, it
// enables it around schedule() and disables it again. Its callers are not
// sleeping with preemption off.
void sched_wait_disabled(void)
{
	sched_preempt_enable_no_resched();
	schedule();
	preempt_disable();
}

int slowpath(struct mutex_like *m)
{
	preempt_disable();
	while (!try_acquire(m))
		sched_wait_disabled();
	preempt_enable();
	return 0;
}

/* Sleeping with preemption off is still found. */
int slowpath_bad(struct mutex_like *m)
{
	preempt_disable();
	while (!try_acquire(m))
		schedule(); /* want SLEEP_IN_ATOMIC */
	preempt_enable();
	return 0;
}
