// Page-table walks: the lock taken lazily inside the loop with
// "if (!ptep++)", the RCU section of pte_offset_map_lock, and a pointer
// that was dereferenced to take a lock is known non-NULL.
struct vma { struct mm_struct *vm_mm; };
struct lruvec { spinlock_t lru_lock; };

int swapin_walk(pmd_t *pmd, unsigned long start, unsigned long end, struct vma *vma)
{
	pte_t *ptep = NULL;
	spinlock_t *ptl;
	unsigned long addr;

	for (addr = start; addr < end; addr += PAGE_SIZE) {
		if (!ptep++) {
			ptep = pte_offset_map_lock(vma->vm_mm, pmd, addr, &ptl);
			if (!ptep)
				break;
		}
		if (!need_swap(ptep))
			continue;
		pte_unmap_unlock(ptep, ptl);
		ptep = NULL;
		read_swap(addr);
		cond_resched();
	}
	if (ptep)
		pte_unmap_unlock(ptep, ptl);
	return 0;
}

void map_pages(struct vm_fault *vmf)
{
	rcu_read_lock();
	vmf->pte = pte_offset_map_lock(vmf->mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (vmf->pte)
		pte_unmap_unlock(vmf->pte, vmf->ptl);
	rcu_read_unlock();
}

void isolate_block(struct lruvec **vecs, int n)
{
	struct lruvec *locked = NULL;
	int i;

	for (i = 0; i < n; i++) {
		struct lruvec *lruvec = vecs[i];

		if (lruvec != locked) {
			if (locked)
				spin_unlock(&locked->lru_lock);
			spin_lock(&lruvec->lru_lock);
			locked = lruvec;
		}
		if (i % 32 == 0) {
			if (locked) {
				spin_unlock(&locked->lru_lock);
				locked = NULL;
			}
			cond_resched();
		}
	}
	if (locked)
		spin_unlock(&locked->lru_lock);
}

// The walk state is handed to helpers by address; none of them repoints
// the tested member, so the test after them still tells success apart.
struct pgtable_args { struct mm_struct *mm; pmd_t *pmdp; unsigned long vaddr; pte_t *ptep; };
void pte_checks(struct pgtable_args *args);

void run_pte_checks(struct pgtable_args args)
{
	spinlock_t *ptl;

	args.ptep = pte_offset_map_lock(args.mm, args.pmdp, args.vaddr, &ptl);
	pte_checks(&args);
	if (args.ptep)
		pte_unmap_unlock(args.ptep, ptl);
}

// A helper given &locked may set it: what the path knew of it is gone,
// so the unlock under the flag is not blamed as unbalanced.
void take_if_idle(spinlock_t *l, bool *locked);

void flagged_by_helper(spinlock_t *l)
{
	bool locked = false;

	take_if_idle(l, &locked);
	if (locked)
		spin_unlock(l);
}

// folio_walk_start() returns the folio with the walk's page-table lock
// held; folio_walk_end() drops it.
struct folio_walk { spinlock_t *ptl; int level; };

void split_walk(struct vm_area_struct *vma, unsigned long addr, unsigned long end)
{
	struct folio_walk fw;
	struct folio *folio;

	for (; addr < end; addr += PAGE_SIZE) {
		folio = folio_walk_start(&fw, vma, addr, 0);
		if (!folio)
			continue;
		folio_get(folio);
		folio_walk_end(&fw, vma);
		folio_lock(folio);
		folio_unlock(folio);
		folio_put(folio);
		cond_resched();
	}
}

void split_walk_locked(struct vm_area_struct *vma, unsigned long addr)
{
	struct folio_walk fw;
	struct folio *folio;

	folio = folio_walk_start(&fw, vma, addr, 0);
	if (!folio)
		return;
	folio_lock(folio); /* want SLEEP_IN_ATOMIC */
	folio_unlock(folio);
	folio_walk_end(&fw, vma);
}
