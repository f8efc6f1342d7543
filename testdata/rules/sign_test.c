// "x < 0" tells x is nonzero (an error code), but "x >= 0" does not tell
// it is zero: a count may be positive. clocksource_verify_choose_cpus()
// returns early for n < 0 and for n == 0, and goes on for the rest, where
// get_random_u32_below() takes sleeping locks on PREEMPT_RT.
static int verify_n;
struct mutex;
static struct mutex m;

static void choose(void)
{
	int n = verify_n;

	if (n < 0)
		return;
	if (n == 0)
		return;
	msleep(1);
}

void verify(void)
{
	preempt_disable();
	choose(); /* want SLEEP_IN_ATOMIC "calls choose.. with preemption disabled" */
	preempt_enable();
}

/* An error code: the lock is held only on the zero path. */
int locked_op(void)
{
	int ret;

	ret = mutex_lock_interruptible(&m);
	if (ret < 0)
		return ret;
	mutex_unlock(&m);
	return 0;
}

int locked_op_ge(void)
{
	int ret = mutex_lock_interruptible(&m);

	if (ret >= 0) {
		mutex_unlock(&m);
		return 0;
	}
	return ret;
}

/*
 * ipc_addid(): returns a negative error with nothing held, or the new
 * index, not negative, with the object locked. Its callers test "< 0"
 * and unlock on the other side; the error return leaks nothing.
 */
struct kern_ipc_perm {
	spinlock_t lock;
	int id;
};

int alloc_idx(struct kern_ipc_perm *new);

static int add_id(struct kern_ipc_perm *new)
{
	int idx;

	spin_lock(&new->lock);
	idx = alloc_idx(new);
	if (idx < 0) {
		spin_unlock(&new->lock);
		return idx;
	}
	new->id = idx;
	return idx;
}

int newque(struct kern_ipc_perm *q)
{
	int retval;

	retval = add_id(q);
	if (retval < 0)
		return retval;
	spin_unlock(&q->lock);
	return q->id;
}

int newque_direct(struct kern_ipc_perm *q)
{
	if (add_id(q) < 0)
		return -1;
	spin_unlock(&q->lock);
	return 0;
}

/* A return between the test and the unlock leaks the lock. */
int newque_leaks(struct kern_ipc_perm *q)
{
	int retval;

	retval = add_id(q);
	if (retval < 0)
		return retval;
	if (q->id > 100)
		return -EINVAL; /* want LOCK_LEAK "" */
	spin_unlock(&q->lock);
	return q->id;
}
