// Plain seqcount_t writers need preemption disabled (seed 001).
struct stats {
	seqcount_t seq;
	seqcount_spinlock_t lseq;
	spinlock_t lock;
	raw_spinlock_t raw;
	u64 bytes;
};

void stats_update_bare(struct stats *s, u64 n)
{
	write_seqcount_begin(&s->seq); /* want SEQCOUNT_WRITE_PREEMPTIBLE */
	s->bytes += n;
	write_seqcount_end(&s->seq);
}

void stats_update_raw(struct stats *s, u64 n)
{
	raw_spin_lock(&s->raw);
	write_seqcount_begin(&s->seq);
	s->bytes += n;
	write_seqcount_end(&s->seq);
	raw_spin_unlock(&s->raw);
}

void stats_update_spin(struct stats *s, u64 n)
{
	spin_lock(&s->lock);
	write_seqcount_begin(&s->seq); /* want SEQCOUNT_WRITE_PREEMPTIBLE */
	s->bytes += n;
	write_seqcount_end(&s->seq);
	spin_unlock(&s->lock);
}

/* seqcount_spinlock_t carries its lock: fine on RT. */
void stats_update_assoc(struct stats *s, u64 n)
{
	spin_lock(&s->lock);
	write_seqcount_begin(&s->lseq);
	s->bytes += n;
	write_seqcount_end(&s->lseq);
	spin_unlock(&s->lock);
}

/* A static helper whose only caller disables preemption. */
static void __stats_write(struct stats *s, u64 n)
{
	write_seqcount_begin(&s->seq);
	s->bytes = n;
	write_seqcount_end(&s->seq);
}

void stats_set(struct stats *s, u64 n)
{
	preempt_disable();
	__stats_write(s, n);
	preempt_enable();
}
