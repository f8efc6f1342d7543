// Locals that stand for an expression of the parameters: a lock taken
// through one and released by a helper that names it another way is one
// lock instance, and its class comes from the local's declared type.
// struct rwb is defined in a header this file does not see.

static inline void rwb_write_unlock(struct rwb *rwb, unsigned long flags)
{
	struct rtm_base *rtm = &rwb->rtmutex;

	rwb->readers = 0;
	raw_spin_unlock_irqrestore(&rtm->wait_lock, flags);
}

int rwb_write_lock(struct rwb *rwb, int state)
{
	struct rtm_base *rtm = &rwb->rtmutex;
	unsigned long flags;

	raw_spin_lock_irqsave(&rtm->wait_lock, flags);
	if (signal_pending_state(state, current)) {
		rwb_write_unlock(rwb, flags);
		return -EINTR;
	}
	raw_spin_unlock_irqrestore(&rtm->wait_lock, flags);
	return 0;
}

/* The same helper misused: the lock is released twice. */
void rwb_write_unlock_twice(struct rwb *rwb, unsigned long flags)
{
	struct rtm_base *rtm = &rwb->rtmutex;

	raw_spin_lock_irqsave(&rtm->wait_lock, flags);
	rwb_write_unlock(rwb, flags);
	raw_spin_unlock_irqrestore(&rtm->wait_lock, flags); /* want UNLOCK_NOT_HELD */
}

/* A local loaded from a void pointer keeps its own type's class. */
struct conf { spinlock_t device_lock; wait_queue_head_t wait; int quiesce; };
struct mddev { void *private; };

void read_one_chunk(struct mddev *mddev)
{
	struct conf *conf = mddev->private;

	spin_lock_irq(&conf->device_lock);
	wait_event_lock_irq(conf->wait, conf->quiesce == 0, conf->device_lock);
	spin_unlock_irq(&conf->device_lock);
}
