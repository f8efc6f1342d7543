// Hand-written puts: what runs when refcount_dec_and_test() says the
// reference was the last is the release, and which put is the last is not
// known at a put under a lock (a get just before, or one the caller
// holds, makes it not). Its sleeps are not blamed on the put; the put's
// own sleeps still are.
struct obj {
	refcount_t ref;
	atomic_t users;
};

static DEFINE_MUTEX(registry_mutex);
static DEFINE_SPINLOCK(list_lock);

static void obj_free(struct obj *o)
{
	mutex_lock(&registry_mutex);
	mutex_unlock(&registry_mutex);
	kfree(o);
}

static void obj_put(struct obj *o)
{
	if (refcount_dec_and_test(&o->ref))
		obj_free(o);
}

static void obj_unuse(struct obj *o)
{
	if (!atomic_dec_and_test(&o->users))
		return;
	obj_free(o);
}

static void obj_put_and_sync(struct obj *o)
{
	mutex_lock(&registry_mutex);
	mutex_unlock(&registry_mutex);
	obj_put(o);
}

void list_drop(struct obj *o)
{
	spin_lock(&list_lock);
	obj_put(o);
	obj_unuse(o);
	spin_unlock(&list_lock);
}

void list_drop_sync(struct obj *o)
{
	spin_lock(&list_lock);
	obj_put_and_sync(o); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&list_lock);
}
