// Functions a macro of the file defines, one per invocation, with a
// pasted name (drivers/char/random.c's DEFINE_BATCHED_ENTROPY, drivers/
// pci/access.c's PCI_OP_READ): get_random_u32() takes a local_lock,
// which a raw spinlock must not be held around on PREEMPT_RT. The
// invocation does not swallow the function after it.
#define DEFINE_BATCHED_ENTROPY(type)						\
struct batch_ ##type {								\
	type entropy[48];							\
	local_lock_t lock;							\
	unsigned int position;							\
};										\
										\
static DEFINE_PER_CPU(struct batch_ ##type, batched_entropy_ ##type) = {	\
	.lock = INIT_LOCAL_LOCK(batched_entropy_ ##type.lock),			\
	.position = UINT_MAX							\
};										\
										\
type get_random_ ##type(void)							\
{										\
	type ret;								\
	unsigned long flags;							\
	struct batch_ ##type *batch;						\
										\
	local_lock_irqsave(&batched_entropy_ ##type.lock, flags);		\
	batch = raw_cpu_ptr(&batched_entropy_##type);				\
	ret = batch->entropy[batch->position];					\
	local_unlock_irqrestore(&batched_entropy_ ##type.lock, flags);		\
	return ret;								\
}										\
EXPORT_SYMBOL(get_random_ ##type);

DEFINE_BATCHED_ENTROPY(u8)
DEFINE_BATCHED_ENTROPY(u32)

#define PCI_OP_READ(size, type, len) \
int pci_bus_read_config_##size \
	(struct pci_bus *bus, unsigned int devfn, int pos, type *value)	\
{									\
	unsigned long flags;						\
	int res;							\
									\
	raw_spin_lock_irqsave(&pci_lock, flags);			\
	res = bus->ops->read(bus, devfn, pos, len, value);		\
	raw_spin_unlock_irqrestore(&pci_lock, flags);			\
	return res;							\
}

PCI_OP_READ(byte, u8, 1)
PCI_OP_READ(word, u16, 2)

static raw_spinlock_t watchdog_lock;
static struct mutex cfg_mutex;

void verify_percpu(void)
{
	raw_spin_lock(&watchdog_lock);
	get_random_u32(); /* want RT_SLEEPING_LOCK_IN_ATOMIC "get_random_u32" */
	raw_spin_unlock(&watchdog_lock);
}

void read_cfg(struct pci_bus *bus)
{
	u16 v;

	mutex_lock(&cfg_mutex);
	pci_bus_read_config_word(bus, 0, 4, &v);
	mutex_unlock(&cfg_mutex);
}
