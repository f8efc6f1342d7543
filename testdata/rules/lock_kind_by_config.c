// A lock whose type depends on the configuration (struct kvm's mmu_lock:
// rwlock_t where KVM_HAVE_MMU_RWLOCK, spinlock_t elsewhere), asserted held
// as the type read says and released as the code says: the same object.
struct kvm { spinlock_t mmu_lock; int n; };
static void split(struct kvm *kvm)
{
	lockdep_assert_held_write(&kvm->mmu_lock);
	write_unlock(&kvm->mmu_lock);
	cond_resched();
	write_lock(&kvm->mmu_lock);
}

/* Not released at all: still held at the sleep. */
static void split_held(struct kvm *kvm)
{
	lockdep_assert_held_write(&kvm->mmu_lock);
	cond_resched(); /* want SLEEP_IN_ATOMIC */
}
