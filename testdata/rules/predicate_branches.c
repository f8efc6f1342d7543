// A predicate whose test branches before it returns: "return a && b;"
// (serial_core.h's uart_console(), which the CFG lowers to branches),
// "if (a || b) return true; return false;" (drm's
// drm_dev_needs_global_mutex()). Read back into one test, the test
// before the lock and the same test before the unlock are one fact.
struct console {
	int index;
};

struct port {
	struct console *cons;
	int line;
	int type;
};

struct drv {
	int (*load)(void);
	int (*unload)(void);
};

struct dev {
	const struct drv *driver;
};

static DEFINE_MUTEX(global_mutex);

#define uart_console(port) \
	((port)->cons && (port)->cons->index == (port)->line)

static bool needs_global(struct dev *dev)
{
	if (dev->driver->load || dev->driver->unload)
		return true;
	return false;
}

void configure_port(struct port *port)
{
	if (uart_console(port))
		console_lock();
	port->type = 1;
	if (uart_console(port))
		console_unlock();
	if (uart_console(port))
		console_lock(); /* fine: released above on the same test */
	port->type = 2;
	if (uart_console(port))
		console_unlock();
}

int dev_register(struct dev *dev)
{
	int ret = 0;

	if (needs_global(dev))
		mutex_lock(&global_mutex);
	if (!dev->driver)
		ret = -1;
	if (needs_global(dev))
		mutex_unlock(&global_mutex);
	return ret; /* fine: both tests are one */
}

/* The same test, and an error return between: a real leak. */
int dev_register_err(struct dev *dev, int x)
{
	if (needs_global(dev))
		mutex_lock(&global_mutex);
	if (x < 0)
		return -EINVAL; /* want LOCK_LEAK */
	if (needs_global(dev))
		mutex_unlock(&global_mutex);
	return 0;
}
