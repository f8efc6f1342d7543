// Findings whose path needs a value no caller in view decides (issue 22
// item 9): the condition is named, and such findings are left out of the
// default output (rules.Options.Conditional shows them).
#define F_SLOW 0x2

struct dev {
	unsigned int flags;
	spinlock_t lock;
};

static void dev_poke(struct dev *d)
{
	if (d->flags & F_SLOW)
		msleep(1);
}

static void dev_kick(struct dev *d, bool wait)
{
	if (wait)
		msleep(1);
}

static void dev_put(struct dev *d, int *deferred)
{
	if (!deferred)
		msleep(1);
}

/* Sleeps only for a slow device: nothing here says whether it is one. */
void dev_update(struct dev *d)
{
	spin_lock(&d->lock);
	dev_poke(d); /* want SLEEP_IN_ATOMIC "only if d->flags & F_SLOW" */
	spin_unlock(&d->lock);
}

/* Sleeps only if its own caller asks, and none in view does. */
void dev_update2(struct dev *d, bool wait)
{
	spin_lock(&d->lock);
	dev_kick(d, wait); /* want SLEEP_IN_ATOMIC "only if wait" */
	spin_unlock(&d->lock);
}

/* Passing a constant decides it: no condition left. */
void dev_update3(struct dev *d)
{
	spin_lock(&d->lock);
	dev_kick(d, true); /* want SLEEP_IN_ATOMIC "may sleep$" */
	dev_kick(d, false);
	spin_unlock(&d->lock);
}

/* The function's own branch is not a condition the analysis missed. */
void dev_update4(struct dev *d, bool wait)
{
	spin_lock(&d->lock);
	if (wait)
		msleep(1); /* want SLEEP_IN_ATOMIC "may sleep, but" */
	spin_unlock(&d->lock);
}

/* &deferred is never NULL: dev_put() does not sleep for this caller; a
 * caller handing on its own pointer sleeps only if that is NULL. */
void dev_release(struct dev *d, int *mine)
{
	int deferred;

	spin_lock(&d->lock);
	dev_put(d, &deferred);
	dev_put(d, mine); /* want SLEEP_IN_ATOMIC "only if !mine" */
	spin_unlock(&d->lock);
}

/* A range of a value any caller may pass (the PCI core writes every
 * register) is no condition: the finding stands. */
static DEFINE_RAW_SPINLOCK(cfg_raw);

static void dev_write_cfg(struct dev *d, int where, int size)
{
	if (where >= 4 && where + size <= 4096) {
		spin_lock(&d->lock);
		spin_unlock(&d->lock);
	}
}

void dev_write_config(struct dev *d, int where, int size)
{
	raw_spin_lock(&cfg_raw);
	dev_write_cfg(d, where, size); /* want RT_SLEEPING_LOCK_IN_ATOMIC "held$" */
	raw_spin_unlock(&cfg_raw);
}
