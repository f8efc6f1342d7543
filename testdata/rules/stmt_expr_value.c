// A statement-expression macro's value is its last statement's
// (kernel/printk/printk.c's printk_enter_irqsave() ends in
// "success;"): read as the macro function's return value, a caller that
// returns when it is false leaves with interrupts as they were, and the
// path that goes on holds what the macro took.
#define MAX_RECURSION 3

u8 *recursion_counter(void);

#define enter_irqsave(recursion_ptr, flags)		\
({							\
	bool success = true;				\
							\
	local_irq_save(flags);				\
	(recursion_ptr) = recursion_counter();		\
	if (*(recursion_ptr) > MAX_RECURSION) {		\
		local_irq_restore(flags);		\
		success = false;			\
	} else {					\
		(*(recursion_ptr))++;			\
	}						\
	success;					\
})

#define exit_irqrestore(recursion_ptr, flags)		\
	do {						\
		(*(recursion_ptr))--;			\
		local_irq_restore(flags);		\
	} while (0)

struct log {
	int n;
	int len;
};

int store(struct log *l)
{
	unsigned long irqflags;
	u8 *recursion_ptr;
	int ret = 0;

	if (!enter_irqsave(recursion_ptr, irqflags))
		return 0;
	if (l->len > 8)
		goto out;
	l->n++;
	ret = l->n;
out:
	exit_irqrestore(recursion_ptr, irqflags);
	return ret;
}

int store_leak(struct log *l)
{
	unsigned long irqflags;
	u8 *recursion_ptr;

	if (!enter_irqsave(recursion_ptr, irqflags))
		return 0;
	if (l->len > 8)
		return -EINVAL; /* want LOCK_LEAK */
	l->n++;
	exit_irqrestore(recursion_ptr, irqflags);
	return l->n;
}
