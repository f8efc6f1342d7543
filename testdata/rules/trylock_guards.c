// Trylock wrappers and guard classes a file defines: a wrapper that
// returns spin_trylock()'s result, directly or through __cond_lock(), is
// held where its result says so; DEFINE_GUARD and DEFINE_LOCK_GUARD_1
// classes take their lock for the guard's scope.
struct foo {
	spinlock_t lock;
	struct mutex m;
	int n;
};

static int foo_trylock(struct foo *f) /* want summary:"returns nonzero: acquires spinlock_t struct foo::lock" */
{
	return spin_trylock(&f->lock);
}

static bool foo_trylock_annotated(struct foo *f) /* want summary:"returns nonzero: acquires spinlock_t struct foo::lock" */
{
	return __cond_lock(&f->lock, spin_trylock(&f->lock));
}

void use_wrapper(struct foo *f)
{
	if (!foo_trylock(f))
		return;
	msleep(1); /* want SLEEP_IN_ATOMIC "foo_trylock\\(\\)" */
	spin_unlock(&f->lock);
}

void use_annotated(struct foo *f)
{
	if (!foo_trylock_annotated(f)) {
		msleep(1); /* the lock was not taken: fine */
		return;
	}
	msleep(1); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&f->lock);
}

DEFINE_GUARD(foo, struct foo *, spin_lock(&_T->lock), spin_unlock(&_T->lock))

void guarded(struct foo *f)
{
	guard(foo)(f);
	msleep(1); /* want SLEEP_IN_ATOMIC "spin_lock\\(&f->lock\\)" */
}

void scoped(struct foo *f)
{
	scoped_guard(foo, f) {
		f->n++;
		msleep(1); /* want SLEEP_IN_ATOMIC */
	}
	msleep(1); /* the scope has ended */
}

DEFINE_LOCK_GUARD_1(foo_mutex, struct foo, mutex_lock(&_T->lock->m), mutex_unlock(&_T->lock->m))

void guarded_mutex(struct foo *f)
{
	spin_lock(&f->lock);
	guard(foo_mutex)(f); /* want SLEEP_IN_ATOMIC "mutex_lock\\(&f->m\\)" */
	spin_unlock(&f->lock);
}
