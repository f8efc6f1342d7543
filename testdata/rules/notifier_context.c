// Callbacks on an atomic notifier chain run under rcu_read_lock(), from
// whatever context calls the chain (kernel/notifier.c): they must not
// sleep. xhci-tegra registers its notifier_block through a wrapper
// (devm_usb_get_phy_by_node() -> usb_register_notifier() ->
// atomic_notifier_chain_register()), after storing the callback in it.
struct notifier_block {
	int (*notifier_call)(struct notifier_block *nb, unsigned long action, void *data);
};

struct phy {
	struct atomic_notifier_head notifier;
	struct blocking_notifier_head bnotifier;
};

struct hcd {
	struct notifier_block ev_nb;
	struct notifier_block id_nb;
	struct notifier_block mode_nb;
	struct notifier_block quiet_nb;
	struct phy *phy;
	struct mutex lock;
	spinlock_t slock;
};

static inline int phy_register_notifier(struct phy *x, struct notifier_block *nb)
{
	return atomic_notifier_chain_register(&x->notifier, nb);
}

static int phy_get_and_register(struct phy *x, struct notifier_block *nb)
{
	if (nb)
		phy_register_notifier(x, nb);
	return 0;
}

static int hcd_id_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct hcd *h = container_of(nb, struct hcd, id_nb);
	char *name;

	name = kasprintf(GFP_KERNEL, "usb2-%lu", action); /* want SLEEP_IN_ATOMIC "kasprintf.*atomic notifier context" */
	kfree(name);
	return 0;
}

// A blocking chain's callback may sleep.
static int hcd_mode_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct hcd *h = container_of(nb, struct hcd, mode_nb);

	mutex_lock(&h->lock);
	mutex_unlock(&h->lock);
	return 0;
}

// An atomic chain's callback that only spins and queues is fine.
static int hcd_quiet_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct hcd *h = container_of(nb, struct hcd, quiet_nb);

	spin_lock(&h->slock);
	spin_unlock(&h->slock);
	return 0;
}

// What a callback does for each action is chosen by the chain's callers:
// switchdev's atomic chain never sends the attribute events its blocking
// chain does, and a driver's atomic handler keeps their case from before.
// The arm that tests the action is not judged; what every action gets is.
static int hcd_event(struct notifier_block *nb, unsigned long action, void *data)
{
	struct hcd *h = container_of(nb, struct hcd, ev_nb);

	switch (action) {
	case 1:
		mutex_lock(&h->lock);
		mutex_unlock(&h->lock);
		break;
	default:
		break;
	}
	msleep(1); /* want SLEEP_IN_ATOMIC "msleep" */
	return 0;
}

int hcd_init(struct hcd *h)
{
	h->ev_nb.notifier_call = hcd_event;
	atomic_notifier_chain_register(&h->phy->notifier, &h->ev_nb);
	h->id_nb.notifier_call = hcd_id_notify;
	phy_get_and_register(h->phy, &h->id_nb);
	h->mode_nb.notifier_call = hcd_mode_notify;
	blocking_notifier_chain_register(&h->phy->bnotifier, &h->mode_nb);
	h->quiet_nb.notifier_call = hcd_quiet_notify;
	atomic_notifier_chain_register(&h->phy->notifier, &h->quiet_nb);
	return 0;
}
