// A state machine stepped by a function that switches on a member of
// what it is given (ncsi_configure_channel()'s "switch (nd->state)"): a
// caller that stores the state just before the call runs only that arm,
// so the arm that takes rtnl is not reached under the caller's spinlock.
enum { st_config, st_config_sp, st_apply_mac, st_done };
struct ncsi_dev { int state; };
struct ncsi_priv { struct ncsi_dev ndev; spinlock_t lock; };

static void configure_channel(struct ncsi_priv *ndp)
{
	struct ncsi_dev *nd = &ndp->ndev;

	switch (nd->state) {
	case st_config:
	case st_config_sp:
		nd->state = st_apply_mac;
		break;
	case st_apply_mac:
		rtnl_lock();
		rtnl_unlock();
		nd->state = st_done;
		break;
	default:
		break;
	}
}

void process_next(struct ncsi_priv *ndp)
{
	unsigned long flags;

	spin_lock_irqsave(&ndp->lock, flags);
	ndp->ndev.state = st_config;
	configure_channel(ndp);
	spin_unlock_irqrestore(&ndp->lock, flags);
}

/* The arm that sleeps, stored just before: reported. */
void process_apply(struct ncsi_priv *ndp)
{
	unsigned long flags;

	spin_lock_irqsave(&ndp->lock, flags);
	ndp->ndev.state = st_apply_mac;
	configure_channel(ndp); /* want SLEEP_IN_ATOMIC */
	spin_unlock_irqrestore(&ndp->lock, flags);
}

/* A state nothing here stores: any arm may run. */
void process_any(struct ncsi_priv *ndp)
{
	unsigned long flags;

	spin_lock_irqsave(&ndp->lock, flags);
	configure_channel(ndp); /* want SLEEP_IN_ATOMIC */
	spin_unlock_irqrestore(&ndp->lock, flags);
}

/* A second step after the first: the callee stored apply_mac itself. */
void process_twice(struct ncsi_priv *ndp)
{
	unsigned long flags;

	spin_lock_irqsave(&ndp->lock, flags);
	ndp->ndev.state = st_config;
	configure_channel(ndp);
	configure_channel(ndp); /* want SLEEP_IN_ATOMIC */
	spin_unlock_irqrestore(&ndp->lock, flags);
}

/*
 * A state the callee stores itself before it calls on (pxa25x's
 * handle_ep0() sets dev->ep0state, then calls the gadget driver's
 * setup()) is no condition its callers choose: the finding is plain.
 */
enum { EP0_IDLE, EP0_IN_DATA_PHASE };
struct udc { int ep0state; spinlock_t lock; };

static void handle_ep0(struct udc *dev)
{
	switch (dev->ep0state) {
	case EP0_IDLE:
		dev->ep0state = EP0_IN_DATA_PHASE;
		msleep(1);
		break;
	default:
		break;
	}
}

void udc_irq(struct udc *dev)
{
	spin_lock(&dev->lock);
	handle_ep0(dev); /* want SLEEP_IN_ATOMIC "may sleep$" */
	spin_unlock(&dev->lock);
}
