// Sleeping calls under spinning contexts, and the idioms that must stay
// quiet: unlock/relock around an allocation, GFP_ATOMIC, a gfp_t
// parameter, conditional locking on a flag, trylock.
struct dev {
	spinlock_t lock;
	struct mutex mlock;
	void *buf;
	int flags;
};

void *dev_alloc(struct dev *d, size_t n, gfp_t gfp) /* want summary:"^sleeps: kmalloc\\(n, gfp\\) if parameter 3 blocks; allocates: kmalloc\\(n, gfp\\) if parameter 3 blocks$" */
{
	return kmalloc(n, gfp);
}

void dev_sleepy(struct dev *d) /* want summary:"^sleeps: msleep\\(10\\)$" */
{
	msleep(10);
}

void direct_sleep(struct dev *d)
{
	spin_lock(&d->lock);
	d->buf = kmalloc(64, GFP_KERNEL); /* want SLEEP_IN_ATOMIC "^kmalloc\\(64, GFP_KERNEL\\) may sleep, but spinlock_t struct dev::lock \\(spin_lock\\(&d->lock\\)\\) is held$" */
	mutex_lock(&d->mlock); /* want SLEEP_IN_ATOMIC */
	mutex_unlock(&d->mlock);
	spin_unlock(&d->lock);
}

void atomic_alloc_ok(struct dev *d)
{
	spin_lock_bh(&d->lock);
	d->buf = kzalloc(64, GFP_ATOMIC | __GFP_NOWARN);
	d->buf = dev_alloc(d, 64, GFP_NOWAIT);
	d->buf = kmalloc(64, GFP_KERNEL & ~__GFP_DIRECT_RECLAIM);
	spin_unlock_bh(&d->lock);
}

void param_gfp(struct dev *d)
{
	spin_lock(&d->lock);
	d->buf = dev_alloc(d, 64, GFP_KERNEL); /* want SLEEP_IN_ATOMIC "param_gfp\\(\\) calls dev_alloc\\(\\) with spinlock_t .* held, and kmalloc\\(n, gfp\\) in dev_alloc\\(\\) may sleep" */
	spin_unlock(&d->lock);
}

void via_callee(struct dev *d)
{
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	dev_sleepy(d); /* want SLEEP_IN_ATOMIC */
	spin_unlock_irqrestore(&d->lock, flags);
}

void unlock_relock(struct dev *d)
{
	void *p;

	spin_lock(&d->lock);
	while (!d->buf) {
		spin_unlock(&d->lock);
		p = kmalloc(64, GFP_KERNEL);
		spin_lock(&d->lock);
		if (!d->buf)
			d->buf = p;
	}
	spin_unlock(&d->lock);
}

void cond_lock(struct dev *d, bool locked)
{
	if (!locked)
		spin_lock(&d->lock);
	d->flags++;
	if (!locked)
		spin_unlock(&d->lock);
	d->buf = kmalloc(64, GFP_KERNEL);
}

void trylock_ok(struct dev *d)
{
	if (!spin_trylock(&d->lock)) {
		msleep(1);
		return;
	}
	d->flags++;
	spin_unlock(&d->lock);
}

void preempt_sleep(struct dev *d)
{
	preempt_disable();
	cond_resched(); /* want SLEEP_IN_ATOMIC */
	preempt_enable();
	local_bh_disable();
	copy_from_user(d->buf, NULL, 4); /* want SLEEP_IN_ATOMIC */
	local_bh_enable();
}

/* copy_from_user() under pagefault_disable() fails instead of sleeping. */
void pagefault_ok(struct dev *d)
{
	pagefault_disable();
	copy_from_user(d->buf, NULL, 4);
	pagefault_enable();
}

/* kmap_atomic() disables page faults too: the copy from user space
 * fails instead of sleeping, whether the page was mapped atomically or
 * not; anything else that sleeps is still wrong under it. */
void copy_from_user_to_page(struct page *page, const void *src, bool allow_fault)
{
	void *kaddr;

	if (allow_fault)
		kaddr = kmap(page);
	else
		kaddr = kmap_atomic(page);
	copy_from_user(kaddr, src, PAGE_SIZE);
	if (allow_fault)
		kunmap(page);
	else
		kunmap_atomic(kaddr);
}

void kmap_atomic_sleep(struct page *page, struct mutex *m)
{
	void *kaddr = kmap_atomic(page);

	mutex_lock(m); /* want SLEEP_IN_ATOMIC */
	mutex_unlock(m);
	kunmap_atomic(kaddr);
}

/* cond_resched_lock() drops the lock it is given while it sleeps. */
void resched_lock_ok(struct dev *d)
{
	spin_lock(&d->lock);
	cond_resched_lock(&d->lock);
	spin_unlock(&d->lock);
}

/* A mutex may be held across a sleep. */
void mutex_ok(struct dev *d)
{
	mutex_lock(&d->mlock);
	msleep(1);
	d->buf = vmalloc(4096);
	mutex_unlock(&d->mlock);
}

/* The caller holds the lock: lockdep_assert_held() says so. */
void asserted(struct dev *d)
{
	lockdep_assert_held(&d->lock);
	d->buf = kmalloc(64, GFP_KERNEL); /* want SLEEP_IN_ATOMIC */
}

/* Both arms of an #ifdef are real code. */
void ifdef_arms(struct dev *d)
{
	spin_lock(&d->lock);
#ifdef CONFIG_DEV_DEBUG
	d->flags = 1;
#else
	msleep(1); /* want SLEEP_IN_ATOMIC */
#endif
	spin_unlock(&d->lock);
}

/* After BUG() nothing runs. */
void after_bug(struct dev *d)
{
	spin_lock(&d->lock);
	if (d->flags < 0) {
		BUG();
		msleep(1);
	}
	spin_unlock(&d->lock);
}

/* Knowledge the tree cannot give: an FPU section is atomic, and the
 * one-argument kfree_rcu waits for a grace period when it cannot queue. */
void fpu_then_sleep(struct dev *d)
{
	kernel_fpu_begin();
	mutex_lock(&d->mlock); /* want SLEEP_IN_ATOMIC "preemption disabled \\(kernel_fpu_begin\\(\\)\\)" */
	mutex_unlock(&d->mlock);
	kernel_fpu_end();
	mutex_lock(&d->mlock);
	mutex_unlock(&d->mlock);
}

void free_rcu_under_lock(struct dev *d, void *p)
{
	spin_lock(&d->lock);
	kfree_rcu_mightsleep(p); /* want SLEEP_IN_ATOMIC */
	work_on_cpu(0, NULL, p); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&d->lock);
}
