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

/* An ops member's fallback is a path like any other, not a condition:
 * a driver without the member takes it, and many do (thermal zones
 * without .get_crit_temp take the zone's lock in
 * thermal_zone_get_crit_temp(), the other half of a real AB-BA). */
struct ll_ops {
	void (*request)(struct dev *d, int type);
};

struct hdev {
	struct ll_ops *ll;
	struct dev *d;
};

static void generic_request(struct hdev *h, int type)
{
	void *buf = kmalloc(64, GFP_KERNEL);

	kfree(buf);
}

static void hw_request(struct hdev *h, int type)
{
	if (h->ll->request)
		return h->ll->request(h->d, type);
	generic_request(h, type);
}

void dev_play(struct hdev *h)
{
	spin_lock(&h->d->lock);
	hw_request(h, 1); /* want SLEEP_IN_ATOMIC "in generic_request\\(\\) may sleep$" */
	spin_unlock(&h->d->lock);
}

/* The function's own test of the member, the same. */
void dev_play2(struct hdev *h)
{
	spin_lock(&h->d->lock);
	if (h->ll->request)
		h->ll->request(h->d, 2);
	msleep(1); /* want SLEEP_IN_ATOMIC "may sleep, but" */
	spin_unlock(&h->d->lock);
}

/* A flag that permits sleeping, copied into an object a function in
 * between makes for itself (the crypto hash walk's flags, from the
 * request's): nothing in view says it is set, so the sleep is a
 * condition. A flag whose absence lets it sleep is no condition. */
#define REQ_MAY_SLEEP 0x200
#define REQ_NOWAIT 0x400

struct hreq {
	unsigned int flags;
};

struct hwalk {
	unsigned int flags;
	int n;
};

static void hwalk_first(struct hreq *r, struct hwalk *w)
{
	w->flags = r->flags;
	w->n = 4;
}

static void hyield(unsigned int flags)
{
	if (flags & REQ_MAY_SLEEP)
		cond_resched();
}

static int hwalk_done(struct hwalk *w)
{
	hyield(w->flags);
	return --w->n;
}

static int hwalk_wait(struct hwalk *w)
{
	if (!(w->flags & REQ_NOWAIT))
		msleep(1);
	return --w->n;
}

static int hupdate(struct hreq *r)
{
	struct hwalk w;

	hwalk_first(r, &w);
	while (hwalk_done(&w) > 0)
		;
	return 0;
}

static int hupdate_wait(struct hreq *r)
{
	struct hwalk w;

	hwalk_first(r, &w);
	while (hwalk_wait(&w) > 0)
		;
	return 0;
}

void hash_locked(struct hreq *r, struct dev *d)
{
	spin_lock(&d->lock);
	hupdate(r); /* want SLEEP_IN_ATOMIC "only if w.flags & REQ_MAY_SLEEP" */
	spin_unlock(&d->lock);
}

void hash_wait_locked(struct hreq *r, struct dev *d)
{
	spin_lock(&d->lock);
	hupdate_wait(r); /* want SLEEP_IN_ATOMIC "in hwalk_wait\\(\\) may sleep$" */
	spin_unlock(&d->lock);
}
