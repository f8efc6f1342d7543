// A test of several flag bits at once is a test of each: after
// WARN_ON(flags & (NO_LOCK | NO_UNLOCK)) (vchiq's queue_message() for
// data messages) neither bit is set, so the path that took the mutex
// again cannot skip the unlock that "!(flags & NO_LOCK)" guards.
#define QM_NO_LOCK 1
#define QM_NO_UNLOCK 2
struct qstate { struct mutex slot_mutex; };
int reserve_space(struct qstate *s);

int queue_message(struct qstate *s, int type, int flags)
{
	if (!(flags & QM_NO_LOCK) && mutex_lock_killable(&s->slot_mutex))
		return -11;
	if (type == 3) {
		WARN_ON(flags & (QM_NO_LOCK | QM_NO_UNLOCK));
		mutex_unlock(&s->slot_mutex);
		mutex_lock(&s->slot_mutex);
	}
	if (!reserve_space(s)) {
		if (!(flags & QM_NO_LOCK))
			mutex_unlock(&s->slot_mutex);
		return -11;
	}
	if (!(flags & QM_NO_UNLOCK))
		mutex_unlock(&s->slot_mutex);
	return 0;
}

/* Without the assertion the bit may be set there: the leak is reported. */
int queue_message_unchecked(struct qstate *s, int type, int flags)
{
	if (!(flags & QM_NO_LOCK) && mutex_lock_killable(&s->slot_mutex))
		return -11;
	if (type == 3) {
		mutex_unlock(&s->slot_mutex);
		mutex_lock(&s->slot_mutex);
	}
	if (!reserve_space(s)) {
		if (!(flags & QM_NO_LOCK))
			mutex_unlock(&s->slot_mutex);
		return -11; /* want LOCK_LEAK */
	}
	if (!(flags & QM_NO_UNLOCK))
		mutex_unlock(&s->slot_mutex);
	return 0;
}
