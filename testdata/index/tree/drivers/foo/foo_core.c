// The callee file: foo_resize() sleeps two calls down.
#include "foo.h"

static int foo_alloc(struct foo_dev *d, int n)
{
	void *p = kmalloc(n, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	d->buf = p;
	return 0;
}

static int foo_grow(struct foo_dev *d, int n)
{
	return foo_alloc(d, n);
}

int foo_resize(struct foo_dev *d, int n)
{
	d->n = n;
	return foo_grow(d, n);
}
