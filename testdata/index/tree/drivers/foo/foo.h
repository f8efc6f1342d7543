struct foo_dev {
	spinlock_t lock;
	void *buf;
	int n;
};

int foo_resize(struct foo_dev *d, int n);

static inline void foo_lock(struct foo_dev *d)
{
	spin_lock(&d->lock);
}

static inline void foo_unlock(struct foo_dev *d)
{
	spin_unlock(&d->lock);
}
