// A bool member a caller stores before a call decides the callee's test
// of it: drivers/base/core.c's device_link_add() marks the link's device
// with device_pm_not_required() ("dev->power.no_pm = true") before
// device_register(), whose device_pm_add() returns before it takes
// dpm_list_mtx, which device_link_add() holds. Stored false, the callee
// takes the mutex again.
struct dev_pm_info {
	bool no_pm;
};

struct device {
	struct dev_pm_info power;
	int x;
};

struct device_link {
	struct device link_dev;
};

static DEFINE_MUTEX(dpm_list_mtx);

static void device_pm_add(struct device *dev)
{
	if (dev->power.no_pm)
		return;
	mutex_lock(&dpm_list_mtx);
	dev->x++;
	mutex_unlock(&dpm_list_mtx);
}

static inline void device_pm_not_required(struct device *dev)
{
	dev->power.no_pm = true;
}

void link_add(struct device_link *link)
{
	mutex_lock(&dpm_list_mtx);
	device_pm_not_required(&link->link_dev);
	device_pm_add(&link->link_dev);
	mutex_unlock(&dpm_list_mtx);
}

void link_add_direct(struct device_link *link)
{
	mutex_lock(&dpm_list_mtx);
	link->link_dev.power.no_pm = true;
	device_pm_add(&link->link_dev);
	mutex_unlock(&dpm_list_mtx);
}

void link_add_pm(struct device_link *link)
{
	mutex_lock(&dpm_list_mtx);
	link->link_dev.power.no_pm = false;
	device_pm_add(&link->link_dev); /* want DOUBLE_LOCK */
	mutex_unlock(&dpm_list_mtx);
}
