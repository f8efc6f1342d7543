// A function-like macro that reads a variable of its caller's by name
// (amdgpu's "#define WREG32(reg, v) amdgpu_device_wreg(adev, (reg),
// (v), 0)"): what its body tests of that variable is a test of the
// caller's, as if the macro had taken it as an argument. A register write
// that sleeps only for an SR-IOV virtual function (adev's capability
// bits) is then a finding that holds only under that condition, named,
// and out of the default output.
#define CAPS_RUNTIME 0x4

struct adev {
	unsigned int caps;
	spinlock_t idx_lock;
	struct mutex kiq_lock;
};

void dev_wreg(struct adev *adev, unsigned int reg, unsigned int v)
{
	if (adev->caps & CAPS_RUNTIME) {
		mutex_lock(&adev->kiq_lock);
		mutex_unlock(&adev->kiq_lock);
		return;
	}
	writel(v, reg);
}

#define WREG(reg, v) dev_wreg(adev, (reg), (v))

void endpt_wreg(struct adev *adev, unsigned int reg, unsigned int v)
{
	spin_lock(&adev->idx_lock);
	WREG(reg, v); /* want SLEEP_IN_ATOMIC "only if adev->caps & CAPS_RUNTIME" */
	spin_unlock(&adev->idx_lock);
}

void endpt_wreg_direct(struct adev *adev, unsigned int reg, unsigned int v)
{
	spin_lock(&adev->idx_lock);
	dev_wreg(adev, reg, v); /* want SLEEP_IN_ATOMIC "only if adev->caps & CAPS_RUNTIME" */
	spin_unlock(&adev->idx_lock);
}
