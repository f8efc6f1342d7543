// Lock and unlock helpers that choose their lock at run time must pair up
// in the caller (dm-bufio's cache_read_lock/unlock, ext4's group-allocation
// mutex released by a flag).
struct tree { union { struct rw_semaphore lock; rwlock_t spinlock; } u; };
struct cache { struct tree trees[8]; bool no_sleep; };

DEFINE_STATIC_KEY_FALSE(no_sleep_enabled);

static void cache_read_lock(struct cache *bc, int block) /* want summary:"returns void: acquires rw_semaphore \\(read\\) struct tree::u.lock$" */
{
	if (static_branch_unlikely(&no_sleep_enabled) && bc->no_sleep)
		read_lock_bh(&bc->trees[block].u.spinlock);
	else
		down_read(&bc->trees[block].u.lock);
}

static void cache_read_unlock(struct cache *bc, int block)
{
	if (static_branch_unlikely(&no_sleep_enabled) && bc->no_sleep)
		read_unlock_bh(&bc->trees[block].u.spinlock);
	else
		up_read(&bc->trees[block].u.lock);
}

static void cache_get(struct cache *bc, int block)
{
	cache_read_lock(bc, block);
	bc->no_sleep = bc->no_sleep;
	cache_read_unlock(bc, block);
}

/* Nothing is held after cache_get(): sleeping is fine. */
void cache_use(struct cache *bc, struct mutex *m)
{
	cache_get(bc, 0);
	mutex_lock(m);
	mutex_unlock(m);
}

struct group { struct mutex lg_mutex; };
struct alloc_ctx { unsigned int flags; struct group *lg; };
#define HINT_GROUP_ALLOC 0x1

static void group_or_file(struct alloc_ctx *ac, int size)
{
	if (size > 64)
		return;
	ac->flags |= HINT_GROUP_ALLOC;
	mutex_lock(&ac->lg->lg_mutex);
}

static void release_context(struct alloc_ctx *ac) /* want summary:"^returns void: releases mutex struct group::lg_mutex$" */
{
	if (ac->flags & HINT_GROUP_ALLOC)
		mutex_unlock(&ac->lg->lg_mutex);
}

long new_blocks(struct alloc_ctx *ac, int size)
{
	long block = 0;

	group_or_file(ac, size);
	block = size * 2;
	release_context(ac);
	return block;
}

/* Callers of new_blocks() hold nothing afterwards. */
void map_blocks(struct alloc_ctx *ac, spinlock_t *l)
{
	new_blocks(ac, 8);
	mutex_lock(&ac->lg->lg_mutex);
	mutex_unlock(&ac->lg->lg_mutex);
}

/* A helper that may return with a lock held, and callers that cannot tell:
 * the uncertainty is not passed on. */
static int maybe_locked(struct group *g, int x)
{
	mutex_lock(&g->lg_mutex);
	if (check_something(g))
		mutex_unlock(&g->lg_mutex);
	return x;
}

void caller_of_maybe(struct group *g)
{
	maybe_locked(g, 1);
	mutex_lock(&g->lg_mutex);
	mutex_unlock(&g->lg_mutex);
}

/* With the condition on an argument, a caller passing a constant gets the
 * outcome that constant selects. */
static void unlock_if_big(struct group *g, int x)
{
	mutex_lock(&g->lg_mutex);
	if (x > 3)
		mutex_unlock(&g->lg_mutex);
}

void caller_small(struct group *g)
{
	unlock_if_big(g, 1);
	mutex_lock(&g->lg_mutex); /* want DOUBLE_LOCK */
	mutex_unlock(&g->lg_mutex);
}

void caller_big(struct group *g)
{
	unlock_if_big(g, 10);
	mutex_lock(&g->lg_mutex);
	mutex_unlock(&g->lg_mutex);
}

// A lock helper that takes one of two locks and says which by its
// return value; the caller never tests the value itself but hands it to
// the matching unlock helper, which decides the same way.
struct cluster { spinlock_t lock; };
struct swapdev { spinlock_t lock; struct cluster *clusters; };

static struct cluster *lock_cluster_or_dev(struct swapdev *si, unsigned long off) /* want summary:"returns zero: acquires spinlock_t struct swapdev::lock; returns nonzero: acquires spinlock_t struct cluster::lock$" */
{
	struct cluster *ci = si->clusters;

	if (ci) {
		ci += off;
		spin_lock(&ci->lock);
	} else {
		spin_lock(&si->lock);
	}
	return ci;
}

static void unlock_cluster_or_dev(struct swapdev *si, struct cluster *ci)
{
	if (ci)
		spin_unlock(&ci->lock);
	else
		spin_unlock(&si->lock);
}

void reclaim_entry(struct swapdev *si, unsigned long off)
{
	struct cluster *ci;

	ci = lock_cluster_or_dev(si, off);
	count_entry(si, off);
	unlock_cluster_or_dev(si, ci);

	spin_lock(&si->lock);
	free_entry(si, off);
	spin_unlock(&si->lock);
}

void reclaim_entry_twice(struct swapdev *si, unsigned long off)
{
	struct cluster *ci;

	ci = lock_cluster_or_dev(si, off);
	spin_lock(&si->lock); /* want DOUBLE_LOCK */
	spin_unlock(&si->lock);
	unlock_cluster_or_dev(si, ci);
}
