// A function-like macro defined in both arms of an #if is read as a
// function in each, with its arm's condition, as a function's stub is:
// serial_core.h's uart_console() is a test of the port under
// CONFIG_SERIAL_CORE_CONSOLE and "({ (void)port; 0; })" without it, so
// the test before console_lock() and the same test before
// console_unlock() are one fact; a macro that sleeps in one arm
// (poll_hw() below) may sleep.
struct console {
	int index;
};

struct uart_port;

struct uart_ops {
	void (*config_port)(struct uart_port *port, int flags);
};

struct uart_port {
	struct console *cons;
	int line;
	int type;
	const struct uart_ops *ops;
	spinlock_t lock;
};

#ifdef CONFIG_SERIAL_CORE_CONSOLE
#define uart_console(port) \
	((port)->cons && (port)->cons->index == (port)->line)
#else
#define uart_console(port) ({ (void)port; 0; })
#endif

#ifdef CONFIG_SLOW_HW
#define poll_hw(port) msleep(1)
#else
#define poll_hw(port) cpu_relax()
#endif

void report(struct uart_port *port);

void configure_port(struct uart_port *port, int flags)
{
	if (flags) {
		if (uart_console(port))
			console_lock();
		port->ops->config_port(port, flags);
		if (uart_console(port))
			console_unlock();
	}
	if (port->type != 0) {
		report(port);
		if (uart_console(port))
			console_lock();
		report(port);
		if (uart_console(port))
			console_unlock();
	}
}

void poll_port(struct uart_port *port)
{
	spin_lock(&port->lock);
	poll_hw(port); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&port->lock);
}

/*
 * mm/page_alloc.c: interrupts are disabled around the per-CPU lists only
 * on a uniprocessor kernel without PREEMPT_RT, so the RT rules do not see
 * the local_irq_save() of the #else arm (the other arm does nothing, and
 * is not read).
 */
#if defined(CONFIG_SMP) || defined(CONFIG_PREEMPT_RT)
#define pcp_trylock_prepare(flags)	do { } while (0)
#define pcp_trylock_finish(flag)	do { } while (0)
#else
#define pcp_trylock_prepare(flags)	local_irq_save(flags)
#define pcp_trylock_finish(flags)	local_irq_restore(flags)
#endif

struct zone {
	spinlock_t lock;
	int count;
};

void free_to_zone(struct zone *zone)
{
	unsigned long UP_flags;

	pcp_trylock_prepare(UP_flags);
	spin_lock(&zone->lock);
	zone->count++;
	spin_unlock(&zone->lock);
	pcp_trylock_finish(UP_flags);
}
