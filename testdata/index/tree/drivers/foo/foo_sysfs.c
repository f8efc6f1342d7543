// A second caller: the patch in testdata/index makes it resize under the
// lock, which only the index shows to sleep.
#include "foo.h"

int foo_store(struct foo_dev *d, int n)
{
	foo_lock(d);
	d->n = n;
	foo_unlock(d);
	return 0;
}
