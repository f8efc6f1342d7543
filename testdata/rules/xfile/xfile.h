struct xf_dev {
	spinlock_t lock;
	void *buf;
	int n;
};

int xf_grow(struct xf_dev *d, int n, gfp_t gfp);
int xf_resize(struct xf_dev *d, int n);
void xf_lock(struct xf_dev *d);
void xf_unlock(struct xf_dev *d);

struct xarray;
void *xf_store(struct xarray *xa, unsigned long index, void *entry);
