// An element of an array member reached by pointer arithmetic
// ("sb->s_writers.rw_sem + level - 1", __sb_start_write()) has the class
// of the array's elements, as an index would give it: a release through
// another path to the same superblock (the transaction's mount) matches
// it, and nothing leaks.
struct sb_writers {
	struct percpu_rw_semaphore rw_sem[3];
};

struct super {
	struct sb_writers s_writers;
};

struct mount {
	struct super *m_super;
};

struct trans {
	struct mount *t_mountp;
	int t_flags;
};

static void start_write(struct super *sb, int level)
{
	percpu_down_read(sb->s_writers.rw_sem + level - 1);
}

static void end_write(struct super *sb, int level)
{
	percpu_up_read(sb->s_writers.rw_sem + level - 1);
}

static void trans_free(struct trans *tp)
{
	end_write(tp->t_mountp->m_super, 3);
}

int trans_alloc(struct mount *mp, struct trans *tp, int err)
{
	start_write(mp->m_super, 3);
	tp->t_mountp = mp;
	if (err) {
		trans_free(tp);
		return err;
	}
	tp->t_flags = 1;
	trans_free(tp);
	return 0;
}

int trans_alloc_bad(struct mount *mp, struct trans *tp, int err)
{
	start_write(mp->m_super, 3);
	tp->t_mountp = mp;
	if (err)
		return err; /* want LOCK_LEAK "struct sb_writers::rw_sem\\[\\]" */
	trans_free(tp);
	return 0;
}
