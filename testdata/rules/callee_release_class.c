// A callee that releases a lock on its own variable, of a class the
// caller does not hold, has not released the caller's lock of the same
// family. Here the callee's lock and unlock fail to pair (an unknown
// helper named like an unlock helper is given the object, so the lock
// counts as maybe released before the unlock): its summary says it
// releases a struct anon_vma::rwsem, and the caller holds only
// mmap_lock. A callee-local release of the class the caller holds still
// releases it.
struct anon_vma {
	struct anon_vma *root;
	struct rw_semaphore rwsem;
};
struct mm_struct {
	int map_count;
};
struct vm_area_struct {
	struct mm_struct *vm_mm;
	struct anon_vma *anon_vma;
};

static inline void anon_vma_lock_write(struct anon_vma *anon_vma)
{
	down_write(&anon_vma->root->rwsem);
}

static inline void anon_vma_unlock_write(struct anon_vma *anon_vma)
{
	up_write(&anon_vma->root->rwsem);
}

void anon_vma_mark_release(struct anon_vma *anon_vma);
struct anon_vma *find_anon_vma(struct vm_area_struct *vma);

static void prepare(struct vm_area_struct *vma)
{
	struct anon_vma *anon_vma;

	anon_vma = find_anon_vma(vma);
	if (!anon_vma)
		anon_vma = vma->anon_vma;
	anon_vma_lock_write(anon_vma);
	anon_vma_mark_release(anon_vma);
	anon_vma_unlock_write(anon_vma);
}

int anon_prepare(struct vm_area_struct *vma)
{
	mmap_read_lock(vma->vm_mm);
	prepare(vma);
	mmap_read_unlock(vma->vm_mm);
	return 0;
}

/* The helper drops the caller's anon_vma lock through its own variable. */
static void drop_root(struct vm_area_struct *vma)
{
	struct anon_vma *root;

	root = find_anon_vma(vma);
	if (!root)
		root = vma->anon_vma;
	up_write(&root->rwsem);
}

void drop_twice(struct vm_area_struct *vma, struct anon_vma *av)
{
	down_write(&av->rwsem);
	drop_root(vma);
	up_write(&av->rwsem); /* want UNLOCK_NOT_HELD */
}
