// Lock leaks whose returns a caller cannot tell apart by value, and the
// line where the bad path leaves the good one. "if (ret) return ret;"
// passes on a callee's error code (a nonzero int, by the kernel's
// convention an error); a goto past the unlock, a break out of a loop
// with the lock held, lose it the same way, and the chain names that
// goto or break. A lock kept on purpose is told apart: by a constant or
// a bool returned, by success (0) held, or by a mode kept in a global.
struct dev {
	struct mutex lock;
	spinlock_t sl;
	int n;
};

int dev_helper(struct dev *d);
static bool dev_busy;

int ret_passed_on(struct dev *d)
{
	int ret;

	mutex_lock(&d->lock);
	ret = dev_helper(d);
	if (ret)
		return ret; /* want LOCK_LEAK "returns an error with mutex struct dev::lock" */
	d->n++;
	mutex_unlock(&d->lock);
	return 0;
}

int goto_past_unlock(struct dev *d)
{
	int err;

	mutex_lock(&d->lock);
	err = dev_helper(d);
	if (err)
		goto out; /* the departure the chain names */
	d->n++;
	mutex_unlock(&d->lock);
out:
	return err; /* want LOCK_LEAK "37: goto out leaves the path that releases the lock" */
}

int break_out_locked(struct dev *d, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		spin_lock(&d->sl);
		if (d->n)
			break;
		spin_unlock(&d->sl);
	}
	return 0; /* want LOCK_LEAK "51: break leaves the path that releases the lock" */
}

/* Held on success, released on the error: the caller unlocks. */
int held_on_success(struct dev *d)
{
	int ret;

	mutex_lock(&d->lock);
	ret = dev_helper(d);
	if (ret) {
		mutex_unlock(&d->lock);
		return ret;
	}
	return 0;
}

/* A bool says whether the lock was kept: a conditional lock. */
bool held_when_true(struct dev *d)
{
	bool ok;

	spin_lock(&d->sl);
	ok = dev_helper(d);
	if (ok)
		return ok;
	spin_unlock(&d->sl);
	return false;
}

/* A constant says so too. */
int held_when_one(struct dev *d)
{
	spin_lock(&d->sl);
	if (dev_helper(d))
		return 1;
	spin_unlock(&d->sl);
	return 0;
}

/* The lock is kept while a global mode says so, released when it ends. */
int kept_by_mode(struct dev *d)
{
	int err = 0;

	if (!dev_busy)
		mutex_lock(&d->lock);
	if (dev_helper(d)) {
		dev_busy = true;
		goto keep;
	}
	dev_busy = false;
	mutex_unlock(&d->lock);
keep:
	return err;
}

/* A loop that takes and releases on every turn returns with nothing held. */
int loop_balanced(struct dev *d, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		spin_lock(&d->sl);
		d->n++;
		spin_unlock(&d->sl);
	}
	return 0;
}

/* The second unlock's chain names the goto that reaches it. */
int unlock_twice(struct dev *d)
{
	int ret;

	mutex_lock(&d->lock);
	ret = dev_helper(d);
	if (ret) {
		mutex_unlock(&d->lock);
		goto unlock;
	}
	d->n++;
unlock:
	mutex_unlock(&d->lock); /* want UNLOCK_NOT_HELD "133: goto unlock leads here" */
	return ret;
}
