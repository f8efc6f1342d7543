// A chain through two ops tables is not followed: each edge stands for
// any implementation of its member, and the pairing of a personality's
// callback with a cluster driver's is anyone's guess (md-cluster's
// receive thread reaching raid5 through ->hot_remove_disk(), which only
// raid1 and raid10 arrays ever run under it). One ops edge is followed,
// however deep the plain calls after it.
struct mddev;

struct personality {
	int (*hot_remove)(struct mddev *mddev);
	void (*quiesce)(struct mddev *mddev);
};

struct cluster_ops {
	int (*update_start)(struct mddev *mddev);
};

struct mddev {
	struct personality *pers;
	struct cluster_ops *cluster;
	spinlock_t lock;
	struct mutex recv_mutex;
};

static int cluster_update_start(struct mddev *mddev)
{
	mutex_lock(&mddev->recv_mutex);
	mutex_unlock(&mddev->recv_mutex);
	return 0;
}

static struct cluster_ops md_cluster_ops = {
	.update_start = cluster_update_start,
};

static void update_sb(struct mddev *mddev)
{
	mddev->cluster->update_start(mddev);
}

/* Sleeps through a plain call: a caller through ->hot_remove() is told. */
static int raid5_remove(struct mddev *mddev)
{
	update_sb(mddev);
	msleep(1);
	return 0;
}

static int raid1_remove(struct mddev *mddev)
{
	return 0;
}

static void raid5_quiesce(struct mddev *mddev)
{
	update_sb(mddev);
}

static struct personality raid5 = {
	.hot_remove = raid5_remove,
	.quiesce = raid5_quiesce,
};

static struct personality raid1 = {
	.hot_remove = raid1_remove,
};

/*
 * Through ->hot_remove() alone, raid5_remove()'s msleep() is reported;
 * the mutex cluster_update_start() takes through a second ops table is
 * not a double lock here.
 */
void recv_locked(struct mddev *mddev)
{
	spin_lock(&mddev->lock);
	mddev->pers->hot_remove(mddev); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&mddev->lock);
}

void recv_daemon(struct mddev *mddev)
{
	mutex_lock(&mddev->recv_mutex);
	mddev->pers->hot_remove(mddev);
	mutex_unlock(&mddev->recv_mutex);
}

/* The only effect of ->quiesce() lies behind the second table. */
void quiesce_locked(struct mddev *mddev)
{
	spin_lock(&mddev->lock);
	mddev->pers->quiesce(mddev);
	spin_unlock(&mddev->lock);
}

/* One ops edge, then plain calls: the mutex is a double lock. */
void update_twice(struct mddev *mddev)
{
	mutex_lock(&mddev->recv_mutex);
	update_sb(mddev); /* want DOUBLE_LOCK */
	mutex_unlock(&mddev->recv_mutex);
}
