// A flag a function clears itself before what it does (__cleanup_nmi()'s
// "desc->istate &= ~IRQS_NMI" before freeing the action) is no condition
// its callers must meet: free_nmi() tested the flag set, and the free
// under its raw lock is still reported.
#define IRQS_NMI 0x80
struct irq_desc { raw_spinlock_t lock; unsigned int istate; void *action; };

static void cleanup_nmi(struct irq_desc *desc)
{
	desc->istate &= ~IRQS_NMI;
	kfree(desc->action);
	desc->action = NULL;
}

void free_nmi(struct irq_desc *desc)
{
	unsigned long flags;

	if (!(desc->istate & IRQS_NMI))
		return;
	raw_spin_lock_irqsave(&desc->lock, flags);
	cleanup_nmi(desc); /* want ALLOC_IN_RAW_ATOMIC */
	raw_spin_unlock_irqrestore(&desc->lock, flags);
}
