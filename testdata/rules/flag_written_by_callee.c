// A lock helper that records the lock in a member of the object it locks
// (spi_bus_lock() sets ctlr->bus_lock_flag, spi_bus_unlock() clears it):
// the unlock's "flag is 0" is what it stores, not a condition on entry,
// so a caller that knows the flag set (from the lock helper) still
// releases the lock. ili9486's waveshare_command() takes the bus twice in
// a row.
struct mutex;
struct bus { struct mutex lock; int locked; };
struct dev { struct bus *bus; };
struct panel { struct dev *dev; };

int bus_lock(struct bus *b)
{
	mutex_lock(&b->lock);
	b->locked = 1;
	return 0;
}

int bus_unlock(struct bus *b)
{
	b->locked = 0;
	mutex_unlock(&b->lock);
	return 0;
}

int transfer(struct dev *d, int n);

int send_twice(struct panel *p, int n)
{
	struct dev *d = p->dev;
	int ret;

	bus_lock(d->bus);
	ret = transfer(d, 1);
	bus_unlock(d->bus);
	if (ret || !n)
		goto out;
	bus_lock(d->bus);
	ret = transfer(d, n);
	bus_unlock(d->bus);
out:
	return ret;
}

/* Without the unlock between them, the second lock is a deadlock. */
int send_twice_bad(struct panel *p, int n)
{
	struct dev *d = p->dev;
	int ret;

	bus_lock(d->bus);
	ret = transfer(d, 1);
	if (ret)
		goto out;
	bus_lock(d->bus); /* want DOUBLE_LOCK */
	ret = transfer(d, n);
out:
	bus_unlock(d->bus);
	return ret;
}
