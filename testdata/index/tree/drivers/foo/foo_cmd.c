// Calls into other files under the device lock. Only the index tells
// what they do: foo_flush() sleeps two files down, foo_poke() allocates
// with the mask it is given two files down, and ->reset() of the one
// ops table filling it takes a mutex.
#include "foo.h"

void foo_cmd_flush(struct foo_dev *d)
{
	foo_lock(d);
	foo_flush(d);
	foo_unlock(d);
}

void foo_cmd_grow(struct foo_dev *d)
{
	foo_lock(d);
	foo_poke(d, GFP_KERNEL);
	foo_unlock(d);
}

void foo_cmd_reset(struct foo_dev *d)
{
	foo_lock(d);
	d->ops->reset(d);
	foo_unlock(d);
}

/* Negative: the mask does not block, and ->kick() does not sleep. */
void foo_cmd_poke(struct foo_dev *d)
{
	foo_lock(d);
	foo_poke(d, GFP_ATOMIC);
	d->ops->kick(d);
	foo_unlock(d);
}

/* Negative: the flush is called after the lock is dropped. */
void foo_cmd_flush_unlocked(struct foo_dev *d)
{
	foo_lock(d);
	d->n = 0;
	foo_unlock(d);
	foo_flush(d);
}
