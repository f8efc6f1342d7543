// Raw contexts hidden in primitives: get_cpu_ptr() disables preemption,
// preempt_disable() sections, raw spinlocks in a caller, guard(), and
// rcu_read_lock_sched().
struct stats {
	spinlock_t lock;
	raw_spinlock_t raw;
	local_lock_t llock;
	rwlock_t rw;
	unsigned long hits;
};

static DEFINE_PER_CPU(struct stats, pcpu_stats);

void count_hit(struct stats *st)
{
	spin_lock(&st->lock);
	st->hits++;
	spin_unlock(&st->lock);
}

void hit_percpu(void)
{
	struct stats *st = get_cpu_ptr(&pcpu_stats);

	count_hit(st); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	put_cpu_ptr(&pcpu_stats);
}

void hit_preempt(struct stats *st)
{
	preempt_disable();
	read_lock(&st->rw); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	read_unlock(&st->rw);
	preempt_enable();
}

void hit_guard(struct stats *st)
{
	guard(raw_spinlock_irqsave)(&st->raw);
	local_lock(&st->llock); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	st->hits++;
	local_unlock(&st->llock);
}

/* The guard's scope ended: the raw lock is no longer held. */
void hit_guard_scope(struct stats *st)
{
	{
		guard(raw_spinlock)(&st->raw);
		st->hits++;
	}
	count_hit(st);
}

void hit_scoped_guard(struct stats *st)
{
	scoped_guard(raw_spinlock, &st->raw) {
		st->hits++;
	}
	count_hit(st);
	scoped_guard(raw_spinlock, &st->raw)
		count_hit(st); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
}

void hit_sched(struct stats *st)
{
	rcu_read_lock_sched();
	count_hit(st); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	rcu_read_unlock_sched();
}

/* spinlock_t nests in spinlock_t and in rcu_read_lock() on RT: fine. */
void hit_nested_ok(struct stats *a, struct stats *b)
{
	rcu_read_lock();
	spin_lock(&a->lock);
	count_hit(b);
	spin_unlock(&a->lock);
	rcu_read_unlock();
}

/* raw inside spinlock_t is the legal order. */
struct pair {
	spinlock_t lock;
	raw_spinlock_t raw;
	int n;
};

void raw_inside(struct pair *p)
{
	spin_lock(&p->lock);
	raw_spin_lock(&p->raw);
	p->n++;
	raw_spin_unlock(&p->raw);
	spin_unlock(&p->lock);
}
