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

/* Real code these rules were read on, cut down. */

struct inode_s {
	spinlock_t i_lock;
	struct rw_semaphore i_rwsem;
};
struct dentry_s {
	spinlock_t d_lock;
	struct inode_s *d_inode;
	int count;
};

/* fs/dcache.c lock_for_kill(): no inode, no inode lock to hold. */
bool lock_for_kill_like(struct dentry_s *dentry)
{
	struct inode_s *inode = dentry->d_inode;

	if (!inode || spin_trylock(&inode->i_lock))
		return true;
	do {
		spin_unlock(&dentry->d_lock);
		spin_lock(&inode->i_lock);
		spin_lock(&dentry->d_lock);
		if (inode == dentry->d_inode)
			break;
		spin_unlock(&inode->i_lock);
		inode = dentry->d_inode;
	} while (inode);
	if (!dentry->count)
		return true;
	if (inode)
		spin_unlock(&inode->i_lock);
	return false;
}

struct trans_ctx {
	void *journal_info;
};
struct sbd {
	struct rw_semaphore flush_lock;
};
int zero_range(struct sbd *sdp);

static int trans_begin(struct sbd *sdp, struct trans_ctx *cur)
{
	down_read(&sdp->flush_lock);
	cur->journal_info = sdp;
	return 0;
}

static void trans_end(struct sbd *sdp, struct trans_ctx *cur)
{
	cur->journal_info = NULL;
	up_read(&sdp->flush_lock);
}

/* fs/gfs2 __gfs2_punch_hole(): the lock goes with a state a callee sets,
 * which the function tests again before its one return. */
int kept_state_like(struct sbd *sdp, struct trans_ctx *cur)
{
	int error;

	error = trans_begin(sdp, cur);
	if (error)
		return error;
	error = zero_range(sdp);
	if (error)
		goto out;
	if (cur->journal_info)
		trans_end(sdp, cur);
	error = zero_range(sdp);
out:
	if (cur->journal_info)
		trans_end(sdp, cur);
	return error;
}

struct alloc_ctx {
	struct inode_s *ac_inode;
};
int inode_lock_cluster(struct inode_s *inode);

/* fs/ocfs2 ocfs2_reserve_suballoc_bits(): the locked inode is stored in
 * the caller's context, whose cleanup unlocks it on every return. */
int handed_over_like(struct alloc_ctx *ac, struct inode_s *alloc_inode)
{
	int status;

	down_write(&alloc_inode->i_rwsem);
	status = inode_lock_cluster(alloc_inode);
	if (status < 0) {
		up_write(&alloc_inode->i_rwsem);
		return status;
	}
	ac->ac_inode = alloc_inode;
	status = dev_helper(NULL);
	if (status)
		return status;
	return 0;
}

/*
 * PTR_ERR() is returned under IS_ERR(): an error code, on a path that
 * leaves the mutex held where the others release it. The lock object is
 * a local the function derives from its argument.
 */
struct ccifreq { struct mutex reg_lock; unsigned long pre_freq; };

static int ccifreq_target(struct device *dev, unsigned long *freq)
{
	struct ccifreq *drv = dev_get_drvdata(dev);
	struct dev_pm_opp *opp;
	int ret;

	mutex_lock(&drv->reg_lock);
	opp = devfreq_recommended_opp(dev, freq, 1);
	if (IS_ERR(opp))
		return PTR_ERR(opp); /* want LOCK_LEAK "returns an error" */
	ret = set_rate(opp);
	if (ret)
		goto out_unlock;
	drv->pre_freq = *freq;
	mutex_unlock(&drv->reg_lock);
	return 0;
out_unlock:
	mutex_unlock(&drv->reg_lock);
	return ret;
}

/* The console lock is a lock: console_lock() to console_unlock(). */
static int fb_suspend_like(struct device *dev)
{
	struct fbpar *par = dev_get_drvdata(dev);
	int ret;

	console_lock();
	if (par->supply) {
		ret = regulator_disable(par->supply);
		if (ret)
			return ret; /* want LOCK_LEAK "console lock" */
	}
	fb_set_suspend(par->info, 1);
	console_unlock();
	return 0;
}

static int fb_resume_ok(struct device *dev)
{
	struct fbpar *par = dev_get_drvdata(dev);

	if (!console_trylock())
		return -EBUSY;
	fb_set_suspend(par->info, 0);
	console_unlock();
	return 0;
}
