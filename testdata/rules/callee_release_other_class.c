// A callee that takes and releases a lock of its own under a condition
// the caller cannot see (irq_to_cpuid_lock()/irq_to_cpuid_unlock() on a
// vpe found through the irq_data) may look as if it released some lock;
// it never releases a caller's lock of another class, so the caller's
// raw lock is still held after the call, and the free under it is seen.
struct vpe { raw_spinlock_t vpe_lock; int col; };
struct evmap { raw_spinlock_t vlpi_lock; void *maps; int nr; };
struct itsdev { struct evmap event_map; };

static int to_cpuid_lock(struct irq_data *d, unsigned long *flags)
{
	struct vpe *vpe = lookup_vpe(d);

	if (vpe) {
		raw_spin_lock_irqsave(&vpe->vpe_lock, *flags);
		return vpe->col;
	}
	return 0;
}

static void to_cpuid_unlock(struct irq_data *d, unsigned long flags)
{
	struct vpe *vpe = lookup_vpe(d);

	if (vpe)
		raw_spin_unlock_irqrestore(&vpe->vpe_lock, flags);
}

static void direct_inv(struct irq_data *d)
{
	unsigned long flags;
	int cpu;

	cpu = to_cpuid_lock(d, &flags);
	poke(cpu);
	to_cpuid_unlock(d, flags);
}

static int vlpi_unmap(struct irq_data *d, struct itsdev *its_dev)
{
	direct_inv(d);
	if (!--its_dev->event_map.nr)
		kfree(its_dev->event_map.maps);
	return 0;
}

static int set_vcpu_affinity(struct irq_data *d, struct itsdev *its_dev)
{
	guard(raw_spinlock)(&its_dev->event_map.vlpi_lock);
	return vlpi_unmap(d, its_dev); /* want ALLOC_IN_RAW_ATOMIC "frees memory" */
}
