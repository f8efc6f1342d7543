// A predicate function read through: the same flag test before a lock
// and before its unlock is one fact (spi-nor's
// spi_nor_use_parallel_locking() around nor->lock).
#define NOR_F_RWW 0x4

struct nor {
	struct mutex lock;
	unsigned int flags;
	int banks;
};

static inline bool nor_parallel(struct nor *nor)
{
	return nor->flags & NOR_F_RWW;
}

static void nor_end_pe(struct nor *nor)
{
	mutex_lock(&nor->lock);
	nor->banks = 0;
	mutex_unlock(&nor->lock);
}

int nor_prep(struct nor *nor);
int nor_wait_banks(struct nor *nor);

static int nor_lock_pe(struct nor *nor)
{
	int ret = nor_prep(nor);

	if (ret)
		return ret;
	if (!nor_parallel(nor))
		mutex_lock(&nor->lock);
	else
		ret = nor_wait_banks(nor);
	return ret;
}

static void nor_unlock_pe(struct nor *nor)
{
	if (!nor_parallel(nor))
		mutex_unlock(&nor->lock);
	else
		nor_end_pe(nor);
}

/* Locked only when not parallel; nor_end_pe() runs only when parallel. */
int nor_write(struct nor *nor)
{
	if (nor_lock_pe(nor))
		return -EIO;
	nor->banks++;
	nor_unlock_pe(nor);
	return 0;
}

/* Holding the lock whatever the flag, the parallel path takes it again,
 * and returns with it held. */
int nor_erase(struct nor *nor)
{
	mutex_lock(&nor->lock);
	nor_unlock_pe(nor); /* want DOUBLE_LOCK */
	return 0; /* want LOCK_LEAK */
}
