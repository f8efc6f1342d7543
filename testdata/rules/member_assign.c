// Calls through a member that code assigns rather than initializes: xenbus
// sets req->cb = xenbus_dev_queue_reply (or xs_wake_up) and
// xenbus_thread() calls req->cb(req) with xs_response_mutex held. The
// functions stored in the member are the call's targets, as an ops
// table's would be.
struct req {
	void (*cb)(struct req *r);
	void (*done)(struct req *r);
	struct mutex m;
	int state;
};

static DEFINE_SPINLOCK(list_lock);

static void req_queue_reply(struct req *r)
{
	mutex_lock(&r->m);
	r->state = 1;
	mutex_unlock(&r->m);
}

static void req_wake(struct req *r)
{
	r->state = 2;
}

static void req_mark(struct req *r)
{
	r->state = 3;
}

void req_setup(struct req *r, int user, void (*other)(struct req *r))
{
	if (user)
		r->cb = req_queue_reply;
	else
		r->cb = req_wake;
	r->done = req_mark;
	/* A function pointer handed in names no function. */
	r->done = other;
}

void req_complete(struct req *r)
{
	spin_lock(&list_lock);
	r->cb(r); /* want SLEEP_IN_ATOMIC "req_queue_reply" */
	r->done(r);
	spin_unlock(&list_lock);
}
