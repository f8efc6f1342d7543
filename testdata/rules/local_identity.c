// Lock identity through locals: a local defined once from the parameters
// (or from other such locals) through member access and container_of
// names the same object in a caller and in its callee. A getter function
// (chip_get_data()) is not followed: equating what two calls of it
// return was measured to make more false double locks than real ones
// (recursion-aware superblock locks in jfs and reiserfs), so the
// pmbus_regulator_get_status() deadlock, whose data comes from
// i2c_get_clientdata(), is not reported.
struct mutex;
struct device {
	struct device *parent;
	void *driver_data;
};
struct data {
	struct mutex update_lock;
	int flags;
};
struct chip {
	struct device dev;
	struct data *data;
};
struct reg {
	struct device dev;
	struct data *other;
};

static void *chip_get_data(struct chip *c)
{
	return c->dev.driver_data;
}



static int get_flags(struct data *data)
{
	int ret;

	mutex_lock(&data->update_lock);
	ret = data->flags;
	mutex_unlock(&data->update_lock);
	return ret;
}

static int reg_get_error_flags(struct reg *r)
{
	struct device *dev = &r->dev;
	struct chip *chip = container_of(dev->parent, struct chip, dev);
	struct data *data = chip->data;

	return get_flags(data);
}

int reg_get_status(struct reg *r)
{
	struct device *dev = &r->dev;
	struct chip *chip = container_of(dev->parent, struct chip, dev);
	struct data *data = chip->data;
	int ret;

	mutex_lock(&data->update_lock);
	ret = reg_get_error_flags(r); /* want DOUBLE_LOCK "calls reg_get_error_flags.. with mutex struct data::update_lock" */
	mutex_unlock(&data->update_lock);
	return ret;
}

/* Another object reached from the same parameter: two instances. */
static int reg_other_flags(struct reg *r)
{
	struct data *data = r->other;

	return get_flags(data);
}

int reg_status_other(struct reg *r)
{
	struct device *dev = &r->dev;
	struct data *data = container_of(dev->parent, struct chip, dev)->data;
	int ret;

	mutex_lock(&data->update_lock);
	ret = reg_other_flags(r);
	mutex_unlock(&data->update_lock);
	return ret;
}

/* A getter's result is not followed: not told to be the same object. */
static int reg_getter_flags(struct reg *r)
{
	struct data *data = chip_get_data(container_of(r->dev.parent, struct chip, dev));

	return get_flags(data);
}

int reg_status_getter(struct reg *r)
{
	struct data *data = chip_get_data(container_of(r->dev.parent, struct chip, dev));
	int ret;

	mutex_lock(&data->update_lock);
	ret = reg_getter_flags(r);
	mutex_unlock(&data->update_lock);
	return ret;
}

/* A local assigned twice is not its first definition. */
static int reg_moved_flags(struct reg *r)
{
	struct device *dev = &r->dev;
	struct data *data = container_of(dev->parent, struct chip, dev)->data;

	if (!data->flags)
		data = r->other;
	return get_flags(data);
}

int reg_status_moved(struct reg *r)
{
	struct device *dev = &r->dev;
	struct data *data = container_of(dev->parent, struct chip, dev)->data;
	int ret;

	mutex_lock(&data->update_lock);
	ret = reg_moved_flags(r);
	mutex_unlock(&data->update_lock);
	return ret;
}
