// Two files down: the waits and allocations themselves.
#include "../drivers/foo/foo.h"

void foo_wait_idle(struct foo_dev *d)
{
	while (READ_ONCE(d->n))
		msleep(1);
}

int foo_util_alloc(struct foo_dev *d, gfp_t gfp)
{
	d->buf = kmalloc(64, gfp);
	return d->buf ? 0 : -ENOMEM;
}
