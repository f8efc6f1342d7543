// smp_store_release() publishes a pointer; "release" is its memory
// ordering. Storing the object whose lock is held (as
// __anon_vma_prepare() publishes the anon_vma it holds write-locked) does
// not release that lock, so the unlock after it pairs with the lock, and
// the caller's mmap_lock is still its own to release. An unknown helper
// named like an unlock helper and given the object is still taken to
// maybe release its lock.
struct anon_vma {
	struct anon_vma *root;
	struct rw_semaphore rwsem;
	int num_active_vmas;
};
struct mm_struct {
	spinlock_t page_table_lock;
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

struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma);
struct anon_vma *anon_vma_alloc(void);

static int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *anon_vma;

	anon_vma = find_mergeable_anon_vma(vma);
	if (!anon_vma) {
		anon_vma = anon_vma_alloc();
		if (!anon_vma)
			return -ENOMEM;
	}
	anon_vma_lock_write(anon_vma);
	spin_lock(&mm->page_table_lock);
	if (!vma->anon_vma) {
		smp_store_release(&vma->anon_vma, anon_vma);
		anon_vma->num_active_vmas++;
	}
	spin_unlock(&mm->page_table_lock);
	anon_vma_unlock_write(anon_vma);
	return 0;
}

int vmf_anon_prepare(struct vm_area_struct *vma)
{
	int ret;

	mmap_read_lock(vma->vm_mm);
	ret = anon_vma_prepare(vma);
	mmap_read_unlock(vma->vm_mm);
	return ret;
}

void anon_vma_unlock_and_free(struct anon_vma *anon_vma);

/* Not seen: maybe it unlocks what it is given; nothing is reported. */
int prepare_and_drop(struct anon_vma *anon_vma)
{
	anon_vma_lock_write(anon_vma);
	anon_vma->num_active_vmas++;
	anon_vma_unlock_and_free(anon_vma);
	return 0;
}

/* The store does not release the lock: the error return leaks it. */
int publish_locked(struct vm_area_struct *vma, struct anon_vma *anon_vma)
{
	anon_vma_lock_write(anon_vma);
	if (vma->anon_vma) {
		smp_store_release(&vma->anon_vma, anon_vma);
		return -EBUSY; /* want LOCK_LEAK */
	}
	anon_vma_unlock_write(anon_vma);
	return 0;
}
