// A trylock's result kept in a flag, negated ("contended =
// !raw_spin_trylock_irqsave(lock, flags)" in cgroup rstat): the lock is
// taken again only when the trylock failed, which is no double lock.
struct raw_spinlock;
static DEFINE_RAW_SPINLOCK(stat_lock);
static DEFINE_SPINLOCK(list_lock);

unsigned long stat_lock_irqsave(raw_spinlock_t *cpu_lock)
{
	unsigned long flags;
	bool contended;

	contended = !raw_spin_trylock_irqsave(cpu_lock, flags);
	if (contended) {
		trace_contended(cpu_lock);
		raw_spin_lock_irqsave(cpu_lock, flags);
	}
	return flags;
}

void list_lock_counted(int *waits)
{
	bool contended = !spin_trylock_irq(&list_lock);

	if (contended) {
		(*waits)++;
		spin_lock_irq(&list_lock);
	}
	spin_unlock_irq(&list_lock);
}

/* The flag read the wrong way round: taken again after it succeeded. */
void list_lock_inverted(int *waits)
{
	bool got = !spin_trylock_irq(&list_lock);

	if (!got)
		spin_lock_irq(&list_lock); /* want DOUBLE_LOCK */
	spin_unlock_irq(&list_lock); /* want UNLOCK_NOT_HELD */
}
