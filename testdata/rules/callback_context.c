// Callbacks run in the context the kernel calls them in: a timer, a
// tasklet or an RCU callback in softirq context, an interrupt handler
// with interrupts off, an irq_chip callback under the raw irq_desc lock.
// A sleep there is a bug on every kernel; a spinlock_t under the raw
// irq_desc lock is one on PREEMPT_RT. A threaded handler may sleep, and
// irq_bus_lock exists so that slow buses may.
struct foo {
	struct timer_list timer;
	struct tasklet_struct tasklet;
	struct rcu_head rcu;
	struct mutex mlock;
	spinlock_t slock;
	raw_spinlock_t rlock;
	struct work_struct work;
	void *table;
};

static void foo_timeout(struct timer_list *t)
{
	struct foo *f = from_timer(f, t, timer);

	mutex_lock(&f->mlock); /* want SLEEP_IN_ATOMIC "foo_timeout\\(\\)|may sleep" */
	mutex_unlock(&f->mlock);
}

static void foo_tasklet(struct tasklet_struct *t)
{
	msleep(1); /* want SLEEP_IN_ATOMIC */
}

static void foo_free_table(struct foo *f)
{
	kvfree(f->table);
}

/* vfree() in interrupt context hands the work to a worker: no sleep. */
static void foo_free_rcu(struct rcu_head *head)
{
	struct foo *f = container_of(head, struct foo, rcu);

	foo_free_table(f);
	kfree(f);
}

/* Under a spinlock in process context it may sleep. */
void foo_drop_table(struct foo *f)
{
	spin_lock(&f->slock);
	foo_free_table(f); /* want SLEEP_IN_ATOMIC "kvfree" */
	spin_unlock(&f->slock);
}

static irqreturn_t foo_irq(int irq, void *data)
{
	struct foo *f = data;

	spin_lock(&f->slock);
	schedule_work(&f->work);
	spin_unlock(&f->slock);
	usleep_range(10, 20); /* want SLEEP_IN_ATOMIC */
	return IRQ_HANDLED;
}

static irqreturn_t foo_thread(int irq, void *data)
{
	struct foo *f = data;

	mutex_lock(&f->mlock);
	mutex_unlock(&f->mlock);
	return IRQ_HANDLED;
}

static irqreturn_t foo_quick(int irq, void *data)
{
	return IRQ_WAKE_THREAD;
}

static void foo_mask(struct irq_data *d)
{
	struct foo *f = irq_data_get_irq_chip_data(d);
	unsigned long flags;

	spin_lock_irqsave(&f->slock, flags); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	spin_unlock_irqrestore(&f->slock, flags);
}

static void foo_unmask(struct irq_data *d)
{
	struct foo *f = irq_data_get_irq_chip_data(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&f->rlock, flags);
	raw_spin_unlock_irqrestore(&f->rlock, flags);
}

static void foo_bus_lock(struct irq_data *d)
{
	struct foo *f = irq_data_get_irq_chip_data(d);

	mutex_lock(&f->mlock);
}

static void foo_bus_sync_unlock(struct irq_data *d)
{
	struct foo *f = irq_data_get_irq_chip_data(d);

	mutex_unlock(&f->mlock);
}

static struct irq_chip foo_chip = {
	.name = "foo",
	.irq_mask = foo_mask,
	.irq_unmask = foo_unmask,
	.irq_bus_lock = foo_bus_lock,
	.irq_bus_sync_unlock = foo_bus_sync_unlock,
};

int foo_probe(struct foo *f, int irq, int irq2)
{
	int ret;

	timer_setup(&f->timer, foo_timeout, 0);
	tasklet_setup(&f->tasklet, foo_tasklet);
	ret = request_irq(irq, foo_irq, 0, "foo", f);
	if (ret)
		return ret;
	ret = request_threaded_irq(irq2, foo_quick, foo_thread, IRQF_ONESHOT, "foo", f);
	if (ret)
		return ret;
	call_rcu(&f->rcu, foo_free_rcu);
	return 0;
}
