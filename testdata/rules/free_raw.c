// Frees in truly atomic contexts: on PREEMPT_RT the allocator takes
// sleeping locks to free as well as to allocate, so a free under a raw
// spinlock or with preemption or interrupts off is invalid; under a
// spinlock_t (which sleeps on RT) it is fine, and kfree_rcu defers it.
struct item {
	struct item *next;
	void *data;
};

struct pool {
	raw_spinlock_t lock;
	spinlock_t slock;
	struct item *free_list;
	struct kmem_cache *cache;
};

static void item_release(struct item *it) /* want summary:"^frees: kfree\\(it->data\\)$" */
{
	kfree(it->data);
	kfree(it);
}

void drain_raw(struct pool *p)
{
	struct item *it;

	raw_spin_lock(&p->lock);
	it = p->free_list;
	p->free_list = NULL;
	kfree(it); /* want ALLOC_IN_RAW_ATOMIC "^kfree\\(it\\) frees memory with raw_spinlock_t struct pool::lock .* held; the allocator takes sleeping locks on PREEMPT_RT$" */
	raw_spin_unlock(&p->lock);
}

void drain_raw_callee(struct pool *p, struct item *it)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&p->lock, flags);
	item_release(it); /* want ALLOC_IN_RAW_ATOMIC "item_release\\(\\)" */
	raw_spin_unlock_irqrestore(&p->lock, flags);
}

void free_preempt_off(struct pool *p, struct item *it)
{
	preempt_disable();
	kmem_cache_free(p->cache, it); /* want ALLOC_IN_RAW_ATOMIC "kmem_cache_free.*frees memory" */
	preempt_enable();
}

void free_pages_irqs_off(unsigned long addr)
{
	unsigned long flags;

	local_irq_save(flags);
	free_pages(addr, 1); /* want ALLOC_IN_RAW_ATOMIC */
	local_irq_restore(flags);
}

/* A spinlock_t sleeps on PREEMPT_RT: freeing under it is fine. */
void free_under_spinlock(struct pool *p, struct item *it)
{
	spin_lock(&p->slock);
	kfree(it);
	spin_unlock(&p->slock);
}

/* The fix upstream makes: unlink under the lock, free after it. */
void drain_then_free(struct pool *p)
{
	struct item *it;

	raw_spin_lock(&p->lock);
	it = p->free_list;
	p->free_list = NULL;
	raw_spin_unlock(&p->lock);
	kfree(it);
}

/* kfree_rcu defers the free past a grace period. */
void free_rcu_raw(struct pool *p, struct item *it)
{
	raw_spin_lock(&p->lock);
	kfree_rcu(it, data);
	raw_spin_unlock(&p->lock);
}
