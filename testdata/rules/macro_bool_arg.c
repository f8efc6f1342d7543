// A flag passed as an object-like macro of a boolean ("#define
// CAN_NOT_SLEEP false", ionic's ionic_link_status_check_request() from
// its watchdog timer) decides the callee's branch as the literal does.
#define CAN_SLEEP	true
#define CAN_NOT_SLEEP	false

struct lif {
	struct mutex queue_lock;
	spinlock_t lock;
};

static void link_check(struct lif *lif)
{
	mutex_lock(&lif->queue_lock);
	mutex_unlock(&lif->queue_lock);
}

void link_check_request(struct lif *lif, bool can_sleep)
{
	if (!can_sleep)
		return;
	link_check(lif);
}

void watchdog(struct lif *lif)
{
	spin_lock(&lif->lock);
	link_check_request(lif, CAN_NOT_SLEEP); /* fine: the mutex is only taken when it can sleep */
	spin_unlock(&lif->lock);
}

void watchdog_literal(struct lif *lif)
{
	spin_lock(&lif->lock);
	link_check_request(lif, false);
	spin_unlock(&lif->lock);
}

void worker(struct lif *lif)
{
	spin_lock(&lif->lock);
	link_check_request(lif, CAN_SLEEP); /* want SLEEP_IN_ATOMIC "mutex_lock\\(&lif->queue_lock\\) in link_check\\(\\) may sleep" */
	spin_unlock(&lif->lock);
}
