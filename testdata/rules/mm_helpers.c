// mm's lock helpers: locks returned by the call, taken through an
// out-parameter, and released by helpers defined in headers.
struct lruvec { spinlock_t lru_lock; int nr; };
struct folio;

void isolate(struct folio *folio)
{
	struct lruvec *lruvec = folio_lruvec_lock_irq(folio);

	lruvec->nr--;
	unlock_page_lruvec_irq(lruvec);
	cond_resched();
}

void isolate_bad(struct folio *folio)
{
	struct lruvec *lruvec = folio_lruvec_lock_irq(folio);

	cond_resched(); /* want SLEEP_IN_ATOMIC */
	unlock_page_lruvec_irq(lruvec);
}

int zap_pte(struct mm_struct *mm, pmd_t *pmd, unsigned long addr)
{
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(mm, pmd, addr, &ptl);

	if (!pte)
		return -EAGAIN;
	clear(pte);
	pte_unmap_unlock(pte, ptl);
	cond_resched();
	return 0;
}

void split_pmd(struct mm_struct *mm, pmd_t *pmd)
{
	spinlock_t *ptl = pmd_lock(mm, pmd);

	might_sleep(); /* want SLEEP_IN_ATOMIC */
	spin_unlock(ptl);
}

/* A helper this analysis cannot see, named as an unlock: the lock is no
 * longer counted as held after it. */
struct res { spinlock_t lock; int n; };

void use_res(struct res *r)
{
	spin_lock(&r->lock);
	r->n++;
	res_unlock_and_put(r);
	msleep(1);
}

// A lock taken "if anon and in the swap cache" is dropped under the same
// test: the folio's kind does not change in between, so the sleep after
// both is not under the lock.
void split_folio_cache(struct folio *folio, struct address_space *swap_cache)
{
	if (folio_test_anon(folio) && folio_test_swapcache(folio))
		xa_lock(&swap_cache->i_pages);
	folio_ref_inc(folio);
	if (folio_test_anon(folio) && folio_test_swapcache(folio))
		xa_unlock(&swap_cache->i_pages);
	might_sleep();
}

// A predicate that may change between the two tests (a flag another CPU
// sets) does not pair them: the path that took the lock and skipped the
// unlock is reported, as sleeping and as returning with it.
void test_twice(struct folio *folio, struct address_space *swap_cache)
{
	if (folio_test_dirty(folio))
		xa_lock(&swap_cache->i_pages);
	folio_ref_inc(folio);
	if (folio_test_dirty(folio))
		xa_unlock(&swap_cache->i_pages);
	might_sleep(); /* want SLEEP_IN_ATOMIC */
} /* want LOCK_LEAK */
