// A flag word passed as a conditional expression whose two arms agree on
// the callee's test decides it: pm_suspend_timer_fn() passes
// "autosuspends ? (RPM_ASYNC | RPM_AUTO) : RPM_ASYNC", and rpm_suspend()
// waits (schedule()) only without RPM_ASYNC. Arms that disagree leave the
// test open.
#define RPM_ASYNC 0x01
#define RPM_NOWAIT 0x02
#define RPM_AUTO 0x08

struct dev {
	spinlock_t lock;
	int autosuspends;
	int state;
};

static int rpm_suspend(struct dev *d, int rpmflags)
{
	if (rpmflags & (RPM_ASYNC | RPM_NOWAIT))
		return -EINPROGRESS;
	schedule();
	return 0;
}

void suspend_timer_fn(struct dev *d)
{
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	rpm_suspend(d, d->autosuspends ? (RPM_ASYNC | RPM_AUTO) : RPM_ASYNC);
	spin_unlock_irqrestore(&d->lock, flags);
}

void suspend_maybe_sync(struct dev *d)
{
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	rpm_suspend(d, d->autosuspends ? RPM_AUTO : RPM_ASYNC); /* want SLEEP_IN_ATOMIC */
	spin_unlock_irqrestore(&d->lock, flags);
}
