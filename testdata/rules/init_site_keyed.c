// A subsystem's lock wrapper whose initialiser is a macro declaring a
// lock_class_key of its own (f2fs.h's init_f2fs_rwsem()): every use
// initialises a class of its own, so the wrapper's lock is named by the
// place of the wrapper it was initialised at, and two wrappers of one
// struct are two classes: no AB-BA between sbi->cp_rwsem and io->io_rwsem.
struct f2fs_rwsem {
	struct rw_semaphore internal_rwsem;
};

void __init_f2fs_rwsem(struct f2fs_rwsem *sem, const char *name, struct lock_class_key *key)
{
	__init_rwsem(&sem->internal_rwsem, name, key);
}

#define init_f2fs_rwsem(sem)					\
do {								\
	static struct lock_class_key __key;			\
								\
	__init_f2fs_rwsem((sem), #sem, &__key);			\
} while (0)

static inline void f2fs_down_write(struct f2fs_rwsem *sem)
{
	down_write(&sem->internal_rwsem);
}

static inline void f2fs_up_write(struct f2fs_rwsem *sem)
{
	up_write(&sem->internal_rwsem);
}

struct sb_info {
	struct f2fs_rwsem cp_rwsem;
	struct f2fs_rwsem node_write;
	struct mutex sentry_lock;
};

struct bio_info {
	struct f2fs_rwsem io_rwsem;
};

void fill_super(struct sb_info *sbi, struct bio_info *io)
{
	init_f2fs_rwsem(&sbi->cp_rwsem);
	init_f2fs_rwsem(&sbi->node_write);
	init_f2fs_rwsem(&io->io_rwsem);
}

void write_checkpoint(struct sb_info *sbi)
{
	f2fs_down_write(&sbi->cp_rwsem);
	mutex_lock(&sbi->sentry_lock);
	mutex_unlock(&sbi->sentry_lock);
	f2fs_up_write(&sbi->cp_rwsem);
}

void replace_block(struct sb_info *sbi, struct bio_info *io)
{
	mutex_lock(&sbi->sentry_lock);
	f2fs_down_write(&io->io_rwsem); /* fine: another class than cp_rwsem */
	f2fs_up_write(&io->io_rwsem);
	mutex_unlock(&sbi->sentry_lock);
}

void write_node(struct sb_info *sbi)
{
	mutex_lock(&sbi->sentry_lock);
	f2fs_down_write(&sbi->cp_rwsem); /* want LOCK_ORDER_INVERSION "struct sb_info::cp_rwsem.internal_rwsem" */
	f2fs_up_write(&sbi->cp_rwsem);
	mutex_unlock(&sbi->sentry_lock);
}

/*
 * Wrappers in an array, each element initialised at a place of its own
 * (f2fs's i_gc_rwsem[READ] and i_gc_rwsem[WRITE]): two classes the
 * analysis does not name apart, and the wrapper's own member ("struct
 * f2fs_rwsem::internal_rwsem") is every wrapper at once, so orders of it
 * say nothing.
 */
struct inode_info {
	struct f2fs_rwsem i_gc_rwsem[2];
	struct mutex inmem_lock;
};

void init_inode(struct inode_info *fi)
{
	init_f2fs_rwsem(&fi->i_gc_rwsem[0]);
	init_f2fs_rwsem(&fi->i_gc_rwsem[1]);
}

void write_failed(struct inode_info *fi)
{
	f2fs_down_write(&fi->i_gc_rwsem[1]);
	mutex_lock(&fi->inmem_lock);
	mutex_unlock(&fi->inmem_lock);
	f2fs_up_write(&fi->i_gc_rwsem[1]);
}

void commit_inmem(struct inode_info *fi)
{
	mutex_lock(&fi->inmem_lock);
	f2fs_down_write(&fi->i_gc_rwsem[0]);
	f2fs_up_write(&fi->i_gc_rwsem[0]);
	mutex_unlock(&fi->inmem_lock);
}
