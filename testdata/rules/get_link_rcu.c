// ->get_link() is called by the RCU path walk with a NULL dentry under
// rcu_read_lock(), and must return -ECHILD rather than block there
// (vfs.rst). cifs_get_link() allocated with GFP_KERNEL first (fixed in
// v6.8 by "cifs_get_link(): bail out in unsafe case").
struct dentry;
struct inode {
	spinlock_t i_lock;
	char *target;
};
struct delayed_call;
struct page;

struct inode_operations {
	const char *(*get_link)(struct dentry *, struct inode *, struct delayed_call *);
};

static const char *bad_get_link(struct dentry *dentry, struct inode *inode, struct delayed_call *done)
{
	char *path = kmalloc(4096, GFP_KERNEL); /* want SLEEP_IN_RCU "kmalloc" */

	if (!path)
		return ERR_PTR(-ENOMEM);
	strscpy(path, inode->target, 4096);
	return path;
}

static const char *good_get_link(struct dentry *dentry, struct inode *inode, struct delayed_call *done)
{
	char *path;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	path = kmalloc(4096, GFP_KERNEL);
	if (!path)
		return ERR_PTR(-ENOMEM);
	strscpy(path, inode->target, 4096);
	return path;
}

/* page_get_link(): the RCU walk gets the page only if it is cached. */
static const char *cached_get_link(struct dentry *dentry, struct inode *inode, struct delayed_call *done)
{
	struct page *page;

	if (!dentry) {
		page = find_get_page(inode->target, 0);
		if (!page)
			return ERR_PTR(-ECHILD);
	} else {
		might_sleep();
		page = read_mapping_page(inode->target, 0, NULL);
	}
	return page_address(page);
}

const struct inode_operations bad_symlink_ops = {
	.get_link = bad_get_link,
};

const struct inode_operations good_symlink_ops = {
	.get_link = good_get_link,
};

const struct inode_operations cached_symlink_ops = {
	.get_link = cached_get_link,
};

/* page_get_link(): the test is in the helper it hands the dentry to. */
static const char *helper_get_link_inner(struct dentry *dentry, struct inode *inode)
{
	if (!dentry)
		return ERR_PTR(-ECHILD);
	might_sleep();
	return inode->target;
}

static const char *helper_get_link(struct dentry *dentry, struct inode *inode, struct delayed_call *done)
{
	return helper_get_link_inner(dentry, inode);
}

const struct inode_operations helper_symlink_ops = {
	.get_link = helper_get_link,
};
