// Calls through ops tables: ->map() of a struct target_type reaches the
// functions its initializers store there. A member too many tables fill,
// or a call whose object type is unknown, is not followed.
struct bio;
struct dm_target;

struct target_type {
	int (*map)(struct dm_target *ti, struct bio *bio);
	void (*status)(struct dm_target *ti);
	void (*io_hints)(struct dm_target *ti);
};

struct dm_target {
	struct target_type *type;
	spinlock_t lock;
	struct mutex io_lock;
};

static int snap_map(struct dm_target *ti, struct bio *bio)
{
	mutex_lock(&ti->io_lock);
	mutex_unlock(&ti->io_lock);
	return 0;
}

static int linear_map(struct dm_target *ti, struct bio *bio)
{
	return 0;
}

static DEFINE_SPINLOCK(status_lock);

static void snap_status(struct dm_target *ti)
{
	spin_lock(&status_lock);
	spin_unlock(&status_lock);
}

static void hints_0(struct dm_target *ti) { msleep(1); }
static void hints_1(struct dm_target *ti) { }
static void hints_2(struct dm_target *ti) { }
static void hints_3(struct dm_target *ti) { }
static void hints_4(struct dm_target *ti) { }
static void hints_5(struct dm_target *ti) { }
static void hints_6(struct dm_target *ti) { }
static void hints_7(struct dm_target *ti) { }
static void hints_8(struct dm_target *ti) { }

static struct target_type snap_target = {
	.map = snap_map,
	.status = snap_status,
	.io_hints = hints_0,
};

static struct target_type linear_target = {
	.map = linear_map,
	.io_hints = hints_1,
};

static struct target_type more_targets[] = {
	{ .io_hints = hints_2 }, { .io_hints = hints_3 }, { .io_hints = hints_4 },
	{ .io_hints = hints_5 }, { .io_hints = hints_6 }, { .io_hints = hints_7 },
	{ .io_hints = hints_8 },
};

/* One of the two implementations of ->map() sleeps. */
int dm_map_locked(struct dm_target *ti, struct bio *bio)
{
	int r;

	spin_lock(&ti->lock);
	r = ti->type->map(ti, bio); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&ti->lock);
	return r;
}

/* ->status() only spins. */
void dm_status_locked(struct dm_target *ti)
{
	spin_lock(&ti->lock);
	ti->type->status(ti);
	spin_unlock(&ti->lock);
}

/* Nine tables fill ->io_hints(): which one runs is anyone's guess. */
void dm_hints_locked(struct dm_target *ti)
{
	spin_lock(&ti->lock);
	ti->type->io_hints(ti);
	spin_unlock(&ti->lock);
}

/* The object's type is unknown: nothing is followed. */
void dm_map_unknown(void *p, struct bio *bio, spinlock_t *l)
{
	spin_lock(l);
	((struct unknown *)p)->ops->map(p, bio);
	spin_unlock(l);
}

/* Outside the lock: fine. */
int dm_map_unlocked(struct dm_target *ti, struct bio *bio)
{
	return ti->type->map(ti, bio);
}
