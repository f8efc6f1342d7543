// NOWAIT paths that block, and allocations in raw contexts.
struct inode_info {
	struct rw_semaphore i_rwsem;
	raw_spinlock_t raw;
	spinlock_t lock;
	void *cache;
};

ssize_t file_write_iter(struct kiocb *iocb, struct inode_info *ii)
{
	if (iocb->ki_flags & IOCB_NOWAIT) {
		if (!down_write_trylock(&ii->i_rwsem))
			return -EAGAIN;
	} else {
		down_write(&ii->i_rwsem);
	}
	up_write(&ii->i_rwsem);
	return 0;
}

ssize_t file_read_iter(struct kiocb *iocb, struct inode_info *ii)
{
	bool nowait = iocb->ki_flags & IOCB_NOWAIT;

	if (nowait) {
		down_read(&ii->i_rwsem); /* want NOWAIT_MAY_BLOCK */
		up_read(&ii->i_rwsem);
		return -EAGAIN;
	}
	/* Both kinds of request get here: not a NOWAIT-only path. */
	down_read(&ii->i_rwsem);
	up_read(&ii->i_rwsem);
	return 0;
}

int submit(struct bio *bio, struct inode_info *ii)
{
	if (!(bio->bi_opf & REQ_NOWAIT))
		goto blocking;
	msleep(1); /* want NOWAIT_MAY_BLOCK */
	return 0;
blocking:
	msleep(1);
	return 0;
}

void raw_alloc(struct inode_info *ii)
{
	raw_spin_lock(&ii->raw);
	ii->cache = kmalloc(32, GFP_ATOMIC); /* want ALLOC_IN_RAW_ATOMIC */
	raw_spin_unlock(&ii->raw);
}

void preempt_alloc(struct inode_info *ii)
{
	preempt_disable();
	ii->cache = alloc_page(GFP_NOWAIT); /* want ALLOC_IN_RAW_ATOMIC */
	preempt_enable();
}

/* GFP_ATOMIC under spinlock_t is fine, also on RT. */
void spin_alloc_ok(struct inode_info *ii)
{
	spin_lock(&ii->lock);
	ii->cache = kmalloc(32, GFP_ATOMIC);
	spin_unlock(&ii->lock);
}

/* A blocking allocation in a raw section is SLEEP_IN_ATOMIC, not both. */
void raw_sleep(struct inode_info *ii)
{
	raw_spin_lock(&ii->raw);
	ii->cache = kmalloc(32, GFP_KERNEL); /* want SLEEP_IN_ATOMIC */
	raw_spin_unlock(&ii->raw);
}

/* idr_preload() allocates before it disables preemption. */
int preload_ok(struct idr *idr, void *p)
{
	int id;

	idr_preload(GFP_KERNEL);
	spin_lock(&idr_lock);
	id = idr_alloc(idr, p, 0, 0, GFP_NOWAIT);
	spin_unlock(&idr_lock);
	idr_preload_end();
	return id;
}

/* Passing the NOWAIT flag to a helper is not testing it: the helper
 * returns false when it would have to wait (md's wait_barrier). */
bool wait_barrier(struct inode_info *ii, bool nowait);

void write_request(struct bio *bio, struct inode_info *ii)
{
	if (!wait_barrier(ii, bio->bi_opf & REQ_NOWAIT))
		return;
	msleep(1);
}

/* A flag compared with 0 is a test. */
void read_request(struct kiocb *iocb, struct inode_info *ii)
{
	if ((iocb->ki_flags & IOCB_NOWAIT) != 0)
		msleep(1); /* want NOWAIT_MAY_BLOCK */
}

/* A blocking allocation on a NOWAIT-only path can wait for writeback: a
 * warning; the fix is GFP_NOWAIT, which is quiet. */
int nowait_cache(struct kiocb *iocb, struct inode_info *ii)
{
	if (iocb->ki_flags & IOCB_NOWAIT) {
		ii->cache = kmalloc(64, GFP_KERNEL); /* want NOWAIT_MAY_BLOCK "kmalloc\\(64, GFP_KERNEL\\) allocates with a mask that allows direct reclaim" */
		if (!ii->cache)
			return -EAGAIN;
		return 0;
	}
	ii->cache = kmalloc(64, GFP_KERNEL);
	return ii->cache ? 0 : -ENOMEM;
}

int nowait_cache_fixed(struct kiocb *iocb, struct inode_info *ii)
{
	gfp_t gfp = GFP_KERNEL;

	if (iocb->ki_flags & IOCB_NOWAIT) {
		ii->cache = kmalloc(64, GFP_NOWAIT);
		return ii->cache ? 0 : -EAGAIN;
	}
	ii->cache = kmalloc(64, gfp);
	return ii->cache ? 0 : -ENOMEM;
}

/*
 * dm before 6f25dd1c57b8: NOWAIT requests the target cannot serve are
 * turned away, the rest go on to an allocation that may wait for
 * writeback.
 */
struct clone_info {
	struct bio *bio;
	int target_nowait;
	void *clone;
};

int split_and_process(struct clone_info *ci)
{
	if (unlikely((ci->bio->bi_opf & REQ_NOWAIT) != 0) && unlikely(!ci->target_nowait))
		return BLK_STS_NOTSUPP;
	ci->clone = kmalloc(64, GFP_NOIO); /* want NOWAIT_MAY_BLOCK "line 147 lets through" */
	return 0;
}

/* The fix: the admitted requests allocate with GFP_NOWAIT. */
int split_and_process_fixed(struct clone_info *ci)
{
	if (unlikely(ci->bio->bi_opf & REQ_NOWAIT)) {
		if (unlikely(!ci->target_nowait))
			return BLK_STS_NOTSUPP;
		ci->clone = kmalloc(64, GFP_NOWAIT);
		if (!ci->clone)
			return BLK_STS_AGAIN;
	} else {
		ci->clone = kmalloc(64, GFP_NOIO);
	}
	return 0;
}

/* The mask chosen by the same test: the NOWAIT path's is GFP_NOWAIT. */
int split_and_process_mask(struct clone_info *ci)
{
	gfp_t gfp = GFP_NOIO;

	if (unlikely(ci->bio->bi_opf & REQ_NOWAIT)) {
		if (unlikely(!ci->target_nowait))
			return BLK_STS_NOTSUPP;
		gfp = GFP_NOWAIT;
	}
	ci->clone = kmalloc(64, gfp);
	return 0;
}

/* No NOWAIT request is turned away: the function makes no promise. */
int note_nowait(struct clone_info *ci)
{
	if (ci->bio->bi_opf & REQ_NOWAIT)
		ci->target_nowait = 1;
	ci->clone = kmalloc(64, GFP_NOIO);
	return 0;
}

/*
 * dm 6.12: a NOWAIT request whose GFP_NOWAIT allocation fails is failed;
 * abnormal NOWAIT requests are served blocking, by design ("Only support
 * nowait for normal IO"). A return after work is no gate.
 */
void split_and_process_io(struct clone_info *ci, int abnormal)
{
	if (unlikely(ci->bio->bi_opf & REQ_NOWAIT) && !abnormal) {
		ci->clone = kmalloc(64, GFP_NOWAIT);
		if (unlikely(!ci->clone)) {
			bio_wouldblock_error(ci->bio);
			return;
		}
	} else {
		ci->clone = kmalloc(64, GFP_NOIO);
	}
}
