// Calls a <linux/...> header's static inline under the lock: only the
// index, which reads include/, knows it sleeps.
#include <linux/foo_wait.h>
#include "foo.h"

void foo_reset(struct foo_dev *d)
{
	foo_lock(d);
	foo_settle();
	foo_unlock(d);
}
