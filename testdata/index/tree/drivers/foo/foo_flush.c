// One file down: passes on to lib/foo_util.c.
#include "foo.h"

void foo_wait_idle(struct foo_dev *d);
int foo_util_alloc(struct foo_dev *d, gfp_t gfp);

void foo_flush(struct foo_dev *d)
{
	d->n = 0;
	foo_wait_idle(d);
}

int foo_poke(struct foo_dev *d, gfp_t gfp)
{
	return foo_util_alloc(d, gfp);
}
