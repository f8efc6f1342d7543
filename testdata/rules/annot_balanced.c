// Sparse annotations naming one lock twice. "__acquires(x) __releases(x)"
// marks a function that takes x and drops it inside (the kernel's
// wil_rx_reorder()); "__releases(x) __acquires(x)" one that drops and
// retakes what its caller holds (rpm_callback()).
struct fbi {
	spinlock_t lock;
	int n;
};

static void lock_fbi(struct fbi *info) __acquires(&info->lock)
{
	spin_lock(&info->lock);
}

static void unlock_fbi(struct fbi *info) __releases(&info->lock)
{
	spin_unlock(&info->lock);
}

/* Balanced inside: not held on entry, so taking it is no double lock. */
int fbi_touch(struct fbi *info) __acquires(&info->lock) __releases(&info->lock)
{
	lock_fbi(info);
	info->n++;
	unlock_fbi(info);
	return 0;
}

/* Drops and retakes the caller's lock: held on entry, so taking it
 * again is a double lock. */
void fbi_relock(struct fbi *info) __releases(&info->lock) __acquires(&info->lock)
{
	spin_lock(&info->lock); /* want DOUBLE_LOCK */
	info->n++;
	spin_unlock(&info->lock);
}
