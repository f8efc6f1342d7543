// The one implementation of struct baz_ops: ->start() sleeps.
#include <linux/baz_ops.h>

static int baz_hw_start(struct baz_dev *b)
{
	msleep(10);
	return 0;
}

static void baz_hw_stop(struct baz_dev *b)
{
	b->users = 0;
}

const struct baz_ops baz_hw_ops = {
	.start = baz_hw_start,
	.stop = baz_hw_stop,
};
