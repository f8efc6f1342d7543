// A function that enables preemption it did not disable is a hand-off
// partner (handoff_preempt.c) unless the leaking function calls it
// itself: then it is its own good path's release, and the early return
// that skips it leaks. A helper another function of the file calls with
// preemption off to end it is no partner either (shift_nonneg.c).
static void stat_put(void)
{
	preempt_enable();
}

int stat_update(int *v)
{
	preempt_disable();
	if (*v < 0)
		return -1; /* want LOCK_LEAK */
	(*v)++;
	stat_put();
	return 0;
}
