// What a callee asserts its caller holds (lockdep_assert_preemption_disabled(),
// lockdep_assert_irqs_disabled()) is held after the call: its caller's
// caller provides it. u64_stats' __u64_stats_update_begin() calls
// preempt_disable_nested(), which on a kernel without PREEMPT_RT only
// asserts that preemption is off, then writes the seqcount; and a sleep
// after such a call is a sleep where the code says interrupts are off.
struct stats_sync {
	seqcount_t seq;
};

#define assert_preempt_off() lockdep_assert_preemption_disabled()

static inline void irqs_must_be_off(void)
{
	lockdep_assert_irqs_disabled();
}

static inline void stats_update_begin(struct stats_sync *s)
{
	assert_preempt_off();
	write_seqcount_begin(&s->seq);
}

static inline void stats_update_end(struct stats_sync *s)
{
	write_seqcount_end(&s->seq);
}

void stats_add(struct stats_sync *s, unsigned long *v)
{
	stats_update_begin(s);
	(*v)++;
	stats_update_end(s);
}

/* Without the assertion the write is preemptible. */
void stats_add_bare(struct stats_sync *s, unsigned long *v)
{
	write_seqcount_begin(&s->seq); /* want SEQCOUNT_WRITE_PREEMPTIBLE */
	(*v)++;
	write_seqcount_end(&s->seq);
}

void tick_update(unsigned long *v)
{
	irqs_must_be_off();
	(*v)++;
	msleep(1); /* want SLEEP_IN_ATOMIC */
}
