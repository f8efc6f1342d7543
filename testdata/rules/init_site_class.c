// Lock classes are initialisation sites, as lockdep's are: a struct
// embedded twice in another and initialised through each place
// ("mutex_init(&ioc->ctl_cmds.mutex)", "mutex_init(&ioc->tm_cmds.mutex)",
// mpt3sas) holds two classes, named by their place; one initialised
// through a pointer to its own struct (kobj_init()) is one class wherever
// the struct is embedded.
struct internal_cmd {
	struct mutex mutex;
	int status;
};

struct adapter {
	struct internal_cmd ctl_cmds;
	struct internal_cmd tm_cmds;
	struct work_struct fw_work;
};

static void fw_event_work(struct work_struct *w)
{
	struct adapter *ioc = container_of(w, struct adapter, fw_work);

	mutex_lock(&ioc->tm_cmds.mutex);
	ioc->tm_cmds.status = 1;
	mutex_unlock(&ioc->tm_cmds.mutex);
}

void adapter_init(struct adapter *ioc)
{
	mutex_init(&ioc->ctl_cmds.mutex);
	mutex_init(&ioc->tm_cmds.mutex);
	INIT_WORK(&ioc->fw_work, fw_event_work);
}

long ctl_ioctl(struct adapter *ioc)
{
	mutex_lock(&ioc->ctl_cmds.mutex);
	cancel_work_sync(&ioc->fw_work); /* fine: the work takes tm_cmds.mutex, another class */
	mutex_unlock(&ioc->ctl_cmds.mutex);
	return 0;
}

long tm_ioctl(struct adapter *ioc)
{
	mutex_lock(&ioc->tm_cmds.mutex);
	cancel_work_sync(&ioc->fw_work); /* want WAIT_UNDER_LOCK "struct adapter::tm_cmds.mutex" */
	mutex_unlock(&ioc->tm_cmds.mutex);
	return 0;
}

struct kobj {
	struct mutex lock;
};

struct port {
	struct kobj k;
};

static DEFINE_MUTEX(ports_lock);

void kobj_init(struct kobj *k)
{
	mutex_init(&k->lock);
}

void port_add(struct port *p)
{
	mutex_lock(&p->k.lock);
	mutex_lock(&ports_lock);
	mutex_unlock(&ports_lock);
	mutex_unlock(&p->k.lock);
}

void kobj_walk(struct kobj *k)
{
	mutex_lock(&ports_lock);
	mutex_lock(&k->lock); /* want LOCK_ORDER_INVERSION "takes struct kobj::lock while holding ports_lock, but port_add\\(\\)" */
	mutex_unlock(&k->lock);
	mutex_unlock(&ports_lock);
}
