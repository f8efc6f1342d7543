// The ops table: ->reset() takes a mutex, ->kick() only a spinlock.
#include "foo.h"

static DEFINE_MUTEX(foo_reset_mutex);
static DEFINE_SPINLOCK(foo_kick_lock);

static void foo_hw_reset(struct foo_dev *d)
{
	mutex_lock(&foo_reset_mutex);
	d->n = 0;
	mutex_unlock(&foo_reset_mutex);
}

static void foo_hw_kick(struct foo_dev *d)
{
	spin_lock(&foo_kick_lock);
	d->n++;
	spin_unlock(&foo_kick_lock);
}

const struct foo_ops foo_hw_ops = {
	.reset = foo_hw_reset,
	.kick = foo_hw_kick,
};
