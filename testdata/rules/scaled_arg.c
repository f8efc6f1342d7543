// A delay passed as a multiple of a setting (scc's
// scc_start_tx_timer(scc, t_dwait, scc->kiss.mintime*100) under "if
// (scc->kiss.mintime)"): zero exactly when the setting is, so the
// callee's "when == 0" arm, which runs the handler at once, is not taken
// and the handler only runs later from its timer.
struct scc { spinlock_t lock; int mintime; struct timer_list t; };

static void t_dwait(struct scc *scc)
{
	msleep(1);
}

static void start_tx_timer(struct scc *scc, void (*handler)(struct scc *), unsigned long when)
{
	if (when == 0)
		handler(scc);
	else
		add_timer(&scc->t);
}

void t_idle(struct scc *scc)
{
	unsigned long flags;

	spin_lock_irqsave(&scc->lock, flags);
	if (scc->mintime)
		start_tx_timer(scc, t_dwait, scc->mintime * 100);
	spin_unlock_irqrestore(&scc->lock, flags);
}

void t_idle_now(struct scc *scc)
{
	unsigned long flags;

	spin_lock_irqsave(&scc->lock, flags);
	if (!scc->mintime)
		start_tx_timer(scc, t_dwait, scc->mintime * 100); /* want SLEEP_IN_ATOMIC */
	spin_unlock_irqrestore(&scc->lock, flags);
}
