// Helpers called with a lock held that drop it around a sleep and take it
// back (bcache's bch_prio_write), counting semaphores, and lock flags.
struct cache {
	struct mutex bucket_lock;
	spinlock_t lock;
	struct semaphore io_mutex;
	struct semaphore in_flight;
	void *buf;
};

static void prio_write(struct cache *c)
{
	lockdep_assert_held(&c->bucket_lock);
	mutex_unlock(&c->bucket_lock);
	msleep(1);
	mutex_lock(&c->bucket_lock);
}

void allocator_thread(struct cache *c)
{
	mutex_lock(&c->bucket_lock);
	prio_write(c);
	mutex_unlock(&c->bucket_lock);
}

/* No assertion: the unlock is of the caller's lock all the same. */
static void refill(struct cache *c)
{
	spin_unlock(&c->lock);
	c->buf = kmalloc(64, GFP_KERNEL);
	spin_lock(&c->lock);
}

void refill_locked(struct cache *c)
{
	spin_lock(&c->lock);
	refill(c);
	spin_unlock(&c->lock);
}

/* A helper that sleeps without dropping the lock is a bug in its caller. */
static void refill_bad(struct cache *c)
{
	c->buf = kmalloc(64, GFP_KERNEL);
}

void refill_bad_locked(struct cache *c)
{
	spin_lock(&c->lock);
	refill_bad(c); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&c->lock);
}

/* Counting semaphores: "down" twice waits, it does not deadlock. */
void write_and_wait(struct cache *c)
{
	down(&c->io_mutex);
	submit_write(c);
	down(&c->io_mutex);
	up(&c->io_mutex);
}

void throttle(struct cache *c, int n)
{
	while (n--)
		down(&c->in_flight);
}

/* A local flag remembers that the lock was taken. */
void flag_locked(struct cache *c, int n)
{
	bool locked = false;

	while (n--) {
		if (!locked) {
			mutex_lock(&c->bucket_lock);
			locked = true;
		}
		c->buf = NULL;
	}
	if (locked)
		mutex_unlock(&c->bucket_lock);
}

/* Annotated as entered and left with the caller's lock, dropping it
 * around a callee that sleeps deeper down (ext4's fast commit). */
static void deep_sleep(struct cache *c)
{
	mutex_lock(&c->bucket_lock);
	c->buf = kmalloc(64, GFP_NOFS);
	mutex_unlock(&c->bucket_lock);
}

static int commit_updates(struct cache *c)
	__acquires(&c->lock) __releases(&c->lock)
{
	spin_unlock(&c->lock);
	deep_sleep(c);
	spin_lock(&c->lock);
	return 0;
}

void perform_commit(struct cache *c)
{
	spin_lock(&c->lock);
	commit_updates(c);
	spin_unlock(&c->lock);
}

/* An unknown helper named like an unlock, given the object whose lock is
 * held (flush_dcache_mmap_unlock(mapping) drops the page-cache lock on
 * some architectures), is not taken for the release of a lock the
 * function releases by name right after; the caller's own lock stays
 * held across the helper. */
struct mapping_s { struct rw_semaphore i_mmap_rwsem; };
struct file_s { struct mapping_s *f_mapping; };
struct vma_s { struct file_s *vm_file; };
static DECLARE_RWSEM(region_sem);

static void link_vma(struct vma_s *vma)
{
	if (vma->vm_file) {
		struct mapping_s *mapping = vma->vm_file->f_mapping;

		i_mmap_lock_write(mapping);
		flush_dcache_mmap_lock(mapping);
		tree_insert(vma, mapping);
		flush_dcache_mmap_unlock(mapping);
		i_mmap_unlock_write(mapping);
	}
}

int map_region(struct vma_s *vma)
{
	down_write(&region_sem);
	link_vma(vma);
	up_write(&region_sem);
	return 0;
}

/* An unknown unlock helper given the object, after which the path
 * returns, is that path's release, even though another path releases the
 * lock by name (vgic_queue_irq_unlock() in update_lpi_config()). */
struct virq {
	raw_spinlock_t irq_lock;
	int hw;
	int enabled;
};

extern void virq_queue_unlock(struct virq *irq, unsigned long flags);

int update_config(struct virq *irq, int prop)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&irq->irq_lock, flags);
	irq->enabled = prop & 1;
	if (!irq->hw) {
		virq_queue_unlock(irq, flags);
		return 0;
	}
	raw_spin_unlock_irqrestore(&irq->irq_lock, flags);
	return 0;
}
