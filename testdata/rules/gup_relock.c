// The gup "locked" protocol from the callee's side: the caller holds
// mmap_lock, the fault-in helper may drop it (and says so through
// *locked), and the loop takes it back. Taking it again is not a double
// lock: it was dropped first.
static long populate(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	int locked = 1;
	long pages;

	while (start < end) {
		pages = faultin_page_range(mm, start, end, false, &locked);
		if (!locked) {
			mmap_read_lock(mm);
			locked = 1;
		}
		if (pages < 0)
			return pages;
		start += pages * PAGE_SIZE;
	}
	return 0;
}

long do_populate(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	long err;

	mmap_read_lock(mm);
	err = populate(mm, start, end);
	mmap_read_unlock(mm);
	return err;
}

/* Without a helper that may drop it, taking it again is a double lock. */
static void touch_locked(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	mmap_read_unlock(mm);
}

void do_touch(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	touch_locked(mm); /* want DOUBLE_LOCK */
	mmap_read_unlock(mm);
}
