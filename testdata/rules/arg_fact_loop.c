// A scalar argument tested before a loop: the loop's back edge knows it,
// the path that never tested it does not, and merged the two would forget
// it (virtio_rpmsg's rpmsg_send_offchannel_raw(..., wait) waiting for a
// buffer only when wait is set; virtio_rpmsg_trysend() passes false).
static DEFINE_SPINLOCK(sl);
void *get_buf(void);

static int raw_send(int len, bool wait)
{
	void *msg = get_buf();

	if (!msg && !wait)
		return -ENOMEM;
	while (!msg) {
		msleep(1);
		msg = get_buf();
	}
	return len;
}

void try_send(void)
{
	spin_lock(&sl);
	raw_send(1, false);
	spin_unlock(&sl);
}

void send_waiting(void)
{
	spin_lock(&sl);
	raw_send(1, true); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&sl);
}
