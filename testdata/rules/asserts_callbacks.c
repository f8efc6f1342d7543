// BUG_ON() stops a path, kref_put() runs its release function, ternary
// assignments keep their calls' results apart, "!=" pairs with "==", and
// lock order counts subclasses.
struct pmd { spinlock_t ptl; };
struct mm_s { int id; };
extern struct mm_s init_mm;

void split(struct pmd *pmd, unsigned long addr)
{
	void *pte = pte_offset_map(pmd, addr);

	BUG_ON(!pte);
	touch(pte);
	pte_unmap(pte);
}

int apply_range(struct mm_s *mm, pmd_t *pmd, unsigned long addr)
{
	spinlock_t *ptl;
	void *pte, *mapped_pte;

	mapped_pte = pte = (mm == &init_mm) ? pte_offset_kernel(pmd, addr) :
		pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		return -EINVAL;
	touch(pte);
	if (mm != &init_mm)
		pte_unmap_unlock(mapped_pte, ptl);
	msleep(1);
	return 0;
}

struct zhdr { spinlock_t page_lock; struct kref refcount; };

static void release_locked(struct kref *ref)
{
	struct zhdr *z = container_of(ref, struct zhdr, refcount);

	spin_unlock(&z->page_lock);
	free_z(z);
}

int putback(struct zhdr *z)
{
	spin_lock(&z->page_lock);
	if (kref_put(&z->refcount, release_locked))
		return 0;
	spin_unlock(&z->page_lock);
	return 0;
}

/* One lock class nested in itself under another: A/0 -> B -> A/1. */
struct object { raw_spinlock_t lock; };
static DEFINE_RAW_SPINLOCK(registry);

void scan_block(struct object *o)
{
	raw_spin_lock(&registry);
	raw_spin_lock_nested(&o->lock, SINGLE_DEPTH_NESTING);
	raw_spin_unlock(&o->lock);
	raw_spin_unlock(&registry);
}

void scan_object(struct object *o)
{
	raw_spin_lock(&o->lock);
	scan_block(o);
	raw_spin_unlock(&o->lock);
}
