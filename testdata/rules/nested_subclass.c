// lockdep's class of a *_nested() acquisition includes its subclass, and a
// subclass is often a named constant (ntfs3's BITMAP_MUTEX_CLUSTERS = 0,
// BITMAP_MUTEX_MFT = 1). Two bitmaps of one struct type taken with
// different subclasses are two classes: run_lock -> clusters bitmap and
// mft bitmap -> run_lock is no cycle. The same subclass on both sides is.
enum bitmap_mutex_classes {
	BM_CLUSTERS = 0,
	BM_MFT = 1,
};

struct bitmap {
	struct rw_semaphore rw_lock;
	int bits;
};

struct vol {
	struct bitmap mft_bitmap;
	struct bitmap used_bitmap;
	struct rw_semaphore run_lock;
	struct mutex cfg_lock;
	struct mutex stat_lock;
	int n;
};

/* A macro and a function wrapper pass their caller's subclass down. */
#define bm_lock(b, sub) down_write_nested(&(b)->rw_lock, sub)

static void bm_lock_fn(struct bitmap *b, int sub)
{
	down_write_nested(&b->rw_lock, sub);
}

void alloc_clusters(struct vol *v)
{
	down_write(&v->run_lock);
	down_write_nested(&v->used_bitmap.rw_lock, BM_CLUSTERS);
	v->n++;
	up_write(&v->used_bitmap.rw_lock);
	up_write(&v->run_lock);
}

void extend_mft(struct vol *v)
{
	down_write_nested(&v->mft_bitmap.rw_lock, BM_MFT);
	down_write(&v->run_lock); /* no AB-BA: the bitmap above is BM_MFT */
	v->n--;
	up_write(&v->run_lock);
	up_write(&v->mft_bitmap.rw_lock);
}

void extend_mft_macro(struct vol *v)
{
	bm_lock(&v->mft_bitmap, BM_MFT);
	down_write(&v->run_lock); /* no AB-BA: the macro's subclass is BM_MFT */
	v->n--;
	up_write(&v->run_lock);
	up_write(&v->mft_bitmap.rw_lock);
}

void extend_mft_fn(struct vol *v)
{
	bm_lock_fn(&v->mft_bitmap, BM_MFT);
	down_write(&v->run_lock); /* no AB-BA: the wrapper's subclass is BM_MFT */
	v->n--;
	up_write(&v->run_lock);
	up_write(&v->mft_bitmap.rw_lock);
}

void mark_free(struct vol *v)
{
	bm_lock(&v->used_bitmap, BM_CLUSTERS);
	mutex_lock(&v->cfg_lock);
	v->n = 0;
	mutex_unlock(&v->cfg_lock);
	up_write(&v->used_bitmap.rw_lock);
}

void set_cfg(struct vol *v)
{
	mutex_lock(&v->cfg_lock);
	down_write_nested(&v->used_bitmap.rw_lock, BM_CLUSTERS); /* want LOCK_ORDER_INVERSION "but mark_free\\(\\)" */
	v->n = 1;
	up_write(&v->used_bitmap.rw_lock);
	mutex_unlock(&v->cfg_lock);
}

void mark_free_fn(struct vol *v)
{
	bm_lock_fn(&v->used_bitmap, BM_CLUSTERS);
	mutex_lock(&v->stat_lock);
	v->n = 0;
	mutex_unlock(&v->stat_lock);
	up_write(&v->used_bitmap.rw_lock);
}

void set_stat(struct vol *v)
{
	mutex_lock(&v->stat_lock);
	down_write(&v->used_bitmap.rw_lock); /* want LOCK_ORDER_INVERSION "but mark_free_fn\\(\\)" */
	v->n = 1;
	up_write(&v->used_bitmap.rw_lock);
	mutex_unlock(&v->stat_lock);
}
