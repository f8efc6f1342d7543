// Calls through struct baz_ops, whose definition is only in
// <linux/baz_ops.h>: the index's types name the member.
#include <linux/baz_ops.h>

static DEFINE_SPINLOCK(baz_lock);

int baz_start_locked(struct baz_dev *b)
{
	int ret;

	spin_lock(&baz_lock);
	b->users++;
	ret = b->ops->start(b);
	spin_unlock(&baz_lock);
	return ret;
}

/* ->stop() does not sleep. */
void baz_stop_locked(struct baz_dev *b)
{
	spin_lock(&baz_lock);
	b->ops->stop(b);
	b->users--;
	spin_unlock(&baz_lock);
}

/* Unlocked: its callers see that it may sleep. */
int baz_start(struct baz_dev *b)
{
	return b->ops->start(b);
}
