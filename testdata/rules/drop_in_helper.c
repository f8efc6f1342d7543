// A helper that reschedules with the lock its caller holds
// (cond_resched_lock(), cond_resched_rwlock_write()): the lock is dropped
// while it sleeps, as when the caller does it itself. A helper sleeping
// without dropping it is still reported at the call.
struct tree {
	rwlock_t mmu_lock;
	spinlock_t tree_lock;
	int n;
};

static void zap_obsolete(struct tree *t)
{
	int batch;

	for (batch = 0; batch < 100; batch++) {
		if (batch >= 10 && cond_resched_rwlock_write(&t->mmu_lock))
			batch = 0;
	}
}

void zap_all(struct tree *t)
{
	write_lock(&t->mmu_lock);
	zap_obsolete(t);
	write_unlock(&t->mmu_lock);
}

static void unload_tree(struct tree *t)
{
	while (t->n--)
		cond_resched_lock(&t->tree_lock);
}

void remove_all(struct tree *t)
{
	spin_lock(&t->tree_lock);
	unload_tree(t);
	spin_unlock(&t->tree_lock);
}

/* The helper drops tree_lock, but the caller holds mmu_lock too. */
void remove_all_zapping(struct tree *t)
{
	write_lock(&t->mmu_lock);
	spin_lock(&t->tree_lock);
	unload_tree(t); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&t->tree_lock);
	write_unlock(&t->mmu_lock);
}

static void unload_slowly(struct tree *t)
{
	while (t->n--)
		msleep(1);
}

void remove_slowly(struct tree *t)
{
	spin_lock(&t->tree_lock);
	unload_slowly(t); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&t->tree_lock);
}
