// spin_lock_bh() disables bottom halves as well as taking the lock, and
// spin_unlock_bh() enables them as well as releasing it: one level of
// the count, whoever disabled it. net/core/sock.c's __release_sock()
// drops the socket's spinlock with spin_unlock_bh() before it
// reschedules, and so ends the bh-off section its caller __tcp_close()
// began with local_bh_disable() before bh_lock_sock(): nothing is held
// at its cond_resched(). A lock taken with spin_lock_bh() and released
// with spin_unlock() leaves bottom halves disabled.
struct sk {
	spinlock_t slock;
	struct sk_buff *backlog;
	int state;
};

void sk_backlog_rcv(struct sk *sk, struct sk_buff *skb);

void release_backlog(struct sk *sk)
{
	while (sk->backlog) {
		struct sk_buff *skb = sk->backlog;

		sk->backlog = NULL;
		spin_unlock_bh(&sk->slock);
		sk_backlog_rcv(sk, skb);
		cond_resched();
		spin_lock_bh(&sk->slock);
	}
}

void tcp_close_like(struct sk *sk)
{
	local_bh_disable();
	spin_lock(&sk->slock);
	release_backlog(sk);
	sk->state = 0;
	spin_unlock(&sk->slock);
	local_bh_enable();
}

void half_unlock(struct sk *sk)
{
	spin_lock_bh(&sk->slock);
	sk->state = 1;
	spin_unlock(&sk->slock);
	msleep(1); /* want SLEEP_IN_ATOMIC */
	local_bh_enable();
}
