// A predicate that switches on its argument (getsockopt_needs_rtnl())
// decides which cases of the caller's own switch on that value run with
// the lock its answer made the caller take: the options that take rtnl
// all leave through the unlock, and the others never took it.
#define OPT_FILTER 41
#define OPT_MCFILTER 48
#define OPT_PROTOCOL 52

static bool opt_needs_rtnl(int optname)
{
	switch (optname) {
	case OPT_FILTER:
	case OPT_MCFILTER:
		return true;
	}
	return false;
}

int get_filter(int *v);

int do_getopt(int optname, int *v)
{
	bool needs_rtnl = opt_needs_rtnl(optname);
	int err, val;

	if (needs_rtnl)
		rtnl_lock();
	switch (optname) {
	case OPT_FILTER:
	case OPT_MCFILTER:
		err = get_filter(v);
		goto out;
	case OPT_PROTOCOL:
		val = 3;
		break;
	default:
		return -22;
	}
	*v = val;
	return 0;
out:
	if (needs_rtnl)
		rtnl_unlock();
	return err;
}

/* An option the predicate lets through that returns early leaks. */
int do_getopt_bad(int optname, int *v)
{
	bool needs_rtnl = opt_needs_rtnl(optname);
	int err;

	if (needs_rtnl)
		rtnl_lock();
	switch (optname) {
	case OPT_FILTER:
		err = get_filter(v);
		goto out;
	case OPT_MCFILTER:
		return -95; /* want LOCK_LEAK */
	default:
		return -22;
	}
out:
	if (needs_rtnl)
		rtnl_unlock();
	return err;
}
