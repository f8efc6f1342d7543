// A helper that locks an inode only when it is given one ("if (inode)"):
// a caller passing NULL does not sleep there, one passing an inode does,
// however many calls down.
struct inode {
	struct rw_semaphore i_rwsem;
};

struct socket {
	void *ops;
};

struct conn {
	spinlock_t lock;
	struct socket *sock;
};

static void __sock_release(struct socket *sock, struct inode *inode)
{
	if (inode)
		inode_lock(inode);
	sock->ops = NULL;
	if (inode)
		inode_unlock(inode);
}

static void sock_release(struct socket *sock)
{
	__sock_release(sock, NULL);
}

static void sock_release_inode(struct socket *sock, struct inode *inode)
{
	__sock_release(sock, inode);
}

void conn_close(struct conn *c)
{
	spin_lock(&c->lock);
	sock_release(c->sock);
	spin_unlock(&c->lock);
}

void conn_close_null(struct conn *c)
{
	spin_lock(&c->lock);
	__sock_release(c->sock, NULL);
	spin_unlock(&c->lock);
}

void conn_close_inode(struct conn *c, struct inode *inode)
{
	spin_lock(&c->lock);
	sock_release_inode(c->sock, inode); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&c->lock);
}

void conn_close_direct(struct conn *c, struct inode *inode)
{
	spin_lock(&c->lock);
	__sock_release(c->sock, inode); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&c->lock);
}
