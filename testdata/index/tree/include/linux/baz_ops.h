/* The ops of a baz device, in a <linux/...> header: a file's analysis does
 * not read it, the index does. */
struct baz_dev;

struct baz_ops {
	int (*start)(struct baz_dev *b);
	void (*stop)(struct baz_dev *b);
};

struct baz_dev {
	const struct baz_ops *ops;
	int users;
};
