// Lock macros a file defines for itself are read in place when their
// body is one expression: what they take and release is seen, so a
// sleep under one is found and a lock taken by macro and released by
// the primitive pairs. A macro whose body is a statement is read as a
// function, when its arguments do nothing where they are written; one
// that two #ifdef arms define two ways is read as a function in each
// arm, and the RT rules see the arm a PREEMPT_RT kernel builds.
struct conn {
	spinlock_t lock;
	struct mutex mtx;
	wait_queue_head_t wq;
	int state;
};

static DEFINE_MUTEX(table_mutex);

#define conn_lock(c)	spin_lock(&(c)->lock)
#define conn_unlock(c)	spin_unlock(&(c)->lock)
#define table_lock()	mutex_lock(&table_mutex)
#define table_unlock()	mutex_unlock(&table_mutex)
#define conn_lock_both(c) \
	spin_lock_irqsave(&(c)->lock, (c)->state)

#define conn_lock_stmt(c)	do { spin_lock(&(c)->lock); (c)->state++; } while (0)
#define conn_unlock_stmt(c)	do { (c)->state--; spin_unlock(&(c)->lock); } while (0)

#ifdef CONFIG_CONN_DEBUG
#define conn_dbg_lock(c)	mutex_lock(&(c)->mtx)
#else
#define conn_dbg_lock(c)	spin_lock(&(c)->lock)
#endif

/* Two arms: the RT rules see the PREEMPT_RT one (migrate_disable()). */
#ifndef CONFIG_PREEMPT_RT
#define conn_get_cpu(v)		get_cpu_ptr(v)
#define conn_put_cpu(v)		put_cpu_ptr(v)
#else
#define conn_get_cpu(v)		({ migrate_disable(); this_cpu_ptr(v); })
#define conn_put_cpu(v)		do { (void)(v); migrate_enable(); } while (0)
#endif

/* The unlock is a statement, the relock an expression: neither is read. */
#define conn_cmd_before(c, cmd)	do { spin_unlock(&(c)->lock); cmd; } while (0)
#define conn_cmd_after(c)	spin_lock(&(c)->lock)
#define conn_wait_cmd(c, cond, cmd) \
	wait_event_cmd((c)->wq, cond, conn_cmd_before(c, cmd), conn_cmd_after(c))

void conn_sleep_locked(struct conn *c)
{
	conn_lock(c);
	msleep(1); /* want SLEEP_IN_ATOMIC */
	conn_unlock(c);
}

/* Taken by the macro, released by the primitive: balanced. */
void conn_mixed(struct conn *c)
{
	conn_lock(c);
	c->state = 1;
	spin_unlock(&c->lock);
	msleep(1);
}

/* Dropped around the allocation. */
void *conn_alloc(struct conn *c)
{
	void *p;

	conn_lock(c);
	conn_unlock(c);
	p = kmalloc(64, GFP_KERNEL);
	conn_lock(c);
	c->state = 2;
	conn_unlock(c);
	return p;
}

/* No argument: a mutex under the spinlock. */
void conn_table(struct conn *c)
{
	conn_lock(c);
	table_lock(); /* want SLEEP_IN_ATOMIC */
	table_unlock();
	conn_unlock(c);
}

/* A continued line. */
void conn_both(struct conn *c)
{
	conn_lock_both(c);
	msleep(1); /* want SLEEP_IN_ATOMIC */
	spin_unlock_irqrestore(&c->lock, c->state);
}

/* Statement macros are read as functions: their lock is held after them. */
void conn_stmt(struct conn *c)
{
	conn_lock_stmt(c);
	msleep(1); /* want SLEEP_IN_ATOMIC "conn_lock_stmt" */
	conn_unlock_stmt(c);
}

/* Two arms, each a lock that is not released: no inconsistency. */
void conn_dbg(struct conn *c)
{
	conn_dbg_lock(c);
	msleep(1);
}

/* A leak through the macro is a leak. */
int conn_try(struct conn *c)
{
	conn_lock(c);
	if (c->state < 0)
		return -EINVAL; /* want LOCK_LEAK */
	conn_unlock(c);
	return 0;
}

void conn_percpu(struct conn *c, struct conn __percpu *pcp)
{
	struct conn *p = conn_get_cpu(pcp);

	spin_lock(&c->lock);
	p->state++;
	spin_unlock(&c->lock);
	conn_put_cpu(pcp);
}

void conn_wait(struct conn *c)
{
	conn_lock(c);
	conn_wait_cmd(c, c->state == 0, c->state++);
	conn_unlock(c);
}
