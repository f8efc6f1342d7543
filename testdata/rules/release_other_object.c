// A helper that hands the caller's lock over: it takes the lender's
// mutex, drops the caller's (the same member of another object, which a
// branch showed to differ), recurses, and takes the caller's back
// (put_chip() of the mtd flash drivers). The release is of the caller's
// lock, not of the lender's, so the caller's lock taken back is no double
// lock.
struct mutex;
struct shared { struct mutex lock; struct chip *writing; struct chip *erasing; };
struct chip { struct mutex mutex; struct shared *priv; int oldstate; };

static void put_chip(struct chip *chip)
{
	struct shared *shared = chip->priv;

	if (!shared)
		return;
	mutex_lock(&shared->lock);
	if (shared->writing == chip && chip->oldstate == 1) {
		shared->writing = shared->erasing;
		if (shared->writing && shared->writing != chip) {
			struct chip *loaner = shared->writing;

			mutex_unlock(&shared->lock);
			mutex_lock(&loaner->mutex);
			mutex_unlock(&chip->mutex);
			put_chip(loaner);
			mutex_lock(&chip->mutex);
			mutex_unlock(&loaner->mutex);
			return;
		}
	}
	mutex_unlock(&shared->lock);
}

int chip_read(struct chip *chip)
{
	mutex_lock(&chip->mutex);
	put_chip(chip);
	mutex_unlock(&chip->mutex);
	return 0;
}

/* Without the test that they differ, the release may be the lender's. */
static void swap_owner(struct chip *chip, struct chip *other)
{
	mutex_lock(&other->mutex);
	mutex_unlock(&chip->mutex);
	mutex_lock(&chip->mutex);
	mutex_unlock(&other->mutex);
}

void swap_caller(struct chip *chip, struct chip *other)
{
	mutex_lock(&chip->mutex);
	swap_owner(chip, other); /* want DOUBLE_LOCK */
	mutex_unlock(&chip->mutex);
}
