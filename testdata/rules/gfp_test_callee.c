// A callee that sleeps only when its gfp mask allows blocking, tested
// with gfpflags_allow_blocking(): a caller passing GFP_ATOMIC under a
// spinlock is fine, one passing GFP_KERNEL is not.
struct log_buf { int len; };

static struct log_buf *log_start(int type, gfp_t gfp_mask)
{
	while (backlog_full()) {
		if (gfpflags_allow_blocking(gfp_mask))
			schedule_timeout(10);
		else
			break;
	}
	return new_buf(type);
}

static void log_event(gfp_t gfp_mask, int type)
{
	log_start(type, gfp_mask);
}

void set_promisc(spinlock_t *l)
{
	spin_lock(l);
	log_event(GFP_ATOMIC, 1);
	spin_unlock(l);
}

void set_promisc_bad(spinlock_t *l)
{
	spin_lock(l);
	log_event(GFP_KERNEL, 1); /* want SLEEP_IN_ATOMIC */
	spin_unlock(l);
}
