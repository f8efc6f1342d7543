// A file's static mutex, taken by one of its functions and released by
// another, which other files call (kernel/torture.c's fullstop_mutex).
static DEFINE_MUTEX(fullstop);
static int stopping;

bool tort_init_begin(void)
{
	mutex_lock(&fullstop);
	if (stopping) {
		mutex_unlock(&fullstop);
		return false;
	}
	return true;
}

void tort_init_end(void)
{
	mutex_unlock(&fullstop);
}

void tort_cleanup(void)
{
	mutex_lock(&fullstop);
	stopping = 1;
	mutex_unlock(&fullstop);
}

/* A lock and unlock pair on the file's static (ovs_lock(), ovs_unlock()). */
void tort_lock(void)
{
	mutex_lock(&fullstop);
}

void tort_unlock(void)
{
	mutex_unlock(&fullstop);
}
