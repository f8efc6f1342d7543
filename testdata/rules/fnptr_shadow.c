// A function-pointer parameter or local named like a global function
// ("sync", as in address-list sync helpers) calls what it points to, not
// the global of that name.
static DEFINE_MUTEX(sync_mutex);

struct dev {
	spinlock_t lock;
	int count;
};

void sync(void)
{
	mutex_lock(&sync_mutex);
	mutex_unlock(&sync_mutex);
}

static int quick_sync(struct dev *d)
{
	d->count++;
	return 0;
}

void dev_sync_list(struct dev *d, int (*sync)(struct dev *))
{
	spin_lock(&d->lock);
	sync(d);
	spin_unlock(&d->lock);
}

void dev_sync_local(struct dev *d)
{
	int (*sync)(struct dev *) = quick_sync;

	spin_lock(&d->lock);
	sync(d);
	spin_unlock(&d->lock);
}

void dev_sync_global(struct dev *d)
{
	spin_lock(&d->lock);
	sync(); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&d->lock);
}
