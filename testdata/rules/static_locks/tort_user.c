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
