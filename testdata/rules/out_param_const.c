// A helper that says through an out-parameter how it mapped a buffer
// (erofs' z_erofs_lz4_handle_overlap(): *maptype = 2 where it took the
// per-CPU buffer's lock): the caller's tests of that value decide which
// paths hold the lock, so the vfree() of another mapping type does not
// run under it.
struct gbuf { spinlock_t lock; void *ptr; };
static struct gbuf pool;

void *get_gbuf(void) __acquires(pool.lock)
{
	spin_lock(&pool.lock);
	return pool.ptr;
}

void put_gbuf(void *p) __releases(pool.lock)
{
	spin_unlock(&pool.lock);
}

static void *handle_overlap(int inplace, void *in, int *maptype)
{
	void *src;

	if (inplace) {
		*maptype = 3;
		return in;
	}
	src = get_gbuf();
	*maptype = 2;
	return src;
}

int decompress(int inplace, void *in, void *vm)
{
	int maptype;
	void *src = handle_overlap(inplace, in, &maptype);

	if (maptype == 1) {
		vfree(vm);
	} else if (maptype == 2) {
		put_gbuf(src);
	} else if (maptype != 3) {
		return -14;
	}
	return 0;
}

/* The buffer's own type sleeping under its lock is still reported. */
int decompress_bad(int inplace, void *in, void *vm)
{
	int maptype;
	void *src = handle_overlap(inplace, in, &maptype);

	if (maptype == 2) {
		vfree(vm); /* want SLEEP_IN_ATOMIC */
		put_gbuf(src);
	}
	return 0;
}

