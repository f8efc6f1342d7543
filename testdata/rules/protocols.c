// Kernel protocols around locks: the gup "int *locked" out-parameter,
// chained assignments, start/end helpers that keep their lock in a struct,
// prepare/complete pairs on a struct passed by address, and config checks
// in callees.
struct mm { struct rw_semaphore mmap_lock; };

static long populate_range(struct mm *mm, int *locked)
{
	long ret = fault_in(mm);

	if (ret == -EAGAIN) {
		up_read(&mm->mmap_lock);
		*locked = 0;
	}
	return ret;
}

long mm_populate(struct mm *mm, int n)
{
	int locked = 0;
	long ret = 0;

	while (n--) {
		if (!locked) {
			locked = 1;
			down_read(&mm->mmap_lock);
		}
		ret = populate_range(mm, &locked);
		if (ret < 0)
			break;
	}
	if (locked)
		up_read(&mm->mmap_lock);
	return ret;
}

/* start_pte = pte = map_lock(): the test of either knows both. */
struct ptl_owner { spinlock_t ptl; };

static void *map_lock(struct ptl_owner *o)
{
	void *pte = lookup_pte(o);

	if (!pte)
		return NULL;
	spin_lock(&o->ptl);
	return pte;
}

int zap(struct ptl_owner *o)
{
	void *start_pte, *pte;

	start_pte = pte = map_lock(o);
	if (!start_pte)
		return 0;
	clear_pte(pte);
	spin_unlock(&o->ptl);
	return 0;
}

/* A start helper keeps its lock in the walk struct; the end helper (in a
 * header) releases it. Callers cannot name the lock: it is not followed. */
struct walk { spinlock_t *ptl; };

static void *walk_start(struct walk *fw, struct mm *mm)
{
	spinlock_t *ptl = lock_for(mm);

	spin_lock(ptl);
	fw->ptl = ptl;
	return fw;
}

void walk_user(struct walk *fw, struct mm *mm)
{
	if (!walk_start(fw, mm))
		return;
	walk_end(fw);
	msleep(1);
}

/* prepare/complete on a struct passed by address. */
struct vp { void *file; struct rw_semaphore *rwsem; };

static void prepare(struct vp *vp)
{
	if (vp->file)
		down_write(vp->rwsem);
}

static void complete(struct vp *vp)
{
	if (vp->file)
		up_write(vp->rwsem);
}

void split(void *file, struct rw_semaphore *sem)
{
	struct vp vp = { .file = file, .rwsem = sem };

	prepare(&vp);
	complete(&vp);
	msleep(1);
}

/* A callee that does nothing on RT kernels. */
struct memcg { spinlock_t tree_lock; int events; };

static void check_events(struct memcg *m)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return;
	spin_lock(&m->tree_lock);
	m->events++;
	spin_unlock(&m->tree_lock);
}

void move_account(struct memcg *m)
{
	local_irq_disable();
	check_events(m);
	local_irq_enable();
}

/* Passing the address of a variable that is not the lock's flag keeps
 * the lock held. */
void not_a_flag(struct memcg *m)
{
	int count = 0;

	spin_lock(&m->tree_lock);
	get_count(&count);
	msleep(count); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&m->tree_lock);
}

/* The RT check is in the callee; this function's own violation stays. */
void move_account_bad(struct memcg *m)
{
	local_irq_disable();
	check_events(m);
	spin_lock(&m->tree_lock); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	spin_unlock(&m->tree_lock);
	local_irq_enable();
}

/* A put helper with a defensive NULL check, given a pointer the caller
 * knows nothing about (it came from page_ext_next()). */
struct ext { int flags; };

static struct ext *ext_get(void)
{
	struct ext *e;

	rcu_read_lock();
	e = lookup_ext();
	if (!e) {
		rcu_read_unlock();
		return NULL;
	}
	return e;
}

static void ext_put(struct ext *e)
{
	if (unlikely(!e))
		return;
	rcu_read_unlock();
}

void split_owner(int n)
{
	struct ext *e = ext_get();

	if (!e)
		return;
	while (n--)
		e = ext_next(e);
	ext_put(e);
}
