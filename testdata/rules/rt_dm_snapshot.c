// The dm-snapshot case (seed 000): exception-table slots are hlist_bl bit
// locks, taken through a wrapper, and a callee takes a spinlock_t inside.
struct hlist_bl_head { struct hlist_bl_node *first; };

struct dm_exception_table_lock {
	struct hlist_bl_head *complete_slot;
	struct hlist_bl_head *pending_slot;
};

struct dm_snapshot {
	struct rw_semaphore lock;
	spinlock_t tracked_chunk_lock;
	spinlock_t pe_lock;
	struct hlist_head tracked_chunk_hash[16];
};

static void dm_exception_table_lock(struct dm_exception_table_lock *lock)
{
	hlist_bl_lock(lock->complete_slot);
	hlist_bl_lock(lock->pending_slot);
}

static void dm_exception_table_unlock(struct dm_exception_table_lock *lock)
{
	hlist_bl_unlock(lock->pending_slot);
	hlist_bl_unlock(lock->complete_slot);
}

static void track_chunk(struct dm_snapshot *s, struct bio *bio, chunk_t chunk)
{
	struct dm_snap_tracked_chunk *c = dm_per_bio_data(bio, sizeof(*c));

	c->chunk = chunk;
	spin_lock_irq(&s->tracked_chunk_lock);
	hlist_add_head(&c->node, &s->tracked_chunk_hash[chunk & 15]);
	spin_unlock_irq(&s->tracked_chunk_lock);
}

static struct dm_snap_pending_exception *alloc_pending_exception(struct dm_snapshot *s)
{
	return mempool_alloc(&s->pending_pool, GFP_NOIO);
}

static int snapshot_map(struct dm_target *ti, struct bio *bio)
{
	struct dm_snapshot *s = ti->private;
	struct dm_exception_table_lock lock;
	struct dm_snap_pending_exception *pe;
	chunk_t chunk = sector_to_chunk(s->store, bio->bi_iter.bi_sector);
	int r = DM_MAPIO_REMAPPED;

	down_read(&s->lock);
	dm_exception_table_lock(&lock);

	if (bio_data_dir(bio) == WRITE) {
		pe = __lookup_pending_exception(s, chunk);
		if (!pe) {
			/* unlock and relock around a blocking allocation: fine */
			dm_exception_table_unlock(&lock);
			pe = alloc_pending_exception(s);
			dm_exception_table_lock(&lock);
		}
	} else {
		track_chunk(s, bio, chunk); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	}

	dm_exception_table_unlock(&lock);
	up_read(&s->lock);
	return r;
}
