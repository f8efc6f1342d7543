// A helper that drops the caller's lock only when told to (dm-snap's
// wait_for_in_progress): a constant argument decides which outcome the
// caller gets.
static DECLARE_RWSEM(origins_lock);

struct snap { int in_progress; wait_queue_head_t wait; };

static bool wait_for_room(struct snap *s, bool unlock_origins)
{
	if (s->in_progress > 8) {
		if (unlock_origins)
			up_read(&origins_lock);
		io_schedule();
		return false;
	}
	return true;
}

int do_origin(struct snap *s, bool limit)
{
again:
	down_read(&origins_lock);
	if (limit) {
		if (!wait_for_room(s, true))
			goto again;
	}
	up_read(&origins_lock);
	return 0;
}

int do_origin_wrong(struct snap *s)
{
again:
	down_read(&origins_lock); /* want DOUBLE_LOCK */
	if (!wait_for_room(s, false))
		goto again; /* the helper kept the lock: taken again below */
	up_read(&origins_lock);
	return 0;
}
