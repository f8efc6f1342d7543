// An SRCU domain is one srcu_struct: waiting for the readers of another
// instance of the same struct member inside a read section is no
// self-deadlock (dm-thin's pool presuspend suspending its thin devices,
// each a mapped_device of its own, inside the pool device's live-table
// read section). The same instance, through a callee, still is.
struct mapped_device {
	struct srcu_struct io_barrier;
	struct mapped_device *thin;
};

struct thin_list {
	struct mapped_device *first;
};

static void md_suspend(struct mapped_device *md)
{
	synchronize_srcu(&md->io_barrier);
}

struct thin_list *pool_thins(struct mapped_device *md);

/* The thin devices, found through a local: not md. */
static void pool_presuspend(struct mapped_device *md)
{
	struct thin_list *l = pool_thins(md);
	struct mapped_device *t;

	for (t = l->first; t; t = t->thin)
		md_suspend(t);
}

void md_destroy(struct mapped_device *md)
{
	int idx = srcu_read_lock(&md->io_barrier);

	pool_presuspend(md);
	srcu_read_unlock(&md->io_barrier, idx);
}

/* Another device, named: not this read section either. */
void md_suspend_other(struct mapped_device *md, struct mapped_device *other)
{
	int idx = srcu_read_lock(&md->io_barrier);

	md_suspend(other);
	srcu_read_unlock(&md->io_barrier, idx);
}

/* The device itself, two calls down. */
static void md_suspend_self(struct mapped_device *md)
{
	md_suspend(md);
}

void md_destroy_self(struct mapped_device *md)
{
	int idx = srcu_read_lock(&md->io_barrier);

	md_suspend_self(md); /* want WAIT_UNDER_LOCK */
	srcu_read_unlock(&md->io_barrier, idx);
}
