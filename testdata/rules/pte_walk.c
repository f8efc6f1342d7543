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

// Before 6.5 pte_offset_map_lock() could not fail and callers stored it
// without a test; handing the fault state to another function on one
// return does not make that a test of the pte.
vm_fault_t handle_missing(struct vm_fault *vmf);

vm_fault_t anon_fault(struct vm_fault *vmf, struct vm_area_struct *vma)
{
	vmf->pte = pte_offset_map_lock(vma->vm_mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!pte_none(*vmf->pte))
		goto unlock;
	if (userfaultfd_missing(vma)) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return handle_missing(vmf);
	}
	set_pte_at(vma->vm_mm, vmf->address, vmf->pte, vmf->orig_pte);
unlock:
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

// The mapped pte is read straight away: the path on which the map failed
// (NULL) cannot reach the read, so the unmap below pairs with the map.
void peek_pte(struct vm_fault *vmf)
{
	vmf->pte = pte_offset_map(vmf->pmd, vmf->address);
	vmf->orig_pte = *vmf->pte;
	if (pte_none(vmf->orig_pte)) {
		pte_unmap(vmf->pte);
		vmf->pte = NULL;
	}
	if (!vmf->pte)
		return;
	pte_unmap(vmf->pte);
}

// Without the read, the failed map is a path, and unmapping on it is
// reported.
void unmap_unchecked(struct vm_fault *vmf)
{
	vmf->pte = pte_offset_map(vmf->pmd, vmf->address);
	if (!vmf->pte)
		count_missing(vmf);
	pte_unmap(vmf->pte); /* want UNLOCK_NOT_HELD */
}

// A walk that keeps its lock pointer in the walk state: the helper takes
// the lock and stores it in pvmw->ptl, so what the walk knew of that
// member (NULL after the last unlock) is gone after the call; a lock
// taken through pvmw->ptl says the member is not NULL.
struct pvmw_state { spinlock_t *ptl; pte_t *pte; unsigned long address; };

static bool map_and_lock(struct pvmw_state *pvmw, spinlock_t **ptlp)
{
	pvmw->pte = pte_offset_map_nolock(NULL, NULL, pvmw->address, ptlp);
	if (!pvmw->pte)
		return false;
	pvmw->ptl = *ptlp;
	spin_lock(pvmw->ptl);
	return true;
}

bool walk_step(struct pvmw_state *pvmw, unsigned long end)
{
	spinlock_t *ptl;

restart:
	if (!map_and_lock(pvmw, &ptl))
		return false;
	while (pvmw->address < end) {
		if (pte_present(*pvmw->pte))
			return true;
		pvmw->address += PAGE_SIZE;
		if ((pvmw->address & 0x1ff000) == 0) {
			if (pvmw->ptl) {
				spin_unlock(pvmw->ptl);
				pvmw->ptl = NULL;
			}
			pte_unmap(pvmw->pte);
			pvmw->pte = NULL;
			goto restart;
		}
	}
	if (pvmw->ptl)
		spin_unlock(pvmw->ptl);
	pte_unmap(pvmw->pte);
	return false;
}

// A helper that stores a lock pointer in the caller's struct: the test
// of the member before the call says nothing of it after, and the sleep
// under the lock taken through it is reported.
struct lock_holder { spinlock_t *lock; };

static void attach_lock(struct lock_holder *h, spinlock_t *l)
{
	h->lock = l;
}

void use_attached(struct lock_holder *h, spinlock_t *l)
{
	if (h->lock)
		return;
	attach_lock(h, l);
	if (h->lock)
		spin_lock(h->lock);
	might_sleep(); /* want SLEEP_IN_ATOMIC */
	if (h->lock)
		spin_unlock(h->lock);
}

// The allocating arm tests its pte; the other arm's pte_offset_map_lock()
// is not tested on any path after it, so it is taken as an acquire (it
// could not fail before 6.5) and the unlock at the end pairs with it.
int apply_to_ptes(struct mm_struct *mm, pmd_t *pmd, unsigned long addr, bool create, int (*fn)(pte_t *))
{
	pte_t *pte, *mapped_pte;
	spinlock_t *ptl;
	int err = 0;

	if (create) {
		mapped_pte = pte = pte_alloc_map_lock(mm, pmd, addr, &ptl);
		if (!pte)
			return -ENOMEM;
	} else {
		mapped_pte = pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	}
	if (fn)
		err = fn(pte);
	pte_unmap_unlock(mapped_pte, ptl);
	return err;
}
