// The user ends the section the other file's begin started before it
// cleans up, which takes the mutex again: no double lock.
bool tort_init_begin(void);
void tort_init_end(void);
void tort_cleanup(void);
static int fail;

static int scale_init(void)
{
	if (fail)
		goto unwind;
	tort_init_end();
	return 0;
unwind:
	tort_init_end();
	tort_cleanup();
	return -1;
}

int user_init(void)
{
	if (!tort_init_begin())
		return -EBUSY;
	return scale_init();
}

void tort_lock(void);
void tort_unlock(void);

/*
 * The other file's static taken and released through its pair, twice:
 * the release is of the lock the other file's function took.
 */
int user_limits(int x)
{
	tort_lock();
	x++;
	tort_unlock();
	tort_lock();
	x--;
	tort_unlock();
	return x;
}
