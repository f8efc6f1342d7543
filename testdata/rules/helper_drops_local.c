// A helper that drops its caller's lock through a pointer of its own,
// the way move_pages_huge_pmd() is handed the page-table lock
// pmd_trans_huge_lock() took: it looks the lock up again
// (pmd_lockptr()), asserts it held and unlocks it, and only then sleeps.
// The caller cannot name the helper's variable, but it holds one lock of
// that family, and that is the one released. With two held, the helper
// may have released either, and a sleep is under a spinlock all the same.
struct mm_struct;
struct vm_area_struct;

static int move_huge(struct mm_struct *mm, pmd_t *src_pmd)
{
	spinlock_t *src_ptl;

	src_ptl = pmd_lockptr(mm, src_pmd);
	lockdep_assert_held(src_ptl);
	if (!src_pmd) {
		spin_unlock(src_ptl);
		return -EINVAL;
	}
	spin_unlock(src_ptl);
	msleep(10);
	return 0;
}

int move_pages_one(struct mm_struct *mm, pmd_t *pmd, struct vm_area_struct *vma)
{
	spinlock_t *ptl;
	int err = 0;

	ptl = pmd_trans_huge_lock(pmd, vma);
	if (ptl)
		err = move_huge(mm, pmd);
	return err;
}

struct pair {
	spinlock_t a;
	spinlock_t b;
};

int move_pages_two(struct mm_struct *mm, pmd_t *pmd, struct pair *p)
{
	int err;

	spin_lock(&p->a);
	spin_lock(&p->b);
	err = move_huge(mm, pmd); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&p->a);
	return err;
}
