// Code written for both contexts picks its lock by a mode the object
// carries (ALSA's snd_pcm_stream_lock(): a mutex for a nonatomic PCM, a
// spinlock otherwise). An interrupt handler reaching it is on the
// spinning side: the mutex arm is not reported under an atomic context.
// Which table a function handed an ops table calls through it is the
// caller's choice (snd_pcm_stop() hands &snd_pcm_action_stop): the
// effects of another table's implementation are not the caller's.
struct pcm {
	int nonatomic;
	struct mutex mutex;
	spinlock_t lock;
};

struct action_ops {
	int (*do_action)(struct pcm *p);
};

static void pcm_lock(struct pcm *p)
{
	if (p->nonatomic)
		mutex_lock(&p->mutex);
	else
		spin_lock(&p->lock);
}

static void pcm_unlock(struct pcm *p)
{
	if (p->nonatomic)
		mutex_unlock(&p->mutex);
	else
		spin_unlock(&p->lock);
}

static int do_stop(struct pcm *p)
{
	return 0;
}

static int do_prepare(struct pcm *p)
{
	msleep(10);
	return 0;
}

static const struct action_ops action_stop = {
	.do_action = do_stop,
};

static const struct action_ops action_prepare = {
	.do_action = do_prepare,
};

static int pcm_action(const struct action_ops *ops, struct pcm *p)
{
	int ret;

	pcm_lock(p);
	ret = ops->do_action(p);
	pcm_unlock(p);
	return ret;
}

static irqreturn_t pcm_irq(int irq, void *data)
{
	struct pcm *p = data;

	pcm_action(&action_stop, p);
	return IRQ_HANDLED;
}

static irqreturn_t pcm_irq_bad(int irq, void *data)
{
	struct pcm *p = data;

	pcm_action(&action_prepare, p); /* want SLEEP_IN_ATOMIC "msleep" */
	return IRQ_HANDLED;
}

/* Not a mode: both arms may sleep, or neither locks. */
static void both_sleep(struct pcm *p)
{
	if (p->nonatomic)
		mutex_lock(&p->mutex);
	else
		msleep(1);
}

static irqreturn_t pcm_irq_sleep(int irq, void *data)
{
	struct pcm *p = data;

	both_sleep(p); /* want SLEEP_IN_ATOMIC */
	return IRQ_HANDLED;
}

int pcm_probe(struct pcm *p, int irq)
{
	int ret;

	ret = request_irq(irq, pcm_irq, 0, "pcm", p);
	if (ret)
		return ret;
	ret = request_irq(irq + 1, pcm_irq_bad, 0, "pcm", p);
	if (ret)
		return ret;
	return request_irq(irq + 2, pcm_irq_sleep, 0, "pcm", p);
}
