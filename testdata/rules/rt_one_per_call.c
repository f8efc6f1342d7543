// A callee that may take any of several sleeping locks, called in a
// truly atomic context, is one finding at the call, shown by its
// shortest chain (ghes_notify_nmi() under its raw lock, whose estatus
// reads may reach eight spinlock_t deep in the mapping code); a lock
// taken on the line itself is one finding per lock.
struct dev {
	raw_spinlock_t raw;
	spinlock_t a;
	spinlock_t b;
	int n;
};

static void touch_both(struct dev *d)
{
	spin_lock(&d->a);
	d->n++;
	spin_unlock(&d->a);
	spin_lock(&d->b);
	d->n--;
	spin_unlock(&d->b);
}

void notify(struct dev *d)
{
	raw_spin_lock(&d->raw);
	touch_both(d); /* want RT_SLEEPING_LOCK_IN_ATOMIC */
	raw_spin_unlock(&d->raw);
}
