#include "xfile.h"

static int xf_alloc(struct xf_dev *d, int n, gfp_t gfp)
{
	void *p = kmalloc(n, gfp);

	if (!p)
		return -ENOMEM;
	d->buf = p;
	return 0;
}

int xf_grow(struct xf_dev *d, int n, gfp_t gfp)
{
	return xf_alloc(d, n, gfp);
}

int xf_resize(struct xf_dev *d, int n)
{
	d->n = n;
	return xf_grow(d, n, GFP_KERNEL);
}

void xf_lock(struct xf_dev *d)
{
	spin_lock(&d->lock);
}

void xf_unlock(struct xf_dev *d)
{
	spin_unlock(&d->lock);
}

/* Its xas is its own: a caller's xas, however named, is another. */
void *xf_store(struct xarray *xa, unsigned long index, void *entry)
{
	XA_STATE(xas, xa, index);

	xas_lock(&xas);
	xas_store(&xas, entry);
	xas_unlock(&xas);
	return entry;
}
