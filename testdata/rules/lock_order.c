// AB-BA between two lock classes, one order through a callee.
struct dev {
	struct mutex cfg_lock;
	spinlock_t irq_lock;
	int state;
};

static DEFINE_MUTEX(registry_lock);

static void dev_register(struct dev *d)
{
	mutex_lock(&registry_lock);
	d->state = 1;
	mutex_unlock(&registry_lock);
}

void dev_configure(struct dev *d)
{
	mutex_lock(&d->cfg_lock);
	dev_register(d);
	mutex_unlock(&d->cfg_lock);
}

void registry_walk(struct dev *d)
{
	mutex_lock(&registry_lock);
	mutex_lock(&d->cfg_lock); /* want LOCK_ORDER_INVERSION */
	d->state = 2;
	mutex_unlock(&d->cfg_lock);
	mutex_unlock(&registry_lock);
}

/* The same order everywhere is fine. */
void irq_path(struct dev *d)
{
	mutex_lock(&d->cfg_lock);
	spin_lock_irq(&d->irq_lock);
	d->state = 3;
	spin_unlock_irq(&d->irq_lock);
	mutex_unlock(&d->cfg_lock);
}

/* A trylock in the other order cannot deadlock. */
void try_other_order(struct dev *d)
{
	spin_lock_irq(&d->irq_lock);
	if (mutex_trylock(&d->cfg_lock)) {
		d->state = 4;
		mutex_unlock(&d->cfg_lock);
	}
	spin_unlock_irq(&d->irq_lock);
}

/* Locks of an array taken in one loop and released in another: the
 * analysis loses which ones are held, and does not guess an order. */
struct node { struct mutex write_lock; };
static DEFINE_MUTEX(bucket_lock);

void coalesce(struct node **nodes, int n)
{
	int i;

	for (i = 0; i < n; i++)
		mutex_lock(&nodes[i]->write_lock);
	for (i = 0; i < n; i++)
		mutex_unlock(&nodes[i]->write_lock);
	mutex_lock(&bucket_lock);
	mutex_unlock(&bucket_lock);
}

void reap(struct node *b)
{
	mutex_lock(&bucket_lock);
	mutex_lock(&b->write_lock);
	mutex_unlock(&b->write_lock);
	mutex_unlock(&bucket_lock);
}

/*
 * downgrade_write() keeps the lock it converts: it is no acquisition, so
 * it orders nothing (xfs_ilock_demote() under a lock fuse takes after).
 */
struct dg { struct rw_semaphore sem; struct mutex m; };

void dg_demote(struct dg *d)
{
	down_write(&d->sem);
	mutex_lock(&d->m);
	downgrade_write(&d->sem);
	mutex_unlock(&d->m);
	up_read(&d->sem);
}

void dg_order(struct dg *d)
{
	down_write(&d->sem);
	mutex_lock(&d->m);
	mutex_unlock(&d->m);
	up_write(&d->sem);
}

/*
 * A device's mutex is a class lockdep does not validate
 * (lockdep_set_novalidate_class in device_initialize()): parents and
 * children, bus and host devices nest in every order by design.
 */
struct device { struct mutex mutex; };
struct pdev { struct device dev; struct mutex rescan; };

void pdev_sriov_store(struct pdev *p)
{
	mutex_lock(&p->dev.mutex);
	mutex_lock(&p->rescan);
	mutex_unlock(&p->rescan);
	mutex_unlock(&p->dev.mutex);
}

void pdev_rescan(struct pdev *p, struct device *child)
{
	mutex_lock(&p->rescan);
	mutex_lock(&child->mutex);
	mutex_unlock(&child->mutex);
	mutex_unlock(&p->rescan);
}
