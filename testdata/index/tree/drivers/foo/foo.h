struct foo_dev;

struct foo_ops {
	void (*reset)(struct foo_dev *d);
	void (*kick)(struct foo_dev *d);
};

struct foo_dev {
	spinlock_t lock;
	void *buf;
	int n;
	const struct foo_ops *ops;
};

int foo_resize(struct foo_dev *d, int n);
void foo_flush(struct foo_dev *d);
int foo_poke(struct foo_dev *d, gfp_t gfp);

static inline void foo_lock(struct foo_dev *d)
{
	spin_lock(&d->lock);
}

static inline void foo_unlock(struct foo_dev *d)
{
	spin_unlock(&d->lock);
}
