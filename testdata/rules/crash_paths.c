// Crash paths relax the rules on purpose: bust_spinlocks(0) ends an
// oops with oops_in_progress still raised, so console_unblank() only
// tries the console semaphore; vpanic() turns lockdep off and only tries
// the console's locks. Neither is reported; the same sleep elsewhere is.
static int oops_in_progress;
static DEFINE_SPINLOCK(die_lock);

void console_unblank(void)
{
	if (oops_in_progress) {
		if (down_trylock_console_sem() != 0)
			return;
	} else
		console_lock();
	console_unlock();
}

void bust_spinlocks(int yes)
{
	if (yes) {
		++oops_in_progress;
	} else {
		console_unblank();
		--oops_in_progress;
	}
}

void oops_end(unsigned long flags)
{
	bust_spinlocks(0); /* fine: oops_in_progress is raised */
	raw_local_irq_restore(flags);
}

unsigned long oops_begin(void)
{
	unsigned long flags;

	raw_local_irq_save(flags);
	bust_spinlocks(1);
	return flags;
}

void die(void)
{
	unsigned long flags = oops_begin();

	oops_end(flags);
}

void vpanic(const char *fmt)
{
	spin_lock(&die_lock);
	console_unblank(); /* fine: a panic tries the console's locks */
	spin_unlock(&die_lock);
}

void not_a_crash(void)
{
	spin_lock(&die_lock);
	console_unblank(); /* want SLEEP_IN_ATOMIC "console_lock" */
	spin_unlock(&die_lock);
}
