/* A kernel header: its static inline sleeps. */
static inline void foo_settle(void)
{
	msleep(1);
}
