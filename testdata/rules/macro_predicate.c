// A call-free macro testing a flag of its argument (amdgpu_sriov_runtime())
// read as a predicate: the test in the callee is a condition on the
// caller's argument, which a caller that tested it decides, and which
// is named when nothing does.
#define CAPS_RUNTIME 0x4
#define dev_runtime(d) ((d)->virt.caps & CAPS_RUNTIME)

struct virt {
	unsigned int caps;
};

struct adev {
	struct virt virt;
	spinlock_t lock;
	struct mutex m;
};

static void kiq_wreg(struct adev *a)
{
	mutex_lock(&a->m);
	mutex_unlock(&a->m);
}

static void wreg(struct adev *a)
{
	if (dev_runtime(a))
		kiq_wreg(a);
}

/* Nothing here says whether the device runs virtualised. */
void smc_wreg(struct adev *a)
{
	spin_lock(&a->lock);
	wreg(a); /* want SLEEP_IN_ATOMIC "only if .a.->virt.caps & CAPS_RUNTIME" */
	spin_unlock(&a->lock);
}

/* Tested here: the callee's branch is decided. */
void bare_wreg(struct adev *a)
{
	if (dev_runtime(a))
		return;
	spin_lock(&a->lock);
	wreg(a);
	spin_unlock(&a->lock);
}
