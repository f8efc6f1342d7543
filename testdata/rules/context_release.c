// sparse's __release(x) says x is not held from here on: a handler that
// exits holding its lock on purpose (lkdtm's SPINLOCKUP) says so, and is
// no leak; the same function without it leaks.
static DEFINE_SPINLOCK(lock_me_up);
static int armed;

void spinlockup(void)
{
	spin_lock(&lock_me_up);
	if (armed) {
		spin_unlock(&lock_me_up);
		return;
	}
	armed = 1;
	/* Let sparse know we intended to exit holding the lock. */
	__release(&lock_me_up);
}

void spinlockup_leak(void)
{
	spin_lock(&lock_me_up);
	if (armed) {
		spin_unlock(&lock_me_up);
		return;
	}
	armed = 1;
} /* want LOCK_LEAK */
