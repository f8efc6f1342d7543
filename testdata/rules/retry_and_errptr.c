// Retry loops that take a lock only once the gfp mask allows reclaim
// (dm-crypt), error pointers, wait_event_cmd, and maybe-releases that pass
// through a helper.
struct crypt { struct mutex bio_alloc_lock; mempool_t page_pool; };

void *crypt_alloc(struct crypt *cc, int n)
{
	gfp_t gfp_mask = GFP_NOWAIT | __GFP_HIGHMEM;
	void *pages;

retry:
	if (unlikely(gfp_mask & __GFP_DIRECT_RECLAIM))
		mutex_lock(&cc->bio_alloc_lock);
	while (n--) {
		pages = mempool_alloc(&cc->page_pool, gfp_mask);
		if (!pages) {
			gfp_mask |= __GFP_DIRECT_RECLAIM;
			goto retry;
		}
	}
	if (unlikely(gfp_mask & __GFP_DIRECT_RECLAIM))
		mutex_unlock(&cc->bio_alloc_lock);
	return pages;
}

struct node { struct rw_semaphore lock; int io_error; };

static struct node *node_alloc(int x)
{
	struct node *b = lookup_node(x);

	if (!b)
		return ERR_PTR(-ENOMEM);
	down_write(&b->lock);
	return b;
}

struct node *node_get(int x)
{
	struct node *b = node_alloc(x);

	if (IS_ERR(b))
		return b;
	if (b->io_error) {
		up_write(&b->lock);
		return ERR_PTR(-EIO);
	}
	return b;
}

struct conf { spinlock_t device_lock; wait_queue_head_t wait; int n; };

static void lock_all(struct conf *c) { spin_lock(&c->device_lock); }
static void unlock_all(struct conf *c) { spin_unlock(&c->device_lock); }

void resize(struct conf *c)
{
	lock_all(c);
	wait_event_cmd(c->wait, c->n == 0, unlock_all(c), lock_all(c));
	c->n = 1;
	unlock_all(c);
}

/* An unlock helper with an early return, seen through another helper that
 * holds nothing itself: its caller's lock is maybe released. */
static DEFINE_RAW_SPINLOCK(graph_raw);

static void graph_raw_unlock(void)
{
	if (owner_mismatch())
		return;
	raw_spin_unlock(&graph_raw);
}

static void graph_unlock2(void)
{
	graph_raw_unlock();
}

void graph_twice(void)
{
	raw_spin_lock(&graph_raw);
	graph_unlock2();
	raw_spin_lock(&graph_raw);
	graph_unlock2();
}

/* The locked node lands in a member; IS_ERR() on the member tells the
 * error pointer (no lock) from the node (locked), and the error label
 * after the unlock holds nothing. */
struct cache_set { struct node *root; };

int run_set(struct cache_set *c, int x)
{
	c->root = node_get(x);
	if (IS_ERR(c->root))
		goto err;
	up_write(&c->root->lock);
	if (check_set(c))
		goto err;
	return 0;
err:
	report_set(c);
	return -EIO;
}
