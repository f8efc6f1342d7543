// Two pointers that may name one lock: the page-table lock and the PMD
// lock are the same lock on some configurations, and code unlocks the
// second only when "pml != ptl". The analysis may take them for one lock;
// the path's own test says they are two.
int collapse(struct mm_struct *mm, pmd_t *pmd, unsigned long addr)
{
	spinlock_t *pml = NULL, *ptl;
	pte_t *start_pte;

	start_pte = pte_offset_map_nolock(mm, pmd, addr, &ptl);
	if (!start_pte)
		goto abort;
	pml = pmd_lock(mm, pmd);
	if (ptl != pml)
		spin_lock_nested(ptl, SINGLE_DEPTH_NESTING);
	if (!clear_ptes(start_pte))
		goto abort;
	if (ptl != pml)
		spin_unlock(ptl);
	spin_unlock(pml);
	pte_unmap(start_pte);
	return 0;
abort:
	if (start_pte)
		pte_unmap_unlock(start_pte, ptl);
	if (pml && pml != ptl)
		spin_unlock(pml);
	return -EAGAIN;
}

/* Without the test, unlocking both is a double unlock when they are one. */
void unlock_twice(spinlock_t *l)
{
	spinlock_t *same = l;

	spin_lock(l);
	spin_unlock(l);
	spin_unlock(same); /* want UNLOCK_NOT_HELD */
}
