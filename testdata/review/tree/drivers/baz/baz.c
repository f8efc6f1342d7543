// SPDX-License-Identifier: GPL-2.0
/* A device with a configuration buffer that is reallocated on resize. */

struct baz_dev {
	struct mutex cfg_lock;
	void *cfg;
	size_t cfg_size;
	unsigned long resizes;
};

static int baz_realloc_cfg(struct baz_dev *d, size_t size)
{
	void *n = kmalloc(size, GFP_KERNEL);

	if (!n)
		return -ENOMEM;
	kfree(d->cfg);
	d->cfg = n;
	d->cfg_size = size;
	return 0;
}

int baz_resize(struct baz_dev *d, size_t size)
{
	int ret;

	mutex_lock(&d->cfg_lock);
	ret = baz_realloc_cfg(d, size);
	mutex_unlock(&d->cfg_lock);
	return ret;
}

unsigned long baz_resizes(struct baz_dev *d)
{
	return READ_ONCE(d->resizes);
}
