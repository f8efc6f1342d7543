// A transaction that holds freeze protection unless it was allocated
// with a flag saying otherwise (xfs_trans_alloc()/xfs_trans_cancel()):
// the cancel ends it on the returns where the flag is clear. A caller
// that cancels and retries holds it again only if the flag is set, a
// condition nothing in view decides: named, not asserted.
struct percpu_rw_semaphore;
struct super_block { struct percpu_rw_semaphore s_writers; };
struct mount { struct super_block *m_super; };
struct trans { struct mount *t_mountp; unsigned int t_flags; };
#define TRANS_NO_WRITECOUNT 0x1

static void trans_free(struct trans *tp)
{
	if (!(tp->t_flags & TRANS_NO_WRITECOUNT))
		percpu_up_read(&tp->t_mountp->m_super->s_writers);
	kfree(tp);
}

void trans_cancel(struct trans *tp)
{
	trans_free(tp);
}

int trans_alloc(struct mount *mp, unsigned int flags, struct trans **tpp)
{
	struct trans *tp = kzalloc(sizeof(*tp), GFP_KERNEL);

	if (!(flags & TRANS_NO_WRITECOUNT))
		percpu_down_read(&mp->m_super->s_writers);
	tp->t_mountp = mp;
	tp->t_flags = flags;
	*tpp = tp;
	return 0;
}

int reserve_quota(struct trans *tp);

int trans_alloc_retry(struct mount *mp, struct trans **tpp)
{
	struct trans *tp;
	int retried = 0;
	int error;

retry:
	error = trans_alloc(mp, 0, &tp); /* want DOUBLE_LOCK "only if tp->t_flags & TRANS_NO_WRITECOUNT" */
	if (error)
		return error;
	error = reserve_quota(tp);
	if (!retried && error == -28) {
		trans_cancel(tp);
		retried = 1;
		goto retry;
	}
	*tpp = tp;
	return 0;
}

/* A cancel that always ends the protection leaves nothing to name. */
void trans_cancel_all(struct trans *tp)
{
	percpu_up_read(&tp->t_mountp->m_super->s_writers);
	kfree(tp);
}

int trans_alloc_retry_all(struct mount *mp, struct trans **tpp)
{
	struct trans *tp;
	int retried = 0;
	int error;

retry:
	error = trans_alloc(mp, 0, &tp);
	if (error)
		return error;
	error = reserve_quota(tp);
	if (!retried && error == -28) {
		trans_cancel_all(tp);
		retried = 1;
		goto retry;
	}
	*tpp = tp;
	return 0;
}
