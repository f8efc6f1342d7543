// Work registered through a driver's wrapper: rtl8192e's
// "#define INIT_DELAYED_WORK_RSL(x, y, z) INIT_DELAYED_WORK(x, y)" with
// a cast callback, and a function that hands its arguments on. The wait
// for the work under the mutex the work takes deadlocks.
#define INIT_DELAYED_WORK_RSL(x, y, z) INIT_DELAYED_WORK(x, y)

struct dev {
	struct mutex scan_mutex;
	struct delayed_work scan_wq;
	struct delayed_work other_wq;
	struct work_struct reset_work;
	int watch;
};

static void scan_wq(void *data)
{
	struct dev *d = container_of_dwork_rsl(data, struct dev, scan_wq);

	mutex_lock(&d->scan_mutex);
	d->watch++;
	mutex_unlock(&d->scan_mutex);
}

static void other_wq(void *data)
{
	struct dev *d = container_of_dwork_rsl(data, struct dev, other_wq);

	d->watch = 0;
}

static void reset_fn(struct work_struct *w)
{
	struct dev *d = container_of(w, struct dev, reset_work);

	mutex_lock(&d->scan_mutex);
	d->watch = 0;
	mutex_unlock(&d->scan_mutex);
}

static void setup_work(struct work_struct *w, work_func_t fn)
{
	INIT_WORK(w, fn);
}

void dev_init(struct dev *d)
{
	INIT_DELAYED_WORK_RSL(&d->scan_wq, (void *)scan_wq, d);
	INIT_DELAYED_WORK_RSL(&d->other_wq, (void *)other_wq, d);
	setup_work(&d->reset_work, reset_fn);
}

void stop_scan(struct dev *d)
{
	mutex_lock(&d->scan_mutex);
	cancel_delayed_work_sync(&d->scan_wq); /* want WAIT_UNDER_LOCK "waits for scan_wq.., which takes" */
	mutex_unlock(&d->scan_mutex);
}

/* The other work takes nothing. */
void stop_other(struct dev *d)
{
	mutex_lock(&d->scan_mutex);
	cancel_delayed_work_sync(&d->other_wq);
	mutex_unlock(&d->scan_mutex);
}

void stop_reset(struct dev *d)
{
	mutex_lock(&d->scan_mutex);
	cancel_work_sync(&d->reset_work); /* want WAIT_UNDER_LOCK "waits for reset_fn.., which takes" */
	mutex_unlock(&d->scan_mutex);
}
