// migration_entry_wait_on_locked() returns with the page-table lock it is
// given unlocked: the path through it does not leak the lock.
void wait_for_migration(struct mm_struct *mm, pmd_t *pmd, unsigned long address)
{
	spinlock_t *ptl;
	pte_t *ptep;
	pte_t pte;

	ptep = pte_offset_map_lock(mm, pmd, address, &ptl);
	if (!ptep)
		return;
	pte = ptep_get(ptep);
	pte_unmap(ptep);
	if (!is_swap_pte(pte))
		goto out;
	migration_entry_wait_on_locked(pte_to_swp_entry(pte), ptl);
	return;
out:
	spin_unlock(ptl);
}

/* The lock is gone after the wait: unlocking it again is a bug. */
void wait_and_unlock(struct mm_struct *mm, pmd_t *pmd, unsigned long address)
{
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmd, address, &ptl);

	if (!ptep)
		return;
	pte_unmap(ptep);
	migration_entry_wait_on_locked(pte_to_swp_entry(*ptep), ptl);
	spin_unlock(ptl); /* want UNLOCK_NOT_HELD */
}
