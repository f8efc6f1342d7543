// XA_STATE(xas, xa, index) declares a local: the xa_lock a callee takes
// through its own xas is not the caller's xas, however both are named.
// (Which xarray a callee's xas points to is not followed: its lock has
// no instance in the caller.)
struct xarray {
	spinlock_t xa_lock;
};

struct mapping {
	struct xarray i_pages;
};

static void *store_one(struct xarray *xa, unsigned long index, void *entry)
{
	XA_STATE(xas, xa, index);

	xas_lock(&xas);
	xas_store(&xas, entry);
	xas_unlock(&xas);
	return entry;
}

/* Two xarrays, each through an xas of its function's own. */
void split_into(struct mapping *from, struct mapping *to, void *entry)
{
	XA_STATE(xas, &from->i_pages, 0);

	xas_lock(&xas);
	store_one(&to->i_pages, 1, entry);
	xas_unlock(&xas);
}

static void store_locked_twice(struct xarray *xa, void *entry)
{
	xa_lock(xa);
	xa_unlock(xa);
}

/* The same xarray, named by the caller's own pointer: a double lock. */
void store_under(struct xarray *xa, void *entry)
{
	xa_lock(xa);
	store_locked_twice(xa, entry); /* want DOUBLE_LOCK */
	xa_unlock(xa);
}

/* Two calls down: the middle function has no xas of its own. */
static void split_tail(struct mapping *to, void *entry)
{
	store_one(&to->i_pages, 2, entry);
}

void split_deep(struct mapping *from, struct mapping *to, void *entry)
{
	XA_STATE(xas, &from->i_pages, 0);

	xas_lock(&xas);
	split_tail(to, entry);
	xas_unlock(&xas);
}
