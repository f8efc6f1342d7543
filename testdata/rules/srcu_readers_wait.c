// SRCU readers never block one another: waiting, inside a read-side
// section, for work that enters one on the same srcu_struct is no
// deadlock. Waiting for work that takes a mutex the waiter holds is.
struct kvmish {
	struct srcu_struct srcu;
	struct mutex slots_lock;
	struct work_struct reader_work;
	struct work_struct locker_work;
	int gen;
};

static void reader_fn(struct work_struct *w)
{
	struct kvmish *k = container_of(w, struct kvmish, reader_work);
	int idx = srcu_read_lock(&k->srcu);

	k->gen++;
	srcu_read_unlock(&k->srcu, idx);
}

static void locker_fn(struct work_struct *w)
{
	struct kvmish *k = container_of(w, struct kvmish, locker_work);

	mutex_lock(&k->slots_lock);
	k->gen++;
	mutex_unlock(&k->slots_lock);
}

void kvmish_init(struct kvmish *k)
{
	INIT_WORK(&k->reader_work, reader_fn);
	INIT_WORK(&k->locker_work, locker_fn);
}

void flush_in_reader(struct kvmish *k)
{
	int idx = srcu_read_lock(&k->srcu);

	flush_work(&k->reader_work);
	srcu_read_unlock(&k->srcu, idx);
}

void flush_under_mutex(struct kvmish *k)
{
	mutex_lock(&k->slots_lock);
	flush_work(&k->locker_work); /* want WAIT_UNDER_LOCK */
	mutex_unlock(&k->slots_lock);
}
