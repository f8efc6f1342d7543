// Conditions on arguments reach effects too, RT-aware code is not an RT
// bug, and error codes compare as error codes.
struct es_tree { rwlock_t lock; void *cache; };

static void *es_alloc(bool nofail)
{
	if (!nofail)
		return kmem_cache_alloc(es_cachep, GFP_ATOMIC);
	return kmem_cache_zalloc(es_cachep, GFP_KERNEL | __GFP_NOFAIL);
}

void es_insert(struct es_tree *t)
{
	void *prealloc = es_alloc(true);

	write_lock(&t->lock);
	t->cache = es_alloc(false);
	write_unlock(&t->lock);
}

void es_insert_bad(struct es_tree *t)
{
	write_lock(&t->lock);
	t->cache = es_alloc(true); /* want SLEEP_IN_ATOMIC */
	write_unlock(&t->lock);
}

/* A helper told through a pointer that it dropped the lock. */
struct sem_owner { struct rw_semaphore sem; };

static int restart_fn(struct sem_owner *o, int *dropped)
{
	up_write(&o->sem);
	*dropped = 1;
	return 0;
}

static int ensure_credits(struct sem_owner *o)
{
	int dropped = 0;
	int ret = restart_fn(o, &dropped);

	if (dropped)
		down_write(&o->sem);
	return ret;
}

void finish_range(struct sem_owner *o)
{
	down_write(&o->sem);
	ensure_credits(o);
	up_write(&o->sem);
}

/* An unlock helper with a WARN path whose result callers ignore. */
static DEFINE_RAW_SPINLOCK(graph_lock_raw);

static int graph_unlock(void)
{
	if (debug_locks_off_check())
		return WARN_ON_ONCE(1);
	raw_spin_unlock(&graph_lock_raw);
	return 0;
}

void mark_twice(void)
{
	raw_spin_lock(&graph_lock_raw);
	graph_unlock();
	raw_spin_lock(&graph_lock_raw);
	graph_unlock();
}

/* err is known zero: "err == -EDEADLK" cannot hold. */
struct pair { struct ww_mutex a, b; };

void take_b(struct pair *p, struct ww_acquire_ctx *ctx)
{
	int err = ww_mutex_lock(&p->b, ctx);

	if (err)
		return;
	if (err == -EDEADLK)
		ww_mutex_lock_slow(&p->b, ctx);
	ww_mutex_unlock(&p->b);
}

/* Code written for both kernels: the preempt_disable() is not on RT. */
struct napi { spinlock_t lock; int state; };

void busy_loop(struct napi *n)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		preempt_disable();
	local_bh_disable();
	spin_lock(&n->lock);
	n->state = 1;
	spin_unlock(&n->lock);
	local_bh_enable();
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		preempt_enable();
}

#ifndef CONFIG_PREEMPT_RT
void irq_path_nonrt(struct napi *n)
{
	unsigned long flags;

	local_irq_save(flags);
	spin_lock(&n->lock);
	n->state = 2;
	spin_unlock(&n->lock);
	local_irq_restore(flags);
}
#endif

/* A timer callback writes a plain seqcount_t: its context (softirq) comes
 * from the timer, which this analysis does not see. */
struct estimator { seqcount_t seq; u64 rate; struct timer_list timer; };

static void est_timer(struct timer_list *t)
{
	struct estimator *est = from_timer(est, t, timer);

	write_seqcount_begin(&est->seq);
	est->rate++;
	write_seqcount_end(&est->seq);
}

void est_start(struct estimator *est)
{
	timer_setup(&est->timer, est_timer, 0);
}

/* A condition passed down through a parameter (md-bitmap's create). */
struct bitmap { spinlock_t lock; void **pages; };

static int checkpage(struct bitmap *b, int create)
{
	if (!create)
		return -ENOENT;
	b->pages[0] = kzalloc(PAGE_SIZE, GFP_NOIO);
	return 0;
}

static int get_counter(struct bitmap *b, int create)
{
	return checkpage(b, create);
}

void start_sync(struct bitmap *b)
{
	rcu_read_lock();
	get_counter(b, 0);
	rcu_read_unlock();
}

void start_write(struct bitmap *b)
{
	rcu_read_lock();
	get_counter(b, 1); /* want SLEEP_IN_RCU */
	rcu_read_unlock();
}

/* A trylock-like call whose result nobody tests is an acquire (6.1's
 * pte_offset_map_lock() could not fail). */
struct ptl_s { spinlock_t ptl; };

void walk_61(struct mm_struct *mm, pmd_t *pmd, unsigned long addr)
{
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(mm, pmd, addr, &ptl);

	touch(pte);
	pte_unmap_unlock(pte, ptl);
}

/* Using the result is not testing it. */
void mkold_61(struct mm_struct *mm, pmd_t *pmd, unsigned long addr)
{
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(mm, pmd, addr, &ptl);

	if (!pte_present(*pte))
		goto out;
	touch(pte);
out:
	pte_unmap_unlock(pte, ptl);
}
