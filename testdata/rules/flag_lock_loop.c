// A scan loop that takes a lock on demand and remembers it in a flag, and
// a helper that drops it through the flag before rescheduling: the
// helper's sleep happens with the lock released (the shape of
// compaction's isolate loop).
struct zone {
	spinlock_t lock;
	int nr;
};

struct scan_ctl {
	struct zone *zone;
	int contended;
	int mode;
};

static bool scan_lock(spinlock_t *lock, unsigned long *flags, struct scan_ctl *sc)
{
	if (sc->mode == 1 && !sc->contended) {
		if (spin_trylock_irqsave(lock, *flags))
			return true;
		sc->contended = 1;
	}
	spin_lock_irqsave(lock, *flags);
	return true;
}

static bool scan_unlock_should_abort(spinlock_t *lock, unsigned long flags, bool *locked, struct scan_ctl *sc)
{
	if (*locked) {
		spin_unlock_irqrestore(lock, flags);
		*locked = false;
	}
	if (fatal_signal_pending(current)) {
		sc->contended = 1;
		return true;
	}
	cond_resched();
	return false;
}

unsigned long scan_block(struct scan_ctl *sc, unsigned long start, unsigned long end, int strict)
{
	unsigned long flags = 0;
	bool locked = false;
	unsigned long pfn;
	int taken = 0;

	for (pfn = start; pfn < end; pfn++) {
		if (!(pfn % 32) && scan_unlock_should_abort(&sc->zone->lock, flags, &locked, sc))
			break;
		if (pfn_busy(pfn))
			goto fail;
		if (!locked) {
			locked = scan_lock(&sc->zone->lock, &flags, sc);
			if (pfn_busy(pfn))
				goto fail;
		}
		taken++;
		if (!strict && taken > sc->zone->nr) {
			pfn += 1;
			break;
		}
		continue;
fail:
		if (strict)
			break;
	}
	if (locked)
		spin_unlock_irqrestore(&sc->zone->lock, flags);
	return pfn;
}

/*
 * Not reported, though it sleeps with the lock held: the helper's effects
 * do not keep conditions on what a pointer argument points to, so its
 * sleep counts as after the release it makes on some path.
 */
void scan_stuck(struct scan_ctl *sc)
{
	unsigned long flags;
	bool locked = false;

	spin_lock_irqsave(&sc->zone->lock, flags);
	scan_unlock_should_abort(&sc->zone->lock, flags, &locked, sc);
	spin_unlock_irqrestore(&sc->zone->lock, flags);
}
