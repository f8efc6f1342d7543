// kref_put() runs its release on the last reference only, and which put
// is the last is not known at the call: a reference taken just before, or
// one the caller holds, makes it not. The release's locks are followed
// (one that drops its caller's lock balances the books), its sleeps are
// not blamed on a put under a spinlock.
struct obj {
	struct kref ref;
	int id;
};

static DEFINE_SPINLOCK(list_lock);
static DEFINE_MUTEX(reg_mutex);

static void obj_release(struct kref *ref)
{
	struct obj *o = container_of(ref, struct obj, ref);

	mutex_lock(&reg_mutex);
	o->id = 0;
	mutex_unlock(&reg_mutex);
	kfree(o);
}

void obj_lookup_put(struct obj *o)
{
	spin_lock(&list_lock);
	kref_get(&o->ref);
	o->id++;
	kref_put(&o->ref, obj_release);
	spin_unlock(&list_lock);
}

static void obj_release_unlock(struct kref *ref)
	__releases(&list_lock)
{
	spin_unlock(&list_lock);
	kfree(container_of(ref, struct obj, ref));
}

void obj_put_locked(struct obj *o)
{
	spin_lock(&list_lock);
	if (!kref_put(&o->ref, obj_release_unlock))
		spin_unlock(&list_lock);
}

/* Calling the release itself under the lock is another matter. */
void obj_release_locked(struct obj *o)
{
	spin_lock(&list_lock);
	obj_release(&o->ref); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&list_lock);
}

/* A sleep after the test is not on the last put's path alone. */
void obj_drop_then_sleep(struct obj *o, atomic_t *users)
{
	spin_lock(&list_lock);
	if (!atomic_dec_and_test(users))
		o->id++;
	msleep(1); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&list_lock);
}

void obj_drop_then_sleep2(struct obj *o, atomic_t *users)
{
	spin_lock(&list_lock);
	if (atomic_dec_and_test(users))
		o->id = 0;
	msleep(1); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&list_lock);
}
