// A lock the release callback takes is taken only if the put drops the
// last reference, which the analysis cannot tell (ocfs2's
// dlm_lockres_put() under res->spinlock while the hash holds another
// reference): a conditional finding, left out by default.
struct res { spinlock_t spinlock; struct kref refs; int n; };
static void res_release(struct kref *kref)
{
	struct res *res = container_of(kref, struct res, refs);
	spin_lock(&res->spinlock);
	res->n = 0;
	spin_unlock(&res->spinlock);
	kfree(res);
}
static void res_put(struct res *res)
{
	kref_put(&res->refs, res_release);
}
void res_purge(struct res *res)
{
	spin_lock(&res->spinlock);
	res_put(res); /* want DOUBLE_LOCK "only if this put drops the last reference" */
	spin_unlock(&res->spinlock);
}
