// Values a path decides without the headers that define them.
struct hh {
	struct mutex reset_mutex;
	int n;
};

/* mutex_lock_interruptible() returns 0 or -EINTR: "== -EINTR" is its
 * failure, and that return holds nothing (hpsa's reset handler). */
int hh_reset(struct hh *h)
{
	if (mutex_lock_interruptible(&h->reset_mutex) == -EINTR)
		return -EINTR;
	h->n++;
	mutex_unlock(&h->reset_mutex);
	return 0;
}

/* The same named constant on both sides is equal, whatever its value:
 * iscsit_wait_for_tag(..., TASK_RUNNING) returns before it schedules. */
static DEFINE_SPINLOCK(tag_lock);

static int wait_for_tag(int state)
{
	if (state == TASK_RUNNING)
		return 1;
	schedule();
	return 0;
}

void tag_running(void)
{
	spin_lock(&tag_lock);
	wait_for_tag(TASK_RUNNING);
	spin_unlock(&tag_lock);
}

void tag_interruptible(void)
{
	spin_lock(&tag_lock);
	wait_for_tag(TASK_INTERRUPTIBLE); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&tag_lock);
}
