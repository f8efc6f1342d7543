// Lock identity through accessors: a local defined once from the
// parameters through getters (dev_get_drvdata()-like functions with no
// effect) names the same object in a caller and in its callee, as in
// pmbus_regulator_get_status() (the 2023 deadlock fix): both reach
// data->update_lock from the regulator they are given.
struct mutex;
struct device {
	struct device *parent;
	void *driver_data;
};
struct chip {
	struct device dev;
};
struct data {
	struct mutex update_lock;
	int flags;
};
struct reg {
	struct device dev;
	struct data *other;
};

static struct device *reg_get_dev(struct reg *r)
{
	return &r->dev;
}

static void *chip_get_data(struct chip *c)
{
	return c->dev.driver_data;
}

#define to_chip(d) container_of(d, struct chip, dev)

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
	struct device *dev = reg_get_dev(r);
	struct chip *chip = to_chip(dev->parent);
	struct data *data = chip_get_data(chip);

	return get_flags(data);
}

int reg_get_status(struct reg *r)
{
	struct device *dev = reg_get_dev(r);
	struct chip *chip = to_chip(dev->parent);
	struct data *data = chip_get_data(chip);
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
	struct device *dev = reg_get_dev(r);
	struct data *data = chip_get_data(to_chip(dev->parent));
	int ret;

	mutex_lock(&data->update_lock);
	ret = reg_other_flags(r);
	mutex_unlock(&data->update_lock);
	return ret;
}

/*
 * A function with an effect is not an accessor: what it returns may be a
 * new object each time (here it sleeps, as an allocation would).
 */
static struct data *data_lookup(struct reg *r)
{
	msleep(1);
	return r->other;
}

static int reg_lookup_flags(struct reg *r)
{
	struct data *data = data_lookup(r);

	return get_flags(data);
}

int reg_status_lookup(struct reg *r)
{
	struct data *data = data_lookup(r);
	int ret;

	mutex_lock(&data->update_lock);
	ret = reg_lookup_flags(r);
	mutex_unlock(&data->update_lock);
	return ret;
}

/* A local assigned twice is not its first definition. */
static int reg_moved_flags(struct reg *r)
{
	struct device *dev = reg_get_dev(r);
	struct data *data = chip_get_data(to_chip(dev->parent));

	if (!data->flags)
		data = r->other;
	return get_flags(data);
}

int reg_status_moved(struct reg *r)
{
	struct device *dev = reg_get_dev(r);
	struct data *data = chip_get_data(to_chip(dev->parent));
	int ret;

	mutex_lock(&data->update_lock);
	ret = reg_moved_flags(r);
	mutex_unlock(&data->update_lock);
	return ret;
}
