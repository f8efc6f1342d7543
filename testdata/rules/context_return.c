// Context tests whose result a callee returns, and paths taken only
// before the scheduler runs. debugobjects refills its pool under a raw
// lock only when can_fill_pool() says so: off PREEMPT_RT, when
// preemptible(), or in early boot; its callers branch on the result.
static DEFINE_RAW_SPINLOCK(pool_lock);
static DEFINE_SPINLOCK(list_lock);
struct kmem_cache *obj_cache;

static void fill_pool(void)
{
	kmem_cache_zalloc(obj_cache, GFP_ATOMIC);
}

static inline bool can_fill_pool(void)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		return true;
	if (pi_blocked_on())
		return false;
	if (preemptible())
		return true;
	return system_state < SYSTEM_SCHEDULING && !in_hardirq();
}

static void fill_pool_checked(void)
{
	if (can_fill_pool())
		fill_pool();
}

void object_init(void)
{
	raw_spin_lock(&pool_lock);
	fill_pool_checked();
	raw_spin_unlock(&pool_lock);
}

/* A returned test that says nothing of the context decides nothing. */
static bool pool_low(void)
{
	return obj_pool_free < 16 && !pi_blocked_on();
}

static void fill_pool_low(void)
{
	if (pool_low())
		fill_pool();
}

void object_init_low(void)
{
	raw_spin_lock(&pool_lock);
	fill_pool_low(); /* want ALLOC_IN_RAW_ATOMIC */
	raw_spin_unlock(&pool_lock);
}

/* The other value of the test: only once the scheduler runs. */
static bool scheduling(void)
{
	return system_state >= SYSTEM_SCHEDULING || in_hardirq();
}

void object_init_late(void)
{
	raw_spin_lock(&pool_lock);
	if (scheduling())
		fill_pool(); /* want ALLOC_IN_RAW_ATOMIC */
	raw_spin_unlock(&pool_lock);
}

void early_setup(void)
{
	spin_lock(&list_lock);
	if (system_state == SYSTEM_BOOTING)
		msleep(1);
	spin_unlock(&list_lock);
}

void late_setup(void)
{
	spin_lock(&list_lock);
	if (system_state != SYSTEM_BOOTING)
		msleep(1); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&list_lock);
}

/* Both values reach the sleep: the boot path hides nothing of the other. */
void any_time_setup(int n)
{
	spin_lock(&list_lock);
	if (system_state == SYSTEM_BOOTING)
		n++;
	msleep(n); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&list_lock);
}

void any_time_setup2(int n)
{
	spin_lock(&list_lock);
	if (system_state != SYSTEM_BOOTING)
		n++;
	msleep(n); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&list_lock);
}
