// The caller file: it calls foo_resize() under the device lock.
#include "foo.h"

void foo_update(struct foo_dev *d, int n)
{
	foo_lock(d);
	foo_resize(d, n);
	foo_unlock(d);
}
