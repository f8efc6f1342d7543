// A flag defined from a caller's argument, set again to a constant on a
// retry path (tc_setup_cb_call()'s take_rtnl = READ_ONCE(...) &&
// !rtnl_held): where the flag is tested, its definition still says what
// it implies, so a caller passing rtnl_held = true never takes rtnl.
struct mutex;
struct rw_semaphore;
struct block { int lockeddevcnt; struct rw_semaphore cb_lock; };
extern struct mutex big_lock;

int setup_cb_call(struct block *block, int rtnl_held)
{
	int take_big = READ_ONCE(block->lockeddevcnt) && !rtnl_held;
	int n;

retry:
	if (take_big)
		mutex_lock(&big_lock);
	down_read(&block->cb_lock);
	if (!rtnl_held && !take_big && block->lockeddevcnt) {
		up_read(&block->cb_lock);
		take_big = 1;
		goto retry;
	}
	n = block->lockeddevcnt;
	up_read(&block->cb_lock);
	if (take_big)
		mutex_unlock(&big_lock);
	return n;
}

void destroy_tmplt(struct block *block)
{
	mutex_lock(&big_lock);
	setup_cb_call(block, 1);
	mutex_unlock(&big_lock);
}

void destroy_tmplt_unlocked(struct block *block)
{
	mutex_lock(&big_lock);
	setup_cb_call(block, 0); /* want DOUBLE_LOCK */
	mutex_unlock(&big_lock);
}
