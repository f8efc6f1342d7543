// Bottom halves counted as the kernel counts them, where summaries meet:
// ppp's ppp_lock() takes two locks with spin_lock_bh() and ppp_unlock()
// releases both with spin_unlock_bh(), which leaves bottom halves on;
// mhi's parse_xfer_event() drops its caller's lock with read_unlock_bh()
// and takes it back with read_lock_bh(), no change for the caller; a lock
// taken with spin_lock_bh() and leaked is one leak, not one for the lock
// and one for bottom halves.
struct ppp {
	spinlock_t wlock;
	spinlock_t rlock;
	rwlock_t chan_lock;
	int closing;
};

static DEFINE_MUTEX(all_ppp_mutex);

#define ppp_xmit_lock(ppp)	spin_lock_bh(&(ppp)->wlock)
#define ppp_xmit_unlock(ppp)	spin_unlock_bh(&(ppp)->wlock)
#define ppp_recv_lock(ppp)	spin_lock_bh(&(ppp)->rlock)
#define ppp_recv_unlock(ppp)	spin_unlock_bh(&(ppp)->rlock)
#define ppp_lock(ppp)		do { ppp_xmit_lock(ppp); \
				     ppp_recv_lock(ppp); } while (0)
#define ppp_unlock(ppp)		do { ppp_recv_unlock(ppp); \
				     ppp_xmit_unlock(ppp); } while (0)

void ppp_uninit(struct ppp *ppp)
{
	ppp_lock(ppp);
	ppp->closing = 1;
	ppp_unlock(ppp);
	mutex_lock(&all_ppp_mutex);
	mutex_unlock(&all_ppp_mutex);
}

void deliver(struct ppp *ppp);

/* Called with chan_lock read-held; drops it around the delivery. */
static void parse_event(struct ppp *ppp)
{
	read_unlock_bh(&ppp->chan_lock);
	deliver(ppp);
	read_lock_bh(&ppp->chan_lock);
}

void process_events(struct ppp *ppp)
{
	read_lock_bh(&ppp->chan_lock);
	parse_event(ppp);
	read_unlock_bh(&ppp->chan_lock);
	mutex_lock(&all_ppp_mutex);
	mutex_unlock(&all_ppp_mutex);
}

int ppp_suspend(struct ppp *ppp)
{
	spin_lock_bh(&ppp->wlock);
	if (ppp->closing)
		return -EBUSY; /* want LOCK_LEAK */
	spin_unlock_bh(&ppp->wlock);
	return 0;
}
