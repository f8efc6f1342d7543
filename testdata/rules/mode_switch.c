// A lock taken for some values of a mode variable and released under a
// test of the same values (slub's deactivate_slab()): enumerators are
// distinct, so "mode = M_FREE" answers "mode == M_PARTIAL" too, and
// states that hold the lock under different modes stay apart even when
// an unrelated branch (tail) doubles them.
enum slab_modes { M_NONE, M_PARTIAL, M_FULL, M_FREE, M_FULL_NOLIST };
struct node { spinlock_t list_lock; int nr_partial; };
struct slab { int inuse; void *freelist; unsigned long counters; int frozen; };

bool swap_counters(struct slab *slab, struct slab *old, struct slab *new);
bool debug_flags(struct node *n);

void deactivate(struct node *n, struct slab *slab, void *freelist, void *tail_obj, int min_partial)
{
	enum slab_modes mode = M_NONE;
	int tail = 0;
	unsigned long flags = 0;
	struct slab new, old;

	if (slab->freelist) {
		count_event(n, 1);
		tail = 1;
	}
redo:
	old.freelist = READ_ONCE(slab->freelist);
	old.counters = READ_ONCE(slab->counters);
	VM_BUG_ON(!old.frozen);
	new.counters = old.counters;
	if (tail_obj) {
		new.inuse -= 1;
		new.freelist = freelist;
	} else
		new.freelist = old.freelist;
	new.frozen = 0;

	if (!new.inuse && n->nr_partial >= min_partial) {
		mode = M_FREE;
	} else if (new.freelist) {
		mode = M_PARTIAL;
		spin_lock_irqsave(&n->list_lock, flags);
	} else if (debug_flags(n)) {
		mode = M_FULL;
		spin_lock_irqsave(&n->list_lock, flags);
	} else {
		mode = M_FULL_NOLIST;
	}

	if (!swap_counters(slab, &old, &new)) {
		if (mode == M_PARTIAL || mode == M_FULL)
			spin_unlock_irqrestore(&n->list_lock, flags);
		goto redo;
	}

	if (mode == M_PARTIAL) {
		add_to_partial(n, slab, tail);
		spin_unlock_irqrestore(&n->list_lock, flags);
		count_event(n, tail);
	} else if (mode == M_FREE) {
		count_event(n, 2);
		free_slab(slab);
		count_event(n, 3);
	} else if (mode == M_FULL) {
		add_to_full(n, slab);
		spin_unlock_irqrestore(&n->list_lock, flags);
		count_event(n, 4);
	} else if (mode == M_FULL_NOLIST) {
		count_event(n, 4);
	}
}

// The same shape with one value forgotten in the release: the path that
// set M_FULL returns with the lock.
void deactivate_leaky(struct node *n, struct slab *slab)
{
	enum slab_modes mode;
	unsigned long flags;

	if (slab->freelist) {
		mode = M_PARTIAL;
		spin_lock_irqsave(&n->list_lock, flags);
	} else if (slab->inuse) {
		mode = M_FULL;
		spin_lock_irqsave(&n->list_lock, flags);
	} else {
		mode = M_FREE;
	}

	if (mode == M_PARTIAL)
		spin_unlock_irqrestore(&n->list_lock, flags);
	else if (mode == M_FREE)
		kfree(slab);
} /* want LOCK_LEAK */

// The lock is taken for the commands that need it, decided once into a
// flag; the switch on the command then calls the helper that takes the
// lock itself only for a command the flag left unlocked.
enum gup_cmd { FAST_BENCH = 1, BASIC_TEST, PIN_FAST_BENCH, PIN_TEST };
struct mmst { struct rw_semaphore mmap_lock; };

static long pages_fast(struct mmst *mm)
{
	long n;

	down_read(&mm->mmap_lock);
	n = walk_pages(mm);
	up_read(&mm->mmap_lock);
	return n;
}

long gup_ioctl(struct mmst *mm, unsigned int cmd)
{
	bool needs_lock = cmd != FAST_BENCH && cmd != PIN_FAST_BENCH;
	long nr = 0;

	if (needs_lock)
		down_read(&mm->mmap_lock);
	switch (cmd) {
	case FAST_BENCH:
	case PIN_FAST_BENCH:
		nr = pages_fast(mm);
		break;
	case BASIC_TEST:
	case PIN_TEST:
		nr = walk_pages(mm);
		break;
	default:
		nr = -EINVAL;
	}
	if (needs_lock)
		up_read(&mm->mmap_lock);
	return nr;
}

// The same flag with a command that takes the lock twice: reported.
long gup_ioctl_wrong(struct mmst *mm, unsigned int cmd)
{
	bool needs_lock = cmd != FAST_BENCH;
	long nr = 0;

	if (needs_lock)
		down_read(&mm->mmap_lock);
	switch (cmd) {
	case FAST_BENCH:
		nr = walk_pages(mm);
		break;
	case PIN_FAST_BENCH:
		nr = pages_fast(mm); /* want DOUBLE_LOCK */
		break;
	}
	if (needs_lock)
		up_read(&mm->mmap_lock);
	return nr;
}

// A mode variable switched on: the case that did not take the lock does
// not release it.
void switch_mode(struct node *n, int busy)
{
	enum slab_modes mode = M_NONE;
	unsigned long flags;

	if (busy) {
		mode = M_PARTIAL;
		spin_lock_irqsave(&n->list_lock, flags);
	} else {
		mode = M_FREE;
	}
	switch (mode) {
	case M_PARTIAL:
		spin_unlock_irqrestore(&n->list_lock, flags);
		break;
	case M_FREE:
		break;
	default:
		spin_unlock_irqrestore(&n->list_lock, flags);
	}
	might_sleep();
}
