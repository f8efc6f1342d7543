// A local used as a shift count is not negative (a negative count is
// undefined behaviour). A recursion guard that returns -1, or the bit it
// set with "val |= 1 << bit" after disabling preemption, is a trylock:
// its callers' "if (bit < 0) return;" leaves nothing held
// (trace_test_and_set_recursion() and the ftrace handlers).
struct task {
	unsigned int recursion;
};

extern struct task *cur;
extern int context_bit(void);

static inline int test_and_set_recursion(int start)
{
	unsigned int val = cur->recursion;
	int bit;

	bit = context_bit() + start;
	if (val & (1 << bit)) {
		bit = 3 + start;
		if (val & (1 << bit))
			return -1;
	}
	val |= 1 << bit;
	cur->recursion = val;
	preempt_disable_notrace();
	return bit;
}

static inline void clear_recursion(int bit)
{
	preempt_enable_notrace();
	cur->recursion &= ~(1 << bit);
}

void trace_handler(int start)
{
	int bit;

	bit = test_and_set_recursion(start);
	if (bit < 0)
		return;
	cur->recursion++;
	clear_recursion(bit);
}

/* A value not known to be a shift count stays open: a real leak. */
static int get_slot(int n)
{
	int slot = n - 4;

	if (n == 0)
		return -1;
	preempt_disable();
	return slot;
}

void slot_user(int n)
{
	int slot = get_slot(n);

	if (slot < 0)
		return; /* want LOCK_LEAK */
	cur->recursion = slot;
	preempt_enable();
}
