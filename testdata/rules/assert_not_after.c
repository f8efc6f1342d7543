// A callee's lockdep_assert_irqs_disabled() says what its caller holds
// on the path that asserts it, not what the caller holds after the call:
// bio_put_percpu_cache() asserts interrupts off only when it does not
// run in a task, and every bio_put() caller freeing memory after it is
// no allocation with interrupts off. (Carried to callers, the assertion
// made 938 such findings of the whole tree.)
struct cache {
	int nr;
	int nr_irq;
};

struct obj {
	struct cache *cache;
	void *buf;
};

static void obj_put_cache(struct obj *o)
{
	if (in_task()) {
		o->cache->nr++;
	} else {
		lockdep_assert_irqs_disabled();
		o->cache->nr_irq++;
	}
}

void obj_release(struct obj *o)
{
	obj_put_cache(o);
	kfree(o->buf);
}
