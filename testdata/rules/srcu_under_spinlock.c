// srcu_read_lock() never waits: entering an SRCU read section under a
// spinlock is allowed (mmu notifiers are walked that way from page-table
// walks holding the PTE lock). Sleeping inside it still is not, when a
// spinlock is held around it.
struct mmu_notifier;

struct mm_struct {
	spinlock_t page_table_lock;
	struct mutex notifier_lock;
};

DEFINE_STATIC_SRCU(srcu);

static int notifier_clear_young(struct mm_struct *mm)
{
	int id, young = 0;

	id = srcu_read_lock(&srcu);
	young = 1;
	srcu_read_unlock(&srcu, id);
	return young;
}

/* The PTE lock held across the notifier walk: fine. */
int mkold_entry(struct mm_struct *mm)
{
	int young;

	spin_lock(&mm->page_table_lock);
	young = notifier_clear_young(mm);
	spin_unlock(&mm->page_table_lock);
	return young;
}

static void notifier_sync(struct mm_struct *mm)
{
	int id;

	id = srcu_read_lock(&srcu);
	mutex_lock(&mm->notifier_lock);
	mutex_unlock(&mm->notifier_lock);
	srcu_read_unlock(&srcu, id);
}

/* A mutex inside the SRCU section is a sleep under the spinlock. */
void sync_locked(struct mm_struct *mm)
{
	spin_lock(&mm->page_table_lock);
	notifier_sync(mm); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&mm->page_table_lock);
}

/* Directly, too. */
void enter_locked(struct mm_struct *mm)
{
	int id;

	spin_lock(&mm->page_table_lock);
	id = srcu_read_lock(&srcu);
	srcu_read_unlock(&srcu, id);
	spin_unlock(&mm->page_table_lock);
}
