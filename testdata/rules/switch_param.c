// A parameter a function switches on decides what each case does; a
// caller that knows the value it passes reaches only that case. The hub
// driver disables interrupts only for GetPortStatus, and the hub code
// sleeps only for ClearPortFeature (ehci-brcm.c and ehci-hub.c). Its
// spin_lock_irqsave() under local_irq_save() is still wrong on PREEMPT_RT.
#define ClearPortFeature 0x2301
#define GetPortStatus 0xa300

struct hcd { spinlock_t lock; int flags; };

static int hub_control(struct hcd *hcd, u16 typeReq, u16 wValue)
{
	unsigned long flags;

	spin_lock_irqsave(&hcd->lock, flags);
	switch (typeReq) {
	case ClearPortFeature:
		if (hcd->flags) {
			spin_unlock_irqrestore(&hcd->lock, flags);
			msleep(5);
			spin_lock_irqsave(&hcd->lock, flags);
		}
		break;
	case GetPortStatus:
		hcd->flags = 0;
		break;
	default:
		break;
	}
	spin_unlock_irqrestore(&hcd->lock, flags);
	return 0;
}

int brcm_hub_control(struct hcd *hcd, u16 typeReq, u16 wValue)
{
	unsigned long flags;
	int irq_disabled = 0;
	int ret;

	if (typeReq == GetPortStatus && wValue) {
		irq_disabled = 1;
		local_irq_save(flags);
	}
	ret = hub_control(hcd, typeReq, wValue); /* want RT_SLEEPING_LOCK_IN_ATOMIC "hub_control" */
	if (irq_disabled)
		local_irq_restore(flags);
	return ret;
}

int bad_hub_control(struct hcd *hcd, u16 typeReq, u16 wValue)
{
	unsigned long flags;
	int ret;

	local_irq_save(flags);
	ret = hub_control(hcd, typeReq, wValue); /* want SLEEP_IN_ATOMIC "msleep" RT_SLEEPING_LOCK_IN_ATOMIC */
	local_irq_restore(flags);
	return ret;
}
