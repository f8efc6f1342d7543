// Two locks taken as one, or one when both names are the same object
// (lock_rename()/unlock_rename()): the test that tells the cases apart
// compares members of local structs, and it survives a call that is given
// one of those structs' addresses, as a test of a member does: the
// unlock before the retry releases what the lock took.
struct mutex;
struct rw_semaphore;
struct dentry { struct rw_semaphore i_rwsem; };
struct path { struct dentry *dentry; int seen; };
extern struct mutex rename_mutex;

static void lock_pair(struct dentry *p1, struct dentry *p2)
{
	if (p1 == p2) {
		down_write(&p1->i_rwsem);
		return;
	}
	mutex_lock(&rename_mutex);
	down_write_nested(&p1->i_rwsem, 1);
	down_write_nested(&p2->i_rwsem, 2);
}

static void unlock_pair(struct dentry *p1, struct dentry *p2)
{
	up_write(&p1->i_rwsem);
	if (p1 != p2) {
		up_write(&p2->i_rwsem);
		mutex_unlock(&rename_mutex);
	}
}

static void note_path(struct path *p)
{
	p->seen = 1;
}

int wait_deleg(void);

int do_rename(struct path *a, struct path *b)
{
	struct path old_path = *a, new_path = *b;
	int error;

retry:
	lock_pair(new_path.dentry, old_path.dentry);
	note_path(&new_path);
	unlock_pair(new_path.dentry, old_path.dentry);
	error = wait_deleg();
	if (!error)
		goto retry;
	return error;
}

/* A retry that skips the unlock takes the pair again. */
int do_rename_bad(struct path *a, struct path *b)
{
	struct path old_path = *a, new_path = *b;
	int error;

retry:
	lock_pair(new_path.dentry, old_path.dentry); /* want DOUBLE_LOCK LOCK_ORDER_INVERSION LOCK_ORDER_INVERSION LOCK_ORDER_INVERSION */
	note_path(&new_path);
	error = wait_deleg();
	if (!error)
		goto retry;
	unlock_pair(new_path.dentry, old_path.dentry);
	return error;
}
