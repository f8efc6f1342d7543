// Function-like macros are read as functions: what a macro's body does
// is what a call of it does. A polling macro sleeps only when its sleep
// argument is not 0 (iopoll.h's read_poll_timeout() and its local copy
// in __sleep_us); a macro handed code to run (an unlock and a relock
// around its sleep) is not read, since where it runs them is its body's
// business.
struct dev {
	spinlock_t lock;
	struct mutex mtx;
	int ready;
};

#define dev_poll_timeout(op, val, cond, sleep_us, args...) \
({ \
	unsigned long __sleep_us = (sleep_us); \
	for (;;) { \
		(val) = op(args); \
		if (cond) \
			break; \
		if (__sleep_us) \
			usleep_range(__sleep_us, __sleep_us * 2); \
	} \
	0; \
})
#define dev_readl_poll(addr, val, cond, us) dev_poll_timeout(readl, val, cond, us, addr)

#define dev_settle(d) \
	do { \
		if ((d)->ready) \
			msleep(10); \
	} while (0)

#define dev_wait(cond, unlock, relock) \
	do { \
		while (!(cond)) { \
			unlock; \
			msleep(1); \
			relock; \
		} \
	} while (0)

void dev_poll_locked(struct dev *d, void *addr)
{
	u32 v;

	spin_lock(&d->lock);
	dev_readl_poll(addr, v, v & 1, 10); /* want SLEEP_IN_ATOMIC "dev_poll_timeout" */
	spin_unlock(&d->lock);
}

void dev_spin_locked(struct dev *d, void *addr)
{
	u32 v;

	spin_lock(&d->lock);
	dev_readl_poll(addr, v, v & 1, 0);
	spin_unlock(&d->lock);
}

void dev_settle_locked(struct dev *d)
{
	spin_lock(&d->lock);
	dev_settle(d); /* want SLEEP_IN_ATOMIC "msleep\\(10\\)" */
	spin_unlock(&d->lock);
}

void dev_wait_locked(struct dev *d)
{
	spin_lock(&d->lock);
	dev_wait(d->ready, spin_unlock(&d->lock), spin_lock(&d->lock));
	spin_unlock(&d->lock);
}
