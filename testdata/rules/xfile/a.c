// A caller in one file, its callee's sleep two calls down in another:
// found when both files are analysed, or when b.c's summaries come from
// an index (rules/encode_test.go analyses a.c alone against them).
#include "xfile.h"

void xf_update(struct xf_dev *d, int n)
{
	spin_lock(&d->lock);
	xf_resize(d, n); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&d->lock);
}

/* The helper takes the lock: callers get a lock wrapper's effect. */
void xf_reset(struct xf_dev *d)
{
	xf_lock(d);
	d->n = 0;
	xf_unlock(d);
}

/* GFP_ATOMIC through the gfp parameter does not sleep. */
void xf_update_atomic(struct xf_dev *d, int n)
{
	spin_lock(&d->lock);
	xf_grow(d, n, GFP_ATOMIC);
	spin_unlock(&d->lock);
}

/* Two xarrays, each locked through its own function's xas. */
void xf_move(struct xarray *from, struct xarray *to, void *entry)
{
	XA_STATE(xas, from, 0);

	xas_lock(&xas);
	xf_store(to, 1, entry);
	xas_unlock(&xas);
}
