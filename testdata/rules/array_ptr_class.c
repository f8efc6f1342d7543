// Locks of an array member reached by pointer arithmetic
// ("sb->s_writers.rw_sem + level - 1", __sb_start_write()) are not one
// class: lockdep gives each freeze level its own key
// (type->s_writers_key[i]), so page-fault freeze protection taken before
// an inode lock and write freeze protection taken after it are no AB-BA
// (ocfs2_page_mkwrite() and ocfs2_write_begin()). Naming them all
// "struct sb_writers::rw_sem[]" made such false orders, and io_write()
// leaks its callee could not see released.
struct sb_writers {
	struct percpu_rw_semaphore rw_sem[3];
};

struct super {
	struct sb_writers s_writers;
};

struct inode_info {
	struct rw_semaphore alloc_sem;
	struct super *sb;
};

static void start_write(struct super *sb, int level)
{
	percpu_down_read(sb->s_writers.rw_sem + level - 1);
}

static void end_write(struct super *sb, int level)
{
	percpu_up_read(sb->s_writers.rw_sem + level - 1);
}

void page_mkwrite(struct inode_info *ii)
{
	start_write(ii->sb, 2);
	down_write(&ii->alloc_sem);
	up_write(&ii->alloc_sem);
	end_write(ii->sb, 2);
}

void write_begin(struct inode_info *ii)
{
	down_write(&ii->alloc_sem);
	start_write(ii->sb, 1);
	end_write(ii->sb, 1);
	up_write(&ii->alloc_sem);
}
