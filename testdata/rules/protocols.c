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

/* The caller holds mmap_lock; the callee (not in view) may drop it and
 * clear the flag, and the loop takes it again, setting the flag after
 * the lock this time. */
long fault_in_range(struct mm *mm, unsigned long start, int *locked);

long populate_locked(struct mm *mm, unsigned long start, unsigned long end)
{
	int locked = 1;
	long pages = 0;

	while (start < end) {
		pages = fault_in_range(mm, start, &locked);
		if (!locked) {
			down_read(&mm->mmap_lock);
			locked = 1;
		}
		if (pages < 0)
			break;
		start += pages;
	}
	return pages;
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

/* handle_mm_fault() returns VM_FAULT_RETRY with mmap_lock dropped; the
 * retry loop takes it again, for its caller, before trying once more. */
struct vm_area_struct { struct mm *vm_mm; };

int fixup_fault(struct mm *mm, unsigned long address, bool *unlocked)
{
	struct vm_area_struct *vma;
	vm_fault_t ret;

retry:
	vma = find_vma(mm, address);
	if (!vma)
		return -EFAULT;
	ret = handle_mm_fault(vma, address, 0, NULL);
	if (ret & VM_FAULT_RETRY) {
		down_read(&mm->mmap_lock);
		*unlocked = true;
		goto retry;
	}
	return 0;
}

/* Without the fault in between, taking it again is a double lock. */
int relock_twice(struct mm *mm, bool *unlocked)
{
	down_read(&mm->mmap_lock);
	*unlocked = true;
	down_read(&mm->mmap_lock); /* want DOUBLE_LOCK */
	up_read(&mm->mmap_lock);
	return 0;
}

/* The same retry loop where the vma's type is not in view, so the lock
 * handle_mm_fault() drops cannot be named by type: the caller holding
 * mmap_lock around it is not taking it twice. */
int fixup_fault_opaque(struct mm *mm, unsigned long address, bool *unlocked)
{
	struct vma_opaque *vma;
	vm_fault_t ret;

retry:
	vma = vma_lookup_opaque(mm, address);
	if (!vma)
		return -EFAULT;
	ret = handle_mm_fault(vma, address, 0, NULL);
	if (ret & VM_FAULT_RETRY) {
		down_read(&mm->mmap_lock);
		*unlocked = true;
		goto retry;
	}
	return 0;
}

int fault_in_writeable(struct mm *mm, unsigned long start, unsigned long end)
{
	bool unlocked = false;
	int ret = 0;

	down_read(&mm->mmap_lock);
	while (start < end) {
		ret = fixup_fault_opaque(mm, start, &unlocked);
		if (ret)
			break;
		start += PAGE_SIZE;
	}
	up_read(&mm->mmap_lock);
	return ret;
}

/* A caller with its own "vma" of a type not in view: the lock the callee
 * released before retaking it still pairs with the one held here. */
int fault_in_with_vma(struct mm *mm, unsigned long start)
{
	struct vma_opaque *vma = NULL;
	bool unlocked = false;
	int ret;

	down_read(&mm->mmap_lock);
	ret = fixup_fault_opaque(mm, start, &unlocked);
	up_read(&mm->mmap_lock);
	note_vma(vma);
	return ret;
}

/* A global flag says whether the lock is kept across calls (damon sysfs):
 * the lock is taken unless the flag is set, kept when the flag is set on
 * the way out, released otherwise. The local tried_bytes is dead at the
 * end; what was known of it must not keep states apart there, or the
 * states past the bound join and lose the flag. */
static DEFINE_MUTEX(req_lock);
static bool regions_updating;
struct kd { void *ctx; };
struct req { struct kd *kdamond; int cmd; };
static struct req cmd_request;

static int request_callback(void *c, bool active)
{
	struct kd *kdamond;
	bool tried_bytes = false;
	int err = 0;

	if (!regions_updating && !mutex_trylock(&req_lock))
		return 0;
	kdamond = cmd_request.kdamond;
	if (!kdamond || kdamond->ctx != c)
		goto out;
	switch (cmd_request.cmd) {
	case 1:
		err = commit(kdamond);
		break;
	case 2:
		tried_bytes = true;
		fallthrough;
	case 3:
		if (!tried_bytes && !regions_updating) {
			err = start_update(kdamond);
			if (!err) {
				regions_updating = true;
				goto keep_lock_out;
			}
		} else {
			if (active && !update_done())
				goto keep_lock_out;
			err = stop_update(kdamond);
			regions_updating = false;
		}
		break;
	case 4:
		err = clear_regions(kdamond);
		break;
	default:
		break;
	}
	cmd_request.kdamond = NULL;
out:
	if (!regions_updating)
		mutex_unlock(&req_lock);
keep_lock_out:
	return err;
}

/* The vma is dereferenced on entry, so it is not NULL there: the lookup
 * (and the lock taken with it) happens only on the retry path, after the
 * caller's lock was dropped. */
struct uctx { struct rw_semaphore changing_lock; int changing; };
struct uvma { struct mm *vm_mm; int flags; };

static long fill_huge(struct uctx *ctx, struct uvma *dst_vma, unsigned long start)
{
	struct mm *dst_mm = dst_vma->vm_mm;
	long err = 0;

retry:
	if (!dst_vma) {
		dst_vma = lookup_uvma(dst_mm, start);
		if (!dst_vma)
			return -ENOENT;
		down_read(&ctx->changing_lock);
	}
	err = copy_one(dst_vma, start);
	if (err == -ENOENT) {
		up_read(&ctx->changing_lock);
		dst_vma = NULL;
		goto retry;
	}
	up_read(&ctx->changing_lock);
	return err;
}

long fill(struct uctx *ctx, struct uvma *dst_vma, unsigned long start)
{
	down_read(&ctx->changing_lock);
	if (ctx->changing) {
		up_read(&ctx->changing_lock);
		return -EAGAIN;
	}
	return fill_huge(ctx, dst_vma, start);
}

/* Without the dereference, a NULL vma on entry takes the lock again. */
static long fill_huge_unchecked(struct uctx *ctx, struct uvma *dst_vma, struct mm *dst_mm)
{
	if (!dst_vma) {
		dst_vma = lookup_uvma(dst_mm, 0);
		down_read(&ctx->changing_lock);
	}
	up_read(&ctx->changing_lock);
	return 0;
}

long fill_unchecked(struct uctx *ctx, struct uvma *dst_vma, struct mm *mm)
{
	down_read(&ctx->changing_lock);
	return fill_huge_unchecked(ctx, dst_vma, mm); /* want DOUBLE_LOCK */
}
