// A state change that sends a request (taking the socket mutex) unless
// its flags say hard or local: callers already holding the mutex pass
// CS_HARD. The flags are enumerators, and the mask is spelled with them.
enum chg_state_flags {
	CS_HARD = 1 << 0,
	CS_VERBOSE = 1 << 1,
	CS_LOCAL_ONLY = 1 << 4,
};

#define C_MASK 31

struct conn {
	struct mutex sock_mutex;
	int cstate;
};

static int send_state_req(struct conn *c)
{
	mutex_lock(&c->sock_mutex);
	mutex_unlock(&c->sock_mutex);
	return 0;
}

static int change_state(struct conn *c, int mask, int val, enum chg_state_flags flags)
{
	if (!(flags & (CS_LOCAL_ONLY | CS_HARD)))
		return send_state_req(c);
	c->cstate = val & mask;
	return 0;
}

int conn_request_state(struct conn *c, int mask, int val, enum chg_state_flags flags)
{
	return change_state(c, mask, val, flags);
}

int conn_send_failed(struct conn *c)
{
	int rv;

	mutex_lock(&c->sock_mutex);
	rv = conn_request_state(c, C_MASK, 3, CS_HARD);
	mutex_unlock(&c->sock_mutex);
	return rv;
}

int conn_send_failed_literal(struct conn *c)
{
	int rv;

	mutex_lock(&c->sock_mutex);
	rv = conn_request_state(c, C_MASK, 3, CS_VERBOSE | CS_LOCAL_ONLY);
	mutex_unlock(&c->sock_mutex);
	return rv;
}

int conn_send_soft(struct conn *c)
{
	int rv;

	mutex_lock(&c->sock_mutex);
	rv = conn_request_state(c, C_MASK, 3, CS_VERBOSE); /* want DOUBLE_LOCK */
	mutex_unlock(&c->sock_mutex);
	return rv;
}
