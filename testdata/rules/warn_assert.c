// A WARN_ON statement states what its author knows cannot happen: the
// release callback is called with the page lock held, so the trylock in
// the assertion fails and only the unlock follows. Inside an if, WARN_ON
// is an ordinary condition whose both arms are real.
struct zpage { spinlock_t page_lock; struct kref refcount; int flags; };

static inline int zpage_trylock(struct zpage *z)
{
	return spin_trylock(&z->page_lock);
}

static inline void zpage_unlock(struct zpage *z)
{
	spin_unlock(&z->page_lock);
}

static void release_zpage_locked(struct kref *ref)
{
	struct zpage *z = container_of(ref, struct zpage, refcount);

	WARN_ON(zpage_trylock(z));
	zpage_unlock(z);
	free_zpage(z);
}

static inline int put_zpage_locked(struct zpage *z)
{
	return kref_put(&z->refcount, release_zpage_locked);
}

/* Released by the callback when the last reference goes, else by hand. */
void compact_zpage(struct zpage *z)
{
	spin_lock(&z->page_lock);
	if (put_zpage_locked(z))
		return;
	z->flags = 0;
	zpage_unlock(z);
}

/* WARN_ONCE(cond, fmt): the condition is the first argument. */
void drop_zpage(struct zpage *z)
{
	WARN_ONCE(!spin_trylock(&z->page_lock), "zpage %p busy", z);
	z->flags = 1;
	spin_unlock(&z->page_lock);
}

/* A WARN_ON in a condition keeps both arms: the error path leaks. */
int check_zpage(struct zpage *z)
{
	spin_lock(&z->page_lock);
	if (WARN_ON(z->flags < 0))
		return -EINVAL; /* want LOCK_LEAK */
	spin_unlock(&z->page_lock);
	return 0;
}

/* Not an assertion: the lock taken when the trylock succeeds is kept. */
void try_zpage(struct zpage *z)
{
	int locked = zpage_trylock(z);

	msleep(1); /* want SLEEP_IN_ATOMIC */
	if (locked)
		zpage_unlock(z);
}
