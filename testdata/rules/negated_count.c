// A negated count passed for a signed delta is taken to be negative
// (hugetlb's unlock_or_release_subpool() returning its reservation with
// hugetlb_acct_memory(h, -spool->min_hpages)): the callee's "delta > 0"
// branch, which sleeps, is not this call's. A plain count still is.
struct hstate;

struct subpool {
	spinlock_t lock;
	long min_hpages;
	long used;
};

static DEFINE_SPINLOCK(hugetlb_lock);

static int acct_memory(struct hstate *h, long delta)
{
	int ret = -ENOMEM;

	spin_lock_irq(&hugetlb_lock);
	if (delta > 0) {
		spin_unlock_irq(&hugetlb_lock);
		msleep(1);
		spin_lock_irq(&hugetlb_lock);
		ret = 0;
	} else {
		ret = 0;
	}
	spin_unlock_irq(&hugetlb_lock);
	return ret;
}

static void release_subpool(struct subpool *spool, struct hstate *h)
{
	if (spool->used == 0 && spool->min_hpages != -1)
		acct_memory(h, -spool->min_hpages);
}

/* The subpool's reservation goes back: nothing sleeps. */
void put_pages(struct subpool *spool, struct hstate *h)
{
	spin_lock(&spool->lock);
	release_subpool(spool, h);
	spin_unlock(&spool->lock);
}

/* A reservation taken: the sleeping branch. */
void get_pages(struct subpool *spool, struct hstate *h)
{
	spin_lock(&spool->lock);
	acct_memory(h, spool->min_hpages); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&spool->lock);
}

/* A negated constant is decided by its value, as any constant. */
void get_const(struct subpool *spool, struct hstate *h)
{
	spin_lock(&spool->lock);
	acct_memory(h, -(-4)); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&spool->lock);
}
