// Waiting for work that needs a lock the waiter holds (seed 003 in
// miniature: the worker blocks on the lock the flusher holds).
struct snap {
	struct rw_semaphore lock;
	struct mutex io_lock;
	struct work_struct work;
	struct delayed_work dwork;
	struct workqueue_struct *wq;
	struct timer_list timer;
	struct srcu_struct srcu;
	int pending;
};

static void snap_work(struct work_struct *w)
{
	struct snap *s = container_of(w, struct snap, work);

	down_read(&s->lock);
	s->pending = 0;
	up_read(&s->lock);
}

static void snap_dwork(struct work_struct *w)
{
	struct snap *s = container_of(to_delayed_work(w), struct snap, dwork);

	mutex_lock(&s->io_lock);
	s->pending = 0;
	mutex_unlock(&s->io_lock);
}

static void snap_timer(struct timer_list *t)
{
	struct snap *s = from_timer(s, t, timer);

	spin_lock(&s->tlock);
	s->pending = 0;
	spin_unlock(&s->tlock);
}

void snap_init(struct snap *s)
{
	INIT_WORK(&s->work, snap_work);
	INIT_DELAYED_WORK(&s->dwork, snap_dwork);
	timer_setup(&s->timer, snap_timer, 0);
}

void snap_kick(struct snap *s)
{
	queue_work(s->wq, &s->work);
}

void snap_suspend(struct snap *s)
{
	down_write(&s->lock);
	flush_work(&s->work); /* want WAIT_UNDER_LOCK */
	up_write(&s->lock);
}

void snap_resume(struct snap *s)
{
	down_write(&s->lock);
	flush_workqueue(s->wq); /* want WAIT_UNDER_LOCK */
	up_write(&s->lock);
}

void snap_stop(struct snap *s)
{
	mutex_lock(&s->io_lock);
	cancel_delayed_work_sync(&s->dwork); /* want WAIT_UNDER_LOCK */
	mutex_unlock(&s->io_lock);
}

/* Waiting before taking the lock is the fix. */
void snap_suspend_ok(struct snap *s)
{
	flush_work(&s->work);
	down_write(&s->lock);
	s->pending = 0;
	up_write(&s->lock);
}

/* The work does not take io_lock: no deadlock. */
void snap_flush_other(struct snap *s)
{
	mutex_lock(&s->io_lock);
	flush_work(&s->work);
	mutex_unlock(&s->io_lock);
}

void rcu_self(struct snap *s)
{
	rcu_read_lock();
	synchronize_rcu(); /* want WAIT_UNDER_LOCK */
	rcu_read_unlock();
}

void srcu_self(struct snap *s)
{
	int idx = srcu_read_lock(&s->srcu);

	synchronize_srcu(&s->srcu); /* want WAIT_UNDER_LOCK */
	srcu_read_unlock(&s->srcu, idx);
}
