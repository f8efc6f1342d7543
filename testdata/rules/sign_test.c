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
