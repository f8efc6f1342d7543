// The dm REQ_NOWAIT case (seed 002): the table is looked up under
// rcu_read_lock() for REQ_NOWAIT bios and under SRCU otherwise, and a
// GFP_NOIO clone is allocated regardless.
struct dm_table;
struct mapped_device {
	struct srcu_struct io_barrier;
	struct dm_table *map;
	struct bio_set bs;
};

static struct dm_table *dm_get_live_table(struct mapped_device *md, int *srcu_idx)
{
	*srcu_idx = srcu_read_lock(&md->io_barrier);
	return md->map;
}

static void dm_put_live_table(struct mapped_device *md, int srcu_idx)
{
	srcu_read_unlock(&md->io_barrier, srcu_idx);
}

static struct dm_table *dm_get_live_table_fast(struct mapped_device *md)
{
	rcu_read_lock();
	return md->map;
}

static void dm_put_live_table_fast(struct mapped_device *md)
{
	rcu_read_unlock();
}

static struct dm_table *dm_get_live_table_bio(struct mapped_device *md, int *srcu_idx, blk_opf_t bio_opf)
{
	if (bio_opf & REQ_NOWAIT)
		return dm_get_live_table_fast(md);
	else
		return dm_get_live_table(md, srcu_idx);
}

static void dm_put_live_table_bio(struct mapped_device *md, int srcu_idx, blk_opf_t bio_opf)
{
	if (bio_opf & REQ_NOWAIT)
		dm_put_live_table_fast(md);
	else
		dm_put_live_table(md, srcu_idx);
}

static void alloc_io(struct mapped_device *md, struct bio *bio)
{
	struct bio *clone = bio_alloc_clone(NULL, bio, GFP_NOIO, &md->bs);

	submit(clone);
}

static void dm_submit_bio(struct bio *bio)
{
	struct mapped_device *md = bio->bi_bdev->bd_disk->private_data;
	int srcu_idx;
	struct dm_table *map;
	blk_opf_t bio_opf = bio->bi_opf;

	map = dm_get_live_table_bio(md, &srcu_idx, bio_opf);
	if (!map)
		goto out;
	alloc_io(md, bio); /* want SLEEP_IN_RCU */
out:
	dm_put_live_table_bio(md, srcu_idx, bio_opf);
}

/* The fix: SRCU for every bio. SRCU readers may sleep. */
static void dm_submit_bio_fixed(struct bio *bio)
{
	struct mapped_device *md = bio->bi_bdev->bd_disk->private_data;
	int srcu_idx;
	struct dm_table *map;

	map = dm_get_live_table(md, &srcu_idx);
	alloc_io(md, bio);
	dm_put_live_table(md, srcu_idx);
}

void rcu_direct(struct mapped_device *md)
{
	rcu_read_lock();
	md->map = kzalloc(64, GFP_KERNEL); /* want SLEEP_IN_RCU */
	rcu_read_unlock();
	md->map = kzalloc(64, GFP_KERNEL);
}

void rcu_guard(struct mapped_device *md)
{
	scoped_guard(rcu) {
		msleep(1); /* want SLEEP_IN_RCU */
	}
	msleep(1);
}

/* Allocating with GFP_ATOMIC under RCU is fine. */
void rcu_atomic_ok(struct mapped_device *md)
{
	rcu_read_lock();
	md->map = kzalloc(64, GFP_ATOMIC);
	rcu_read_unlock();
}
