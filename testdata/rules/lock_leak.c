// Return paths that keep a lock, and the patterns that do so on purpose.
struct obj {
	struct mutex lock;
	spinlock_t slock;
	struct rw_semaphore sem;
	int dead;
	int users;
};

int leak_early_return(struct obj *o)
{
	mutex_lock(&o->lock);
	if (o->dead)
		return -ENODEV; /* want LOCK_LEAK */
	o->users++;
	mutex_unlock(&o->lock);
	return 0;
}

int goto_ok(struct obj *o)
{
	int ret = 0;

	mutex_lock(&o->lock);
	if (o->dead) {
		ret = -ENODEV;
		goto out_unlock;
	}
	o->users++;
out_unlock:
	mutex_unlock(&o->lock);
	return ret;
}

static int prepare(struct obj *o)
{
	if (o->users > 100)
		return -EBUSY;
	return 0;
}

int goto_wrong_label(struct obj *o)
{
	int ret;

	if (!o)
		return -EINVAL;
	mutex_lock(&o->lock);
	ret = prepare(o);
	if (ret)
		goto out; /* the label is past the unlock */
	o->users++;
	mutex_unlock(&o->lock);
out:
	return ret; /* want LOCK_LEAK */
}

void void_leak(struct obj *o)
{
	spin_lock(&o->slock);
	if (o->dead)
		return; /* want LOCK_LEAK */
	o->users++;
	spin_unlock(&o->slock);
}

void rcu_leak(struct obj *o)
{
	rcu_read_lock();
	if (o->dead)
		return; /* want LOCK_LEAK */
	o->users++;
	rcu_read_unlock();
}

/* Returns with the lock held on success, released on failure: a
 * conditional-acquire helper, like mutex_lock_interruptible(). */
int obj_lock_live(struct obj *o)
{
	mutex_lock(&o->lock);
	if (o->dead) {
		mutex_unlock(&o->lock);
		return -ENODEV;
	}
	return 0;
}

struct obj *obj_find_locked(struct obj *o)
{
	spin_lock(&o->slock);
	if (o->dead) {
		spin_unlock(&o->slock);
		return NULL;
	}
	return o;
}

/* Annotated to return with the lock held. */
void obj_lock(struct obj *o) __acquires(&o->lock)
{
	mutex_lock(&o->lock);
}

int interruptible_ok(struct obj *o)
{
	int ret = mutex_lock_interruptible(&o->lock);

	if (ret)
		return ret;
	o->users++;
	mutex_unlock(&o->lock);
	return 0;
}

int use_helpers(struct obj *o)
{
	struct obj *f;

	if (obj_lock_live(o))
		return -ENODEV;
	o->users++;
	mutex_unlock(&o->lock);

	f = obj_find_locked(o);
	if (!f)
		return -ENOENT;
	f->users++;
	spin_unlock(&f->slock);
	return 0;
}

/* Conditional locking on a flag: no leak, no unbalanced unlock. */
void flag_lock(struct obj *o, bool need)
{
	if (need)
		spin_lock(&o->slock);
	o->users++;
	if (need)
		spin_unlock(&o->slock);
}

/* A trylock helper that returns true with the lock held. */
bool obj_trylock(struct obj *o)
{
	if (!spin_trylock(&o->slock))
		return false;
	if (o->dead) {
		spin_unlock(&o->slock);
		return false;
	}
	return true;
}

void use_trylock(struct obj *o)
{
	if (!obj_trylock(o))
		return;
	o->users++;
	spin_unlock(&o->slock);
}

/* guard() releases on every return. */
int guard_ok(struct obj *o)
{
	guard(mutex)(&o->lock);
	if (o->dead)
		return -ENODEV;
	o->users++;
	return 0;
}

/* Unlock wrappers release what the caller holds. */
void obj_unlock(struct obj *o) __releases(&o->lock)
{
	mutex_unlock(&o->lock);
}

void lock_unlock_wrappers(struct obj *o)
{
	obj_lock(o);
	o->users++;
	obj_unlock(o);
}

int wrapper_leak(struct obj *o)
{
	obj_lock(o);
	if (o->dead)
		return -EIO; /* want LOCK_LEAK */
	obj_unlock(o);
	return 0;
}

/* A lock helper that returns its trylock's result (md's mddev_lock). */
static inline int obj_lock_intr(struct obj *o)
{
	return mutex_lock_interruptible(&o->lock);
}

int store_ok(struct obj *o, int n)
{
	int err = obj_lock_intr(o);

	if (err)
		return err;
	o->users = n;
	mutex_unlock(&o->lock);
	return 0;
}

int store_leak(struct obj *o, int n)
{
	int err = obj_lock_intr(o);

	if (err)
		return err;
	if (n < 0)
		return -EINVAL; /* want LOCK_LEAK */
	o->users = n;
	mutex_unlock(&o->lock);
	return 0;
}

/* Returns a trylock's result: nonzero is success, not an error. */
static inline int obj_trylock_int(struct obj *o)
{
	return mutex_trylock(&o->lock);
}

/* Returns 0 holding the lock, or an error after a failed trylock: the
 * failed trylock is no release. (bcache's mca_reap) */
int obj_reap(struct obj *o, bool w)
{
	if (!down_write_trylock(&o->sem))
		return -ENOMEM;
	if (o->dead)
		goto out_unlock;
	return 0;
out_unlock:
	(w ? up_write : up_read)(&o->sem);
	return -ENOMEM;
}

/* An error code checked with "< 0" is an error, whatever its origin. */
int unknown_callee_negative(struct obj *o)
{
	int ret;

	mutex_lock(&o->lock);
	ret = some_unknown_call(o);
	if (ret < 0)
		return ret; /* want LOCK_LEAK */
	mutex_unlock(&o->lock);
	return 0;
}

/* An unknown callee's nonzero result may be a trylock's success: say
 * nothing (rt_spin_trylock_bh). */
int unknown_callee_trylock_like(struct obj *o)
{
	int ret;

	local_bh_disable();
	ret = some_unknown_trylock(o);
	if (!ret)
		local_bh_enable();
	return ret;
}
