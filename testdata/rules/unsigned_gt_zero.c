// "x > 0" of an unsigned x is "x != 0": a lock taken under one and
// released under the other is taken and released together
// (hci_setup_ext_adv_instance_sync()'s u8 instance).
struct hdev {
	struct mutex lock;
	int allowed;
};

extern int find_instance(struct hdev *h, int instance);

int setup_instance(struct hdev *h, u8 instance)
{
	if (instance > 0) {
		mutex_lock(&h->lock);
		if (!find_instance(h, instance)) {
			mutex_unlock(&h->lock);
			return -EINVAL;
		}
	}
	if (!h->allowed) {
		if (instance)
			mutex_unlock(&h->lock);
		return -EPERM;
	}
	if (instance)
		mutex_unlock(&h->lock);
	return 0;
}

/* A test of something else between is still a leak. */
int setup_other(struct hdev *h, u8 instance)
{
	if (instance > 0)
		mutex_lock(&h->lock);
	if (!h->allowed)
		return -EPERM; /* want LOCK_LEAK */
	if (instance > 0)
		mutex_unlock(&h->lock);
	return 0;
}
