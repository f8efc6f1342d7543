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

/*
 * hrtimer callbacks: stored in the timer's ->function next to
 * hrtimer_init(). A *_HARD mode runs them in hard interrupt context even
 * on PREEMPT_RT, where a spinlock_t is a sleeping lock; other modes run
 * them in softirq context on PREEMPT_RT, where it is not.
 */
struct keys {
	struct hrtimer hard_timer;
	struct hrtimer soft_timer;
	struct hrtimer *ptimer;
	spinlock_t lock;
	struct mutex mlock;
};

static enum hrtimer_restart keys_hard_timer(struct hrtimer *t)
{
	struct keys *k = container_of(t, struct keys, hard_timer);
	unsigned long flags;

	spin_lock_irqsave(&k->lock, flags); /* want RT_SLEEPING_LOCK_IN_ATOMIC "HRTIMER_MODE_REL_HARD" */
	spin_unlock_irqrestore(&k->lock, flags);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart keys_soft_timer(struct hrtimer *t)
{
	struct keys *k = container_of(t, struct keys, soft_timer);
	unsigned long flags;

	spin_lock_irqsave(&k->lock, flags);
	spin_unlock_irqrestore(&k->lock, flags);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart keys_sleepy_timer(struct hrtimer *t)
{
	struct keys *k = container_of(t, struct keys, soft_timer);

	mutex_lock(&k->mlock); /* want SLEEP_IN_ATOMIC "hrtimer_init" */
	mutex_unlock(&k->mlock);
	return HRTIMER_NORESTART;
}

static void keys_setup(struct keys *k)
{
	hrtimer_init(&k->hard_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	k->hard_timer.function = keys_hard_timer;
	hrtimer_init(&k->soft_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	k->soft_timer.function = keys_soft_timer;
	hrtimer_init(k->ptimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	k->ptimer->function = keys_sleepy_timer;
}

/*
 * Ops the core calls under its own locks, as their kernel-doc or the
 * subsystem's documentation says: uart_ops under the port lock,
 * ndo_get_stats64 under rcu_read_lock(), pci_ops under the raw pci_lock.
 * Members called unlocked (uart_ops.startup) may sleep.
 */
struct my_port {
	struct uart_port port;
	spinlock_t cfg_lock;
	raw_spinlock_t raw_cfg_lock;
};

static void my_start_tx(struct uart_port *port)
{
	disable_irq(port->irq); /* want SLEEP_IN_ATOMIC "uart port lock" */
}

static int my_startup(struct uart_port *port)
{
	msleep(10);
	return 0;
}

static const struct uart_ops my_uart_ops = {
	.start_tx = my_start_tx,
	.startup = my_startup,
};

static void my_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *s)
{
	msleep(1); /* want SLEEP_IN_RCU "ndo_get_stats64" */
}

static const struct net_device_ops my_netdev_ops = {
	.ndo_get_stats64 = my_get_stats64,
};

static int my_pci_read(struct pci_bus *bus, unsigned int devfn, int reg, int len, u32 *val)
{
	struct my_port *p = bus->sysdata;
	unsigned long flags;

	spin_lock_irqsave(&p->cfg_lock, flags); /* want RT_SLEEPING_LOCK_IN_ATOMIC "pci_lock" */
	*val = 0;
	spin_unlock_irqrestore(&p->cfg_lock, flags);
	return 0;
}

static int my_pci_write(struct pci_bus *bus, unsigned int devfn, int reg, int len, u32 val)
{
	struct my_port *p = bus->sysdata;
	unsigned long flags;

	raw_spin_lock_irqsave(&p->raw_cfg_lock, flags);
	raw_spin_unlock_irqrestore(&p->raw_cfg_lock, flags);
	return 0;
}

static struct pci_ops my_pci_ops = {
	.read = my_pci_read,
	.write = my_pci_write,
};
