// Interrupt state saved in a flags variable and restored from it: the
// restore brings back the state of the save, whatever disabled interrupts
// in between, and an unlock_irqrestore restores a local_irq_save's flags.
static DEFINE_SPINLOCK(rlock);
static DEFINE_SPINLOCK(inner);
static DEFINE_MUTEX(rmutex);
static int cond_flag;

/* The unlock restores the flags local_irq_save() saved: interrupts are on
 * again at mutex_lock(). */
void restore_by_unlock(void)
{
	unsigned long flags;

	local_irq_save(flags);
	spin_lock(&rlock); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	cond_flag++;
	spin_unlock_irqrestore(&rlock, flags);
	mutex_lock(&rmutex);
	mutex_unlock(&rmutex);
}

/* A conditional local_irq_disable() between save and restore: the restore
 * ends both. */
int restore_after_disable(void)
{
	unsigned long flags;

	local_irq_save(flags);
	if (cond_flag)
		local_irq_disable();
	local_irq_restore(flags);
	mutex_lock(&rmutex);
	mutex_unlock(&rmutex);
	return 0;
}

/* A lock's own flags, restored inside an outer save: interrupts stay off
 * until the outer restore. */
void inner_restore_keeps_outer(void)
{
	unsigned long flags, f2;

	local_irq_save(flags);
	spin_lock_irqsave(&inner, f2); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	spin_unlock_irqrestore(&inner, f2);
	mutex_lock(&rmutex); /* want SLEEP_IN_ATOMIC */
	mutex_unlock(&rmutex);
	local_irq_restore(flags);
}

/* A helper restores the flags its caller saved (bcachefs's
 * process_finished_items()): the caller's section ends at the call, on
 * this path as on the one that restores itself. */
static void unlock_restore(spinlock_t *l, unsigned long flags)
{
	spin_unlock_irqrestore(l, flags);
}

int restore_in_callee(void)
{
	unsigned long flags;

	local_irq_save(flags);
	spin_lock(&rlock); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	if (cond_flag) {
		unlock_restore(&rlock, flags);
		return 1;
	}
	spin_unlock_irqrestore(&rlock, flags);
	mutex_lock(&rmutex);
	mutex_unlock(&rmutex);
	return 0;
}

/* A helper saves the state in what its caller's pointer points to
 * (perf_lock_task_context(task, &flags)); the caller restores it. */
static void lock_saving(unsigned long *flags)
{
	local_irq_save(*flags);
	spin_lock(&rlock); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
}

void restore_what_callee_saved(void)
{
	unsigned long flags;

	lock_saving(&flags);
	cond_flag++;
	spin_unlock_irqrestore(&rlock, flags);
	mutex_lock(&rmutex);
	mutex_unlock(&rmutex);
}

/* A helper that saves in its own local and returns it (rht_lock()), and
 * one that restores what it is given (rht_unlock()): the section ends at
 * the restore. */
static unsigned long bucket_lock(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}

static void bucket_unlock(unsigned long flags)
{
	local_irq_restore(flags);
}

void bucket_update(void)
{
	unsigned long flags = bucket_lock();

	cond_flag++;
	bucket_unlock(flags);
	mutex_lock(&rmutex);
	mutex_unlock(&rmutex);
}

/* A helper locks with an irqsave into its caller's flags and retries
 * after an irqrestore of them (lock_timer_base() under mod_timer()): the
 * restore ends the helper's own save, not an older section of the
 * caller's. Interrupts stay off from local_irq_disable() to
 * local_irq_enable() (drbd's lock_all_resources()). */
struct tbase { raw_spinlock_t lock; int ok; };
struct tbase *pick_base(void);

static struct tbase *lock_base(unsigned long *flags)
{
	for (;;) {
		struct tbase *base = pick_base();

		raw_spin_lock_irqsave(&base->lock, *flags);
		if (base->ok)
			return base;
		raw_spin_unlock_irqrestore(&base->lock, *flags);
	}
}

static void touch_base(void)
{
	unsigned long flags;
	struct tbase *base = lock_base(&flags);

	base->ok++;
	raw_spin_unlock_irqrestore(&base->lock, flags);
}

void disabled_across_retry(void)
{
	local_irq_disable();
	touch_base();
	spin_lock(&rlock); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	spin_unlock(&rlock);
	local_irq_enable();
}

/* A helper is handed a lock and the flags its caller's irqsave of that
 * lock saved, and unlocks with them: that ends the caller's lock, not
 * the interrupts-off section the caller began before it. */
static DEFINE_SPINLOCK(qlock);

static void unlock_with(spinlock_t *l, unsigned long flags)
{
	spin_unlock_irqrestore(l, flags);
}

void disabled_across_handed_unlock(void)
{
	unsigned long flags;

	local_irq_disable();
	spin_lock_irqsave(&qlock, flags); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	unlock_with(&qlock, flags);
	mutex_lock(&rmutex); /* want SLEEP_IN_ATOMIC */
	mutex_unlock(&rmutex);
	local_irq_enable();
}
