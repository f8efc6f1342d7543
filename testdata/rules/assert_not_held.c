// lockdep_assert_not_held() states the lock is released by then: a
// holder op this analysis may not see (bdev_freeze()'s ->freeze(), which
// drops bd_holder_lock) released it. Taking it again after the
// assertion is no double lock; without the assertion the held lock is
// still followed.
struct block_device;

struct holder_ops {
	int (*freeze)(struct block_device *bdev);
};

struct block_device {
	struct mutex bd_holder_lock;
	const struct holder_ops *bd_holder_ops;
	int count;
};

int bdev_freeze(struct block_device *bdev)
{
	int error = 0;

	mutex_lock(&bdev->bd_holder_lock);
	if (bdev->bd_holder_ops && bdev->bd_holder_ops->freeze) {
		error = bdev->bd_holder_ops->freeze(bdev);
		lockdep_assert_not_held(&bdev->bd_holder_lock);
	} else {
		mutex_unlock(&bdev->bd_holder_lock);
	}
	return error;
}

int bdev_thaw(struct block_device *bdev)
{
	mutex_lock(&bdev->bd_holder_lock);
	bdev->count--;
	mutex_unlock(&bdev->bd_holder_lock);
	return 0;
}

/* Freeze, then thaw: the holder lock is free in between. */
int suspend_fs(struct block_device *bdev)
{
	int r = bdev_freeze(bdev);

	if (r)
		return r;
	return bdev_thaw(bdev);
}

/* No assertion: the lock is held across the call. */
int freeze_locked(struct block_device *bdev)
{
	mutex_lock(&bdev->bd_holder_lock);
	bdev->count++;
	return bdev_thaw(bdev); /* want DOUBLE_LOCK */
}
