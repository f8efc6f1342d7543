// Callees that test their calling context: a pool refill guarded by
// "!IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible()" (as debugobjects
// guards its own), and a sleep only with interrupts enabled. A caller
// holding what fails the test does not reach the guarded code; a test
// made before taking the lock decides nothing about it.
static DEFINE_RAW_SPINLOCK(base_lock);
static DEFINE_SPINLOCK(plain_lock);
struct kmem_cache *obj_cache;

static void fill_pool(void)
{
	kmem_cache_zalloc(obj_cache, GFP_ATOMIC);
}

static void fill_pool_checked(void)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible())
		fill_pool();
}

void activate_checked(void)
{
	raw_spin_lock(&base_lock);
	fill_pool_checked();
	raw_spin_unlock(&base_lock);
}

void activate_unchecked(void)
{
	raw_spin_lock(&base_lock);
	fill_pool(); /* want ALLOC_IN_RAW_ATOMIC */
	raw_spin_unlock(&base_lock);
}

void test_then_lock(void)
{
	if (preemptible()) {
		raw_spin_lock(&base_lock);
		fill_pool(); /* want ALLOC_IN_RAW_ATOMIC */
		raw_spin_unlock(&base_lock);
	}
}

static void maybe_sleep(void)
{
	if (!irqs_disabled())
		msleep(1);
}

void irq_off_caller(void)
{
	unsigned long flags;

	local_irq_save(flags);
	maybe_sleep();
	local_irq_restore(flags);
}

/* spin_lock() leaves interrupts enabled: the sleep happens under it. */
void spin_caller(void)
{
	spin_lock(&plain_lock);
	maybe_sleep(); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&plain_lock);
}
