// start_kernel() runs before the scheduler on the boot CPU with
// interrupts off by design: its allocations and frees are not reported.
// The same calls with interrupts off elsewhere are.
static char *saved;

static void maybe_free_param(char *p)
{
	kfree(p);
}

asmlinkage void start_kernel(void)
{
	local_irq_disable();
	maybe_free_param(saved);
	saved = kmalloc(16, GFP_KERNEL);
	local_irq_enable();
}

void late_setup(void)
{
	local_irq_disable();
	maybe_free_param(saved); /* want ALLOC_IN_RAW_ATOMIC "frees" */
	local_irq_enable();
}
