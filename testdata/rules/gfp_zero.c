// A gfp mask of 0 has no __GFP_DIRECT_RECLAIM: a callee that drops its
// lock and allocates only when gfpflags_allow_blocking(gfp) does neither
// (huge_memory.c's __xa_store(..., 0) under the lru lock).
static DEFINE_SPINLOCK(sl);
static DEFINE_MUTEX(mx);

static void store_nomem(gfp_t gfp)
{
	if (gfpflags_allow_blocking(gfp)) {
		mutex_lock(&mx);
		mutex_unlock(&mx);
	}
}

void store_no_flags(void)
{
	spin_lock(&sl);
	store_nomem(0);
	spin_unlock(&sl);
}

void store_kernel(void)
{
	spin_lock(&sl);
	store_nomem(GFP_KERNEL); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&sl);
}
