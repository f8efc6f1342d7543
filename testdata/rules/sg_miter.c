// A PIO copy through an sg mapping iterator under the host lock: the
// iterator was started with SG_MITER_ATOMIC, so sg_miter_next() maps with
// kmap_atomic(). Its other mode's kmap() is not taken for a sleep; a real
// sleep beside it still is.
struct sg_mapping_iter {
	void *addr;
	unsigned int length;
	unsigned int __flags;
};

struct host {
	spinlock_t lock;
	struct sg_mapping_iter sg_miter;
	struct mutex cfg;
};

/* As highmem.h has it: a kmap() may sleep. */
static void *kmap(struct page *page)
{
	might_sleep();
	return page_address(page);
}

/* As lib/scatterlist.c has it: the mode decides the mapping. */
bool sg_miter_next(struct sg_mapping_iter *miter)
{
	if (miter->__flags & SG_MITER_ATOMIC)
		miter->addr = kmap_atomic(NULL);
	else
		miter->addr = kmap(NULL);
	return true;
}

void host_read_block(struct host *h)
{
	spin_lock(&h->lock);
	while (sg_miter_next(&h->sg_miter))
		h->sg_miter.length = 0;
	sg_miter_stop(&h->sg_miter);
	spin_unlock(&h->lock);
}

void host_read_block_cfg(struct host *h)
{
	spin_lock(&h->lock);
	sg_miter_next(&h->sg_miter);
	mutex_lock(&h->cfg); /* want SLEEP_IN_ATOMIC */
	mutex_unlock(&h->cfg);
	spin_unlock(&h->lock);
}
